/**
 * End to end with known answers: a hand-made results.jsonl (known repetition times, wall-clock windows and
 * power samples) goes through the reader, buildReport and every exporter; each reported figure is computed
 * by hand in the comments (SciPy 1.17.1 for t quantiles) and never by the code under test.
 */
import { describe, it, expect, beforeAll } from "vitest";
import { writeFileSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parse } from "csv-parse/sync";
import { readJsonl } from "../../src/results/jsonl.js";
import type { ResultRecord } from "../../src/results/schema.js";
import { integrateWindow, type PowerSample } from "../../src/telemetry/energy.js";
import { buildReport, type Report, type ReportOptions } from "../../src/analysis/buildReport.js";
import type { ReportFacts } from "../../src/analysis/quantMatrix.js";
import { fit } from "../../src/gguf/fit.js";
import { fitFactsFromPlan } from "../../src/gguf/fitFacts.js";
import { planSynth } from "../../src/gguf/synth/synthesize.js";
import { reportMarkdown } from "../../src/export/reportMarkdown.js";
import { reportCsv } from "../../src/export/csv.js";
import { reportHtml } from "../../src/export/html.js";
import { reportJson } from "../../src/export/reportJson.js";
import { charts } from "../../src/export/charts.js";
import { makeRecord, phase } from "./makeRecord.js";

const GiB = 1024 ** 3;
const MiB = 1024 ** 2;

/** Power ramps linearly: w(t) = 200 + 0.01·t W (t in ms), sampled every 50 ms from 0 to 6 s. */
const POWER: PowerSample[] = Array.from({ length: 121 }, (_, i) => ({ t: i * 50, w: 200 + 0.01 * i * 50 }));
/** Three repetitions of 1000, 1250 and 800 ms at these wall-clock windows (ms). */
const WINDOWS: [number, number][] = [
  [0, 1000],
  [2000, 3250],
  [4000, 4800],
];
// ∫ w dt over [a, b] (s) = 200·(b−a)/1000 + 0.01·(b² − a²)/2000:
//   [0, 1000]    → 200 + 5       = 205 J
//   [2000, 3250] → 250 + 32.8125 = 282.8125 J
//   [4000, 4800] → 160 + 35.2    = 195.2 J      total 683.0125 J over 3.05 s
const JOULES = [205, 282.8125, 195.2];

const gpuTelemetry = (vram: { before: number; after: number; context: number } | null): ResultRecord["telemetry"] => ({
  status: "ok",
  reason: null,
  source: "power.draw.instant",
  idleWatts: 50,
  gpu: { name: "NVIDIA GeForce RTX 4090", uuid: null, driver: "570.1", memoryTotalMiB: 24564 },
  vram: vram
    ? { beforeLoadMiB: vram.before, afterLoadMiB: vram.after, afterContextMiB: vram.context, peakMiB: vram.context }
    : null,
});

const GPU = { gpu: "NVIDIA GeForce RTX 4090", runId: "gpu1", ctx: 8192, tg: 100 } as const;
const lfm = { model: "lfm2-8b-a1b", preset: "lfm2-8b-a1b", moe: true, scale: "full" } as const;
const llama = { model: "llama-3.1-8b", preset: "llama-3.1-8b", moe: false, scale: "full" } as const;

