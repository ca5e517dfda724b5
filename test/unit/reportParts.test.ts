/** The parts of a report that say what ran, and the charts that exist only when their data do. */
import { describe, it, expect } from "vitest";
import { buildReport, type ReportOptions } from "../../src/analysis/buildReport.js";
import { hardwareText, runInfos, scaleText } from "../../src/analysis/runInfo.js";
import { charts } from "../../src/export/charts.js";
import { reportHtml } from "../../src/export/html.js";
import {
  chartCaption,
  matrixHeading,
  methodNotes,
  runLine,
  scaleNotes,
  subtitle,
} from "../../src/export/reportText.js";
import type { ReportFacts } from "../../src/analysis/quantMatrix.js";
import { fitFactsFromPlan } from "../../src/gguf/fitFacts.js";
import { fitRow } from "../../src/gguf/fit.js";
import { planSynth } from "../../src/gguf/synth/synthesize.js";
import type { ResultRecord } from "../../src/results/schema.js";
import { makeRecord, phase, type RecordSpec } from "./makeRecord.js";

const OPTS: ReportOptions = { kwhPriceUsd: 0.15, lifetimeHours: 8760, cardVramGiB: 12, cardName: "RTX 3060 12GB" };
const at = (tokens: number, rates: number[]) =>
  phase(
    tokens,
    rates.map((r) => (tokens / r) * 1000),
  );
const moe = (s: RecordSpec) => makeRecord({ model: "lfm2-8b-a1b", preset: "lfm2-8b-a1b", moe: true, ...s });
const dense = (s: RecordSpec) => makeRecord({ model: "llama-3.1-8b", preset: "llama-3.1-8b", ...s });
const subtitleOf = (c: { spec: unknown }) => (c.spec as { title: { subtitle: string } }).title.subtitle;
type Values<T> = { data: { values: T[] } };

