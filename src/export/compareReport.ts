/** compare's outputs: Markdown, JSON, HTML (real tables and the ratio chart), and the chart spec (pure). */
import type { TopLevelSpec } from "vega-lite";
import type { CompareResult } from "../analysis/compare.js";
import { compareData, compareSummary, identityData, type CompareTextOptions } from "./compareTables.js";
import { CSS, esc, htmlTable, inline } from "./html.js";
import { mdTable } from "./markdown.js";
import type { TableData } from "./reportTables.js";

const md = (t: TableData): string => mdTable(t.headers, t.rows, t.align);

export function compareMarkdown(c: CompareResult, o: CompareTextOptions): string {
  const out = ["# moebench compare", "", md(identityData(c)), "", md(compareData(c)), "", ...compareSummary(c, o)];
  for (const w of c.warnings) out.push("", `warning: ${w}`);
  return `${out.join("\n")}\n`;
}

export function compareJson(c: CompareResult, o: CompareTextOptions): string {
  return `${JSON.stringify({ threshold: o.threshold, alpha: o.alpha, ...c }, null, 2)}\n`;
}

/** The ratio chart: one panel per test, one line per model and metric, full labels (never cut). */
export function ratioChart(c: CompareResult, threshold: number): TopLevelSpec {
  const values = c.rows
    .filter((r) => r.ratio !== null && r.ciLow !== null && Number.isFinite(r.ciLow))
    .map((r) => ({
      test: r.identity.test,
      name: `${r.label} · ${r.metric}`,
      ratio: r.ratio,
      lo: r.ciLow,
      hi: r.ciHigh,
      verdict: r.verdict,
    }));
  return {
    $schema: "https://vega.github.io/schema/vega-lite/v6.json",
    title: {
      text: "candidate ÷ baseline, mean tok/s with 95% CI",
      subtitle: `band: ±${(threshold * 100).toFixed(1)}%`,
    },
    data: { values },
    config: { font: "DejaVu Sans", axis: { labelLimit: 0 }, header: { labelLimit: 0 } },
    facet: { row: { field: "test", type: "nominal", title: null, header: { labelAngle: 0, labelAlign: "left" } } },
    resolve: { scale: { y: "independent" } },
    spec: {
      width: 420,
      height: { step: 22 },
      layer: [
        { mark: { type: "rule", color: "#999" }, encoding: { x: { datum: 1 } } },
        {
          mark: { type: "rect", opacity: 0.08, color: "#888" },
          encoding: { x: { datum: 1 - threshold }, x2: { datum: 1 + threshold } },
        },
        {
          mark: "errorbar",
          encoding: {
            y: { field: "name", type: "nominal", title: null },
            x: { field: "lo", type: "quantitative", scale: { zero: false }, title: "ratio" },
            x2: { field: "hi" },
          },
        },
        {
          mark: { type: "point", filled: true, size: 70 },
          encoding: {
            y: { field: "name", type: "nominal" },
            x: { field: "ratio", type: "quantitative" },
            color: {
              field: "verdict",
              type: "nominal",
              scale: {
                domain: ["slower", "same", "faster", "inconclusive"],
                range: ["#c0392b", "#7f8c8d", "#27ae60", "#d68910"],
              },
            },
          },
        },
      ],
    },
  } as unknown as TopLevelSpec;
}

export function compareHtml(c: CompareResult, o: CompareTextOptions, chartSvg: string | null): string {
  const parts = [
    '<!doctype html><html lang="en"><head><meta charset="utf-8"><title>moebench compare</title>',
    `<style>${CSS}</style></head>`,
    "<body><main><h1>moebench compare</h1>",
    `<h2>Builds and machines</h2>${htmlTable(identityData(c), "identity")}`,
    `<h2>Instances</h2>${htmlTable(compareData(c), "compare")}`,
    `<ul class="notes">${compareSummary(c, o)
      .map((l) => `<li>${inline(l)}</li>`)
      .join("")}</ul>`,
  ];
  if (c.warnings.length)
    parts.push(`<div class="warn"><ul>${c.warnings.map((w) => `<li>${esc(w)}</li>`).join("")}</ul></div>`);
  if (chartSvg) parts.push(`<h2>Ratios by test</h2><figure class="chart" id="chart-ratio">${chartSvg}</figure>`);
  parts.push("</main></body></html>");
  return `${parts.join("\n")}\n`;
}