function records(): ResultRecord[] {
  return [
    // MoE Q4_K_M tg100: 100 tokens in 1000, 1250, 800 ms → 100, 80, 125 tok/s
    makeRecord({
      ...GPU,
      ...lfm,
      tgPhase: phase(100, [1000, 1250, 800], { windowsEpochMs: WINDOWS, joules: JOULES }),
      telemetry: gpuTelemetry({ before: 500, after: 5300, context: 6000 }),
    }),
    // MoE Q4_K_M pp512: 512 tokens in 250, 256, 244 ms
    makeRecord({ ...GPU, ...lfm, pp: 512, tg: 0, ppPhase: phase(512, [250, 256, 244]), telemetry: gpuTelemetry(null) }),
    // MoE Q8_0: 80 tok/s three times, no VRAM telemetry (estimates)
    makeRecord({
      ...GPU,
      ...lfm,
      quant: "Q8_0",
      tgPhase: phase(100, [1250, 1250, 1250]),
      telemetry: gpuTelemetry(null),
    }),
    // dense Q4_K_M tg100: 2000, 2000, 2500 ms → 50, 50, 40 tok/s
    makeRecord({ ...GPU, ...llama, tgPhase: phase(100, [2000, 2000, 2500]), telemetry: gpuTelemetry(null) }),
    // dense Q4_K_M pp512: 500 ms → 1024 tok/s
    makeRecord({
      ...GPU,
      ...llama,
      pp: 512,
      tg: 0,
      ppPhase: phase(512, [500, 500, 500]),
      telemetry: gpuTelemetry(null),
    }),
    // dense Q8_0: out of memory
    makeRecord({ ...GPU, ...llama, quant: "Q8_0", status: "oom", telemetry: gpuTelemetry(null) }),
    // a second run on the CPU, same models at small scale: unpriced
    makeRecord({
      ...lfm,
      scale: "small",
      runId: "cpu1",
      tg: 100,
      tgPhase: { ...phase(100, [500, 500, 500]), harnessUsPerToken: [14, 9.5, 12.5] },
    }),
    makeRecord({ ...llama, scale: "small", runId: "cpu1", tg: 100, tgPhase: phase(100, [1000, 1000, 1000]) }),
  ];
}

function factsFor(rs: readonly ResultRecord[]): Map<string, ReportFacts> {
  const m = new Map<string, ReportFacts>();
  for (const r of rs) {
    const s = r.model.synthetic!;
    const f = fitFactsFromPlan(planSynth({ preset: s.preset, quant: r.model.quant!, scale: "full" }));
    m.set(r.model.ref, { ...f, ...(s.scale !== "full" ? { fullScaleOf: s.scale } : {}) });
  }
  return m;
}

const OPTIONS: ReportOptions = {
  kwhPriceUsd: 0.15,
  lifetimeHours: 8760,
  cardVramGiB: 12,
  cardName: "RTX 3060 12GB",
  gpuPriceUsd: 300,
};

let recs: ResultRecord[];

beforeAll(() => {
  const dir = mkdtempSync(join(tmpdir(), "moebench-ka-"));
  const file = join(dir, "results.jsonl");
  writeFileSync(
    file,
    `${records()
      .map((r) => JSON.stringify(r))
      .join("\n")}\n`,
  );
  recs = readJsonl(file);
});

/** Built in every test (never in a hook: mutation testing attributes coverage to the test that runs the code). */
const rep = (): Report => buildReport(recs, factsFor(recs), OPTIONS);

const row = (runId: string, label: string, test: string) =>
  rep().rows.find((x) => x.runId === runId && x.model === label && x.testId === test)!;

describe("energy from power samples (the trapezoid the sampler uses)", () => {
  it("joules per window equal the hand integrals", () => {
    const e = WINDOWS.map(([a, b]) => integrateWindow(POWER, a, b).joules);
    expect(e[0]).toBeCloseTo(JOULES[0]!, 9);
    expect(e[1]).toBeCloseTo(JOULES[1]!, 9);
    expect(e[2]).toBeCloseTo(JOULES[2]!, 9);
  });
});

