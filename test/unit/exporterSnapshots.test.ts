/**
 * Whole outputs as snapshots, on hand-made runs whose figures the known-answer and exporter tests check:
 * a changed label, column, caption or chart encoding shows up in review (reviewed by eye when written).
 */
import { describe, it, expect } from "vitest";
import { buildReport, type ReportOptions } from "../../src/analysis/buildReport.js";
import { compare } from "../../src/analysis/compare.js";
import type { ReportFacts } from "../../src/analysis/quantMatrix.js";
import { charts } from "../../src/export/charts.js";
import { compareHtml, compareMarkdown, ratioChart } from "../../src/export/compareReport.js";
import { mdTable } from "../../src/export/markdown.js";
import { reportCsv } from "../../src/export/csv.js";
import { reportHtml } from "../../src/export/html.js";
import { renderSvg, svgToPng } from "../../src/export/render.js";
import { reportMarkdown } from "../../src/export/reportMarkdown.js";
import { fitFactsFromPlan } from "../../src/gguf/fitFacts.js";
import { planSynth } from "../../src/gguf/synth/synthesize.js";
import type { ResultRecord } from "../../src/results/schema.js";
import { makeRecord, phase, type RecordSpec } from "./makeRecord.js";

const at = (tokens: number, rates: number[]) =>
  phase(
    tokens,
    rates.map((r) => (tokens / r) * 1000),
  );
const OPTS: ReportOptions = { kwhPriceUsd: 0.15, lifetimeHours: 8760, cardVramGiB: 12, cardName: "RTX 3060 12GB" };
const GPU = "NVIDIA GeForce RTX 4090";
const tel = (idle: number): ResultRecord["telemetry"] => ({
  status: "ok",
  reason: null,
  idleWatts: idle,
  gpu: { name: GPU, uuid: null, driver: "570.1", memoryTotalMiB: 24564 },
  vram: { beforeLoadMiB: 500, afterLoadMiB: 5300, afterContextMiB: 6000, peakMiB: 6100 },
});
const moe = (s: RecordSpec) =>
  makeRecord({ model: "lfm2-8b-a1b", preset: "lfm2-8b-a1b", moe: true, gpu: GPU, telemetry: tel(50), ...s });
const dense = (s: RecordSpec) =>
  makeRecord({ model: "llama-3.1-8b", preset: "llama-3.1-8b", gpu: GPU, telemetry: tel(50), ...s });
const energy = (tokens: number, rates: number[], joules: number) =>
  phase(
    tokens,
    rates.map((r) => (tokens / r) * 1000),
    { joules: rates.map(() => joules) },
  );

function records(): ResultRecord[] {
  return [
    moe({ tgPhase: energy(128, [150, 152, 148], 2) }),
    dense({ tgPhase: energy(128, [100, 101, 99], 3) }),
    moe({ quant: "Q8_0", tgPhase: energy(128, [120, 121, 119], 2.5) }),
    dense({ quant: "Q8_0", status: "oom" }),
    moe({ pp: 512, tg: 0, ppPhase: at(512, [1000, 1010, 990]) }),
    dense({ pp: 512, tg: 0, ppPhase: at(512, [1100, 1110, 1090]) }),
    moe({ pp: 512, tg: 0, depth: 4096, testId: "pp512@d4096", ppPhase: at(512, [800, 810, 790]) }),
    dense({ pp: 512, tg: 0, depth: 4096, testId: "pp512@d4096", ppPhase: at(512, [1000, 1010, 990]) }),
    moe({ parallel: 4, testId: "tg128×4seq", parallelPhase: at(512, [300, 301, 299]) }),
    dense({ parallel: 4, testId: "tg128×4seq", parallelPhase: at(512, [250, 251, 249]) }),
    // a second run on the CPU
    moe({ runId: "cpu", gpu: undefined, scale: "small", telemetry: { status: "unavailable", reason: "cpu" } }),
    dense({ runId: "cpu", gpu: undefined, scale: "small", telemetry: { status: "unavailable", reason: "cpu" } }),
  ];
}

function facts(): Map<string, ReportFacts> {
  const m = new Map<string, ReportFacts>();
  for (const r of records()) {
    const s = r.model.synthetic!;
    const f = fitFactsFromPlan(planSynth({ preset: s.preset, quant: r.model.quant!, scale: "full" }));
    m.set(r.model.ref, { ...f, ...(s.scale !== "full" ? { fullScaleOf: s.scale } : {}) });
  }
  return m;
}

const report = () => buildReport(records(), facts(), OPTS);

