/** The run folder's small files, known answers: plan.json, env.json (and its version-1 upgrade), the lock. */
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { hostname } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { readEnvFile, writeEnvFile } from "../../src/results/envFile.js";
import { type PlanFile, readPlanFile, writePlanFile } from "../../src/results/planFile.js";
import { LOCK_FILE, lockFile, lockRunDir } from "../../src/results/runLock.js";
import { MoebenchError } from "../../src/util/errors.js";
import { tmp } from "../helpers.js";
import { baseFixture } from "../recordFixture.js";

function caught(f: () => unknown): MoebenchError {
  try {
    f();
  } catch (e) {
    if (e instanceof MoebenchError) return e;
    throw e;
  }
  throw new Error("expected a MoebenchError");
}

const PLAN: Omit<PlanFile, "planVersion"> = {
  planHash: "abc123",
  suite: "tiny",
  runId: "2026-01-01T00-00-00Z",
  count: 2,
  loads: [3.5, 0],
  unit: "s",
  instances: [
    { key: "k1", testId: "pp64", model: "m1", shard: 1 },
    { key: "k2", testId: "tg32", model: "m2", shard: 2 },
  ],
};

describe("plan.json", () => {
  it("is written as version 1, one-space indented JSON with a final newline, and read back", () => {
    const d = tmp();
    writePlanFile(d, PLAN);
    const text = readFileSync(join(d, "plan.json"), "utf8");
    expect(text.startsWith('{\n "planVersion": 1,\n "planHash": "abc123",\n "suite": "tiny",\n')).toBe(true);
    expect(text.endsWith("}\n")).toBe(true);
    expect(readPlanFile(d)).toEqual({ planVersion: 1, ...PLAN });
  });

  it("reads both units", () => {
    const d = tmp();
    writePlanFile(d, { ...PLAN, unit: "instances" });
    expect(readPlanFile(d)?.unit).toBe("instances");
  });

  it("a wrong plan is not written", () => {
    const d = tmp();
    expect(() => writePlanFile(d, { ...PLAN, count: 0 })).toThrow();
    expect(() => writePlanFile(d, { ...PLAN, unit: "x" as "s" })).toThrow();
    expect(readPlanFile(d)).toBeNull();
  });

  it("a folder that is not there: one line naming the file", () => {
    const p = join(tmp(), "gone", "plan.json");
    const e = caught(() => writePlanFile(join(p, ".."), PLAN));
    expect(e.message).toBe(`cannot write ${p}: no such file or folder (ENOENT)`);
  });

  it("none is null; a wrong one is a one-line error naming the field", () => {
    const d = tmp();
    expect(readPlanFile(d)).toBeNull();
    const path = join(d, "plan.json");
    writeFileSync(path, JSON.stringify({ planVersion: 1, ...PLAN, unit: "hours" }));
    let e = caught(() => readPlanFile(d));
    expect(e.message).toMatch(new RegExp(`^${path}: field unit: `));
    expect(e.hint).toBe("copy it again from the shard's run folder");
    writeFileSync(path, JSON.stringify({ planVersion: 2, ...PLAN }));
    expect(caught(() => readPlanFile(d)).message).toMatch(/plan\.json: field planVersion: /);
    writeFileSync(path, "{");
    e = caught(() => readPlanFile(d));
    expect(e.message).toBe(`${path}: not valid JSON`);
    expect(e.hint).toBe("copy it again from the shard's run folder");
  });
});

const V2 = {
  runId: "r1",
  suite: "s",
  executor: "llama" as const,
  env: baseFixture().env,
  startedAt: "2026-01-01T00:00:00.000Z",
  argv: ["run"],
};