describe("reported figures", () => {
  it("tg mean (95% CI): 101.667 (45.659–157.675) = mean ± t(0.975, 2)·s/√3", () => {
    // mean (100+80+125)/3 = 101.6667; s = 22.5462; 4.302653 × 22.5462 / √3 = 56.0080
    const tg = row("gpu1", "lfm2-8b-a1b Q4_K_M", "tg100").tg!;
    expect(tg.mean).toBeCloseTo(101.66666666666667, 9);
    expect(tg.ciLow).toBeCloseTo(45.65867985322564, 8);
    expect(tg.ciHigh).toBeCloseTo(157.6746534801077, 8);
    expect(tg.n).toBe(3);
    const pp = row("gpu1", "lfm2-8b-a1b Q4_K_M", "pp512").pp!;
    // 2048, 2000, 2098.36 tok/s
    expect(pp.mean).toBeCloseTo(2048.7868852459014, 8);
    expect(pp.ciLow).toBeCloseTo(1926.604450285663, 7);
  });

  it("tok/J gross and net of idle, mean watts", () => {
    const x = row("gpu1", "lfm2-8b-a1b Q4_K_M", "tg100");
    // 300 tokens ÷ 683.0125 J = 0.439231 tok/J
    expect(x.tgTokPerJ!.gross).toBeCloseTo(0.4392306143738218, 12);
    // net: 683.0125 − 50 W × 3.05 s = 530.5125 J → 0.565491 tok/J
    expect(x.tgTokPerJ!.net).toBeCloseTo(0.5654909168021488, 12);
    // 683.0125 J ÷ 3.05 s
    expect(x.tgWatts).toBeCloseTo(223.93852459016395, 9);
  });

  it("cost at a given $300 price: tok/s per $, electricity and hardware $/Mtok", () => {
    const m = rep().models.find((x) => x.runId === "gpu1" && x.model === "lfm2-8b-a1b Q4_K_M")!;
    // 101.6667 ÷ 300
    expect(m.cost.tokPerSecPerDollar).toBeCloseTo(0.3388888888888889, 12);
    // 10^6 ÷ 0.439231 ÷ 3.6×10^6 × 0.15 = 0.094863
    expect(m.cost.electricityPerMTok).toBeCloseTo(0.09486284722222223, 12);
    // 300 ÷ (8760 × 3600 × 101.6667) × 10^6 = 0.093570
    expect(m.cost.hardwarePerMTok).toBeCloseTo(0.0935698779848791, 12);
    expect(m.cost.totalPerMTok).toBeCloseTo(0.09486284722222223 + 0.0935698779848791, 12);
    expect(rep().runs.find((r) => r.runId === "gpu1")!.pricing!.label).toMatch(/\$300 \(given\)/);
  });

  it("cost columns are empty on an unpriced CPU run (a --gpu-price does not apply to a CPU)", () => {
    const cpu = rep().models.filter((m) => m.runId === "cpu1");
    expect(cpu).toHaveLength(2);
    for (const m of cpu)
      expect(m.cost).toEqual({
        tokPerSecPerDollar: null,
        electricityPerMTok: null,
        hardwarePerMTok: null,
        totalPerMTok: null,
      });
    const csv = parse(reportCsv(rep()), { columns: true }) as Record<string, string>[];
    for (const r of csv.filter((c) => c.run_id === "cpu1")) {
      expect(r.tg_tok_s_per_usd).toBe("");
      expect(r.usd_per_mtok).toBe("");
    }
    expect(
      csv.find((c) => c.run_id === "gpu1" && c.model === "lfm2-8b-a1b Q4_K_M" && c.test === "tg100")!.tg_tok_s_per_usd,
    ).toBe(String(101.66666666666667 / 300));
  });

  it("MoE ÷ dense pairs within a run, with the ratio's 95% CI", () => {
    const tg = rep().pairs.filter((p) => p.phase === "tg" && p.runId === "gpu1");
    // Q4_K_M only: the dense Q8_0 failed
    expect(tg.map((p) => p.quant)).toEqual(["Q4_K_M"]);
    // 101.6667 ÷ 46.6667 = 2.178571; delta method, Welch df 2.2612 (SciPy t.ppf)
    expect(tg[0]!.ratio).toBeCloseTo(2.178571428571429, 12);
    expect(tg[0]!.ciLow).toBeCloseTo(1.2371003527735818, 8);
    expect(tg[0]!.ciHigh).toBeCloseTo(3.836530689484345, 8);
    const pp = rep().pairs.find((p) => p.phase === "pp" && p.runId === "gpu1")!;
    // 2048.787 ÷ 1024; the dense side has no spread
    expect(pp.ratio).toBeCloseTo(2048.7868852459014 / 1024, 10);
    // the CPU run pairs its own models only: 200 ÷ 100 tok/s
    const cpu = rep().pairs.filter((p) => p.runId === "cpu1");
    expect(cpu.map((p) => [p.phase, p.ratio])).toEqual([["tg", 2]]);
  });

  it("claims: the 2.18× (1.24–3.84) speed-up straddles 1.4–1.6 → inconclusive; KV and Q8_0 from fit", () => {
    const c = Object.fromEntries(
      rep()
        .claims.find((x) => x.runId === "gpu1")!
        .checks.map((x) => [x.id, x]),
    );
    expect(c["gen-speedup"]!.verdict).toBe("inconclusive");
    expect(c["gen-speedup"]!.measured).toMatch(/^2\.18× \(95% CI 1\.24–3\.84\)/);
    // pp: 2.0008× (the dense side has no spread: CI 1.89–2.12) — wholly outside 0.75–1.25
    expect(c["prefill-gap"]!.verdict).toBe("does not hold");
    expect(c["long-prompt"]!.verdict).toBe("not tested");
    expect(c.batch4!.verdict).toBe("not tested");
    // LFM2-8B-A1B: 6 attention layers × 16384 cells × 8 KV heads × 64 × 2 bytes × (K+V) = 201,326,592 B = 0.1875 GiB
    expect(c.kv16k!.measured).toMatch(/^0\.19 GiB \(0\.20 GB\)/);
    expect(c.kv16k!.verdict).toBe("does not hold");
    expect(c["q8-oom16k"]!.verdict).toBe("does not hold");
    expect(c["q8-oom16k"]!.measured).toMatch(/^fits: /);
  });
});

