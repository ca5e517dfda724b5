/**
 * Exporters on hand-made records: formats of every number (hand-checked), the structure of each output, and
 * Markdown snapshots (reviewed by eye once, as hyperfine snapshot-tests its exporters) so that any change of
 * wording or layout shows up in review.
 */
import { describe, it, expect } from "vitest";
import { parse } from "csv-parse/sync";
import { buildReport, type ReportOptions } from "../../src/analysis/buildReport.js";
import { compare } from "../../src/analysis/compare.js";
import { charts } from "../../src/export/charts.js";
import { compareHtml, compareJson, compareMarkdown, ratioChart } from "../../src/export/compareReport.js";
import { reportCsv } from "../../src/export/csv.js";
import { fixed, gib, meanCi, paramsText, pctChange, ratioCiText, statusCell } from "../../src/export/format.js";
import { esc, htmlTable, inline, reportHtml } from "../../src/export/html.js";
import { mdTable } from "../../src/export/markdown.js";
import { reportJson } from "../../src/export/reportJson.js";
import { moeVsDenseMarkdown, reportMarkdown } from "../../src/export/reportMarkdown.js";
import { summaryTable } from "../../src/export/summaryTable.js";
import { summarize } from "../../src/util/stats.js";
import type { ResultRecord } from "../../src/results/schema.js";
import { makeRecord, phase } from "./makeRecord.js";

const at = (tokens: number, rates: number[]) =>
  phase(
    tokens,
    rates.map((r) => (tokens / r) * 1000),
  );
const OPTS: ReportOptions = { kwhPriceUsd: 0.15, lifetimeHours: 8760, cardVramGiB: 12, cardName: "RTX 3060 12GB" };

function records(backend = "cpu"): ResultRecord[] {
  const m = { model: "lfm2-8b-a1b", preset: "lfm2-8b-a1b", moe: true, scale: "small", backend } as const;
  const d = { model: "llama-3.1-8b", preset: "llama-3.1-8b", moe: false, scale: "small", backend } as const;
  return [
    makeRecord({ ...m, tg: 100, tgPhase: at(100, [200, 210, 190]) }),
    makeRecord({ ...m, quant: "Q8_0", tg: 100, tgPhase: at(100, [150, 150, 150]) }),
    makeRecord({ ...d, tg: 100, tgPhase: at(100, [100, 105, 95]) }),
    makeRecord({ ...d, quant: "Q8_0", tg: 100, status: "oom" }),
  ];
}

describe("formats", () => {
  it("mean (95% CI) with digits by magnitude, noisy marked, never a negative bound", () => {
    expect(meanCi(summarize([100, 102, 98, 101, 99]))).toBe("100.0 (98.0–102.0)");
    expect(meanCi(summarize([10, 10.2, 9.8]))).toBe("10.00 (9.50–10.50)");
    expect(meanCi(summarize([0.5, 0.51, 0.49]))).toBe("0.500 (0.475–0.525)");
    expect(meanCi(summarize([1, 1]))).toBe("1.00 (1.00–1.00)");
    expect(meanCi(summarize([10, 100]))).toBe("55.00 (0.00–626.78) noisy");
    expect(meanCi(summarize([42]))).toBe("42.00 (0.00–∞) noisy");
    expect(meanCi({ ...summarize([100, 102, 98]), ciLow: NaN })).toBe("100.0 (?–105.0)");
    expect(meanCi(null)).toBe("");
    expect(meanCi(undefined)).toBe("");
  });
  it("ratios, changes, sizes, parameters, statuses", () => {
    expect(ratioCiText({ ratio: 0.9704944, ciLow: 0.9596066, ciHigh: 0.9815058 })).toBe("0.970× (0.960–0.982)");
    expect(ratioCiText({ ratio: 2, ciLow: NaN, ciHigh: NaN })).toBe("2.000×");
    expect(ratioCiText({ ratio: 2, ciLow: null, ciHigh: null })).toBe("2.000×");
    expect(ratioCiText({ ratio: null, ciLow: null, ciHigh: null })).toBe("—");
    expect(ratioCiText({ ratio: NaN, ciLow: null, ciHigh: null })).toBe("—");
    expect(pctChange(0.501)).toBe("−49.9%");
    expect(pctChange(1.032)).toBe("+3.2%");
    expect(pctChange(1)).toBe("+0.0%");
    expect(pctChange(null)).toBe("—");
    expect(pctChange(Infinity)).toBe("—");
    // 4800 MiB = 4.6875 GiB
    expect(gib(4800 * 1024 * 1024)).toBe("4.69");
    expect(paramsText(8_300_000_000)).toBe("8.30B");
    expect(paramsText(54_300_000)).toBe("54.3M");
    expect(paramsText(null)).toBe("—");
    expect(fixed(1 / 3)).toBe("0.33");
    expect(fixed(1 / 3, 3)).toBe("0.333");
    expect(fixed(null)).toBe("—");
    expect(fixed(undefined)).toBe("—");
    expect(fixed(NaN)).toBe("—");
    expect(statusCell("ok", "ignored")).toBe("ok");
    expect(statusCell("oom", "CUDA out of memory\nstack")).toBe("**oom**: CUDA out of memory");
    expect(statusCell("crash", null)).toBe("**crash**");
    expect(statusCell("error", "x".repeat(200))).toBe(`**error**: ${"x".repeat(90)}`);
  });
  it("Markdown tables align numbers right; HTML escapes and keeps the marks", () => {
    // the delimiter row carries the alignment: text left, numbers right (guessed, or as given)
    expect(mdTable(["a", "b"], [["x", 1]]).split("\n")[1]).toBe("| :- | -: |");
    expect(mdTable(["a", "b"], [["x", "1.5 ±2%"]]).split("\n")[1]).toBe("| :- | ------: |");
    expect(mdTable(["a"], [["x"]], ["r"]).split("\n")[1]).toBe("| -: |");
    expect(esc(`<a href="x">&</a>`)).toBe("&lt;a href=&quot;x&quot;&gt;&amp;&lt;/a&gt;");
    expect(inline("**oom**: `x<y`")).toBe("<strong>oom</strong>: <code>x&lt;y</code>");
    const t = htmlTable({ headers: ["m", "n"], rows: [["**oom**: x", "1 noisy"]], align: ["l", "r"] }, "t1");
    expect(t).toBe(
      '<div class="scroll"><table id="t1"><thead><tr><th class="">m</th><th class="num">n</th></tr></thead><tbody>\n' +
        '<tr><td class="fail"><strong>oom</strong>: x</td><td class="num noisy">1 noisy</td></tr>\n' +
        "</tbody></table></div>",
    );
  });
});