describe("env.json", () => {
  it("is written as version 2, two-space indented JSON with a final newline", () => {
    const d = tmp();
    const file = writeEnvFile(d, V2);
    expect(file).toEqual({ schemaVersion: 2, ...V2 });
    const text = readFileSync(join(d, "env.json"), "utf8");
    expect(text.startsWith('{\n  "schemaVersion": 2,\n  "runId": "r1",\n')).toBe(true);
    expect(text.endsWith("}\n")).toBe(true);
  });

  it("a wrong env.json is not written; a folder that is not there is one line", () => {
    const d = tmp();
    expect(() => writeEnvFile(d, { ...V2, gpuPriceUsd: -1 })).toThrow();
    const p = join(d, "gone", "env.json");
    expect(caught(() => writeEnvFile(join(d, "gone"), V2)).message).toBe(
      `cannot write ${p}: no such file or folder (ENOENT)`,
    );
  });

  it("a version-2 file is read as it is (no upgrade adds fields)", () => {
    const d = tmp();
    writeFileSync(join(d, "env.json"), JSON.stringify({ schemaVersion: 2, ...V2, executor: "llama-bench" }));
    expect(readEnvFile(d)).toEqual({ schemaVersion: 2, ...V2, executor: "llama-bench" });
  });

  it("version 1 (or no version): the executor from the backend, argv [] when it had none", () => {
    const cases: [unknown, string][] = [
      ["mock", "mock"],
      ["llama-bench", "llama-bench"],
      ["llama-bench-cuda", "llama-bench"],
      ["cuda", "llama"],
      ["x-llama-bench", "llama"],
    ];
    for (const [backend, executor] of cases) {
      for (const version of [{ schemaVersion: 1 }, {}]) {
        const d = tmp();
        const env = { ...baseFixture().env, backend };
        const v1 = { ...version, runId: "r", suite: "s", env, startedAt: "t" };
        writeFileSync(join(d, "env.json"), JSON.stringify(v1));
        expect(readEnvFile(d)).toEqual({
          schemaVersion: 1,
          runId: "r",
          suite: "s",
          executor,
          env,
          startedAt: "t",
          argv: [],
        });
      }
    }
  });

  it("version 1 with a backend that is not a string: one line naming the field", () => {
    const d = tmp();
    const env = { ...baseFixture().env, backend: 7 };
    writeFileSync(
      join(d, "env.json"),
      JSON.stringify({ schemaVersion: 1, runId: "r", suite: "s", env, startedAt: "t" }),
    );
    expect(caught(() => readEnvFile(d)).message).toMatch(/env\.json: field env\.backend: /);
  });

  it("version 1 without env (and without source) is a run's file that lacks env, not an import", () => {
    const d = tmp();
    writeFileSync(join(d, "env.json"), JSON.stringify({ schemaVersion: 1, runId: "r", suite: "s", startedAt: "t" }));
    expect(caught(() => readEnvFile(d)).message).toMatch(/env\.json: field env: /);
    writeFileSync(join(d, "env.json"), JSON.stringify({ source: 7, runId: "r", suite: "s", startedAt: "t" }));
    expect(caught(() => readEnvFile(d)).message).toMatch(/env\.json: field env: /);
  });

  it("version 1 with env and a source field is a run's file", () => {
    const d = tmp();
    const env = { ...baseFixture().env, backend: "cpu" };
    writeFileSync(
      join(d, "env.json"),
      JSON.stringify({ schemaVersion: 1, source: "x", runId: "r", suite: "s", env, startedAt: "t" }),
    );
    expect(readEnvFile(d)).toEqual({
      schemaVersion: 1,
      runId: "r",
      suite: "s",
      executor: "llama",
      env,
      startedAt: "t",
      argv: [],
    });
  });

  it("version 2 is not upgraded: a missing argv is an error", () => {
    const d = tmp();
    const { argv: _, ...noArgv } = V2;
    writeFileSync(join(d, "env.json"), JSON.stringify({ schemaVersion: 2, ...noArgv }));
    expect(caught(() => readEnvFile(d)).message).toMatch(/env\.json: field argv: /);
  });

  it("version 1 keeps its own argv and executor", () => {
    const d = tmp();
    const v1 = {
      schemaVersion: 1,
      executor: "http",
      argv: ["serve"],
      runId: "r",
      suite: "s",
      env: null,
      startedAt: "t",
    };
    writeFileSync(join(d, "env.json"), JSON.stringify(v1));
    expect(readEnvFile(d)).toEqual(v1);
  });

  it("a version-1 import: run id from the folder name, suite <source>-import, missing fields empty", () => {
    const root = tmp();
    const d = join(root, "imp-2");
    mkdirSync(d);
    writeFileSync(join(d, "env.json"), JSON.stringify({ source: "llama-bench" }));
    expect(readEnvFile(d)).toEqual({
      schemaVersion: 1,
      runId: "imp-2",
      suite: "llama-bench-import",
      executor: "import",
      env: null,
      startedAt: "",
      argv: [],
      import: { source: "llama-bench", file: "", format: "" },
    });
    writeFileSync(
      join(d, "env.json"),
      JSON.stringify({ source: "sql", file: "/a.sql", format: "sql", importedAt: "2026-02-02" }),
    );
    expect(readEnvFile(d)).toMatchObject({
      suite: "sql-import",
      startedAt: "2026-02-02",
      import: { source: "sql", file: "/a.sql", format: "sql" },
    });
  });

  it("an env.json that is not an object, or of an unknown version: one line", () => {
    const d = tmp();
    const path = join(d, "env.json");
    for (const text of ["null", "[1]", "7", '"x"']) {
      writeFileSync(path, text);
      const e = caught(() => readEnvFile(d));
      expect(e.message).toBe(`${path}: field (file): expected a JSON object`);
      expect(e.hint).toBe("restore or delete it");
    }
    writeFileSync(path, JSON.stringify({ schemaVersion: 3, ...V2 }));
    const e = caught(() => readEnvFile(d));
    expect(e.message).toMatch(new RegExp(`^${path}: field schemaVersion: `));
    expect(e.hint).toBe("restore it from the run, or delete it");
    writeFileSync(path, "{");
    expect(caught(() => readEnvFile(d)).hint).toBe("restore it from the run, or delete it (reports then lack it)");
  });
});

