/**
 * db export --llama-bench-sql against llama-bench itself (test/fixtures/llama-bench: real `-o sql` and `-o json`
 * captures, SOURCES.md): the same CREATE TABLE, llama-bench's timing figures from its own samples, a whole
 * llama-bench SQL file given back byte for byte after an import; moebench's own records by hand.
 */
import { describe, expect, it } from "vitest";
import {
  ftypeName,
  llamaBenchCreateTable,
  llamaBenchRow,
  llamaBenchSql,
  timingFields,
} from "../../src/export/llamaBenchSql.js";
import { llamaBenchToRecords } from "../../src/results/importLlamaBench.js";
import { parseLlamaBench } from "../../src/results/parseLlamaBench.js";
import type { Env, ResultRecord } from "../../src/results/schema.js";
import { BARE_HOST, llamaBenchFixture } from "../llamaBenchFixture.js";

const host: Env = BARE_HOST;
const fixture = llamaBenchFixture;
const imported = (ext: string): ResultRecord[] =>
  llamaBenchToRecords(parseLlamaBench(fixture(ext), `x.${ext}`).rows, { file: `x.${ext}`, runId: "r", host });

describe("llama-bench's -o sql", () => {
  it("the CREATE TABLE is llama-bench's, column for column", () => {
    const sql = fixture("sql");
    expect(llamaBenchCreateTable()).toBe(sql.slice(0, sql.indexOf(");\n") + 3));
  });

  it("an imported llama-bench SQL file comes back byte for byte", () => {
    expect(llamaBenchSql(imported("sql")).sql).toBe(fixture("sql"));
  });

  it("timings from the samples as llama-bench computes them (its own -o json figures)", () => {
    // pp64 row of lfm2-tiny-q4km.json: samples_ns [5426972, 5433344, 5435312]
    // avg_ns = 16295628 / 3 = 5431876; deviations −4904, 1468, 3436: Σd² = 38010336, /2 = 19005168,
    // √ = 4359.5 → 4359
    const t = timingFields(64, [5.426972, 5.433344, 5.435312]);
    expect(t.avg_ns).toBe("5431876");
    expect(t.stddev_ns).toBe("4359");
    expect(Number(t.avg_ts)).toBeCloseTo(11782.306425, 5);
    expect(Number(t.stddev_ts)).toBeCloseTo(9.459594, 5);
    // the same record imported from JSON, its llama-bench fields stripped: computed from the samples again
    const pp = imported("json").find((r) => r.testId === "pp64")!;
    const made = llamaBenchRow({ ...pp, extra: undefined, env: { ...pp.env, llamaCppCommit: "de3ff81" } });
    if (!("row" in made)) throw new Error(`skipped: ${made.skip}`);
    expect(made.row).toMatchObject({ avg_ns: "5431876", stddev_ns: "4359", n_prompt: "64", n_gen: "0" });
    expect(Number(made.row.avg_ts)).toBeCloseTo(11782.306425, 5);
  });

  it.each([
    ["Q4_K_M", "Q4_K - Medium"],
    ["Q3_K_L", "Q3_K - Large"],
    ["Q5_K_S", "Q5_K - Small"],
    ["Q2_K", "Q2_K - Medium"],
    ["Q6_K", "Q6_K"],
    ["F32", "all F32"],
  ])("file type %s is llama.cpp's %s", (q, name) => {
    expect(ftypeName(q)).toBe(name);
  });
});

describe("moebench records as llama-bench rows", () => {
  const phase = (tokens: number, samplesMs: number[]) => ({ tokens, samplesMs, warmup: 1 });
  const record: ResultRecord = {
    schemaVersion: 2,
    runId: "r",
    suite: "s",
    key: "k",
    testId: "pp512+tg128",
    status: "ok",
    timestamp: "2026-02-03T04:05:06.789Z",
    model: {
      ref: "synth:llama-3.1-8b:Q4_K_M",
      label: "llama-3.1-8b Q4_K_M",
      path: "/m/llama-3.1-8b-Q4_K_M.gguf",
      sizeBytes: 4_920_000_000,
      headerSha256: null,
      arch: "llama",
      fileType: "Q4_K_M",
      quant: "Q4_K_M",
      params: 8_030_000_000,
      activeParams: 8_030_000_000,
      isMoe: false,
      synthetic: null,
    },
    params: {
      pp: 512,
      tg: 128,
      depth: 0,
      parallel: 1,
      ctx: 1024,
      kvK: "q8_0",
      kvV: "q8_0",
      flashAttention: true,
      gpuLayers: "max",
      threads: 8,
      batch: 2048,
      ubatch: 512,
      backend: "cuda",
      tgMode: "decode",
    },
    env: {
      ...host,
      llamaCppRelease: "b6000",
      llamaCppCommit: "0123456789ab",
      backend: "cuda",
      gpus: [{ name: "NVIDIA GeForce RTX 3060", uuid: null, driver: "550.54", vramBytes: null }],
      cpu: "AMD Ryzen 7 5800X",
    },
    // pp+tg is one llama-bench test: 100 + 1000 ms per repetition for 512 + 128 tokens
    pp: phase(512, [100, 100]),
    tg: phase(128, [1000, 1000]),
    parallelTg: null,
    telemetry: { status: "unavailable", reason: null },
    memory: null,
    loadMs: null,
    warnings: [],
    error: null,
  };

  it("pp+tg: one combined test; identity fields mapped; llama-bench's defaults elsewhere", () => {
    const made = llamaBenchRow(record);
    if (!("row" in made)) throw new Error(`skipped: ${made.skip}`);
    expect(made.row).toMatchObject({
      build_commit: "0123456",
      build_number: "6000",
      cpu_info: "AMD Ryzen 7 5800X",
      gpu_info: "NVIDIA GeForce RTX 3060",
      backends: "CUDA",
      model_filename: "llama-3.1-8b-Q4_K_M.gguf",
      // 8.03e9 parameters → the "8B" class
      model_type: "llama 8B Q4_K - Medium",
      model_size: "4920000000",
      n_batch: "2048",
      n_ubatch: "512",
      n_threads: "8",
      type_k: "q8_0",
      n_gpu_layers: "-1",
      flash_attn: "1",
      n_prompt: "512",
      n_gen: "128",
      n_depth: "0",
      split_mode: "layer",
      test_time: "2026-02-03T04:05:06Z",
      // 1100 ms per repetition: 1.1e9 ns; (512 + 128) / 1.1 s = 581.818182 tok/s; no spread
      avg_ns: "1100000000",
      stddev_ns: "0",
      avg_ts: "581.818182",
      stddev_ts: "0.000000",
    });
  });

  it("failures, parallel sequences and HTTP serving have no llama-bench row, and are counted", () => {
    const failed: ResultRecord = { ...record, status: "oom", pp: null, tg: null };
    const parallel: ResultRecord = { ...record, params: { ...record.params, parallel: 4 } };
    const out = llamaBenchSql([record, failed, parallel]);
    expect(out.rows).toBe(1);
    expect(out.skipped).toEqual({ failed: 1, parallel: 1 });
    expect(out.sql.match(/^INSERT INTO llama_bench/gm)).toHaveLength(1);
  });

  it("a quote in a value is escaped (llama-bench itself does not)", () => {
    const quoted = { ...record, env: { ...record.env, cpu: "Bob's CPU" } };
    expect(llamaBenchSql([quoted]).sql).toContain("'Bob''s CPU'");
  });
});