describe("quant matrix cells", () => {
  const matrix = (family: string, runId = "gpu1") =>
    rep().quantMatrices.find((q) => q.family === family && q.runId === runId)!;

  it("measured VRAM: weights = after load − before load, total = after context − before load", () => {
    const q4 = matrix("lfm2-8b-a1b").rows.find((r) => r.quant === "Q4_K_M")!;
    // (5300 − 500) MiB = 4800 MiB; (6000 − 500) MiB at ctx 8192
    expect(q4.weights).toEqual({ bytes: 4800 * MiB, measured: true });
    expect(matrix("lfm2-8b-a1b").contexts).toEqual([8192, 16384]);
    expect(q4.totals[0]).toEqual({ bytes: 5500 * MiB, measured: true });
    // nothing ran at 16k: fit's estimate, marked as one
    expect(q4.totals[1]!.measured).toBe(false);
  });

  it("estimates equal `moebench fit` for the same configuration (ctx, KV f16, FA off, batch 512, no allowance)", () => {
    const q8 = matrix("lfm2-8b-a1b").rows.find((r) => r.quant === "Q8_0")!;
    const f = fitFactsFromPlan(planSynth({ preset: "lfm2-8b-a1b", quant: "Q8_0", scale: "full" }));
    const want = fit(f, {
      contexts: [8192, 16384],
      kvTypes: ["f16"],
      flashAttention: [false],
      parallel: 1,
      batch: 512,
      vramBytes: null,
      overheadBytes: 0,
    }).rows;
    expect(q8.weights).toEqual({ bytes: want[0]!.weights.device, measured: false });
    expect(q8.totals).toEqual([
      { bytes: want[0]!.total, measured: false },
      { bytes: want[1]!.total, measured: false },
    ]);
    // Llama-3.1-8B (untied output): token_embd stays in host memory, so the GPU holds less than the file
    const lq8 = matrix("llama-3.1-8b").rows.find((r) => r.quant === "Q8_0")!;
    const lf = fitFactsFromPlan(planSynth({ preset: "llama-3.1-8b", quant: "Q8_0", scale: "full" }));
    expect(lq8.weights!.bytes).toBe(lf.tensorBytes - lf.tokEmbdBytes);
  });

  it("tok/s gen from the tg record of this configuration; a failure shows as the failure", () => {
    const llamaQm = matrix("llama-3.1-8b");
    expect(llamaQm.genContexts).toEqual([8192]);
    const q4 = llamaQm.rows.find((r) => r.quant === "Q4_K_M")!.gen[0]!;
    // 50, 50, 40 tok/s: mean 46.667, 95% CI 32.324–61.009
    expect("summary" in q4 && q4.summary.mean).toBeCloseTo(46.666666666666664, 9);
    expect("summary" in q4 && q4.summary.ciLow).toBeCloseTo(32.32449090083512, 8);
    expect(llamaQm.rows.find((r) => r.quant === "Q8_0")!.gen[0]).toEqual({ failed: "oom" });
    // the small-scale CPU run: VRAM is the full-size model's estimate, never a measurement
    const small = matrix("lfm2-8b-a1b (small)", "cpu1");
    expect(small).toBeUndefined(); // one quant only in that run: no matrix
  });
});