describe("whole outputs", () => {
  it("Markdown of a priced GPU run with energy and a CPU run", () => {
    expect(reportMarkdown(report())).toMatchSnapshot();
  });
  it("CSV", () => {
    expect(reportCsv(report())).toMatchSnapshot();
  });
  it("HTML (without the stylesheet)", () => {
    const html = reportHtml(report(), [{ id: "c", title: "C", svg: "<svg/>" }]);
    expect(html.replace(/<style>[\s\S]*?<\/style>/, "<style/>")).toMatchSnapshot();
  });
  it("every chart's vega-lite spec", () => {
    for (const c of charts(report())) expect({ id: c.id, title: c.title, spec: c.spec }).toMatchSnapshot(c.id);
  });
  it("the compare page and its ratio chart", () => {
    const base = records().filter((r) => r.runId === "run1");
    const cand = base.map((r) => ({ ...r, runId: "c" }));
    const c = compare(base, cand, { threshold: 0.03, alpha: 0.05 });
    const html = compareHtml(c, { threshold: 0.03, alpha: 0.05 }, "<svg/>");
    expect(html.replace(/<style>[\s\S]*?<\/style>/, "<style/>")).toMatchSnapshot();
    expect(ratioChart(c, 0.03)).toMatchSnapshot();
  });
});

describe("rendering", () => {
  it("a chart renders to SVG with its title, and to PNG", async () => {
    const chart = charts(report()).find((c) => c.id === "tg-by-quant")!;
    const svg = await renderSvg(chart.spec);
    expect(svg.startsWith("<svg")).toBe(true);
    expect(svg).toContain("Generation (tg) tok/s by quant, mean (95% CI)");
    const png = svgToPng(svg);
    expect([...png.subarray(0, 8)]).toEqual([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
    // the default scale is 2: the PNG is twice the SVG's width
    const width = Number(/width="(\d+)"/.exec(svg)![1]);
    expect(png.readUInt32BE(16)).toBe(width * 2);
    expect(svgToPng(svg, 1).readUInt32BE(16)).toBe(width);
  });
});

describe("more whole outputs", () => {
  it("a compare with every kind of row, warnings, pooling and an ignored field", () => {
    const rec = (s: RecordSpec) => makeRecord({ telemetry: { status: "unavailable", reason: "cpu" }, ...s });
    const base = [
      rec({ model: "a", tgPhase: at(1000, [100, 100.5, 99.5]) }),
      rec({ model: "a", runId: "r2", tgPhase: at(1000, [100, 100.2, 99.8]) }),
      rec({ model: "b", tgPhase: at(1000, [100, 100.5, 99.5]) }),
      rec({ model: "c", status: "oom" }),
      rec({ model: "d", tgPhase: at(1000, [100, 100.5, 99.5]) }),
    ];
    const cand = [
      rec({ model: "a", tgPhase: at(1000, [10, 100]) }),
      rec({ model: "c", tgPhase: at(1000, [100, 100.5, 99.5]) }),
      rec({ model: "d", tgPhase: at(1000, [100, 100.5, 99.5]) }),
      rec({ model: "e" }),
    ];
    cand[2]!.env = { ...cand[2]!.env, cpu: "Other CPU" };
    const o = { threshold: 0.03, alpha: 0.05 };
    const c = compare(base, cand, { ...o, pool: true, ignore: ["gpu"] });
    expect(compareMarkdown(c, o)).toMatchSnapshot();
    expect(compareHtml(c, o, null).replace(/<style>[\s\S]*?<\/style>/, "<style/>")).toMatchSnapshot();
    // the chart only draws rows with a ratio and a CI
    const spec = ratioChart(c, 0.03) as unknown as { data: { values: { name: string }[] } };
    expect(spec.data.values.map((v) => v.name)).toEqual(["a Q4_K_M · tg tok/s", "d Q4_K_M · tg tok/s"]);
  });

  it("a small-scale mock run with warnings and no MoE/dense pair", () => {
    const rec = { ...makeRecord({ model: "llama-3.1-8b", preset: "llama-3.1-8b", scale: "small", backend: "mock" }) };
    rec.warnings = ["threads = cores"];
    const q8 = makeRecord({
      model: "llama-3.1-8b",
      preset: "llama-3.1-8b",
      scale: "small",
      backend: "mock",
      quant: "Q8_0",
    });
    const f = new Map<string, ReportFacts>();
    for (const q of ["Q4_K_M", "Q8_0"])
      f.set(`llama-3.1-8b:${q}:small`, {
        ...fitFactsFromPlan(planSynth({ preset: "llama-3.1-8b", quant: q, scale: "full" })),
        fullScaleOf: "small",
      });
    expect(reportMarkdown(buildReport([rec, q8], f, OPTS))).toMatchSnapshot();
  });

  it("Markdown tables guess right alignment only when every cell of a column is a number", () => {
    // the delimiter row's colon says the alignment: "| --: |" right, "| :-- |" left
    const align = (rows: (string | number)[][]) => (mdTable(["a"], rows).split("\n")[1]!.endsWith(": |") ? "r" : "l");
    expect(align([[1], ["2.5"], ["1,024 ±3%"], ["2×"], ["-1"], [""]])).toBe("r");
    expect(align([[1], ["x"]])).toBe("l");
    expect(align([["x1.5"]])).toBe("l");
    expect(align([["1.5x"]])).toBe("l");
    expect(align([["a 1"]])).toBe("l");
  });
});
