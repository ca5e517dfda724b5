/**
 * llama-bench output → records, against real llama-bench captures (test/fixtures/llama-bench, SOURCES.md):
 * every format gives the same two results, and every bad input is one line naming the line and the field.
 */
import { describe, expect, it } from "vitest";
import { detectFormat, parseLlamaBench } from "../../src/results/parseLlamaBench.js";
import { backendOf, llamaBenchToRecords } from "../../src/results/importLlamaBench.js";
import { ResultRecord, type Env } from "../../src/results/schema.js";
import { MoebenchError } from "../../src/util/errors.js";
import { BARE_HOST, llamaBenchFixture } from "../llamaBenchFixture.js";

const host: Env = BARE_HOST;
const fixture = llamaBenchFixture;

function errorLine(f: () => unknown): string {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(MoebenchError);
    const line = (e as MoebenchError).line();
    expect(line).not.toContain("\n");
    return line;
  }
  throw new Error("expected a MoebenchError");
}

describe("llama-bench formats, recognised by content", () => {
  it.each([
    ["json", "json"],
    ["jsonl", "jsonl"],
    ["csv", "csv"],
    ["sql", "sql"],
  ])("%s", (ext, format) => {
    const text = fixture(ext);
    expect(detectFormat(text, "f")).toBe(format);
    const { rows } = parseLlamaBench(text, "f");
    expect(rows.map((r) => [r.model_filename, r.n_prompt, r.n_gen, r.n_depth, r.n_threads])).toEqual([
      ["lfm2-tiny-q4km.gguf", 64, 0, 0, 1],
      ["lfm2-tiny-q4km.gguf", 0, 16, 0, 1],
    ]);
  });

  it("maps a real llama-bench JSON to records: samples in ms, all layers, CPU, the commit", () => {
    const { rows } = parseLlamaBench(fixture("json"), "f");
    const [pp, tg] = llamaBenchToRecords(rows, { file: "f", runId: "r", host });
    expect(ResultRecord.parse(pp)).toBeTruthy();
    expect(pp!.testId).toBe("pp64");
    // samples_ns [5426972, 5433344, 5435312] / 1e6
    expect(pp!.pp).toEqual({ tokens: 64, samplesMs: [5.426972, 5.433344, 5.435312], warmup: 1, itlMs: null });
    expect(pp!.tg).toBeNull();
    expect(tg!.testId).toBe("tg16");
    expect(tg!.tg!.samplesMs).toEqual([3.463155, 3.441813, 3.430026]);
    expect(tg!.params).toMatchObject({ threads: 1, batch: 512, ubatch: 512, gpuLayers: "max", flashAttention: false });
    expect(tg!.params.ctx).toBe(16);
    expect(tg!.env.llamaCppCommit).toBe("de3ff81");
    expect(tg!.env.llamaCppRelease).toBe("build 1");
    expect(tg!.params.backend).toBe("cpu");
    expect(tg!.model.label).toBe("lfm2-tiny-q4km");
    expect(tg!.extra).toMatchObject({ source: "llama-bench", n_cpu_moe: 0, split_mode: "layer" });
  });

  it("CSV has no per-repetition samples: the mean is the one sample, and the record says so", () => {
    const [pp] = llamaBenchToRecords(parseLlamaBench(fixture("csv"), "f").rows, { file: "f", runId: "r", host });
    // avg_ns 5599240 in the CSV capture
    expect(pp!.pp!.samplesMs).toEqual([5.59924]);
    expect(pp!.warnings).toContain("llama-bench wrote no per-repetition samples (samples_ns): only the mean is known");
  });

  it.each([
    ["CUDA", "cuda"],
    ["Vulkan", "vulkan"],
    ["Metal,BLAS", "metal"],
    ["BLAS,CPU", "cpu"],
    ["", "cpu"],
  ])("backends %j → %s", (b, name) => {
    expect(backendOf(b)).toBe(name);
  });
});

const row = (o: Record<string, unknown> = {}) =>
  JSON.stringify({ model_filename: "m.gguf", n_prompt: 64, n_gen: 0, avg_ns: 1000, ...o });
const good = row();

describe("bad llama-bench input: one line naming the line and the field", () => {
  it.each([
    ["", "f: empty (produce it with llama-bench -o json (or jsonl, csv, sql))"],
    [
      fixture("md"),
      "f: this is llama-bench's Markdown table (its default -o md): it has no per-repetition timings to import " +
        "(re-run llama-bench with -o json (or jsonl, csv, sql))",
    ],
    ["hello world\n", "f:1: not llama-bench output (no model_filename, n_prompt, n_gen, avg_ns columns) (produce it"],
    ["a,b,c\n1,2,3\n", "f:1: not llama-bench output (no model_filename, n_prompt, n_gen, avg_ns columns)"],
    ['[{"a": 1}]', "f:1: not llama-bench output (no model_filename, n_prompt, n_gen, avg_ns fields)"],
    ['{"a": 1}', "f:1: not llama-bench output (no model_filename, n_prompt, n_gen, avg_ns fields)"],
    ['{"x": 1', "f:1: not valid JSON (column"],
    ['[\n  {\n    "a": 1,\n  }\n]', "f:4: not valid JSON (column 3:"],
    [`[${good}, 3]`, "f:1: result 2 is not an object"],
    ["[]", "f: no results in it (json)"],
    ['{"k": 1}\n[1]', "f:1: not llama-bench output"],
    [`${good}\n${row({ n_prompt: -1 })}\n`, "f:2: result 2: field n_prompt: Too small: expected number to be >=0"],
    [`${good}\n${good}\n{oops\n`, "f:3: not valid JSON"],
    [row({ n_prompt: 0 }), "f:1: result 1: field n_gen: n_prompt and n_gen are both 0"],
    [row({ avg_ns: undefined }), "f:1: result 1: field avg_ns: no timing (avg_ns or samples_ns)"],
    [row({ avg_ns: "fast" }), "f:1: result 1: field avg_ns: Invalid input: expected number, received string"],
    [row({ avg_ns: -5 }), "f:1: result 1: field avg_ns: Too small: expected number to be >0"],
    [row({ samples_ns: [1, "x"] }), "f:1: result 1: field samples_ns.1: Invalid input: expected number"],
    [row({ model_filename: "" }), "f:1: result 1: field model_filename: Too small: expected string to have >=1"],
    [row({ model_filename: 7 }), "f:1: result 1: field model_filename: Invalid input: expected string"],
    [row({ n_batch: 0 }), "f:1: result 1: field n_batch: Too small: expected number to be >=1"],
    [row({ n_gen: 1.5 }), "f:1: result 1: field n_gen: Invalid input: expected int, received number"],
    [
      "model_filename,n_prompt,n_gen,avg_ns\nm.gguf,64,0,1000\nm.gguf,64,0\n",
      "f:3: not valid CSV (columns length is 4, got 3 on line 3)",
    ],
    ["model_filename,n_prompt,n_gen,avg_ns\nm.gguf,64,zero,1000\n", "f:2: result 1: field n_gen: Invalid input"],
    ['model_filename,n_prompt,n_gen,avg_ns\n"m.gguf,64,0,1000\n', "f:2: not valid CSV (Quote Not Closed"],
    [
      "CREATE TABLE t (a TEXT);\nINSERT INTO t (model_filename, n_prompt) VALUES ('m', '1', '2');\n",
      "f:2: 2 columns but 3 values",
    ],
    ["CREATE TABLE t (a TEXT);\n", "f: no results in it (sql)"],
  ])("%j", (text, line) => {
    expect(errorLine(() => parseLlamaBench(text, "f"))).toContain(line);
  });
});
