/**
 * `moebench history` as a chart spec and a text, from a hand-made History (three builds, three series, two
 * regressions): every value in the spec and every line of the text worked out by hand.
 */
import { describe, expect, it } from "vitest";
import type { History, HistoryStep } from "../../src/analysis/history.js";
import { historyChart, historyText } from "../../src/export/historyChart.js";
import type { Summary } from "../../src/util/stats.js";

const rate = (mean: number, ciLow: number, ciHigh: number): Summary => ({
  n: 3,
  mean,
  sd: 1,
  ciLow,
  ciHigh,
  halfWidth: (ciHigh - ciLow) / 2,
  ciRel: (ciHigh - ciLow) / 2 / mean,
  min: ciLow,
  max: ciHigh,
  method: "t",
  firstStage: null,
  noisy: false,
});

const step = (s: Partial<HistoryStep> & Pick<HistoryStep, "series" | "from" | "to">): HistoryStep => ({
  verdict: "slower",
  ratio: null,
  ciLow: null,
  ciHigh: null,
  pValue: null,
  ...s,
});

// builds c1 → c2 → c3; series s1 (50 → 40 → 45), s2 (10 with a CI below zero, then failed on c3), s9 on c3
// only and absent from the series map (the chart falls back to its key), s3 named but never measured
const slower = step({ series: "s1", from: "c1", to: "c2", ratio: 0.8, ciLow: 0.75, ciHigh: 0.85, pValue: 0.001234 });
const failed = step({ series: "s2", from: "c1", to: "c3", verdict: "failed" });
const h: History = {
  metric: "tg",
  builds: [
    { id: "c1", commit: "c1", release: "b100", firstMeasured: "2026-01-01", label: "b100 c1" },
    { id: "c2", commit: "c2", release: "b101", firstMeasured: "2026-01-02", label: "b101 c2" },
    { id: "c3", commit: "c3", release: "b102", firstMeasured: "2026-01-03", label: "b102 c3" },
  ],
  series: new Map([
    ["s1", "A tg128"],
    ["s2", "B tg128"],
    ["s3", "C tg128"],
  ]),
  points: [
    { build: "c1", series: "s1", rate: rate(50, 48, 52) },
    { build: "c2", series: "s1", rate: rate(40, 38, 42) },
    { build: "c3", series: "s1", rate: rate(45, 44, 46) },
    { build: "c1", series: "s2", rate: rate(10, -1, 21) },
    { build: "c3", series: "s9", rate: rate(5, 4, 6) },
  ],
  regressions: [slower, failed],
  steps: [slower, failed],
};

// computed inside each test, so that mutation testing's per-test coverage sees it
// biome-ignore lint/suspicious/noExplicitAny: the spec is walked as plain JSON
const chart = (): any => historyChart(h);

describe("historyChart", () => {
  it("titles: the metric, the statistic and the number of regressions", () => {
    const spec = chart();
    expect(spec.title).toEqual({
      text: "tg tok/s over llama.cpp builds, mean (95% CI)",
      subtitle: "red circles: steps compare calls a regression (2)",
    });
    expect(spec.width).toBe(560);
    expect(spec.layer).toHaveLength(2);
  });

  it("one value per point: the build's label, the series' name, the CI's low end clamped at 0", () => {
    const spec = chart();
    const [lines] = spec.layer;
    expect(lines.data.values).toEqual([
      { build: "b100 c1", series: "A tg128", mean: 50, lo: 48, hi: 52 },
      { build: "b101 c2", series: "A tg128", mean: 40, lo: 38, hi: 42 },
      { build: "b102 c3", series: "A tg128", mean: 45, lo: 44, hi: 46 },
      { build: "b100 c1", series: "B tg128", mean: 10, lo: 0, hi: 21 },
      { build: "b102 c3", series: "s9", mean: 5, lo: 4, hi: 6 },
    ]);
  });

  it("the builds in the order first measured on the x axis; the mean on y; a line and an error bar", () => {
    const spec = chart();
    const [lines, circles] = spec.layer;
    const x = { field: "build", type: "ordinal", sort: ["b100 c1", "b101 c2", "b102 c3"] };
    expect(lines.encoding).toEqual({
      x: { ...x, title: "llama.cpp build (first measured)", axis: { labelAngle: 0 } },
      y: { field: "mean", type: "quantitative", title: "tg tok/s, mean (95% CI)" },
      color: { field: "series", type: "nominal", title: "instance" },
    });
    expect(lines.layer).toEqual([
      { mark: { type: "line", point: true } },
      { mark: { type: "errorbar" }, encoding: { y: { field: "lo", type: "quantitative" }, y2: { field: "hi" } } },
    ]);
    expect(circles.encoding).toEqual({
      x: { ...x, title: "llama.cpp build (first measured)" },
      y: { field: "mean", type: "quantitative" },
    });
  });

  it("a red circle on each regression that has a point: the drop in percent, or 'failed'", () => {
    const spec = chart();
    const [, circles] = spec.layer;
    // s1 at c2: 0.8 → (0.8 − 1) × 100 = −20.0%; s2 failed on c3 where it has no point: no circle
    expect(circles.data.values).toEqual([{ build: "b101 c2", mean: 40, note: "-20.0%" }]);
    expect(circles.layer).toEqual([
      { mark: { type: "point", shape: "circle", size: 260, stroke: "#d62728", strokeWidth: 2.5, filled: false } },
      { mark: { type: "text", dy: -16, color: "#d62728", fontWeight: "bold" }, encoding: { text: { field: "note" } } },
    ]);
  });

  it("a failed step with a point is circled 'failed'", () => {
    const onPoint = step({ series: "s1", from: "c2", to: "c3", verdict: "failed" });
    // biome-ignore lint/suspicious/noExplicitAny: plain JSON
    const s = historyChart({ ...h, regressions: [onPoint] }) as any;
    expect(s.layer[1].data.values).toEqual([{ build: "b102 c3", mean: 45, note: "failed" }]);
    expect(s.title.subtitle).toBe("red circles: steps compare calls a regression (1)");
  });

  it("a rise is circled with its sign-less percentage (1.125 → 12.5%)", () => {
    const up = step({ series: "s1", from: "c2", to: "c3", ratio: 1.125 });
    // biome-ignore lint/suspicious/noExplicitAny: plain JSON
    const s = historyChart({ ...h, regressions: [up] }) as any;
    expect(s.layer[1].data.values).toEqual([{ build: "b102 c3", mean: 45, note: "12.5%" }]);
  });
});

