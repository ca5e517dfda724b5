/** run -o md|csv|json|jsonl edges: which phase is timed, which rows and columns appear, the text of each cell. */
import { parse } from "csv-parse/sync";
import { describe, expect, it } from "vitest";
import { llamaBenchOutput, llamaBenchRows } from "../../src/export/llamaBenchTable.js";
import type { Phase, ResultRecord } from "../../src/results/schema.js";

interface Spec {
  test?: string;
  pp?: Phase | null;
  tg?: Phase | null;
  parallelTg?: Phase | null;
  params?: Partial<ResultRecord["params"]>;
  model?: Partial<ResultRecord["model"]>;
  env?: Partial<ResultRecord["env"]>;
  status?: ResultRecord["status"];
  error?: ResultRecord["error"];
  serving?: boolean;
}

const ph = (tokens: number, samplesMs: number[]): Phase => ({ tokens, samplesMs, warmup: 1 });

function record(o: Spec = {}): ResultRecord {
  return {
    schemaVersion: 2,
    runId: "r",
    suite: "cli",
    key: o.test ?? "tg16",
    testId: o.test ?? "tg16",
    status: o.status ?? "ok",
    timestamp: "2026-01-01T00:00:00.000Z",
    model: {
      ref: "m:Q4_K_M",
      label: "m Q4_K_M",
      path: "/c/m.gguf",
      sizeBytes: 1024 ** 2,
      headerSha256: null,
      arch: "llama",
      fileType: "Q4_K_M",
      quant: "Q4_K_M",
      params: 1e6,
      activeParams: 1e6,
      isMoe: false,
      synthetic: null,
      ...o.model,
    },
    params: {
      pp: 0,
      tg: 16,
      depth: 0,
      parallel: 1,
      ctx: 512,
      kvK: "f16",
      kvV: "f16",
      flashAttention: false,
      gpuLayers: "max",
      threads: 4,
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
      ...o.env,
    },
    pp: o.pp === undefined ? null : o.pp,
    tg: o.tg === undefined ? ph(16, [20, 20]) : o.tg,
    parallelTg: o.parallelTg ?? null,
    telemetry: { status: "unavailable", reason: null },
    memory: null,
    loadMs: null,
    warnings: [],
    error: o.error ?? null,
    ...(o.serving ? { serving: {} as NonNullable<ResultRecord["serving"]> } : {}),
  };
}

const gpu = (name: string): ResultRecord["env"]["gpus"][number] => ({
  name,
  uuid: null,
  driver: "570.1",
  vramBytes: 1,
});

/** The Markdown table as header cells, alignment cells and body rows. */
function md(records: ResultRecord[]): { head: string[]; align: string[]; rows: string[][]; text: string } {
  const text = llamaBenchOutput(records, "md");
  const lines = text.split("\n").filter((l) => l.startsWith("|"));
  const cells = (l: string): string[] =>
    l
      .split("|")
      .slice(1, -1)
      .map((c) => c.trim());
  return { head: cells(lines[0]!), align: cells(lines[1]!), rows: lines.slice(2).map(cells), text };
}

const col = (t: ReturnType<typeof md>, header: string): string[] => {
  const i = t.head.indexOf(header);
  expect(i).toBeGreaterThanOrEqual(0);
  return t.rows.map((r) => r[i]!);
};

describe("llama-bench rows: the timed phase", () => {
  it("pp and tg with different repetition counts: tg alone is timed", () => {
    const r = record({ params: { pp: 32, tg: 8 }, pp: ph(32, [4, 6]), tg: ph(8, [16, 14, 18]) });
    const [row] = llamaBenchRows([r]);
    expect(row!.samples_ns).toEqual([16e6, 14e6, 18e6]);
    expect(row!.avg_ns).toBe(16e6);
    // SD of 16, 14, 18 ms = 2 ms
    expect(row!.stddev_ns).toBe(2e6);
    // 8 tokens in 16, 14, 18 ms: 500, 571.43, 444.44 t/s
    expect(row!.samples_ts[0]).toBeCloseTo(500, 9);
    expect(row!.samples_ts[1]).toBeCloseTo(571.428571, 5);
    expect(row!.samples_ts[2]).toBeCloseTo(444.444444, 5);
    expect(row!.avg_ts).toBeCloseTo(505.291005, 5);
    expect(row!.n_prompt).toBe(32);
    expect(row!.n_gen).toBe(8);
  });

  it("one repetition: stddev_ns 0", () => {
    const [row] = llamaBenchRows([record({ tg: ph(16, [20]) })]);
    expect(row!.samples_ns).toEqual([20e6]);
    expect(row!.avg_ns).toBe(20e6);
    expect(row!.stddev_ns).toBe(0);
  });

  it("parallel sequences: the aggregate phase", () => {
    const r = record({ params: { parallel: 4 }, tg: null, parallelTg: ph(64, [40, 40]) });
    const [row] = llamaBenchRows([r]);
    expect(row!.samples_ns).toEqual([40e6, 40e6]);
    expect(row!.samples_ts).toEqual([1600, 1600]);
    expect(row!.n_parallel).toBe(4);
  });

  it("no row for a failure that kept a phase, a phase without samples, a serving record", () => {
    const oom = record({ status: "oom", tg: ph(16, [20, 20]), error: { message: "oom", stderrTail: null } });
    expect(llamaBenchRows([oom])).toEqual([]);
    expect(llamaBenchRows([record({ tg: ph(16, []) })])).toEqual([]);
    expect(llamaBenchRows([record({ tg: null })])).toEqual([]);
    expect(llamaBenchRows([record({ serving: true }), record()])).toHaveLength(1);
    expect(llamaBenchOutput([record({ serving: true })], "jsonl")).toBe("");
    expect(llamaBenchOutput([record({ serving: true })], "json")).toBe("[]\n");
  });
});

