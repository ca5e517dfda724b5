import { describe, it, expect } from "vitest";
import { aggregate } from "../../src/analysis/aggregate.js";
import { checkClaims, gapInterval, rangeVerdict, shrinkVerdict } from "../../src/analysis/claims.js";
import { configText, IDENTITY_FIELDS, identityKey, identityOf, varyingFields } from "../../src/analysis/identity.js";
import { isArticleDense, moeDensePairs } from "../../src/analysis/moeVsDense.js";
import type { ReportFacts } from "../../src/analysis/quantMatrix.js";
import { runInfos } from "../../src/analysis/runInfo.js";
import { fitFactsFromPlan } from "../../src/gguf/fitFacts.js";
import { planSynth } from "../../src/gguf/synth/synthesize.js";
import type { ResultRecord } from "../../src/results/schema.js";
import { makeRecord, phase, type RecordSpec } from "./makeRecord.js";

/** tg (or pp) phase whose per-repetition tok/s are exactly `rates`. */
const at = (tokens: number, rates: number[]) =>
  phase(
    tokens,
    rates.map((r) => (tokens / r) * 1000),
  );
const moe = (s: RecordSpec) => makeRecord({ model: "lfm2-8b-a1b", preset: "lfm2-8b-a1b", moe: true, ...s });
const dense = (s: RecordSpec) => makeRecord({ model: "llama-3.1-8b", preset: "llama-3.1-8b", moe: false, ...s });

describe("instance identity", () => {
  it("every field that changes the measurement, as text", () => {
    const r = makeRecord({ sha: "0123456789abcdef0123", ctx: 8192, kv: "q8_0", fa: true, threads: 4, batch: 256 });
    expect(identityOf(r)).toEqual({
      model: "sha:0123456789abcdef",
      quant: "Q4_K_M",
      test: "tg128",
      ctx: "8192",
      kv: "q8_0/q8_0",
      fa: "on",
      threads: "4",
      ngl: "cpu",
      batch: "256",
      ubatch: "256",
      tgMode: "decode",
      args: "none",
      gpu: "none",
    });
    // no header hash: the file name
    expect(identityOf(makeRecord()).model).toBe("file:m-Q4_K_M.gguf");
    const gpu = makeRecord({ gpu: "RTX", extra: { llamaBenchArgs: " --n-cpu-moe 8 " } });
    expect(identityOf(gpu)).toMatchObject({ ngl: "all", gpu: "RTX", args: "--n-cpu-moe 8", fa: "off" });
    gpu.params = { ...gpu.params, gpuLayers: 20 };
    expect(identityOf(gpu).ngl).toBe("20");
    gpu.params = { ...gpu.params, gpuLayers: 99 };
    expect(identityOf(gpu).ngl).toBe("all");
    expect(IDENTITY_FIELDS).toHaveLength(13);
  });
  it("keys, varying fields and configuration text", () => {
    const a = identityOf(makeRecord({ ctx: 512 }));
    const b = identityOf(makeRecord({ ctx: 8192, threads: 1 }));
    expect(identityKey(a, ["ctx", "kv"])).toBe("ctx=512|kv=f16/f16");
    expect(varyingFields([a, b], IDENTITY_FIELDS)).toEqual(["ctx"]);
    expect(configText(b, ["ctx", "kv", "fa", "threads", "ngl", "args", "gpu"])).toBe(
      "ctx 8192 · KV f16/f16 · FA off · 1 thread · CPU",
    );
    const g = identityOf(makeRecord({ gpu: "RTX 3060", threads: 2, extra: { llamaBenchArgs: "-ot exps=CPU" } }));
    expect(configText(g, ["threads", "ngl", "batch", "ubatch", "tgMode", "args", "gpu"])).toBe(
      '2 threads · GPU layers all · batch 512 · ubatch 512 · tg decode · args "-ot exps=CPU" · RTX 3060',
    );
    expect(configText(g, ["model", "quant", "test"])).toBe("file:m-Q4_K_M.gguf · Q4_K_M · tg128");
  });
});