describe("the run summary printed after run", () => {
  it("one row per instance, mean (95% CI), failures as failures", () => {
    expect(summaryTable(records())).toMatchSnapshot();
  });
});

describe("report exporters", () => {
  // built in each test, never shared: mutation testing attributes coverage to the test that runs the code
  const report = () => buildReport(records(), new Map(), OPTS);

  it("Markdown: the whole report", () => {
    expect(reportMarkdown(report())).toMatchSnapshot();
  });

  it("the MoE/dense summary at another heading level", () => {
    const md = moeVsDenseMarkdown(report(), "###");
    expect(md.startsWith("### MoE vs dense: generation (tg)\n")).toBe(true);
    expect(md).toContain("### Claims checked\n");
    expect(moeVsDenseMarkdown(buildReport([records()[0]!], new Map(), OPTS))).toContain(
      "No MoE and dense instances at the same quant and test.",
    );
  });

  it("a MOCK run is bannered everywhere", () => {
    const mock = buildReport(records("mock"), new Map(), OPTS);
    expect(reportMarkdown(mock)).toContain("> **MOCK RUN: these timings come from moebench's mock executor");
    expect(reportHtml(mock, [])).toContain('<div class="mock" id="mock-banner">MOCK RUN:');
    expect(reportHtml(report(), [])).not.toContain("mock-banner");
    for (const c of charts(mock).filter((x) => x.id !== "vram"))
      expect((c.spec as { title: { subtitle: string } }).title.subtitle).toMatch(/^MOCK executor/);
  });

  it("CSV: a header with every column and one row per record", () => {
    const rows = parse(reportCsv(report()), { columns: true }) as Record<string, string>[];
    expect(rows).toHaveLength(4);
    expect(Object.keys(rows[0]!)).toMatchSnapshot();
    // 200, 210, 190 tok/s: mean 200
    expect(rows[0]).toMatchObject({ model: "lfm2-8b-a1b Q4_K_M", tg_tok_s_mean: "200", tg_n: "3", status: "ok" });
    expect(rows[0]).toMatchObject({ device: "cpu: Test CPU", scale: "small", tg_noisy: "0", executor_args: "" });
    expect(rows[3]).toMatchObject({ status: "oom", tg_tok_s_mean: "", error: "oom: boom" });
    expect(reportCsv(buildReport([], new Map(), OPTS))).toBe("");
  });

  it("HTML: the same tables with ids, charts as figures, notes", () => {
    const html = reportHtml(report(), [{ id: "x", title: "X <chart>", svg: "<svg></svg>" }]);
    for (const id of ["moe-pairs-tg", "claims-run1", "models", "instances"])
      expect(html).toContain(`<table id="${id}">`);
    expect(html).toContain('<figure class="chart" id="chart-x" aria-label="X &lt;chart&gt;"><svg></svg></figure>');
    expect(html).toContain("<h2>Method and notes</h2>");
    expect(html).toContain("200.0 (175.2–224.8)");
    expect(html).not.toContain("**");
    expect(reportHtml(report(), [])).not.toContain("<h2>Charts</h2>");
  });

  it("JSON: the figures without the raw records", () => {
    const j = JSON.parse(reportJson(report())) as Record<string, unknown> & { rows: Record<string, unknown>[] };
    expect(Object.keys(j)).toEqual([
      "runs",
      "models",
      "pairs",
      "claims",
      "quantMatrices",
      "vram",
      "perCard",
      "rows",
      "warnings",
      "options",
    ]);
    expect(j.rows[0]!.record).toBeUndefined();
    expect(j.rows[0]!.key).toBe("lfm2-8b-a1b:Q4_K_M:small|tg100|ctx=512");
    expect((j.pairs as { moe: string; dense: string }[])[0]).toMatchObject({
      moe: "lfm2-8b-a1b Q4_K_M",
      dense: "llama-3.1-8b Q4_K_M",
    });
  });

  it("charts: what exists is drawn, captioned with device, threads and scale", () => {
    const cs = charts(report());
    expect(cs.map((c) => c.id)).toEqual(["moe-ratio-quant", "tg-by-quant"]);
    for (const c of cs)
      expect((c.spec as { title: { subtitle: string } }).title.subtitle).toBe(
        "CPU: Test CPU × 2 cores, 1 thread · small-scale synthetic models",
      );
    const tg = cs[1]!.spec as unknown as { data: { values: { series: string; quant: string; mean: number }[] } };
    expect(tg.data.values.map((v) => [v.series, v.quant, v.mean])).toEqual([
      ["lfm2-8b-a1b (small)", "Q4_K_M", 200],
      ["lfm2-8b-a1b (small)", "Q8_0", 150],
      ["llama-3.1-8b (small)", "Q4_K_M", 100],
    ]);
    const ratio = cs[0]!.spec as unknown as { data: { values: { series: string; ratio: number; phase: string }[] } };
    expect(ratio.data.values).toEqual([
      expect.objectContaining({ series: "lfm2-8b-a1b (small) ÷ llama-3.1-8b (small) · tg", ratio: 2, phase: "tg" }),
    ]);
  });
});