describe("llama-bench rows: fields", () => {
  it("GPUs joined with ', ', ngl as a number, fa as 0/1 or null", () => {
    const r = record({
      env: { gpus: [gpu("RTX A"), gpu("RTX B")], backend: "cuda" },
      params: { gpuLayers: 33, flashAttention: true },
    });
    const [row] = llamaBenchRows([r]);
    expect(row).toMatchObject({ gpu_info: "RTX A, RTX B", backends: "cuda", n_gpu_layers: 33, flash_attn: 1 });
    const [max] = llamaBenchRows([record({ params: { flashAttention: null as unknown as boolean } })]);
    expect(max).toMatchObject({ n_gpu_layers: -1, flash_attn: null, gpu_info: "" });
    const [off] = llamaBenchRows([record()]);
    expect(off!.flash_attn).toBe(0);
  });

  it("model_type: arch and quant, else the file type, else the label", () => {
    expect(llamaBenchRows([record()])[0]!.model_type).toBe("llama Q4_K_M");
    expect(llamaBenchRows([record({ model: { quant: null, fileType: "F16" } })])[0]!.model_type).toBe("llama F16");
    expect(llamaBenchRows([record({ model: { arch: null, quant: "Q8_0" } })])[0]!.model_type).toBe("Q8_0");
    const bare = record({ model: { arch: null, quant: null, fileType: null } });
    expect(llamaBenchRows([bare])[0]!.model_type).toBe("m Q4_K_M");
    expect(llamaBenchRows([record({ model: { path: null } })])[0]!.model_filename).toBe("m:Q4_K_M");
  });

  it("csv: samples space-separated, booleans as 0/1", () => {
    // 800 and 400 t/s: the 95% CI (t = 12.71 for 1 df) reaches below 0, so noisy; 20, 20 ms: not noisy
    const csv = llamaBenchOutput([record({ tg: ph(16, [20, 40]) }), record({ tg: ph(16, [20, 20]) })], "csv");
    const [row, steady, ...more] = parse(csv, { columns: true }) as Record<string, string>[];
    expect(more).toEqual([]);
    expect(csv.startsWith('"build_commit","build_number","cpu_info"')).toBe(true);
    expect(steady!.ts_noisy).toBe("0");
    const field = (n: string): string => row![n]!;
    expect(field("samples_ns")).toBe("20000000 40000000");
    expect(field("samples_ts")).toBe("800 400");
    expect(field("ts_noisy")).toBe("1");
    expect(field("n_gpu_layers")).toBe("-1");
  });
});