describe("what ran, in words", () => {
  it("hardware and scale", () => {
    const [gpu] = runInfos([makeRecord({ gpu: "NVIDIA GeForce RTX 4090" })], {});
    expect(hardwareText(gpu!)).toBe("GPU: NVIDIA GeForce RTX 4090 (cuda)");
    const [cpu] = runInfos([makeRecord({ threads: 1 }), makeRecord({ threads: 2, tg: 64 })], {});
    expect(hardwareText(cpu!)).toBe("CPU: Test CPU × 2 cores, 1/2 threads");
    const [remote] = runInfos([makeRecord({ backend: "http:ollama" })], {});
    expect(hardwareText(remote!)).toBe("remote server (http:ollama)");
    const [served] = runInfos([makeRecord({ backend: "http:llama-server", gpu: "L4" })], {});
    expect(served!.device).toEqual({ kind: "gpu", name: "L4", backend: "http:llama-server" });
    expect(scaleText(["small", "tiny"])).toBe("small-scale synthetic models + tiny-scale synthetic models");
    expect(scaleText(["full", "real"])).toBe("full-size synthetic models + real model files");
    expect(scaleText(["huge"])).toBe("huge-scale synthetic models");
  });

  it("a run line: scale, hardware, counts and failures by status, the build", () => {
    const [run] = runInfos(
      [
        makeRecord({ scale: "small", preset: "p" }),
        makeRecord({ status: "oom" }),
        makeRecord({ status: "oom" }),
        makeRecord({ status: "crash" }),
      ],
      {},
    );
    expect(runLine(run!)).toBe(
      "run `run1` (suite s): small-scale synthetic models + real model files · CPU: Test CPU × 2 cores, 1 thread · " +
        "4 instances, 3 failed (oom 2, crash 1) · llama.cpp b1 (abc), node-llama-cpp 3.22.1",
    );
    expect(run!.synthetic).toBe(true);
    expect(run!.scales).toEqual(["small", "real"]);
  });

  it("subtitle, scale notes and method notes follow the runs", () => {
    const two = buildReport(
      [moe({ scale: "full", gpu: "NVIDIA H100 80GB HBM3" }), dense({ runId: "b", scale: "tiny" })],
      new Map(),
      OPTS,
    );
    expect(two.multiRun).toBe(true);
    expect(subtitle(two)).toBe(
      "MoE vs dense GGUF models on llama.cpp: full-size synthetic models on GPU: NVIDIA H100 80GB HBM3 (cuda); " +
        "tiny-scale synthetic models on CPU: Test CPU × 2 cores, 1 thread · 2026-01-01",
    );
    const notes = scaleNotes(two);
    expect(notes).toHaveLength(2);
    expect(notes[0]).toMatch(/^Tiny-scale synthetic models keep the structure only/);
    expect(notes[1]).toMatch(/^Full-size synthetic models have the real models' tensor names/);
    expect(scaleNotes(buildReport([makeRecord({})], new Map(), OPTS))).toEqual([]);
    const m = methodNotes(two);
    expect(m).toContain(
      "run run1: price used: H100 80GB: $3.9492/hour (rental, 2026-05-07; modal.com/pricing list price, as " +
        "compiled on techbytes.app/posts/serverless-gpu-pricing-matrix); electricity $0.15/kWh; purchases " +
        "amortised over 8760 h.",
    );
    expect(m).toContain(
      "run b: no price applies (no priced GPU ran, and no --cpu-price was given): cost columns are left out; " +
        "electricity $0.15/kWh; purchases amortised over 8760 h.",
    );
    expect(m.some((n) => n.startsWith("No GPU power telemetry"))).toBe(true);
    expect(chartCaption(two)).toBe(
      "GPU: NVIDIA H100 80GB HBM3 (cuda) · full-size synthetic models; CPU: Test CPU × 2 cores, 1 thread · " +
        "tiny-scale synthetic models",
    );
  });

  it("an unpriced GPU is a warning naming the flag; the matrix heading names run and configuration", () => {
    const r = buildReport([dense({ gpu: "Some GPU" }), dense({ gpu: "Some GPU", quant: "Q8_0" })], new Map(), OPTS);
    expect(r.warnings).toEqual(["no price known for Some GPU: pass --gpu-price (USD) for cost figures"]);
    expect(matrixHeading(r.quantMatrices[0]!, false)).toBe(
      "llama-3.1-8b · KV f16/f16 · FA off · 1 thread · GPU layers all · batch 512 · ubatch 512 · tg decode · Some GPU",
    );
    expect(matrixHeading(r.quantMatrices[0]!, true)).toMatch(/^llama-3\.1-8b · run run1 · KV/);
  });

  it("the HTML environment block and the small-scale note", () => {
    const warned = { ...moe({ scale: "small" }), warnings: ["threads = cores: <generation> slows down"] };
    const r = buildReport([warned, moe({ scale: "small", quant: "Q8_0", status: "oom" })], new Map(), OPTS);
    const html = reportHtml(r, []);
    expect(html).toContain("<dt>run</dt><dd>run1 (suite s), 2 instances, <strong>1 failed</strong></dd>");
    expect(html).toContain("<dt>models</dt><dd>small-scale synthetic models</dd>");
    expect(html).toContain("<dt>ran on</dt><dd>CPU: Test CPU × 2 cores, 1 thread</dd>");
    expect(html).toContain("<dt>llama.cpp</dt><dd>b1 (commit abc)\n via node-llama-cpp 3.22.1</dd>");
    expect(html).toContain("<dt>host</dt><dd>Test CPU × 2, linux, Node v20, moebench 0</dd>");
    expect(html).toContain('<p class="caveat">Small-scale synthetic models keep');
    expect(html).toContain("<h2>Quant matrix: lfm2-8b-a1b (small)");
    expect(html).toContain(
      '<h2>Warnings</h2><div class="warn"><ul><li>threads = cores: &lt;generation&gt; slows down</li>',
    );
  });
});

describe("charts exist when their data do", () => {
  const facts = new Map<string, ReportFacts>([
    ["llama-3.1-8b:Q4_K_M", fitFactsFromPlan(planSynth({ preset: "llama-3.1-8b", quant: "Q4_K_M", scale: "full" }))],
  ]);
  const recs: ResultRecord[] = [
    moe({ pp: 512, tg: 0, ppPhase: at(512, [1000, 1000]) }),
    dense({ pp: 512, tg: 0, ppPhase: at(512, [500, 500]) }),
    moe({ pp: 512, tg: 0, depth: 4096, testId: "pp512@d4096", ppPhase: at(512, [800, 800]) }),
    dense({ pp: 512, tg: 0, depth: 4096, testId: "pp512@d4096", ppPhase: at(512, [500, 500]) }),
    moe({ tgPhase: at(128, [100, 100]) }),
    dense({ tgPhase: at(128, [50, 50]) }),
    moe({ parallel: 4, testId: "tg128×4seq", parallelPhase: at(512, [150, 150]) }),
    dense({ parallel: 4, testId: "tg128×4seq", parallelPhase: at(512, [100, 100]) }),
  ];
  // built in each test, never shared: mutation testing attributes coverage to the test that runs the code
  const chartsById = () => Object.fromEntries(charts(buildReport(recs, facts, OPTS)).map((c) => [c.id, c]));

  it("the set of charts", () => {
    expect(Object.keys(chartsById())).toEqual([
      "moe-ratio-quant",
      "moe-ratio-depth",
      "moe-ratio-parallel",
      "tg-by-quant",
      "pp-by-quant",
      "depth",
      "parallel",
      "vram",
    ]);
    for (const c of Object.values(chartsById()).filter((x) => x.id !== "vram"))
      expect(subtitleOf(c)).toBe("CPU: Test CPU × 2 cores, 1 thread · full-size synthetic models");
  });
  it("ratio by depth and by parallel sequences: the quant in the series, the ratio and its bounds", () => {
    const depth = (
      chartsById()["moe-ratio-depth"]!.spec as unknown as Values<{
        series: string;
        depth: number;
        ratio: number;
        lo: number;
      }>
    ).data.values;
    expect(depth.map((v) => [v.series, v.depth, v.ratio, v.lo])).toEqual([
      ["lfm2-8b-a1b ÷ llama-3.1-8b Q4_K_M · pp", 0, 2, 2],
      ["lfm2-8b-a1b ÷ llama-3.1-8b Q4_K_M · pp", 4096, 1.6, 1.6],
      ["lfm2-8b-a1b ÷ llama-3.1-8b Q4_K_M · tg", 0, 2, 2],
    ]);
    const par = (chartsById()["moe-ratio-parallel"]!.spec as unknown as Values<{ parallel: number; ratio: number }>)
      .data.values;
    expect(par.map((v) => [v.parallel, v.ratio])).toEqual([
      [1, 2],
      [4, 1.5],
    ]);
  });
  it("depth and parallel charts: mean tok/s per model and quant", () => {
    const d = (
      chartsById().depth!.spec as unknown as Values<{ series: string; phase: string; depth: number; mean: number }>
    ).data.values;
    expect(d.filter((v) => v.series === "lfm2-8b-a1b Q4_K_M").map((v) => [v.phase, v.depth, v.mean])).toEqual([
      ["prefill (pp)", 0, 1000],
      ["prefill (pp)", 4096, 800],
      ["generation (tg)", 0, 100],
    ]);
    const p = (chartsById().parallel!.spec as unknown as Values<{ series: string; parallel: number; mean: number }>)
      .data.values;
    expect(p.map((v) => [v.series, v.parallel, v.mean])).toEqual([
      ["lfm2-8b-a1b Q4_K_M", 1, 100],
      ["llama-3.1-8b Q4_K_M", 1, 50],
      ["lfm2-8b-a1b Q4_K_M", 4, 150],
      ["llama-3.1-8b Q4_K_M", 4, 100],
    ]);
  });
  it("the VRAM chart: fit's parts at 4k–32k for the model with facts, the card's line, said to be an estimate", () => {
    const spec = chartsById().vram!.spec as unknown as Values<{
      model: string;
      ctx: string;
      part: string;
      gib: number;
    }> & {
      title: { subtitle: string[] };
      spec: { layer: { encoding: { y: { datum?: number } } }[] };
    };
    expect(spec.title.subtitle).toEqual([
      "moebench fit estimate (full-size models), KV f16, flash attention off,",
      "without the GPU runtime's own allowance; line: RTX 3060 12GB (12 GiB)",
    ]);
    expect(spec.spec.layer[1]!.encoding.y.datum).toBe(12);
    expect(new Set(spec.data.values.map((v) => v.ctx))).toEqual(new Set(["4k", "8k", "16k", "32k"]));
    expect(new Set(spec.data.values.map((v) => v.model))).toEqual(new Set(["llama-3.1-8b Q4_K_M"]));
    // Llama-3.1-8B: 32 layers × 8 KV heads × 128 × 2 B × 2 (K, V) per cell = 131072 B; 4096 cells = 0.5 GiB
    const kv4k = spec.data.values.find((v) => v.ctx === "4k" && v.part === "KV cache + state")!;
    expect(kv4k.gib).toBe(0.5);
  });
  it("serving and energy charts from serving records and tok/J", () => {
    const served = makeRecord({ tgPhase: at(128, [50, 50]) });
    served.serving = {
      kind: "llama-server",
      url: "http://x",
      concurrency: 2,
      requests: 4,
      ok: 4,
      failed: 0,
      wallMs: 1000,
      aggregateTokPerSec: 120,
      ttftMs: { p50: 10, p90: 20, p99: 30 },
      itlMs: null,
      e2eMs: null,
      outputTokPerSec: null,
      serverPromptTokPerSec: null,
      serverGenTokPerSec: null,
      promptTokens: 128,
      errors: [],
    };
    const energy = makeRecord({ tgPhase: phase(100, [1000, 1000], { joules: [50, 50] }) });
    const r2 = buildReport([served, energy], new Map(), OPTS);
    const ids = charts(r2).map((c) => c.id);
    expect(ids).toEqual(expect.arrayContaining(["serving-throughput", "serving-ttft", "efficiency"]));
    const eff = charts(r2).find((c) => c.id === "efficiency")!.spec as unknown as Values<{ mean: number; tpj: number }>;
    // 100 tok/s; 200 tokens ÷ 100 J = 2 tok/J
    expect(eff.data.values).toEqual([expect.objectContaining({ mean: 100, tpj: 2 })]);
    const thr = charts(r2).find((c) => c.id === "serving-throughput")!.spec as unknown as Values<{
      c: number;
      tps: number;
      ttft99: number;
    }>;
    expect(thr.data.values).toEqual([{ model: "m Q4_K_M", c: 2, tps: 120, ttft99: 30 }]);
  });
});

describe("buildReport: the models table and the VRAM series", () => {
  it("a model's row takes its plain pp and tg (depth 0, one sequence), never pp+tg, depth or parallel ones", () => {
    const recs = [
      dense({ pp: 512, tg: 128, ppPhase: at(512, [9, 9]), tgPhase: at(128, [9, 9]) }),
      dense({ pp: 512, tg: 0, depth: 4096, testId: "pp512@d4096", ppPhase: at(512, [8, 8]) }),
      dense({ depth: 4096, testId: "tg128@d4096", tgPhase: at(128, [8, 8]) }),
      dense({ parallel: 4, testId: "tg128×4seq", parallelPhase: at(512, [7, 7]) }),
      dense({ pp: 512, tg: 0, status: "oom" }),
      dense({ pp: 512, tg: 0, ppPhase: at(512, [1000, 1000]) }),
      dense({ tgPhase: at(128, [50, 50]) }),
    ];
    const r = buildReport(recs, new Map(), OPTS);
    expect(r.models).toHaveLength(1);
    expect(r.models[0]).toMatchObject({ model: "llama-3.1-8b Q4_K_M", arch: "llama", isMoe: false, quant: "Q4_K_M" });
    expect(r.models[0]!.pp!.mean).toBe(1000);
    expect(r.models[0]!.tg!.mean).toBe(50);
    expect(r.models[0]!.config.test).toBe("tg128");
    // only failed and non-plain instances: no numbers
    const none = buildReport(recs.slice(0, 5), new Map(), OPTS).models[0]!;
    expect([none.pp, none.tg, none.tokPerJ]).toEqual([null, null, null]);
    expect(none.cost.totalPerMTok).toBeNull();
    // MoE first, then quant order, then name
    const order = buildReport([dense({ quant: "Q8_0" }), moe({}), dense({}), moe({ quant: "Q8_0" })], new Map(), OPTS);
    expect(order.models.map((m) => m.model)).toEqual([
      "lfm2-8b-a1b Q8_0",
      "lfm2-8b-a1b Q4_K_M",
      "llama-3.1-8b Q8_0",
      "llama-3.1-8b Q4_K_M",
    ]);
    const noArch = makeRecord({});
    noArch.model = { ...noArch.model, arch: null };
    expect(buildReport([noArch], new Map(), OPTS).models[0]!.arch).toBe("?");
  });

  it("the VRAM series: per family the quant nearest Q4_K_M, full size when the run was smaller; mixed KV → f16", () => {
    const f = (q: string) => fitFactsFromPlan(planSynth({ preset: "llama-3.1-8b", quant: q, scale: "full" }));
    const facts = new Map<string, ReportFacts>([
      ["llama-3.1-8b:Q8_0:small", { ...f("Q8_0"), fullScaleOf: "small" }],
      ["llama-3.1-8b:Q3_K_M:small", { ...f("Q3_K_M"), fullScaleOf: "small" }],
      ["llama-3.1-8b:Q2_K:small", { ...f("Q2_K"), fullScaleOf: "small" }],
    ]);
    const recs = ["Q8_0", "Q2_K", "Q3_K_M"].map((quant) => dense({ quant, scale: "small", kv: "q8_0" }));
    recs[0]!.params = { ...recs[0]!.params, kvV: "q4_0" };
    recs[1]!.params = { ...recs[1]!.params, kvV: "q4_0" };
    recs[2]!.params = { ...recs[2]!.params, kvV: "q4_0" };
    const v = buildReport(recs, facts, OPTS).vram!;
    // Q3_K_M is 5 places from Q4_K_M in the quant order, Q8_0 6, Q2_K 7
    expect(new Set(v.points.map((p) => p.model))).toEqual(new Set(["llama-3.1-8b (full size) Q3_K_M"]));
    expect(v.kv).toBe("f16");
    const want = fitRow(f("Q3_K_M"), 8192, "f16", false, {
      parallel: 1,
      batch: 512,
      vramBytes: null,
      overheadBytes: 0,
    });
    const at8k = v.points.filter((p) => p.ctx === 8192);
    expect(at8k.map((p) => [p.part, p.gib * 1024 ** 3])).toEqual([
      ["weights", want.weights.device],
      ["KV cache + state", want.kvCache.device + want.recurrentState.device],
      ["compute buffer", want.compute.device],
    ]);
    // a configuration fit refuses (quantized V without flash attention): no series at all
    const refused = dense({ quant: "Q8_0", scale: "small", kv: "q4_0" });
    expect(buildReport([refused], facts, OPTS).vram).toBeNull();
    expect(buildReport([dense({})], new Map(), OPTS).vram).toBeNull();
  });

  it("telemetry and mock are report-wide flags", () => {
    const tel = dense({ telemetry: { status: "ok", reason: null } });
    expect(buildReport([dense({}), tel], new Map(), OPTS).anyTelemetry).toBe(true);
    expect(buildReport([dense({})], new Map(), OPTS).anyTelemetry).toBe(false);
    expect(buildReport([dense({}), dense({ runId: "m", backend: "mock" })], new Map(), OPTS).mock).toBe(true);
    expect(buildReport([dense({})], new Map(), OPTS).mock).toBe(false);
  });
});