describe("compare exporters", () => {
  const base = [
    makeRecord({ model: "a", tgPhase: at(1000, [100, 100.5, 99.5]) }),
    makeRecord({ model: "b", status: "oom" }),
  ];
  const cand = [
    makeRecord({ model: "a", tgPhase: at(1000, [90, 90.5, 89.5]) }),
    makeRecord({ model: "b", status: "oom" }),
  ];
  const c = () => compare(base, cand, { threshold: 0.03, alpha: 0.05 });
  const o = { threshold: 0.03, alpha: 0.05 };

  it("Markdown: identity table, instance table, summary", () => {
    expect(compareMarkdown(c(), o)).toMatchSnapshot();
  });
  it("HTML: real tables (the same rows), the chart when there is one, no Markdown marks", () => {
    const html = compareHtml(c(), o, "<svg id='r'></svg>");
    expect(html).toContain('<table id="identity">');
    expect(html).toContain('<table id="compare">');
    expect((html.match(/<tr>/g) ?? []).length).toBe(1 + 9 + 1 + 2);
    expect(html).toContain('<td class="fail"><strong>slower</strong></td>');
    expect(html).toContain('<figure class="chart" id="chart-ratio"><svg id=\'r\'></svg></figure>');
    expect(compareHtml(c(), o, null)).not.toContain("chart-ratio");
    expect(html).not.toContain("**");
  });
  it("JSON: threshold, alpha and the result", () => {
    const j = JSON.parse(compareJson(c(), o)) as {
      threshold: number;
      alpha: number;
      regressions: number;
      rows: unknown[];
    };
    expect([j.threshold, j.alpha, j.regressions, j.rows.length]).toEqual([0.03, 0.05, 1, 2]);
  });
  it("the ratio chart: one panel per test, full labels, the threshold band", () => {
    const spec = ratioChart(c(), 0.03) as unknown as {
      data: { values: { test: string; name: string; ratio: number }[] };
      facet: { row: { field: string } };
      title: { subtitle: string };
    };
    expect(spec.facet.row.field).toBe("test");
    expect(spec.title.subtitle).toBe("band: ±3.0%");
    expect(spec.data.values).toEqual([expect.objectContaining({ test: "tg128", name: "a Q4_K_M · tg tok/s" })]);
    expect(spec.data.values[0]!.ratio).toBeCloseTo(0.9, 12);
  });
});