describe("md: cells", () => {
  it("size and params: MiB/M below 1 GiB / a billion, GiB/B from there; empty where unknown", () => {
    const t = md([
      record({ model: { sizeBytes: 1024 ** 3 - 1024 ** 2, params: 999_990_000 } }),
      record({ model: { sizeBytes: 1024 ** 3, params: 1e9 } }),
      record({ model: { sizeBytes: 3 * 1024 ** 3, params: 2.5e9 } }),
      record({ model: { sizeBytes: null, params: null } }),
    ]);
    expect(col(t, "size")).toEqual(["1023.00 MiB", "1.00 GiB", "3.00 GiB", ""]);
    expect(col(t, "params")).toEqual(["999.99 M", "1.00 B", "2.50 B", ""]);
  });

  it("test names: pp, tg, pp+tg, depth, parallel sequences", () => {
    const t = md([
      record({ params: { pp: 512, tg: 0 }, tg: null, pp: ph(512, [100]) }),
      record({ params: { tg: 128, depth: 4096 } }),
      record({ params: { tg: 16, parallel: 4 }, tg: null, parallelTg: ph(64, [40]) }),
      record({ params: { pp: 8, tg: 16, depth: 0, parallel: 1 } }),
    ]);
    expect(col(t, "test")).toEqual(["pp512", "tg128 @ d4096", "tg16 ×4 seq", "pp8+tg16"]);
  });

  it("t/s: a failure's first line cut at 60 characters; no error message; no phase", () => {
    const long = `${"x".repeat(70)}\nsecond line`;
    const t = md([
      record({ status: "error", tg: null, error: { message: long, stderrTail: null } }),
      record({ status: "oom", tg: null }),
      record({ tg: null }),
    ]);
    expect(col(t, "t/s mean (95% CI)")).toEqual([`error: ${"x".repeat(60)}`, "oom:", ""]);
  });

  it("threads and fa cells; fa empty where not recorded", () => {
    const t = md([
      record({ params: { threads: 8, flashAttention: true } }),
      record({ params: { threads: 2, flashAttention: null as unknown as boolean } }),
    ]);
    expect(col(t, "threads")).toEqual(["8", "2"]);
    expect(col(t, "fa")).toEqual(["1", ""]);
  });

  it("numbers right-aligned, text left-aligned", () => {
    const t = md([record()]);
    expect(t.head).toEqual(["model", "size", "params", "backend", "threads", "fa", "test", "t/s mean (95% CI)"]);
    const right = t.align.map((a) => a.endsWith(":") && !a.startsWith(":"));
    expect(right).toEqual([false, true, true, false, true, false, false, true]);
    expect(t.align.map((a) => a.startsWith(":"))).toEqual([true, false, false, true, false, true, true, false]);
  });
});

describe("md: always-shown columns and noisy rates", () => {
  it("fa is shown even where no row records it", () => {
    const t = md([record({ params: { flashAttention: null as unknown as boolean } })]);
    expect(t.head).toContain("fa");
    expect(col(t, "fa")).toEqual([""]);
  });

  it("a noisy rate says so: 800 and 400 t/s, mean 600, CI 600 ± 12.706 × 282.84/√2 clamped at 0", () => {
    const [cell] = col(md([record({ tg: ph(16, [20, 40]) })]), "t/s mean (95% CI)");
    expect(cell).toBe("600.00 (0.00–3141.24) noisy");
  });
});

describe("md: optional columns", () => {
  it("shown where a row differs from moebench's default, or where rows differ among themselves", () => {
    const t = md([
      record({ params: { gpuLayers: 33, batch: 256, ubatch: 512, kvK: "q8_0", kvV: "f16" } }),
      record({ params: { gpuLayers: 33, batch: 256, ubatch: 512, kvK: "q8_0", kvV: "f16" } }),
    ]);
    expect(t.head).toEqual([
      "model",
      "size",
      "params",
      "backend",
      "ngl",
      "threads",
      "n_batch",
      "type_k",
      "fa",
      "test",
      "t/s mean (95% CI)",
    ]);
    expect(col(t, "ngl")).toEqual(["33", "33"]);
    expect(col(t, "n_batch")).toEqual(["256", "256"]);
    expect(col(t, "type_k")).toEqual(["q8_0", "q8_0"]);
    const mixed = md([record({ params: { gpuLayers: 10, kvV: "q4_0" } }), record()]);
    expect(col(mixed, "ngl")).toEqual(["10", "max"]);
    expect(col(mixed, "type_v")).toEqual(["q4_0", "f16"]);
    expect(mixed.head).not.toContain("type_k");
    expect(mixed.head).not.toContain("n_ubatch");
  });

  it("serving records are left out; no records: every column, no build line", () => {
    const t = md([record({ serving: true, test: "served" }), record({ test: "tg16" })]);
    expect(t.rows).toHaveLength(1);
    expect(t.text.trimEnd().split("\n").pop()).toBe("build: de3ff81 (b1)");
    const none = md([]);
    expect(none.head).toHaveLength(13);
    expect(none.rows).toEqual([]);
    expect(none.text).not.toContain("build:");
    expect(none.text.endsWith("|\n")).toBe(true);
  });

  it("the build line: '?' for what the first record's env does not name", () => {
    const t = md([record({ env: { llamaCppCommit: null, llamaCppRelease: null } })]);
    expect(t.text.endsWith("\nbuild: ? (?)\n")).toBe(true);
    const both = md([record()]);
    expect(both.text.endsWith("|\n\nbuild: de3ff81 (b1)\n")).toBe(true);
  });
});
