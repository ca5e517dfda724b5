import { Command } from "commander";
import { existsSync, writeFileSync } from "node:fs";
import { resolve } from "node:path";
import { readJsonl } from "../results/jsonl.js";
import { runPaths } from "../results/runDir.js";
import { compare, JOIN_FIELDS, type CompareResult, type JoinField } from "../analysis/compare.js";
import { MoebenchError, unknownChoice } from "../util/errors.js";
import { mdTable } from "../export/markdown.js";
import { renderSvg } from "../export/render.js";
import type { TopLevelSpec } from "vega-lite";

const load = (p: string) => {
  const f = runPaths(p).results;
  if (!existsSync(f)) throw new MoebenchError(`${p}: no results.jsonl`, "pass a run folder or a results.jsonl file");
  return readJsonl(f);
};

function pct(x: number | null): string {
  return x === null || !Number.isFinite(x) ? "—" : `${(x - 1) * 100 >= 0 ? "+" : ""}${((x - 1) * 100).toFixed(1)}%`;
}

export function compareMarkdown(c: CompareResult, o: { threshold: number; alpha: number }): string {
  const cols = c.varying;
  const rows = c.rows.map((r) => [
    r.label,
    ...cols.map((f) => r.join[f]),
    r.metric,
    r.baseline ? `${r.baseline.mean.toFixed(2)} (n=${r.baseline.n})` : "—",
    r.candidate ? `${r.candidate.mean.toFixed(2)} (n=${r.candidate.n})` : "—",
    r.ratio === null
      ? "—"
      : `${r.ratio.toFixed(3)} [${Number.isFinite(r.ciLow!) ? r.ciLow!.toFixed(3) : "?"}, ${Number.isFinite(r.ciHigh!) ? r.ciHigh!.toFixed(3) : "?"}]`,
    pct(r.ratio),
    r.pValue === null ? "—" : r.pValue < 1e-4 ? "<0.0001" : r.pValue.toFixed(4),
    r.verdict === "slower" || r.verdict === "failed" ? `**${r.verdict}**` : r.verdict,
  ]);
  const out = [
    "# moebench compare",
    "",
    mdTable(
      ["field", "baseline", "candidate"],
      c.identity.map((i) => [i.field, i.baseline, i.candidate]),
    ),
    "",
    mdTable(
      ["model", ...cols, "metric", "baseline", "candidate", "ratio [95% CI]", "change", "p (Welch)", "verdict"],
      rows,
    ),
    "",
    `${c.regressions ? `**${c.regressions} regression(s)**` : "no significant regression"} (slower = candidate/baseline < ${(1 - o.threshold).toFixed(3)} with p < ${o.alpha}, Welch's t-test on the stored repetitions; failed = ran on the baseline, failed on the candidate).`,
  ];
  for (const w of c.warnings) out.push("", `warning: ${w}`);
  return `${out.join("\n")}\n`;
}

export function ratioChart(c: CompareResult, threshold: number): TopLevelSpec {
  const values = c.rows
    .filter((r) => r.ratio !== null && Number.isFinite(r.ciLow!))
    .map((r) => ({
      name: `${r.label} ${r.join.test} ${r.metric}`,
      ratio: r.ratio,
      lo: r.ciLow,
      hi: r.ciHigh,
      verdict: r.verdict,
    }));
  return {
    $schema: "https://vega.github.io/schema/vega-lite/v6.json",
    width: 520,
    height: Math.max(120, values.length * 22),
    title: "candidate / baseline (mean tok/s) with 95% CI",
    data: { values },
    config: { font: "DejaVu Sans" },
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
            scale: { domain: ["slower", "same", "faster"], range: ["#c0392b", "#7f8c8d", "#27ae60"] },
          },
        },
      },
    ],
  } as TopLevelSpec;
}

export function compareCommand(): Command {
  return new Command("compare")
    .description(
      "did the new llama.cpp build get slower? ratio with a 95% CI and Welch's t-test per instance; exit 0 = no significant regression, 1 = regression, 2 = usage error",
    )
    .argument("<baseline>", "run folder or results.jsonl")
    .argument("<candidate>", "run folder or results.jsonl")
    .option("--threshold <pct>", "smallest slowdown that counts", "3%")
    .option("--alpha <a>", "significance level", "0.05")
    .option("--format <f>", "md, json or html", "md")
    .option(
      "--ignore <fields>",
      `join fields to ignore (${JOIN_FIELDS.join(", ")}); ctx is ignored automatically against llama-bench imports`,
    )
    .option("--out <file>", "write the report to a file instead of stdout")
    .action(
      async (
        bPath: string,
        cPath: string,
        o: { threshold: string; alpha: string; format: string; ignore?: string; out?: string },
      ) => {
        const threshold = Number(o.threshold.replace("%", "")) / (o.threshold.includes("%") ? 100 : 1);
        const alpha = Number(o.alpha);
        if (!Number.isFinite(threshold) || threshold < 0 || threshold >= 1)
          throw new MoebenchError(`--threshold ${o.threshold}: expected e.g. 3% or 0.03`);
        if (!(alpha > 0 && alpha < 1)) throw new MoebenchError(`--alpha ${o.alpha}: expected a number between 0 and 1`);
        if (!["md", "json", "html"].includes(o.format))
          throw unknownChoice("--format", o.format, ["md", "json", "html"]);
        const ignore = (o.ignore
          ?.split(",")
          .map((s) => s.trim())
          .filter(Boolean) ?? []) as JoinField[];
        for (const f of ignore)
          if (!(JOIN_FIELDS as readonly string[]).includes(f)) throw unknownChoice("--ignore field", f, JOIN_FIELDS);
        const base = load(resolve(bPath));
        const cand = load(resolve(cPath));
        if (
          base.some((r) => r.extra?.source === "llama-bench") !== cand.some((r) => r.extra?.source === "llama-bench") &&
          !ignore.includes("ctx")
        )
          ignore.push("ctx");
        const c = compare(base, cand, { threshold, alpha, ignore });
        let text: string;
        if (o.format === "json") text = `${JSON.stringify({ threshold, alpha, ignored: ignore, ...c }, null, 2)}\n`;
        else if (o.format === "md") text = compareMarkdown(c, { threshold, alpha });
        else {
          const svg = await renderSvg(ratioChart(c, threshold));
          const md = compareMarkdown(c, { threshold, alpha });
          text = `<!doctype html><html><head><meta charset="utf-8"><title>moebench compare</title><style>body{font:14px "DejaVu Sans",sans-serif;margin:24px;max-width:1100px}pre{white-space:pre-wrap;font-size:12px}</style></head><body><h1>moebench compare</h1>${svg}<pre>${md.replace(/&/g, "&amp;").replace(/</g, "&lt;")}</pre></body></html>\n`;
        }
        if (o.out) writeFileSync(o.out, text);
        else process.stdout.write(text);
        if (c.regressions > 0) process.exitCode = 1;
      },
    );
}
