/** results.jsonl edges: exact errors and hints, torn-line bookkeeping, repair's no-op, the writer's lifecycle. */
import { existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, it, vi } from "vitest";
import { appendJsonl, parseResults, readJsonl, repairResults, ResultsWriter } from "../../src/results/jsonl.js";
import type { ResultRecord } from "../../src/results/schema.js";
import { MoebenchError } from "../../src/util/errors.js";
import { tmp } from "../helpers.js";
import { recordFixture } from "../recordFixture.js";

const line = (key: string): string => JSON.stringify(recordFixture(key));

const caught = (f: () => unknown): MoebenchError => {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(MoebenchError);
    return e as MoebenchError;
  }
  throw new Error("expected an error");
};

/** A version-1 line (no executor) with this env.backend and extra. */
function v1(backend: string, extra?: Record<string, unknown>): string {
  const o = JSON.parse(line("a")) as Record<string, unknown> & { env: { backend: string } };
  o.schemaVersion = 1;
  delete o.executor;
  o.env.backend = backend;
  if (extra) o.extra = extra;
  return JSON.stringify(o);
}

describe("parseResults edges", () => {
  it.each([
    ["mock", undefined, "mock"],
    ["llama-bench-cuda", undefined, "llama-bench"],
    ["http://127.0.0.1:8080", undefined, "http"],
    ["cuda", undefined, "llama"],
    ["cpu", { source: "llama-bench" }, "import"],
    ["mock", { source: "other" }, "mock"],
  ])("a version-1 record with backend %s (extra %j) was run by %s", (backend, extra, executor) => {
    const [r] = parseResults("f.jsonl", `${v1(backend, extra)}\n`).records;
    expect(r!.executor).toBe(executor);
  });

  it("a version-2 record keeps the executor it names", () => {
    const o = { ...JSON.parse(line("a")), executor: "http" };
    o.env.backend = "mock";
    expect(parseResults("f.jsonl", `${JSON.stringify(o)}\n`).records[0]!.executor).toBe("http");
  });

  it.each([
    ["[1]", "object"],
    ["5", "number"],
    ['"s"', "string"],
    ["true", "boolean"],
    ["null", "null"],
  ])("a line %s is not a record: it names what it found, with a hint", (text, found) => {
    const e = caught(() => parseResults("f.jsonl", `${line("a")}\n${text}\n`));
    expect(e.message).toBe(`f.jsonl:2: field (record): expected a JSON object, found ${found}`);
    expect(e.hint).toBe(
      "every line of results.jsonl is one record; remove that line or re-run the instance with --resume",
    );
  });

  it("an unknown schema version: hint to use the version that wrote it", () => {
    const e = caught(() => parseResults("f.jsonl", `${JSON.stringify({ schemaVersion: "x" })}\n`));
    expect(e.message).toBe('f.jsonl:1: field schemaVersion: "x" is not supported (this moebench reads 1, 2)');
    expect(e.hint).toBe("use the moebench version that wrote it, or re-run the suite");
  });

  it("a schema mismatch: hint to remove the line", () => {
    const o = JSON.parse(line("a"));
    delete o.key;
    const e = caught(() => parseResults("f.jsonl", `${JSON.stringify(o)}\n`));
    expect(e.message).toMatch(/^f\.jsonl:1: field key/);
    expect(e.hint).toBe("the record does not match the results schema; remove that line or re-run the instance");
  });

  it("garbage in the middle (even one ending in a digit) is not valid JSON, with a hint", () => {
    for (const bad of ["oops1", "{oops"]) {
      const e = caught(() => parseResults("f.jsonl", `${line("a")}\n${bad}\n${line("b")}\n`));
      expect(e.message).toBe("f.jsonl:2: not valid JSON (and not a torn record)");
      expect(e.hint).toBe("the file is corrupt there; remove that line and run again with --resume");
    }
  });

  it("blank and whitespace-only lines are skipped; a trailing newline is not missing", () => {
    const parsed = parseResults("f.jsonl", `${line("a")}\n   \n\t\n\n${line("b")}\n`);
    expect(parsed.records.map((r) => r.key)).toEqual(["a", "b"]);
    expect(parsed.lines).toEqual([line("a"), line("b")]);
    expect(parsed.torn).toEqual([]);
    expect(parsed.missingFinalNewline).toBe(false);
    expect(parseResults("f.jsonl", "").missingFinalNewline).toBe(false);
    expect(parseResults("f.jsonl", `${line("a")}\n${line("b")}`).missingFinalNewline).toBe(true);
  });

  it("a record glued onto a fragment: its line is the record alone; missing newline only when it is last", () => {
    const frag = line("b").slice(0, 70);
    const inside = parseResults("f.jsonl", `${frag}${line("c")}\n${line("d")}\n`);
    expect(inside.lines).toEqual([line("c"), line("d")]);
    expect(inside.torn).toEqual([{ line: 1, text: frag }]);
    expect(inside.missingFinalNewline).toBe(false);
    const last = parseResults("f.jsonl", `${line("a")}\n${frag}${line("c")}`);
    expect(last.lines).toEqual([line("a"), line("c")]);
    expect(last.torn).toEqual([{ line: 2, text: frag }]);
    expect(last.missingFinalNewline).toBe(true);
  });

  it("a torn last line does not count as a missing newline", () => {
    const parsed = parseResults("f.jsonl", `${line("a")}\n${line("b").slice(0, 40)}`);
    expect(parsed.missingFinalNewline).toBe(false);
    expect(parsed.torn).toEqual([{ line: 2, text: line("b").slice(0, 40) }]);
  });
});

