/** run -o md|csv|json|jsonl: llama-bench's formats from hand-made records, the figures worked out by hand. */
import { describe, expect, it } from "vitest";
import { llamaBenchOutput, llamaBenchRows } from "../../src/export/llamaBenchTable.js";
import { parseLlamaBench } from "../../src/results/parseLlamaBench.js";
import type { Phase, ResultRecord } from "../../src/results/schema.js";

function record(o: { pp?: Phase; tg?: Phase; test: string; params?: Partial<ResultRecord["params"]> }): ResultRecord {
  return {
    schemaVersion: 2,
    runId: "r",
    suite: "cli",
    key: o.test,
    testId: o.test,
    status: "ok",
    timestamp: "2026-01-01T00:00:00.000Z",
    model: {
      ref: "synth:lfm2-8b-a1b:Q4_K_M:tiny",
      label: "lfm2-8b-a1b-tiny Q4_K_M",
      path: "/c/lfm2.gguf",
      sizeBytes: 3598528,
      headerSha256: null,
      arch: "lfm2moe",
      fileType: "Q4_K_M",
      quant: "Q4_K_M",
      params: 5843472,
      activeParams: 2e6,
      isMoe: true,
      synthetic: null,
    },
    params: {
      pp: 0,
      tg: 0,
      depth: 0,
      parallel: 1,
      ctx: 512,
      kvK: "f16",
      kvV: "f16",
      flashAttention: false,
      gpuLayers: "max",
      threads: 1,
      batch: 512,
      ubatch: 512,
      backend: "cpu",
      tgMode: "decode",
      ...o.params,
    },
    env: {
      llamaCppRelease: "b1",
      llamaCppCommit: "de3ff81",
      nodeLlamaCpp: "3.22.1",
      backend: "cpu",
      gpus: [],
      host: "h",
      os: "linux",
      cpu: "Xeon",
      cpuCores: 2,
      node: "v20",
      moebench: "0.1.0",
    },
    pp: o.pp ?? null,
    tg: o.tg ?? null,
    parallelTg: null,
    telemetry: { status: "unavailable", reason: null },
    memory: null,
    loadMs: null,
    warnings: [],
    error: null,
  };
}

// pp64 in 10, 10, 12.5 ms → 6400, 6400, 5120 t/s: mean 5973.33; SD √((426.67² + 426.67² + 853.33²)/2) = 739.01;
// 95% CI half-width t(0.975, 2) · SD/√3 = 4.3026527 × 426.6667 = 1835.7985 → 4137.53–7809.13
const pp = record({ test: "pp64", params: { pp: 64 }, pp: { tokens: 64, samplesMs: [10, 10, 12.5], warmup: 1 } });
// tg16 in 20, 20 ms → 800 t/s each: SD 0, CI 800–800
const tg = record({
  test: "tg16@d128",
  params: { tg: 16, depth: 128 },
  tg: { tokens: 16, samplesMs: [20, 20], warmup: 1 },
});
// pp32+tg8: repetitions of 4 + 16 ms and 6 + 14 ms → 20 ms each for 40 tokens → 2000 t/s (llama-bench's pg)
const pg = record({
  test: "pp32+tg8",
  params: { pp: 32, tg: 8 },
  pp: { tokens: 32, samplesMs: [4, 6], warmup: 1 },
  tg: { tokens: 8, samplesMs: [16, 14], warmup: 1 },
});
const failed: ResultRecord = {
  ...record({ test: "tg64", params: { tg: 64 } }),
  status: "oom",
  error: { message: "out of memory", stderrTail: null },
};

describe("llama-bench rows", () => {
  it("carry llama-bench's fields with the figures by hand", () => {
    const [a, b, c] = llamaBenchRows([pp, tg, pg, failed]);
    expect(a).toMatchObject({
      model_filename: "/c/lfm2.gguf",
      model_type: "lfm2moe Q4_K_M",
      n_prompt: 64,
      n_gen: 0,
      n_depth: 0,
      n_gpu_layers: -1,
      flash_attn: 0,
      build_commit: "de3ff81",
      samples_ns: [10_000_000, 10_000_000, 12_500_000],
      samples_ts: [6400, 6400, 5120],
      avg_ns: 10_833_333,
      // SD of (10, 10, 12.5) ms = 1.443376 ms
      stddev_ns: 1_443_376,
    });
    expect(a!.avg_ts).toBeCloseTo(5973.333, 3);
    expect(a!.stddev_ts).toBeCloseTo(739.01, 2);
    expect(a!.ts_ci95_low).toBeCloseTo(4137.5, 1);
    expect(a!.ts_ci95_high).toBeCloseTo(7809.1, 1);
    expect(b).toMatchObject({ n_gen: 16, n_depth: 128, avg_ts: 800, stddev_ts: 0, ts_ci95_low: 800 });
    expect(c).toMatchObject({ n_prompt: 32, n_gen: 8, samples_ns: [20_000_000, 20_000_000], avg_ts: 2000 });
  });
  it("leave failures to results.jsonl in machine formats", () => {
    expect(llamaBenchRows([failed])).toEqual([]);
  });
});

describe("formats", () => {
  it("md: llama-bench's columns, t/s as mean (95% CI), failures shown", () => {
    const md = llamaBenchOutput([pp, tg, pg, failed], "md");
    const lines = md.trim().split("\n");
    const cells = (line: string) =>
      line
        .split("|")
        .slice(1, -1)
        .map((c) => c.trim());
    expect(cells(lines[0]!)).toEqual([
      "model",
      "size",
      "params",
      "backend",
      "threads",
      "fa",
      "test",
      "t/s mean (95% CI)",
    ]);
    expect(lines[2]).toContain("| lfm2-8b-a1b-tiny Q4_K_M |");
    expect(lines[2]).toContain("| 3.43 MiB |");
    expect(lines[2]).toContain("| 5.84 M |");
    expect(lines[2]).toContain("| 5973.33 (4137.53–7809.13) |");
    expect(lines[3]).toContain("| tg16 @ d128 |");
    expect(lines[3]).toContain(" 800.00 (800.00–800.00) |");
    expect(lines[4]).toContain("| pp32+tg8    | 2000.00 (2000.00–2000.00) |");
    expect(lines[5]).toContain(" oom: out of memory |");
    expect(lines[lines.length - 1]).toBe("build: de3ff81 (b1)");
  });
  it("json, jsonl and csv read back as llama-bench output", () => {
    for (const format of ["json", "jsonl", "csv"] as const) {
      const text = llamaBenchOutput([pp, tg, pg, failed], format);
      const { rows, format: seen } = parseLlamaBench(text, `out.${format}`);
      expect(seen).toBe(format);
      expect(rows.map((r) => [r.n_prompt, r.n_gen, r.n_depth, r.samples_ns])).toEqual([
        [64, 0, 0, [10_000_000, 10_000_000, 12_500_000]],
        [0, 16, 128, [20_000_000, 20_000_000]],
        [32, 8, 0, [20_000_000, 20_000_000]],
      ]);
    }
  });
});