describe("MoE/dense pairs", () => {
  it("pairs within a run at the same quant, test and configuration; pp and tg separately", () => {
    const rows = aggregate([
      moe({ tgPhase: at(100, [200, 200]) }),
      dense({ tgPhase: at(100, [100, 100]) }),
      // another quant: its own pair
      moe({ quant: "Q8_0", tgPhase: at(100, [150, 150]) }),
      dense({ quant: "Q8_0", tgPhase: at(100, [100, 100]) }),
      // another context for the dense model only: no partner
      dense({ ctx: 8192, tgPhase: at(100, [100, 100]) }),
      // another run: no partner across runs
      moe({ runId: "other", tgPhase: at(100, [300, 300]) }),
      // pp+tg: both phases
      moe({ pp: 512, tg: 16, ppPhase: at(512, [1000, 1000]), tgPhase: at(16, [50, 50]) }),
      dense({ pp: 512, tg: 16, ppPhase: at(512, [800, 800]), tgPhase: at(16, [25, 25]) }),
      // a failure and an unknown kind never pair
      moe({ quant: "Q2_K", status: "oom" }),
      dense({ quant: "Q2_K" }),
      makeRecord({ model: "x", moe: null, quant: "Q8_0", tgPhase: at(100, [1, 1]) }),
    ]);
    const pairs = moeDensePairs(rows);
    const seen = pairs.map((p) => `${p.phase} ${p.quant} ${p.test} ${+p.ratio.toFixed(9)}`);
    expect(seen).toEqual([
      "pp Q4_K_M pp512+tg16 1.25",
      "tg Q8_0 tg128 1.5",
      "tg Q4_K_M pp512+tg16 2",
      "tg Q4_K_M tg128 2",
    ]);
    const pp = pairs[0]!;
    expect(pp.promptTokens).toBe(512);
    expect(pp.moeRate.mean).toBe(1000);
    expect(pp.denseRate.mean).toBe(800);
    expect(pairs[1]!.promptTokens).toBe(0);
    expect(pairs.every((p) => p.runId === "run1" && !p.noisy)).toBe(true);
  });
  it("the article's dense model is Llama-3.1-8B", () => {
    const [a, b, c] = aggregate([
      dense({}),
      makeRecord({ model: "Llama 3.1 8B Instruct" }),
      makeRecord({ model: "qwen3-8b" }),
    ]);
    expect([isArticleDense(a!), isArticleDense(b!), isArticleDense(c!)]).toEqual([true, true, false]);
  });
});

describe("claim verdict rules", () => {
  it("a range: inside → holds; the whole CI outside → does not hold; straddling → inconclusive", () => {
    expect(rangeVerdict({ ratio: 1.5, ciLow: 1.45, ciHigh: 1.55 }, 1.4, 1.6)).toBe("holds");
    expect(rangeVerdict({ ratio: 1.5, ciLow: 1.0, ciHigh: 2.0 }, 1.4, 1.6)).toBe("holds");
    expect(rangeVerdict({ ratio: 1.4, ciLow: 1.4, ciHigh: 1.4 }, 1.4, 1.6)).toBe("holds");
    expect(rangeVerdict({ ratio: 1.6, ciLow: 1.6, ciHigh: 1.6 }, 1.4, 1.6)).toBe("holds");
    expect(rangeVerdict({ ratio: 2.3, ciLow: 2.2, ciHigh: 2.4 }, 1.4, 1.6)).toBe("does not hold");
    expect(rangeVerdict({ ratio: 1.1, ciLow: 1.0, ciHigh: 1.3 }, 1.4, 1.6)).toBe("does not hold");
    expect(rangeVerdict({ ratio: 1.7, ciLow: 1.5, ciHigh: 1.9 }, 1.4, 1.6)).toBe("inconclusive");
    expect(rangeVerdict({ ratio: 1.3, ciLow: 1.1, ciHigh: 1.5 }, 1.4, 1.6)).toBe("inconclusive");
    // no CI (fewer than 2 repetitions): the point decides
    expect(rangeVerdict({ ratio: 1.5, ciLow: NaN, ciHigh: NaN }, 1.4, 1.6)).toBe("holds");
    expect(rangeVerdict({ ratio: 1.7, ciLow: NaN, ciHigh: NaN }, 1.4, 1.6)).toBe("does not hold");
  });
  it("the gap from 1 as an interval, and whether it shrank", () => {
    expect(gapInterval({ ratio: 2, ciLow: 1.5, ciHigh: 2.5 })).toEqual([0.5, 1.5]);
    expect(gapInterval({ ratio: 0.8, ciLow: 0.7, ciHigh: 0.9 })).toEqual([0.09999999999999998, 0.30000000000000004]);
    expect(gapInterval({ ratio: 1.05, ciLow: 0.9, ciHigh: 1.2 })).toEqual([0, 0.19999999999999996]);
    expect(gapInterval({ ratio: 1.05, ciLow: 0.7, ciHigh: 1.1 })).toEqual([0, 0.30000000000000004]);
    expect(shrinkVerdict([0.5, 0.6], [0.1, 0.2])).toBe("holds");
    expect(shrinkVerdict([0.1, 0.2], [0.5, 0.6])).toBe("does not hold");
    expect(shrinkVerdict([0.1, 0.5], [0.2, 0.6])).toBe("inconclusive");
    expect(shrinkVerdict([0.5, 0.6], [0.5, 0.6])).toBe("inconclusive");
    expect(shrinkVerdict([0.5, 0.6], [NaN, NaN])).toBe("inconclusive");
    expect(shrinkVerdict([NaN, 0.6], [0.1, 0.2])).toBe("inconclusive");
  });
});

