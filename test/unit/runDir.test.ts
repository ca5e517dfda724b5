import { existsSync, mkdirSync, readFileSync, statSync, symlinkSync, writeFileSync } from "node:fs";
import { hostname } from "node:os";
import { join, relative } from "node:path";
import { describe, expect, it } from "vitest";
import { chooseRunDir, latestRunDir, newRunId, openRunDir, runPaths } from "../../src/results/runDir.js";
import { LOCK_FILE } from "../../src/results/runLock.js";
import { MoebenchError } from "../../src/util/errors.js";
import { tmp } from "../helpers.js";
import { makeRecord } from "./makeRecord.js";

function caught(f: () => unknown): MoebenchError {
  try {
    f();
  } catch (e) {
    if (e instanceof MoebenchError) return e;
    throw e;
  }
  throw new Error("expected a MoebenchError");
}

/** Run folders under a fresh base: each name with or without a results file. */
function base(runs: Record<string, boolean>): string {
  const b = tmp();
  for (const [name, hasResults] of Object.entries(runs)) {
    mkdirSync(join(b, name));
    if (hasResults) writeFileSync(join(b, name, "results.jsonl"), "");
  }
  return b;
}

const RUN_ID = /^\d{4}-\d\d-\d\dT\d\d-\d\d-\d\dZ$/;

describe("run folder paths", () => {
  it("a folder → its results.jsonl; a file (or a path not there) → its folder and itself", () => {
    const d = tmp();
    expect(runPaths(d)).toEqual({ dir: d, results: join(d, "results.jsonl") });
    const f = join(d, "other.jsonl");
    writeFileSync(f, "");
    expect(runPaths(f)).toEqual({ dir: d, results: f });
    expect(runPaths(join(d, "nope", "r.jsonl"))).toEqual({ dir: join(d, "nope"), results: join(d, "nope", "r.jsonl") });
    // relative paths are made absolute
    expect(runPaths(relative(process.cwd(), d))).toEqual({ dir: d, results: join(d, "results.jsonl") });
  });

  it("a run id is the start time, safe as a folder name, without milliseconds", () => {
    expect(newRunId(new Date("2025-01-31T12:03:04.567Z"))).toBe("2025-01-31T12-03-04Z");
    expect(newRunId(new Date("2026-11-05T00:00:00.000Z"))).toBe("2026-11-05T00-00-00Z");
    expect(newRunId()).toMatch(RUN_ID);
  });

  it("the latest run folder is the last by name that has a results file", () => {
    // created out of order, so neither the listing's order nor its reverse is the answer
    const b = base({ "2025-02-01": true, "2025-03-01": true, "2025-09-01": false, "2025-01-01": true });
    expect(latestRunDir(b)).toBe(join(b, "2025-03-01"));
    expect(latestRunDir(base({ "2025-03-01": false }))).toBeUndefined();
    expect(latestRunDir(join(b, "absent"))).toBeUndefined();
    const f = join(b, "2025-03-01", "results.jsonl");
    expect(caught(() => latestRunDir(f)).message).toBe(`cannot list ${f}: not a folder (ENOTDIR)`);
  });

  it("chooses --out, a new folder, or (--resume) the latest run", () => {
    const b = base({ "2025-01-01": true, "2025-02-01": true });
    expect(chooseRunDir({ base: b, out: "rel/out", resume: true, suite: "s" })).toBe(join(process.cwd(), "rel/out"));
    const fresh = chooseRunDir({ base: b, resume: false, suite: "s" });
    expect(fresh.startsWith(`${b}/`)).toBe(true);
    expect(fresh.slice(b.length + 1)).toMatch(RUN_ID);
    expect(chooseRunDir({ base: b, resume: true, suite: "s" })).toBe(join(b, "2025-02-01"));
    const e = caught(() => chooseRunDir({ base: join(b, "none"), resume: true, suite: "tiny" }));
    expect(e.message).toBe(`--resume: no earlier run of suite tiny under ${join(b, "none")}`);
    expect(e.hint).toBe("give the run folder with --out");
  });
});

