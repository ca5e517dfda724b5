import { describe, it, expect } from "vitest";
import { aggregate } from "../../src/analysis/aggregate.js";
import { familyOf, fitEstimate, quantMatrices, quantRank, type ReportFacts } from "../../src/analysis/quantMatrix.js";
import { fitRow } from "../../src/gguf/fit.js";
import { fitFactsFromPlan } from "../../src/gguf/fitFacts.js";
import { planSynth } from "../../src/gguf/synth/synthesize.js";
import type { ResultRecord } from "../../src/results/schema.js";
import { makeRecord, phase, type RecordSpec } from "./makeRecord.js";

const MiB = 1024 * 1024;
const llama = (s: RecordSpec) => makeRecord({ model: "llama-3.1-8b", preset: "llama-3.1-8b", ...s });
const facts = (preset: string, quants: string[], scale?: string): Map<string, ReportFacts> =>
  new Map(
    quants.map((q) => [
      `${preset}:${q}${scale ? `:${scale}` : ""}`,
      { ...fitFactsFromPlan(planSynth({ preset, quant: q, scale: "full" })), ...(scale ? { fullScaleOf: scale } : {}) },
    ]),
  );
const vram = (before: number, after: number, context: number): ResultRecord["telemetry"] => ({
  status: "ok",
  reason: null,
  vram: { beforeLoadMiB: before, afterLoadMiB: after, afterContextMiB: context, peakMiB: null },
});

describe("quant order and families", () => {
  it("F16 first, Q2_K last, unknown quants after all", () => {
    expect(quantRank("F16")).toBeLessThan(quantRank("Q8_0"));
    expect(quantRank("Q4_K_M")).toBeLessThan(quantRank("Q2_K"));
    expect(quantRank("IQ1_S")).toBe(17);
  });
  it("a synthetic preset and its scale; a real file's architecture and size", () => {
    const [a, b, c] = aggregate([llama({ scale: "small" }), llama({}), makeRecord({ model: "x" })]);
    expect(familyOf(a!)).toBe("llama-3.1-8b (small)");
    expect(familyOf(b!)).toBe("llama-3.1-8b");
    // makeRecord's real files: 1e9 parameters, llama
    expect(familyOf(c!)).toBe("llama 1.0B");
    c!.record.model = { ...c!.record.model, params: null, arch: null };
    expect(familyOf(c!)).toBe("? x Q4_K_M");
  });
});

describe("fitEstimate: fit's numbers for one configuration", () => {
  const f = fitFactsFromPlan(planSynth({ preset: "llama-3.1-8b", quant: "Q4_K_M", scale: "full" }));
  it("equals fitRow with one sequence and no runtime allowance", () => {
    const want = fitRow(f, 8192, "q8_0", true, { parallel: 1, batch: 256, vramBytes: null, overheadBytes: 0 });
    expect(fitEstimate(f, { ctx: 8192, kvK: "q8_0", kvV: "q8_0", flashAttention: true, batch: 256 })).toEqual({
      weights: want.weights.device,
      kvAndState: want.kvCache.device + want.recurrentState.device,
      compute: want.compute.device,
      total: want.total,
    });
  });
  it("none where fit cannot say: mixed K/V types, an unknown type, a quantized V without flash attention", () => {
    expect(fitEstimate(f, { ctx: 8192, kvK: "q8_0", kvV: "q4_0", flashAttention: true, batch: 512 })).toBeNull();
    expect(fitEstimate(f, { ctx: 8192, kvK: "q3_x", kvV: "q3_x", flashAttention: true, batch: 512 })).toBeNull();
    expect(fitEstimate(f, { ctx: 8192, kvK: "q4_0", kvV: "q4_0", flashAttention: false, batch: 512 })).toBeNull();
  });
});