describe("readJsonl edges", () => {
  it("a missing file: one line with a hint", () => {
    const p = join(tmp(), "results.jsonl");
    const e = caught(() => readJsonl(p));
    expect(e.message).toBe(`${p}: no such results file`);
    expect(e.hint).toBe("pass a run folder containing results.jsonl");
  });

  it("several torn lines: one warning listing them all", () => {
    const p = join(tmp(), "results.jsonl");
    const f1 = line("x").slice(0, 50);
    const f2 = line("y").slice(0, 60);
    writeFileSync(p, `${f1}${line("a")}\n${f2}${line("b")}\n${line("c").slice(0, 30)}`);
    const warnings: string[] = [];
    expect(readJsonl(p, { onWarning: (w) => warnings.push(w) }).map((r) => r.key)).toEqual(["a", "b"]);
    expect(warnings).toEqual([
      `${p}: incomplete record on line 1, 2, 3 (a run was killed or the disk filled while writing): ` +
        "skipped; `run --resume` moves it aside",
    ]);
  });

  it("without onWarning the warning goes to stderr", () => {
    const p = join(tmp(), "results.jsonl");
    writeFileSync(p, `${line("a")}\n${line("b").slice(0, 30)}`);
    const spy = vi.spyOn(process.stderr, "write").mockImplementation(() => true);
    try {
      expect(readJsonl(p)).toHaveLength(1);
      expect(spy.mock.calls.map((c) => c[0])).toEqual([
        `warning: ${p}: incomplete record on line 2 (a run was killed or the disk filled while writing): ` +
          "skipped; `run --resume` moves it aside\n",
      ]);
    } finally {
      spy.mockRestore();
    }
  });

  it("a clean file prints no warning", () => {
    const p = join(tmp(), "results.jsonl");
    writeFileSync(p, `${line("a")}\n`);
    const warnings: string[] = [];
    expect(readJsonl(p, { onWarning: (w) => warnings.push(w) })).toHaveLength(1);
    expect(warnings).toEqual([]);
  });
});