function claimsFor(records: ResultRecord[], facts = new Map<string, ReportFacts>()) {
  const rows = aggregate(records);
  const run = runInfos(records, {})[0]!;
  return Object.fromEntries(checkClaims(run, rows, moeDensePairs(rows), facts).map((c) => [c.id, c]));
}

describe("claims checked on hand-made runs", () => {
  it("generation 1.5× at Q4_K_M holds; prefill 1.0× holds; the rows say what they were measured on", () => {
    const c = claimsFor([
      moe({ tgPhase: at(100, [150, 151, 149]) }),
      dense({ tgPhase: at(100, [100, 101, 99]) }),
      moe({ pp: 512, tg: 0, ppPhase: at(512, [1000, 1010, 990]) }),
      dense({ pp: 512, tg: 0, ppPhase: at(512, [1000, 1010, 990]) }),
    ]);
    expect(c["gen-speedup"]!.verdict).toBe("holds");
    expect(c["gen-speedup"]!.measured).toMatch(
      /^1\.50× \(95% CI 1\.4\d–1\.5\d\): lfm2-8b-a1b Q4_K_M vs llama-3\.1-8b Q4_K_M, tg128$/,
    );
    expect(c["gen-speedup"]!.basis).toBe("CPU: Test CPU × 2 cores, 1 thread; full-size synthetic models");
    expect(c["gen-speedup"]!.note).toBe("measured on a CPU; the article measured an RTX 3060");
    expect(c["prefill-gap"]!.verdict).toBe("holds");
    for (const id of ["long-prompt", "batch4", "kv16k", "q8-oom16k"]) {
      expect(c[id]!.verdict, id).toBe("not tested");
      expect(c[id]!.basis, id).toMatch(/^would need: /);
      expect(c[id]!.note, id).toBe("");
    }
  });

  it("prefill falls back to another quant; Llama-3.1-8B preferred over another dense model", () => {
    const c = claimsFor([
      moe({ quant: "Q8_0", pp: 512, tg: 0, ppPhase: at(512, [500, 500]) }),
      dense({ quant: "Q8_0", pp: 512, tg: 0, ppPhase: at(512, [1000, 1000]) }),
      moe({ tgPhase: at(100, [200, 200]) }),
      makeRecord({ model: "qwen3-8b", preset: "qwen3-8b", tgPhase: at(100, [50, 50]) }),
      dense({ tgPhase: at(100, [100, 100]) }),
    ]);
    expect(c["prefill-gap"]!.verdict).toBe("does not hold");
    expect(c["prefill-gap"]!.measured).toMatch(/^0\.50×/);
    expect(c["gen-speedup"]!.measured).toMatch(/^2\.00× .* vs llama-3\.1-8b Q4_K_M/);
  });

  it("long prompts: the pp gap at depth 4096 against depth 0; batch 4 against one sequence", () => {
    const c = claimsFor([
      moe({ pp: 512, tg: 0, ppPhase: at(512, [2000, 2010, 1990]) }),
      dense({ pp: 512, tg: 0, ppPhase: at(512, [1000, 1005, 995]) }),
      moe({ pp: 512, tg: 0, depth: 4096, testId: "pp512@d4096", ppPhase: at(512, [1200, 1205, 1195]) }),
      dense({ pp: 512, tg: 0, depth: 4096, testId: "pp512@d4096", ppPhase: at(512, [1000, 1005, 995]) }),
      moe({ tgPhase: at(100, [300, 301, 299]) }),
      dense({ tgPhase: at(100, [100, 101, 99]) }),
      moe({ parallel: 4, testId: "tg128×4seq", parallelPhase: at(512, [300, 301, 299]) }),
      dense({ parallel: 4, testId: "tg128×4seq", parallelPhase: at(512, [200, 201, 199]) }),
    ]);
    // gap 2.0 − 1 = 1.0 at depth 0 → 0.2 at depth 4096: tighter
    expect(c["long-prompt"]!.verdict).toBe("holds");
    expect(c["long-prompt"]!.measured).toMatch(/^pp512: 2\.00× .* → pp512@d4096: 1\.20× /);
    // 3.0× with one sequence → 1.5× with four: eroded
    expect(c.batch4!.verdict).toBe("holds");
    expect(c.batch4!.measured).toMatch(/^tg128: 3\.00× .* → tg128×4seq: 1\.50× /);
    // and the other way round: does not hold
    const c2 = claimsFor([
      moe({ tgPhase: at(100, [150, 151, 149]) }),
      dense({ tgPhase: at(100, [100, 101, 99]) }),
      moe({ parallel: 4, testId: "tg128×4seq", parallelPhase: at(512, [400, 401, 399]) }),
      dense({ parallel: 4, testId: "tg128×4seq", parallelPhase: at(512, [200, 201, 199]) }),
    ]);
    expect(c2.batch4!.verdict).toBe("does not hold");
  });

  it("KV at 16k and Q8_0 at 16k on 12 GB: fit estimates for the MoE's tensor table", () => {
    const facts = new Map<string, ReportFacts>();
    for (const q of ["Q4_K_M", "Q8_0"])
      facts.set(`lfm2-8b-a1b:${q}`, fitFactsFromPlan(planSynth({ preset: "lfm2-8b-a1b", quant: q, scale: "full" })));
    const c = claimsFor([moe({}), moe({ quant: "Q8_0" }), dense({})], facts);
    // 6 attention layers × 16384 × 8 KV heads × 64 × 2 B × 2 = 201,326,592 B = 0.1875 GiB
    expect(c.kv16k!.measured).toBe("0.19 GiB (0.20 GB) f16 KV at 16k for lfm2-8b-a1b Q4_K_M");
    expect(c.kv16k!.verdict).toBe("does not hold");
    expect(c.kv16k!.basis).toMatch(/^estimate: moebench fit/);
    expect(c["q8-oom16k"]!.verdict).toBe("does not hold");
    expect(c["q8-oom16k"]!.measured).toMatch(
      /^fits: \d+\.\d\d GiB of 12 GiB \(f16 KV, FA off, 300 MiB runtime allowance\)$/,
    );
  });

  it("Q8_0 at 16k measured on a 12 GB card: an OOM record holds the claim, an ok record does not", () => {
    const card = (status: ResultRecord["status"]) =>
      moe({
        quant: "Q8_0",
        ctx: 16384,
        gpu: "NVIDIA GeForce RTX 3060",
        status,
        telemetry: {
          status: "ok",
          reason: null,
          gpu: { name: "NVIDIA GeForce RTX 3060", uuid: null, driver: null, memoryTotalMiB: 12288 },
        },
      });
    expect(claimsFor([card("oom")])["q8-oom16k"]).toMatchObject({
      verdict: "holds",
      measured: "oom at ctx 16384 on gpu",
    });
    expect(claimsFor([card("ok")])["q8-oom16k"]!.verdict).toBe("does not hold");
  });

  it("a mock run says so next to its verdicts", () => {
    const c = claimsFor([
      moe({ backend: "mock", scale: "tiny", tgPhase: at(100, [150, 151, 149]) }),
      dense({ backend: "mock", scale: "tiny", tgPhase: at(100, [100, 101, 99]) }),
    ]);
    expect(c["gen-speedup"]!.note).toBe(
      "MOCK executor: timings are synthetic, not measurements; tiny-scale models do not keep the full-size " +
        "ratios: not evidence about real models",
    );
    expect(c["gen-speedup"]!.basis).toBe(
      "MOCK executor (synthetic timings, nothing measured); tiny-scale synthetic models",
    );
  });
});

