import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { parseResults, readJsonl, repairResults, ResultsWriter } from "../../src/results/jsonl.js";
import { MoebenchError } from "../../src/util/errors.js";
import { recordFixture } from "../recordFixture.js";
import { tmp } from "../helpers.js";

const line = (key: string): string => JSON.stringify(recordFixture(key));

describe("results.jsonl reader", () => {
  it("skips a torn last line with one warning naming its line", () => {
    const p = join(tmp(), "results.jsonl");
    const third = line("c");
    writeFileSync(p, `${line("a")}\n${line("b")}\n${third.slice(0, 50)}`);
    const warnings: string[] = [];
    const recs = readJsonl(p, { onWarning: (w) => warnings.push(w) });
    expect(recs.map((r) => r.key)).toEqual(["a", "b"]);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(/results\.jsonl: incomplete record on line 3 /);
  });

  it("recovers a record an older moebench appended onto a torn fragment", () => {
    const text = `${line("a")}\n${line("b").slice(0, 70)}${line("c")}\n`;
    const parsed = parseResults("f.jsonl", text);
    expect(parsed.records.map((r) => r.key)).toEqual(["a", "c"]);
    expect(parsed.torn).toEqual([{ line: 2, text: line("b").slice(0, 70) }]);
  });

  it("a null line is a one-line error naming file, line and field", () => {
    expect(() => parseResults("f.jsonl", `${line("a")}\nnull\n${line("b")}\n`)).toThrow(
      "f.jsonl:2: field (record): expected a JSON object, found null",
    );
  });

  it("a bad field is named with its path", () => {
    const bad = JSON.parse(line("a")) as { pp: { samplesMs: unknown[] } };
    bad.pp.samplesMs[1] = "fast";
    expect(() => parseResults("f.jsonl", `${JSON.stringify(bad)}\n`)).toThrow(/^f\.jsonl:1: field pp\.samplesMs\.1: /);
  });

  it("garbage in the middle of the file is an error, not a torn line", () => {
    expect(() => parseResults("f.jsonl", `${line("a")}\n{oops\n${line("b")}\n`)).toThrow(/f\.jsonl:2: not valid JSON/);
  });

  it("refuses an unknown schema version and reads version 1, inferring the executor", () => {
    const v3 = { ...JSON.parse(line("a")), schemaVersion: 3 };
    expect(() => parseResults("f.jsonl", `${JSON.stringify(v3)}\n`)).toThrow(
      "f.jsonl:1: field schemaVersion: 3 is not supported (this moebench reads 1, 2)",
    );
    const v1 = JSON.parse(line("a")) as Record<string, unknown> & { env: { backend: string } };
    v1.schemaVersion = 1;
    delete v1.executor;
    v1.env.backend = "mock";
    const [r] = parseResults("f.jsonl", `${JSON.stringify(v1)}\n`).records;
    expect(r!.schemaVersion).toBe(1);
    expect(r!.executor).toBe("mock");
  });

  it("a folder given as results file is a one-line error", () => {
    const d = tmp();
    expect(() => readJsonl(d)).toThrow(MoebenchError);
    expect(() => readJsonl(d)).toThrow(/cannot read .*: is a folder \(EISDIR\)/);
  });
});

describe("repairResults (before --resume appends)", () => {
  it("sets torn lines aside in results.jsonl.torn-<n> and leaves a clean file", () => {
    const p = join(tmp(), "results.jsonl");
    const notes: string[] = [];
    writeFileSync(p, `${line("a")}\n${line("b").slice(0, 40)}`);
    expect(repairResults(p, (n) => notes.push(n)).map((r) => r.key)).toEqual(["a"]);
    expect(readFileSync(p, "utf8")).toBe(`${line("a")}\n`);
    expect(readFileSync(`${p}.torn-1`, "utf8")).toBe(`${line("b").slice(0, 40)}\n`);
    expect(notes.join("\n")).toMatch(/set aside in .*results\.jsonl\.torn-1/);
    // a second torn line later goes to torn-2, the first is kept
    writeFileSync(p, `${line("a")}\n${line("c").slice(0, 30)}`);
    repairResults(p, () => undefined);
    expect(readFileSync(`${p}.torn-2`, "utf8")).toBe(`${line("c").slice(0, 30)}\n`);
    expect(existsSync(`${p}.torn-1`)).toBe(true);
  });

  it("adds the newline a complete last record lacks", () => {
    const p = join(tmp(), "results.jsonl");
    writeFileSync(p, `${line("a")}\n${line("b")}`);
    expect(repairResults(p, () => undefined)).toHaveLength(2);
    expect(readFileSync(p, "utf8")).toBe(`${line("a")}\n${line("b")}\n`);
  });
});

describe("ResultsWriter", () => {
  afterEach(() => {
    delete process.env.MOEBENCH_FAULT_DISK_BYTES;
  });

  it("on a full disk: one-line error with exit code 4, no partial line left", () => {
    const p = join(tmp(), "results.jsonl");
    const first = `${line("a")}\n`;
    // room for the first record and half of the second
    process.env.MOEBENCH_FAULT_DISK_BYTES = String(first.length + 100);
    const w = ResultsWriter.open(p);
    w.append(recordFixture("a"));
    let err: unknown;
    try {
      w.append(recordFixture("b"));
    } catch (e) {
      err = e;
    }
    w.close();
    expect(err).toBeInstanceOf(MoebenchError);
    const e = err as MoebenchError;
    expect(e.exitCode).toBe(4);
    expect(e.line()).toMatch(/cannot append a record to .*results\.jsonl: no space left on device \(ENOSPC\)/);
    expect(e.line()).toMatch(/continue with --resume/);
    expect(readFileSync(p, "utf8")).toBe(first);
  });
});