describe("quant matrices", () => {
  it("one per run, family and configuration; only with two quants or more", () => {
    const rows = aggregate([
      llama({}),
      llama({ quant: "Q8_0" }),
      llama({ kv: "q8_0", fa: true }),
      llama({ kv: "q8_0", fa: true, quant: "Q8_0" }),
      llama({ runId: "r2" }),
      llama({ threads: 4, quant: "Q8_0" }),
    ]);
    const qms = quantMatrices(rows, new Map());
    expect(qms.map((q) => [q.runId, q.config.kv, q.config.fa, q.rows.map((r) => r.quant)])).toEqual([
      ["run1", "f16/f16", "off", ["Q8_0", "Q4_K_M"]],
      ["run1", "q8_0/q8_0", "on", ["Q8_0", "Q4_K_M"]],
    ]);
    expect(qms[0]!.family).toBe("llama-3.1-8b");
    expect(qms[0]!.fullScaleOf).toBeUndefined();
  });

  it("contexts: the article's 8k and 16k plus any of 4k or more that ran; tok/s per context that ran", () => {
    const rows = aggregate([
      llama({ ctx: 32768, tgPhase: phase(128, [1000]) }),
      llama({ ctx: 2048, tgPhase: phase(128, [500]) }),
      llama({ quant: "Q8_0", ctx: 2048 }),
      // not plain generation: no tok/s column of their own
      llama({ quant: "Q8_0", ctx: 65536, pp: 512, tg: 0 }),
      llama({ quant: "Q8_0", ctx: 4096, depth: 128, testId: "tg128@d128" }),
    ]);
    const [qm] = quantMatrices(rows, facts("llama-3.1-8b", ["Q4_K_M", "Q8_0"]));
    expect(qm!.contexts).toEqual([4096, 8192, 16384, 32768, 65536]);
    expect(qm!.genContexts).toEqual([2048, 32768]);
    const q4 = qm!.rows.find((r) => r.quant === "Q4_K_M")!;
    // 128 tokens in 500 ms at ctx 2048, in 1000 ms at ctx 32768
    expect(q4.gen.map((g) => (g && "summary" in g ? g.summary.mean : g))).toEqual([256, 128]);
    const q8 = qm!.rows.find((r) => r.quant === "Q8_0")!;
    expect(q8.gen[1]).toBeNull();
  });

  it("measured cells need both readings; small-scale runs never use their own VRAM", () => {
    const base = [llama({ quant: "Q8_0" })];
    const measured = quantMatrices(
      aggregate([...base, llama({ ctx: 8192, telemetry: vram(1000, 5000, 6000) })]),
      facts("llama-3.1-8b", ["Q4_K_M", "Q8_0"]),
    )[0]!.rows.find((r) => r.quant === "Q4_K_M")!;
    // (5000 − 1000) MiB and (6000 − 1000) MiB at 8k
    expect(measured.weights).toEqual({ bytes: 4000 * MiB, measured: true });
    expect(measured.totals[0]).toEqual({ bytes: 5000 * MiB, measured: true });
    expect(measured.totals[1]!.measured).toBe(false);
    const partial = vram(1000, 5000, 6000);
    partial.vram = { ...partial.vram!, afterLoadMiB: null };
    const noAfter = quantMatrices(
      aggregate([...base, llama({ ctx: 8192, telemetry: partial })]),
      facts("llama-3.1-8b", ["Q4_K_M", "Q8_0"]),
    )[0]!.rows.find((r) => r.quant === "Q4_K_M")!;
    expect(noAfter.weights!.measured).toBe(false);
    expect(noAfter.totals[0]!.measured).toBe(false);
    const small = quantMatrices(
      aggregate([
        llama({ quant: "Q8_0", scale: "small" }),
        llama({ scale: "small", ctx: 8192, telemetry: vram(1000, 5000, 6000) }),
      ]),
      facts("llama-3.1-8b", ["Q4_K_M", "Q8_0"], "small"),
    )[0]!;
    expect(small.fullScaleOf).toBe("small");
    expect(small.rows.every((r) => r.weights?.measured === false && r.totals.every((t) => t?.measured === false))).toBe(
      true,
    );
    // another context or several sequences are not this cell's measurement
    const other = quantMatrices(
      aggregate([...base, llama({ ctx: 8192, parallel: 2, telemetry: vram(1000, 5000, 6000) })]),
      facts("llama-3.1-8b", ["Q4_K_M", "Q8_0"]),
    )[0]!.rows.find((r) => r.quant === "Q4_K_M")!;
    expect(other.totals[0]!.measured).toBe(false);
    // no facts and no telemetry: nothing to show
    expect(quantMatrices(aggregate([...base, llama({})]), new Map())[0]!.rows[0]!.weights).toBeNull();
  });

  it("quality: measured against the reference, the reference itself, or not measured", () => {
    const f16 = llama({ quant: "F16" });
    const q8 = llama({ quant: "Q8_0" });
    const quality = new Map([
      [q8.model.path!, { meanKld: 0.00123, top1Agreement: 0.9876, reference: "F16", synthetic: true }],
    ]);
    const [qm] = quantMatrices(aggregate([f16, q8, llama({})]), new Map(), quality);
    expect(qm!.rows.map((r) => r.quality)).toEqual([
      "reference",
      "KLD 1.23e-3, top-1 98.8% vs F16 (random-weight model: quantization noise only)",
      "not measured",
    ]);
    const real = new Map([[q8.model.path!, { meanKld: 0.5, top1Agreement: 0.5, reference: "F16", synthetic: false }]]);
    expect(quantMatrices(aggregate([f16, q8]), new Map(), real)[0]!.rows[1]!.quality).toBe(
      "KLD 5.00e-1, top-1 50.0% vs F16",
    );
  });
});