describe("claims pick the right pairs among many", () => {
  const olmoe = (s: RecordSpec) => makeRecord({ model: "olmoe", preset: "olmoe", moe: true, ...s });
  const qwen = (s: RecordSpec) => makeRecord({ model: "qwen3-8b", preset: "qwen3-8b", ...s });
  const pp = (depth: number, prompt = 512): RecordSpec => ({
    pp: prompt,
    tg: 0,
    depth,
    testId: `pp${prompt}${depth ? `@d${depth}` : ""}`,
  });

  it("each claim's measured value comes from its own test, quant, depth and models", () => {
    const c = claimsFor([
      // generation at Q4_K_M, depth 0, one sequence: LFM2 ÷ Llama-3.1-8B = 150 ÷ 100
      moe({ tgPhase: at(100, [150, 151, 149]) }),
      dense({ tgPhase: at(100, [100, 101, 99]) }),
      // distractors: another dense model, another MoE, another quant, depth, parallel
      qwen({ tgPhase: at(100, [50, 51, 49]) }),
      olmoe({ tgPhase: at(100, [900, 901, 899]) }),
      moe({ quant: "Q8_0", tgPhase: at(100, [500, 501, 499]) }),
      dense({ quant: "Q8_0", tgPhase: at(100, [100, 101, 99]) }),
      moe({ depth: 4096, testId: "tg128@d4096", tgPhase: at(100, [700, 701, 699]) }),
      dense({ depth: 4096, testId: "tg128@d4096", tgPhase: at(100, [100, 101, 99]) }),
      moe({ parallel: 4, testId: "tg128×4seq", parallelPhase: at(512, [110, 111, 109]) }),
      dense({ parallel: 4, testId: "tg128×4seq", parallelPhase: at(512, [100, 101, 99]) }),
      moe({ parallel: 2, testId: "tg128×2seq", parallelPhase: at(512, [800, 801, 799]) }),
      dense({ parallel: 2, testId: "tg128×2seq", parallelPhase: at(512, [100, 101, 99]) }),
      // prefill: Q4_K_M depth 0 = 0.9; distractors at depth 1024 (still short) and 4096, and a 4096-token prompt
      moe({ ...pp(0), ppPhase: at(512, [900, 901, 899]) }),
      dense({ ...pp(0), ppPhase: at(512, [1000, 1001, 999]) }),
      qwen({ ...pp(0), ppPhase: at(512, [3000, 3001, 2999]) }),
      moe({ ...pp(1024), ppPhase: at(512, [600, 601, 599]) }),
      dense({ ...pp(1024), ppPhase: at(512, [1000, 1001, 999]) }),
      moe({ ...pp(4096), ppPhase: at(512, [950, 951, 949]) }),
      dense({ ...pp(4096), ppPhase: at(512, [1000, 1001, 999]) }),
      qwen({ ...pp(4096), ppPhase: at(512, [100, 101, 99]) }),
      moe({ quant: "Q8_0", ...pp(0), ppPhase: at(512, [100, 101, 99]) }),
      dense({ quant: "Q8_0", ...pp(0), ppPhase: at(512, [1000, 1001, 999]) }),
    ]);
    expect(c["gen-speedup"]!.measured).toMatch(/^1\.50× .*: lfm2-8b-a1b Q4_K_M vs llama-3\.1-8b Q4_K_M, tg128$/);
    expect(c["gen-speedup"]!.verdict).toBe("holds");
    expect(c["prefill-gap"]!.measured).toMatch(/^0\.90× .*: lfm2-8b-a1b Q4_K_M vs llama-3\.1-8b Q4_K_M, pp512$/);
    expect(c["prefill-gap"]!.verdict).toBe("holds");
    // the short prompt is the shallowest one: 0.90 → 0.95 at 4096, gap 0.10 → 0.05
    expect(c["long-prompt"]!.measured).toMatch(
      /^pp512: 0\.90× .* → pp512@d4096: 0\.95× .*; lfm2-8b-a1b Q4_K_M vs llama-3\.1-8b Q4_K_M$/,
    );
    expect(c["long-prompt"]!.verdict).toBe("holds");
    // four sequences, not two: 1.50 → 1.10
    expect(c.batch4!.measured).toMatch(/^tg128: 1\.50× .* → tg128×4seq: 1\.10× /);
    expect(c.batch4!.verdict).toBe("holds");
  });

  it("a 4096-token prompt is a long prompt; MoE models other than LFM2 count when there is no LFM2", () => {
    const c = claimsFor([
      olmoe({ ...pp(0), ppPhase: at(512, [2000, 2001, 1999]) }),
      dense({ ...pp(0), ppPhase: at(512, [1000, 1001, 999]) }),
      olmoe({ ...pp(0, 4096), ppPhase: at(4096, [3000, 3001, 2999]) }),
      dense({ ...pp(0, 4096), ppPhase: at(4096, [1000, 1001, 999]) }),
    ]);
    // 2.0 → 3.0: the gap grew
    expect(c["long-prompt"]!.verdict).toBe("does not hold");
    expect(c["long-prompt"]!.measured).toMatch(
      /^pp512: 2\.00× .* → pp4096: 3\.00× .*; olmoe Q4_K_M vs llama-3\.1-8b Q4_K_M$/,
    );
    // no long prompt that pairs: not tested
    const none = claimsFor([olmoe({ ...pp(0, 4096) }), qwen({ ...pp(0, 4096) }), dense({ ...pp(0) })]);
    expect(none["long-prompt"]!.verdict).toBe("not tested");
  });

  it("batch 4 needs the same models with one sequence", () => {
    const c = claimsFor([
      moe({ parallel: 4, testId: "tg128×4seq", parallelPhase: at(512, [110, 111, 109]) }),
      dense({ parallel: 4, testId: "tg128×4seq", parallelPhase: at(512, [100, 101, 99]) }),
      olmoe({ tgPhase: at(100, [150, 151, 149]) }),
      dense({ tgPhase: at(100, [100, 101, 99]) }),
    ]);
    expect(c.batch4!.verdict).toBe("not tested");
    const overlap = claimsFor([
      moe({ parallel: 4, testId: "tg128×4seq", parallelPhase: at(512, [140, 160, 150]) }),
      dense({ parallel: 4, testId: "tg128×4seq", parallelPhase: at(512, [100, 101, 99]) }),
      moe({ tgPhase: at(100, [145, 155, 150]) }),
      dense({ tgPhase: at(100, [100, 101, 99]) }),
    ]);
    expect(overlap.batch4!.verdict).toBe("inconclusive");
  });

  it("KV at 16k inside 3–4 GB holds; Q8_0 measured only on a ≤ 12 GB GPU at 16k or more", () => {
    // 48 attention layers: 48 × 16384 × 8 × 128 × 2 B × 2 = 3,221,225,472 B = 3.22 GB
    const f = fitFactsFromPlan(planSynth({ preset: "llama-3.1-8b", quant: "Q4_K_M", scale: "full" }));
    const facts = new Map<string, ReportFacts>([
      ["lfm2-8b-a1b:Q4_K_M", { ...f, attentionLayers: Array.from({ length: 48 }, (_, i) => i) }],
    ]);
    const c = claimsFor([moe({})], facts);
    expect(c.kv16k!.verdict).toBe("holds");
    expect(c.kv16k!.measured).toMatch(/^3\.00 GiB \(3\.22 GB\)/);
    const gpuTel = (mib: number): ResultRecord["telemetry"] => ({
      status: "ok",
      reason: null,
      gpu: { name: "G", uuid: null, driver: null, memoryTotalMiB: mib },
    });
    const rec = (s: RecordSpec) => moe({ quant: "Q8_0", status: "oom", gpu: "G", ...s });
    // a 24 GB card, or a 12 GB card at 8k, or a CPU: not the claim's setting
    for (const s of [
      { ctx: 16384, telemetry: gpuTel(24576) },
      { ctx: 8192, telemetry: gpuTel(12288) },
      { ctx: 16384, telemetry: { status: "unavailable", reason: "x" } as ResultRecord["telemetry"] },
      { ctx: 16384, backend: "cpu", telemetry: gpuTel(12288) },
    ])
      expect(claimsFor([rec(s)])["q8-oom16k"]!.verdict).toBe("not tested");
    expect(claimsFor([rec({ ctx: 32768, telemetry: gpuTel(12800) })])["q8-oom16k"]!.verdict).toBe("holds");
  });
});