describe("openRunDir", () => {
  it("makes the folder (parents too), takes its lock, and starts empty", () => {
    const d = join(tmp(), "a", "b", "run-7");
    const notes: string[] = [];
    const o = openRunDir(d, false, (l) => notes.push(l));
    expect(statSync(d).isDirectory()).toBe(true);
    expect(o.dir).toBe(d);
    expect(o.runId).toBe("run-7");
    expect(o.resultsPath).toBe(join(d, "results.jsonl"));
    expect(o.existing).toEqual([]);
    expect(o.lock.path).toBe(join(d, LOCK_FILE));
    expect(JSON.parse(readFileSync(join(d, LOCK_FILE), "utf8")).pid).toBe(process.pid);
    expect(notes).toEqual([]);
    o.lock.release();
    expect(existsSync(join(d, LOCK_FILE))).toBe(false);
  });

  it("--out naming a file is refused", () => {
    const f = join(tmp(), "f");
    writeFileSync(f, "x");
    const e = caught(() => openRunDir(f, false, () => {}));
    expect(e.message).toBe(`--out ${f} is a file`);
    expect(e.hint).toBe("give a folder");
  });

  it("a folder that cannot be made: one line naming it", () => {
    const f = join(tmp(), "f");
    writeFileSync(f, "x");
    const d = join(f, "sub", "run");
    const e = caught(() => openRunDir(d, false, () => {}));
    expect(e.message).toBe(`cannot create the run folder ${d}: not a folder (ENOTDIR)`);
  });

  it("a folder under a dangling link: the real reason, from making the first missing folder on its own", () => {
    const t = tmp();
    symlinkSync(join(t, "nowhere"), join(t, "link"));
    const d = join(t, "link", "sub", "run");
    // the recursive mkdir says ENOENT; making `link` itself says what is wrong
    const e = caught(() => openRunDir(d, false, () => {}));
    expect(e.message).toBe(`cannot create the run folder ${d}: already exists (EEXIST)`);
  });

  it("a folder whose results file is a folder: one line, and the lock is released", () => {
    const d = tmp();
    mkdirSync(join(d, "results.jsonl"));
    const e = caught(() => openRunDir(d, true, () => {}));
    expect(e.message).toBe(`cannot write ${join(d, "results.jsonl")}: is a folder (EISDIR)`);
    expect(existsSync(join(d, LOCK_FILE))).toBe(false);
  });

  it("a folder that holds a run is refused without --resume (lock released); an empty results file is reused", () => {
    const d = tmp();
    writeFileSync(join(d, "results.jsonl"), "");
    openRunDir(d, false, () => {}).lock.release();
    writeFileSync(join(d, "results.jsonl"), `${JSON.stringify(makeRecord())}\n`);
    const e = caught(() => openRunDir(d, false, () => {}));
    expect(e.message).toBe(`${d} already holds a run`);
    expect(e.hint).toBe("add --resume to continue it, or choose a new folder with --out");
    expect(existsSync(join(d, LOCK_FILE))).toBe(false);
  });

  it("--resume reads what is recorded, setting a torn line aside with a note", () => {
    const d = tmp();
    const lines = [JSON.stringify(makeRecord({ testId: "one" })), JSON.stringify(makeRecord({ testId: "two" }))];
    writeFileSync(join(d, "results.jsonl"), `${lines.join("\n")}\n{"torn`);
    const notes: string[] = [];
    const o = openRunDir(d, true, (l) => notes.push(l));
    expect(o.existing.map((r) => r.testId)).toEqual(["one", "two"]);
    expect(notes).toHaveLength(1);
    expect(readFileSync(join(d, "results.jsonl"), "utf8")).toBe(`${lines.join("\n")}\n`);
    o.lock.release();
  });

  it("a stale lock is taken over with a note naming its PID", () => {
    const d = tmp();
    const pid = 2 ** 22 + 12345; // above Linux's highest PID: no such process
    writeFileSync(join(d, LOCK_FILE), JSON.stringify({ pid, host: hostname(), procStart: "1", startedAt: "x" }));
    const notes: string[] = [];
    const o = openRunDir(d, false, (l) => notes.push(l));
    expect(notes).toEqual([`${d}: took over the lock of PID ${pid}, which is no longer running`]);
    o.lock.release();
  });
});