describe("quant matrix edges", () => {
  it("F32 ranks first; only F16/BF16/F32 are the reference", () => {
    expect(quantRank("F32")).toBe(0);
    const rows = aggregate([llama({ quant: "F16" }), llama({ quant: "MOSTLY_F16" }), llama({ quant: "F16_X" })]);
    const [qm] = quantMatrices(rows, new Map());
    expect(qm!.rows.map((r) => [r.quant, r.quality])).toEqual([
      ["F16", "reference"],
      ["MOSTLY_F16", "not measured"],
      ["F16_X", "not measured"],
    ]);
  });
  it("tok/s gen: the ok plain tg record, not pp+tg, depth or parallel ones; a failure only when none ran", () => {
    const rows = aggregate([
      llama({ pp: 512, tg: 128, ppPhase: phase(512, [100]), tgPhase: phase(128, [100]) }),
      llama({ status: "oom" }),
      llama({ tgPhase: phase(128, [500]) }),
      llama({ quant: "Q8_0", depth: 64, testId: "tg128@d64", tgPhase: phase(128, [100]) }),
      llama({ quant: "Q8_0", parallel: 2, testId: "tg128×2seq", parallelPhase: phase(256, [100]) }),
    ]);
    const [qm] = quantMatrices(rows, new Map());
    const q4 = qm!.rows.find((r) => r.quant === "Q4_K_M")!.gen[0]!;
    // 128 tokens in 500 ms
    expect("summary" in q4 && q4.summary.mean).toBe(256);
    expect(qm!.rows.find((r) => r.quant === "Q8_0")!.gen).toEqual([null]);
  });
  it("a measured total needs the context's reading too", () => {
    const t = vram(1000, 5000, 6000);
    t.vram = { ...t.vram!, afterContextMiB: null };
    const [qm] = quantMatrices(
      aggregate([llama({ quant: "Q8_0" }), llama({ ctx: 8192, telemetry: t })]),
      facts("llama-3.1-8b", ["Q4_K_M", "Q8_0"]),
    );
    const q4 = qm!.rows.find((r) => r.quant === "Q4_K_M")!;
    expect(q4.weights).toEqual({ bytes: 4000 * MiB, measured: true });
    expect(q4.totals[0]!.measured).toBe(false);
  });
});