describe("repairResults edges", () => {
  it("no file: no records", () => {
    expect(repairResults(join(tmp(), "results.jsonl"), () => undefined)).toEqual([]);
  });

  it("a clean file is left alone (same inode, no notes, nothing set aside)", () => {
    const p = join(tmp(), "results.jsonl");
    writeFileSync(p, `${line("a")}\n${line("b")}\n`);
    const ino = statSync(p).ino;
    const notes: string[] = [];
    expect(repairResults(p, (n) => notes.push(n)).map((r) => r.key)).toEqual(["a", "b"]);
    expect(statSync(p).ino).toBe(ino);
    expect(notes).toEqual([]);
    expect(existsSync(`${p}.torn-1`)).toBe(false);
  });

  it("only a missing newline: rewritten, but nothing set aside and no note", () => {
    const p = join(tmp(), "results.jsonl");
    writeFileSync(p, line("a"));
    const notes: string[] = [];
    expect(repairResults(p, (n) => notes.push(n))).toHaveLength(1);
    expect(readFileSync(p, "utf8")).toBe(`${line("a")}\n`);
    expect(notes).toEqual([]);
    expect(existsSync(`${p}.torn-1`)).toBe(false);
  });

  it("only torn lines: the file becomes empty, the fragments are set aside one a line, the note is exact", () => {
    const p = join(tmp(), "results.jsonl");
    const f1 = line("x").slice(0, 50);
    const f2 = line("y").slice(0, 60);
    // f1 glued onto nothing usable, then a torn last line
    writeFileSync(p, `${f1}${line("a")}\n${f2}`);
    const notes: string[] = [];
    expect(repairResults(p, (n) => notes.push(n)).map((r) => r.key)).toEqual(["a"]);
    expect(readFileSync(p, "utf8")).toBe(`${line("a")}\n`);
    expect(readFileSync(`${p}.torn-1`, "utf8")).toBe(`${f1}\n${f2}\n`);
    expect(notes).toEqual([
      `${p}: incomplete record on line 1, 2 (a run was killed or the disk filled while writing): set aside in ${p}.torn-1`,
    ]);
    writeFileSync(p, f2);
    expect(repairResults(p, () => undefined)).toEqual([]);
    expect(readFileSync(p, "utf8")).toBe("");
    expect(readFileSync(`${p}.torn-2`, "utf8")).toBe(`${f2}\n`);
  });

  it("a folder in place of the file: one line naming the read", () => {
    const d = join(tmp(), "results.jsonl");
    mkdirSync(d);
    const e = caught(() => repairResults(d, () => undefined));
    expect(e.message).toBe(`cannot read ${d}: is a folder (EISDIR)`);
  });
});

describe("ResultsWriter and appendJsonl edges", () => {
  afterEach(() => {
    delete process.env.MOEBENCH_FAULT_DISK_BYTES;
  });

  const appendWith = (limit: string | undefined): { err: unknown; text: string } => {
    const p = join(tmp(), "results.jsonl");
    if (limit !== undefined) process.env.MOEBENCH_FAULT_DISK_BYTES = limit;
    const w = ResultsWriter.open(p);
    let err: unknown;
    try {
      w.append(recordFixture("a"));
    } catch (e) {
      err = e;
    }
    w.close();
    return { err, text: readFileSync(p, "utf8") };
  };

  it("a fault limit of 0 bytes: nothing fits; the hint keeps the disk's own advice", () => {
    const { err, text } = appendWith("0");
    expect(err).toBeInstanceOf(MoebenchError);
    const e = err as MoebenchError;
    expect(e.message).toMatch(/^cannot append a record to .*results\.jsonl: no space left on device \(ENOSPC\)$/);
    expect(e.hint).toBe(
      "the disk is full: free space, then continue (run --resume where the command has it); " +
        "records written so far are intact, continue with --resume",
    );
    expect(e.exitCode).toBe(4);
    expect(text).toBe("");
  });

  it.each([["-1"], ["abc"], ["Infinity"]])("a fault limit of %j is no limit", (limit) => {
    const { err, text } = appendWith(limit);
    expect(err).toBeUndefined();
    expect(text).toBe(`${line("a")}\n`);
  });

  it("a folder that does not exist: one line naming the open", () => {
    const p = join(tmp(), "missing", "results.jsonl");
    const e = caught(() => ResultsWriter.open(p));
    expect(e.message).toBe(`cannot open for appending ${p}: no such file or folder (ENOENT)`);
  });

  it("append after close is refused; close twice is harmless", () => {
    const p = join(tmp(), "results.jsonl");
    const w = ResultsWriter.open(p);
    w.append(recordFixture("a"));
    w.close();
    expect(() => w.close()).not.toThrow();
    expect(() => w.append(recordFixture("b"))).toThrow(`${p}: writer already closed`);
    expect(readFileSync(p, "utf8")).toBe(`${line("a")}\n`);
  });

  it("appendJsonl appends one validated line per call, and refuses an invalid record", () => {
    const p = join(tmp(), "results.jsonl");
    appendJsonl(p, recordFixture("a"));
    appendJsonl(p, recordFixture("b"));
    const before = readFileSync(p, "utf8");
    expect(before.split("\n").map((l) => (l ? (JSON.parse(l) as { key: string }).key : l))).toEqual(["a", "b", ""]);
    const bad = { ...recordFixture("c"), key: 5 } as unknown as ResultRecord;
    expect(() => appendJsonl(p, bad)).toThrow();
    expect(readFileSync(p, "utf8")).toBe(before);
  });
});