describe("identity and pairs: edges", () => {
  it("missing parameters show as —; a CPU backend is CPU even with a GPU present; 0 GPU layers stay 0", () => {
    const r = makeRecord({ gpu: "RTX", backend: "cpu" });
    expect(identityOf(r).ngl).toBe("cpu");
    const g = makeRecord({ gpu: "RTX" });
    g.params = { ...g.params, gpuLayers: 0 };
    expect(identityOf(g).ngl).toBe("0");
    const n = makeRecord({});
    n.params = { ...n.params, ctx: null, flashAttention: null, threads: undefined } as unknown as typeof n.params;
    expect(identityOf(n)).toMatchObject({ ctx: "—", fa: "—", threads: "—" });
    n.model = { ...n.model, quant: null, fileType: null };
    expect(identityOf(n).quant).toBe("?");
    expect(identityOf(makeRecord({ extra: { llamaBenchArgs: "   " } })).args).toBe("none");
    expect(identityOf(makeRecord({ extra: { llamaBenchArgs: 5 } })).args).toBe("none");
  });
  it("pairs: the tg pair of pp+tg has no prompt; depth order; a noisy side makes the pair noisy", () => {
    const rows = aggregate([
      moe({ pp: 512, tg: 16, ppPhase: at(512, [1000, 1000]), tgPhase: at(16, [50, 50]) }),
      dense({ pp: 512, tg: 16, ppPhase: at(512, [800, 800]), tgPhase: at(16, [25, 25]) }),
      moe({ depth: 512, testId: "tg128@d512", tgPhase: at(100, [150, 150]) }),
      dense({ depth: 512, testId: "tg128@d512", tgPhase: at(100, [100, 100]) }),
      moe({ depth: 64, testId: "tg128@d64", tgPhase: at(100, [10, 100]) }),
      dense({ depth: 64, testId: "tg128@d64", tgPhase: at(100, [100, 100]) }),
    ]);
    const pairs = moeDensePairs(rows);
    expect(pairs.map((p) => [p.phase, p.test, p.promptTokens, p.noisy])).toEqual([
      ["pp", "pp512+tg16", 512, false],
      ["tg", "pp512+tg16", 0, false],
      ["tg", "tg128@d64", 0, true],
      ["tg", "tg128@d512", 0, false],
    ]);
  });
});

