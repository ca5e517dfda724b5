/**
 * `moebench history` as a chart and a text (pure): a metric's mean (95% CI) per llama.cpp build, one line per
 * series, the builds in the order they were first measured; the steps compare calls regressions circled in
 * red and listed.
 */
import type { TopLevelSpec } from "vega-lite";
import type { History, HistoryStep } from "../analysis/history.js";
import { base } from "./charts.js";
import { MEAN_CI, meanCi, ratioCiText } from "./format.js";
import { mdTable } from "./markdown.js";

const metricName = (h: History): string => `${h.metric} tok/s`;

export function historyChart(h: History): TopLevelSpec {
  const label = new Map(h.builds.map((b) => [b.id, b.label]));
  const order = h.builds.map((b) => b.label);
  const values = h.points.map((p) => ({
    build: label.get(p.build)!,
    series: h.series.get(p.series) ?? p.series,
    mean: p.rate.mean,
    lo: Math.max(0, p.rate.ciLow),
    hi: p.rate.ciHigh,
  }));
  const flagged = h.regressions.flatMap((s) => {
    const point = h.points.find((p) => p.build === s.to && p.series === s.series);
    const drop = s.ratio !== null ? `${((s.ratio - 1) * 100).toFixed(1)}%` : "failed";
    return point ? [{ build: label.get(s.to)!, mean: point.rate.mean, note: drop }] : [];
  });
  const x = { field: "build", type: "ordinal", sort: order, title: "llama.cpp build (first measured)" } as const;
  return {
    ...base,
    title: {
      text: `${metricName(h)} over llama.cpp builds, ${MEAN_CI}`,
      subtitle: `red circles: steps compare calls a regression (${h.regressions.length})`,
    },
    layer: [
      {
        data: { values },
        encoding: {
          x: { ...x, axis: { labelAngle: 0 } },
          y: { field: "mean", type: "quantitative", title: `${metricName(h)}, ${MEAN_CI}` },
          color: { field: "series", type: "nominal", title: "instance" },
        },
        layer: [
          { mark: { type: "line", point: true } },
          { mark: { type: "errorbar" }, encoding: { y: { field: "lo", type: "quantitative" }, y2: { field: "hi" } } },
        ],
      },
      {
        data: { values: flagged },
        encoding: { x, y: { field: "mean", type: "quantitative" } },
        layer: [
          { mark: { type: "point", shape: "circle", size: 260, stroke: "#d62728", strokeWidth: 2.5, filled: false } },
          {
            mark: { type: "text", dy: -16, color: "#d62728", fontWeight: "bold" },
            encoding: { text: { field: "note" } },
          },
        ],
      },
    ],
  } as TopLevelSpec;
}

function stepLine(h: History, s: HistoryStep): string {
  const name = (id: string): string => h.builds.find((b) => b.id === id)?.label ?? id;
  const series = h.series.get(s.series) ?? s.series;
  if (s.verdict === "failed") return `${series}: failed on ${name(s.to)} (ran on ${name(s.from)})`;
  const p = s.pValue === null ? "" : `, p = ${s.pValue.toPrecision(2)}`;
  return `${series}: ${metricName(h)} ${ratioCiText(s)} from ${name(s.from)} to ${name(s.to)}${p}`;
}

/** The table (series × builds, mean (95% CI)) and one line per regression. */
export function historyText(h: History): string {
  const headers = ["instance", ...h.builds.map((b) => b.label)];
  const rows = [...h.series.entries()]
    .filter(([key]) => h.points.some((p) => p.series === key))
    .map(([key, name]) => [
      name,
      ...h.builds.map((b) => meanCi(h.points.find((p) => p.series === key && p.build === b.id)?.rate) || "—"),
    ]);
  const out = [
    `${metricName(h)}, ${MEAN_CI}, by llama.cpp build (${h.builds.length} builds, ${h.series.size} instances):`,
    "",
    mdTable(headers, rows),
    "",
  ];
  if (!h.regressions.length) out.push("no regression: compare calls no step between builds slower or failed");
  else out.push(`${h.regressions.length} regression(s):`, ...h.regressions.map((s) => `- ${stepLine(h, s)}`));
  return `${out.join("\n")}\n`;
}