/** This process's start time (field 22 of /proc/self/stat), read independently of the code under test. */
function myStart(): string {
  const stat = readFileSync("/proc/self/stat", "utf8");
  const after = stat.split(") ").at(-1)!.trim().split(/\s+/);
  return after[19]!;
}

describe("lock files", () => {
  it("the lock holds this process's PID, host, start time and an ISO time; release removes only its own", () => {
    const d = tmp();
    const lock = lockRunDir(d);
    const h = JSON.parse(readFileSync(join(d, LOCK_FILE), "utf8"));
    expect(h.pid).toBe(process.pid);
    expect(h.host).toBe(hostname());
    expect(h.procStart).toBe(myStart());
    expect(h.startedAt).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    expect(lock.tookOver).toBeNull();
    // someone else's lock now: release leaves it
    const other = JSON.stringify({ pid: 1, host: "elsewhere", procStart: null, startedAt: "y" });
    writeFileSync(join(d, LOCK_FILE), other);
    lock.release();
    expect(readFileSync(join(d, LOCK_FILE), "utf8")).toBe(other);
  });

  it("release is registered for exit and unregistered when called (twice is harmless)", () => {
    const d = tmp();
    const before = process.listenerCount("exit");
    const lock = lockRunDir(d);
    expect(process.listenerCount("exit")).toBe(before + 1);
    lock.release();
    expect(process.listenerCount("exit")).toBe(before);
    lock.release();
  });

  it("a lock of another host is never stale, even when its PID is not running here", () => {
    const d = tmp();
    const pid = 2 ** 22 + 7;
    writeFileSync(join(d, LOCK_FILE), JSON.stringify({ pid, host: "node-9", procStart: "5" }));
    const e = caught(() => lockRunDir(d));
    expect(e.message).toBe(`${d} is being written by moebench PID ${pid} on node-9 (since ?)`);
    expect(e.hint).toBe("wait for it to finish, or stop it; one run writes a run folder at a time");
  });

  it("a running holder without a recorded start time holds the lock", () => {
    const d = tmp();
    writeFileSync(join(d, LOCK_FILE), JSON.stringify({ pid: process.pid, host: hostname(), startedAt: "t0" }));
    expect(caught(() => lockFile(join(d, LOCK_FILE), "the database")).message).toBe(
      `the database is being written by moebench PID ${process.pid} on ${hostname()} (since t0)`,
    );
  });

  it("a running holder with its own start time holds the lock", () => {
    const d = tmp();
    const h = { pid: process.pid, host: hostname(), procStart: myStart(), startedAt: "t1" };
    writeFileSync(join(d, LOCK_FILE), JSON.stringify(h));
    expect(() => lockRunDir(d)).toThrow(/ \(since t1\)$/);
  });

  it("an unreadable lock (not JSON, or without pid and host) is taken over", () => {
    for (const text of ["{", JSON.stringify({ pid: "1", host: "h" }), JSON.stringify({ pid: 1 })]) {
      const d = tmp();
      writeFileSync(join(d, LOCK_FILE), text);
      const lock = lockRunDir(d);
      expect(lock.tookOver).toBeNull();
      expect(JSON.parse(readFileSync(join(d, LOCK_FILE), "utf8")).pid).toBe(process.pid);
      lock.release();
    }
  });

  it("a stale lock reports the holder it took over", () => {
    const d = tmp();
    const pid = 2 ** 22 + 9;
    writeFileSync(join(d, LOCK_FILE), JSON.stringify({ pid, host: hostname(), procStart: "5", startedAt: "s" }));
    const lock = lockRunDir(d);
    expect(lock.tookOver).toEqual({ pid, host: hostname(), procStart: "5", startedAt: "s" });
    lock.release();
  });

  it("a stale lock that cannot be moved aside: one line after a few tries", () => {
    const d = tmp();
    const path = join(d, LOCK_FILE);
    mkdirSync(path); // exists, unreadable as a lock
    mkdirSync(join(`${path}.stale-${process.pid}`, "full"), { recursive: true }); // the rename target: not empty
    const e = caught(() => lockRunDir(d));
    expect(e.message).toBe(`${path}: could not take over the stale lock`);
    expect(e.hint).toBe("remove the file");
  });

  it("a lock that cannot be created: one line naming it", () => {
    const path = join(tmp(), "gone", LOCK_FILE);
    expect(caught(() => lockFile(path, "x")).message).toBe(
      `cannot create the run lock ${path}: no such file or folder (ENOENT)`,
    );
  });
});