describe("exporters show the same numbers, labelled", () => {
  it("Markdown: mean (95% CI) headers, run column, GiB, ≈ for estimates, failures bold", () => {
    const md = reportMarkdown(rep());
    expect(md).toContain("tg tok/s, mean (95% CI)");
    expect(md).toContain("101.7 (45.7–157.7)");
    expect(md).toContain("| run ");
    expect(md).toMatch(/\s4\.69 \|/); // 4800 MiB measured, unmarked
    expect(md).toMatch(/\s5\.37 \|/); // 5500 MiB measured
    expect(md).toMatch(/≈\d+\.\d\d/);
    expect(md).toContain("**oom**");
    expect(md).toContain("2.179× (1.237–3.837)");
    expect(md).toContain("GPU: NVIDIA GeForce RTX 4090 (cuda)");
    expect(md).toContain("small-scale synthetic models");
    expect(md).not.toMatch(/median/i);
    expect(md).not.toMatch(/not read yet|real shapes|benchmark like the real/);
    expect(md).not.toContain("MOCK");
  });

  it("CSV: one row per record with the mean, its CI and energy", () => {
    const csv = parse(reportCsv(rep()), { columns: true }) as Record<string, string>[];
    expect(csv).toHaveLength(8);
    const r = csv.find((c) => c.run_id === "gpu1" && c.model === "lfm2-8b-a1b Q4_K_M" && c.test === "tg100")!;
    expect(Number(r.tg_tok_s_mean)).toBeCloseTo(101.66666666666667, 9);
    expect(Number(r.tg_tok_s_ci95_low)).toBeCloseTo(45.65867985322564, 8);
    expect(Number(r.tg_tok_per_j)).toBeCloseTo(0.4392306143738218, 12);
    expect(Number(r.tg_tok_per_j_net)).toBeCloseTo(0.5654909168021488, 12);
    expect(Number(r.usd_per_mtok)).toBeCloseTo(0.09486284722222223 + 0.0935698779848791, 12);
    expect(r.tg_ci_method).toBe("t");
    expect(r.scale).toBe("full");
    expect(csv.find((c) => c.quant === "Q8_0" && c.model?.startsWith("llama"))!.status).toBe("oom");
    // the harness's µs per token: the median of the record's repetitions (14, 9.5, 12.5), blank where unknown
    const cpu = (model: string) => csv.find((c) => c.run_id === "cpu1" && c.model?.startsWith(model))!;
    expect(cpu("lfm2").tg_harness_us_per_token).toBe("12.5");
    expect(cpu("llama").tg_harness_us_per_token).toBe("");
    expect(r.tg_harness_us_per_token).toBe("");
  });

  it("JSON and HTML carry the same figures; charts are captioned with what ran", () => {
    const j = JSON.parse(reportJson(rep())) as { rows: { tg: { mean: number } | null; key: string }[] };
    expect(j.rows).toHaveLength(8);
    expect(j.rows[0]!.tg!.mean).toBeCloseTo(101.66666666666667, 9);
    const html = reportHtml(rep(), []);
    expect(html).toContain("101.7 (45.7–157.7)");
    expect(html).toContain('<table id="moe-pairs-tg">');
    expect(html).not.toContain("mock-banner");
    const cs = charts(rep());
    expect(cs.map((c) => c.id)).toContain("moe-ratio-quant");
    for (const c of cs.filter((x) => x.id !== "vram")) {
      const sub = (c.spec as { title: { subtitle: string } }).title.subtitle;
      expect(sub, c.id).toContain("GPU: NVIDIA GeForce RTX 4090 (cuda)");
      expect(sub, c.id).toContain("CPU: Test CPU × 2 cores, 1 thread");
      expect(sub, c.id).toContain("small-scale synthetic models");
    }
  });
});

describe("the VRAM chart and the quant matrix use one VRAM model (fit)", () => {
  it("the chart's stacked parts add up to fit's total", () => {
    const pts = rep().vram!.points.filter((p) => p.model === "lfm2-8b-a1b Q4_K_M" && p.ctx === 16384);
    const f = fitFactsFromPlan(planSynth({ preset: "lfm2-8b-a1b", quant: "Q4_K_M", scale: "full" }));
    const want = fit(f, {
      contexts: [16384],
      kvTypes: ["f16"],
      flashAttention: [false],
      parallel: 1,
      batch: 512,
      vramBytes: null,
      overheadBytes: 0,
    }).rows[0]!;
    expect(pts.reduce((s, p) => s + p.gib, 0) * GiB).toBeCloseTo(want.total, 0);
  });
});