describe("historyText", () => {
  // computed inside each test, so that mutation testing's per-test coverage sees it
  const both = (): [string, string[]] => {
    const text = historyText(h);
    return [text, text.split("\n")];
  };

  it("a heading with the metric, the builds and the instances", () => {
    const [, lines] = both();
    expect(lines[0]).toBe("tg tok/s, mean (95% CI), by llama.cpp build (3 builds, 3 instances):");
    expect(lines[1]).toBe("");
  });

  it("a table: one row per measured series (named ones only), one column per build, '—' where unmeasured", () => {
    const [text, lines] = both();
    const table = lines.slice(2, 6);
    expect(table[0]).toMatch(/^\| instance +\| b100 c1 +\| b101 c2 +\| b102 c3 +\|$/);
    expect(table[2]).toMatch(
      /^\| A tg128 +\| 50\.00 \(48\.00–52\.00\) +\| 40\.00 \(38\.00–42\.00\) +\| 45\.00 \(44\.00–46\.00\) +\|$/,
    );
    // the CI's low end below zero shows as 0
    expect(table[3]).toMatch(/^\| B tg128 +\| 10\.00 \(0\.00–21\.00\) +\| +— +\| +— +\|$/);
    expect(text).not.toContain("C tg128");
    expect(text).not.toContain("s9");
    expect(lines[6]).toBe("");
  });

  it("one line per regression: the ratio with its CI and p, or where it failed", () => {
    const [text, lines] = both();
    expect(lines.slice(7)).toEqual([
      "2 regression(s):",
      "- A tg128: tg tok/s 0.800× (0.750–0.850) from b100 c1 to b101 c2, p = 0.0012",
      "- B tg128: failed on b102 c3 (ran on b100 c1)",
      "",
    ]);
    expect(text.endsWith("(ran on b100 c1)\n")).toBe(true);
  });

  it("no p-value: none shown; a build missing from the list: its id", () => {
    const s = step({ series: "s1", from: "c1", to: "zz", ratio: 0.5, ciLow: 0.4, ciHigh: 0.6 });
    const f = step({ series: "s2", from: "yy", to: "c2", verdict: "failed" });
    const t = historyText({ ...h, metric: "pp", regressions: [s, f] });
    expect(t.split("\n").slice(7)).toEqual([
      "2 regression(s):",
      "- A tg128: pp tok/s 0.500× (0.400–0.600) from b100 c1 to zz",
      "- B tg128: failed on b101 c2 (ran on yy)",
      "",
    ]);
    expect(t.startsWith("pp tok/s, mean (95% CI), by llama.cpp build")).toBe(true);
  });

  it("a step of a series missing from the map: its key", () => {
    const s = step({ series: "s9", from: "c1", to: "c3", ratio: 0.9, ciLow: 0.85, ciHigh: 0.95, pValue: 0.04 });
    expect(historyText({ ...h, regressions: [s] })).toContain(
      "- s9: tg tok/s 0.900× (0.850–0.950) from b100 c1 to b102 c3, p = 0.040\n",
    );
  });

  it("no regression: says so", () => {
    const t = historyText({ ...h, regressions: [] });
    expect(t.split("\n").slice(6)).toEqual([
      "",
      "no regression: compare calls no step between builds slower or failed",
      "",
    ]);
    expect(t).not.toContain("regression(s)");
  });
});