describe("claim caveats by scale", () => {
  it("small scale keeps the ratios (said so); a mixed run says both", () => {
    const small = claimsFor([
      moe({ scale: "small", tgPhase: at(100, [150, 151, 149]) }),
      dense({ scale: "small", tgPhase: at(100, [100, 101, 99]) }),
      dense({ scale: "tiny", quant: "Q8_0" }),
    ]);
    expect(small["gen-speedup"]!.note).toBe(
      "small-scale models keep the full-size MoE/dense ratios within ±15%, not full-size speed; tiny-scale models do " +
        "not keep the full-size ratios: not evidence about real models; measured on a CPU; the article measured an " +
        "RTX 3060",
    );
  });
});

describe("runs that cannot grade a claim", () => {
  // 1.5× is inside the claimed 1.4–1.6×: a real run says "holds"
  const gen = (spec: RecordSpec) => [
    moe({ ...spec, tgPhase: at(100, [150, 151, 149]) }),
    dense({ ...spec, tgPhase: at(100, [100, 101, 99]) }),
  ];
  it("mock timings and tiny-scale models: the value is shown, the verdict is 'no evidence'", () => {
    expect(claimsFor(gen({}))["gen-speedup"]!.verdict).toBe("holds");
    const mock = claimsFor(gen({ backend: "mock" }))["gen-speedup"]!;
    expect(mock.verdict).toBe("no evidence");
    expect(mock.measured).toMatch(/^1\.50× /);
    expect(claimsFor(gen({ scale: "tiny" }))["gen-speedup"]!.verdict).toBe("no evidence");
    // small scale keeps the ratios: graded
    expect(claimsFor(gen({ scale: "small" }))["gen-speedup"]!.verdict).toBe("holds");
    // a tiny dense model beside small pairs: the small pair still grades the claim
    expect(
      claimsFor([...gen({ scale: "small" }), dense({ scale: "tiny", quant: "Q8_0" })])["gen-speedup"]!.verdict,
    ).toBe("holds");
  });
  it("fit's estimates come from the full-size tensor table: graded even in a mock run", () => {
    const facts = new Map<string, ReportFacts>([
      ["lfm2-8b-a1b:Q4_K_M", fitFactsFromPlan(planSynth({ preset: "lfm2-8b-a1b", quant: "Q4_K_M", scale: "full" }))],
    ]);
    const c = claimsFor(gen({ backend: "mock" }), facts);
    expect(c.kv16k!.verdict).toBe("does not hold");
    expect(c["long-prompt"]!.verdict).toBe("not tested");
  });
});
