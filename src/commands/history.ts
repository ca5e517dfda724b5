/**
 * `moebench history [--db file] [--metric tg|pp]`: a metric over llama.cpp builds from the results database,
 * as a table and a chart (SVG or PNG), with the steps compare calls regressions named (analysis/history.ts).
 * Exit 0; with --fail-on-regression, 1 when the newest build regressed on a step.
 */
import { Command, Option } from "commander";
import { mkdirSync, writeFileSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { history, type HistoryMetric } from "../analysis/history.js";
import { historyChart, historyText } from "../export/historyChart.js";
import { renderSvg, svgToPng } from "../export/render.js";
import type { ResultRecord } from "../results/schema.js";
import { MoebenchError } from "../util/errors.js";
import { EXIT } from "../util/exitCodes.js";
import { withFs } from "../util/fsErrors.js";
import { DEFAULT_DB, openDb } from "./db.js";

interface HistoryCliOptions {
  db: string;
  metric: HistoryMetric;
  threshold: string;
  alpha: string;
  out: string;
  suite?: string;
  failOnRegression?: boolean;
}

/** --threshold 3% or 0.03, --alpha 0.05 (compare's options, compare's defaults). */
function parseLimits(o: HistoryCliOptions): { threshold: number; alpha: number } {
  const threshold = Number(o.threshold.replace("%", "")) / (o.threshold.includes("%") ? 100 : 1);
  const alpha = Number(o.alpha);
  if (!Number.isFinite(threshold) || threshold < 0 || threshold >= 1)
    throw new MoebenchError(`--threshold ${o.threshold}: expected e.g. 3% or 0.03`);
  if (!(alpha > 0 && alpha < 1)) throw new MoebenchError(`--alpha ${o.alpha}: expected a number between 0 and 1`);
  return { threshold, alpha };
}

export async function historyCli(o: HistoryCliOptions): Promise<number> {
  const limits = parseLimits(o);
  const db = await openDb(o.db, true);
  let records: ResultRecord[];
  try {
    records = db.records().filter((r) => !o.suite || r.suite === o.suite);
  } finally {
    db.close();
  }
  if (!records.length)
    throw new MoebenchError(`${o.db}: no records${o.suite ? ` of suite ${o.suite}` : ""}`, "moebench db add <run…>");
  const h = history(records, { metric: o.metric, ...limits });
  process.stdout.write(historyText(h));
  const svg = await renderSvg(historyChart(h));
  const out = resolve(o.out);
  withFs(dirname(out), "create the folder of", () => mkdirSync(dirname(out), { recursive: true }));
  withFs(out, "write", () => writeFileSync(out, /\.png$/i.test(out) ? svgToPng(svg) : svg));
  process.stdout.write(`chart: ${out}\n`);
  const newest = h.builds[h.builds.length - 1]?.id;
  const newestRegressed = h.regressions.some((s) => s.to === newest);
  return o.failOnRegression && newestRegressed ? EXIT.failed : EXIT.ok;
}

export function historyCommand(): Command {
  return new Command("history")
    .description("a metric over llama.cpp builds from the results database; flags the steps compare calls regressions")
    .option("--db <file>", "the results database (moebench db add)", DEFAULT_DB)
    .addOption(new Option("--metric <m>", "pp or tg tok/s").choices(["pp", "tg"]).default("tg"))
    .option("--suite <name>", "only this suite's records")
    .option("--threshold <pct>", "smallest change that counts (as compare)", "3%")
    .option("--alpha <a>", "significance level (as compare)", "0.05")
    .option("--out <file>", "the chart (.svg or .png)", "reports/history.svg")
    .option("--fail-on-regression", "exit 1 when the newest build regressed on any instance")
    .action(async (o: HistoryCliOptions) => {
      process.exitCode = await historyCli(o);
    });
}
