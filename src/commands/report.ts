import { Command } from "commander";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join, resolve, dirname } from "node:path";
import { readJsonl } from "../results/jsonl.js";
import { runPaths } from "../results/runDir.js";
import { readEnvFile } from "../results/envFile.js";
import type { ResultRecord } from "../results/schema.js";
import { buildReport, type Report, type ReportOptions } from "../analysis/buildReport.js";
import type { QualityByPath, ReportFacts } from "../analysis/quantMatrix.js";
import { readGguf } from "../gguf/read.js";
import { fitFactsFromGguf, fitFactsFromPlan } from "../gguf/fitFacts.js";
import { moeVsDenseMarkdown, reportMarkdown } from "../export/reportMarkdown.js";
import { reportCsv } from "../export/csv.js";
import { charts } from "../export/charts.js";
import { perCardCharts } from "../export/perCardCharts.js";
import { renderSvg, svgToPng } from "../export/render.js";
import { reportHtml } from "../export/html.js";
import { reportJson } from "../export/reportJson.js";
import { MoebenchError, unknownChoice } from "../util/errors.js";
import { withFs } from "../util/fsErrors.js";
import { safePathComponent } from "../util/safeName.js";
import { CARDS, findCard } from "../data/cards.js";
import { PRICE_BASES, type PriceBasis } from "../data/gpuPrices.js";
import { planSynth } from "../gguf/synth/synthesize.js";

const FORMATS = ["md", "csv", "json", "html", "svg", "png"] as const;

export interface ReportCliOptions {
  format: string;
  out?: string;
  gpuPrice?: string;
  cpuPrice?: string;
  priceBasis?: string;
  kwhPrice: string;
  lifetimeHours: string;
  card: string;
  quiet?: boolean;
}

/**
 * Model facts for VRAM estimates (the same FitFacts `moebench fit` uses). Synthetic models are sized at FULL
 * scale from their preset (exact, no file needed): a small-scale CPU run still answers "would the real model
 * fit my card". Real files are read.
 */
export async function factsForRecords(records: readonly ResultRecord[]): Promise<Map<string, ReportFacts>> {
  const out = new Map<string, ReportFacts>();
  for (const r of records) {
    if (out.has(r.model.ref)) continue;
    const syn = r.model.synthetic;
    if (syn && r.model.quant) {
      try {
        const facts = fitFactsFromPlan(planSynth({ preset: syn.preset, quant: r.model.quant, scale: "full" }));
        out.set(r.model.ref, { ...facts, ...(syn.scale !== "full" ? { fullScaleOf: syn.scale } : {}) });
        continue;
      } catch {
        /* an unknown preset in an old record: fall through to the file */
      }
    }
    if (!r.model.path || !existsSync(r.model.path)) continue;
    try {
      out.set(r.model.ref, fitFactsFromGguf(await readGguf(r.model.path, { skipArrays: true })));
    } catch {
      /* the model file changed or went away: estimates are left out */
    }
  }
  return out;
}

/**
 * The MoE-vs-dense answer for the end of `run`: the paired pp/tg tables and the claims checked, as Markdown;
 * null when the run has no MoE and dense rows at the same quant and test. (`bench` prints the whole report,
 * which holds the same tables.)
 */
export async function moeVsDenseSummary(records: readonly ResultRecord[]): Promise<string | null> {
  const report = buildReport(records, await factsForRecords(records), DEFAULT_REPORT_OPTIONS);
  return report.pairs.length ? moeVsDenseMarkdown(report, "###") : null;
}

const DEFAULT_REPORT_OPTIONS: ReportOptions = {
  kwhPriceUsd: 0.15,
  lifetimeHours: 8760,
  cardVramGiB: 12,
  cardName: "RTX 3060 12GB",
};

function readRecords(runDirs: readonly string[]): ResultRecord[] {
  const records: ResultRecord[] = [];
  for (const d of runDirs) {
    const p = runPaths(d).results;
    if (!existsSync(p))
      throw new MoebenchError(
        `${d}: no results.jsonl there`,
        "pass a run folder (results/<suite>/<runId>) or a results.jsonl file",
      );
    const onWarning = (w: string): boolean => process.stderr.write(`warning: ${w}\n`);
    records.push(...readJsonl(p, { tolerateTornTail: true, onWarning }));
  }
  if (records.length === 0) throw new MoebenchError(`${runDirs.join(", ")}: no records`, "run a suite first");
  return records;
}

/** A suite's gpuPriceUsd (kept in the run's env.json) applies unless --gpu-price is given. */
function suitePrice(runDirs: readonly string[]): number | undefined {
  let price: number | undefined;
  for (const d of runDirs) {
    try {
      price = readEnvFile(runPaths(d).dir)?.gpuPriceUsd ?? price;
    } catch (e) {
      // a broken env.json costs the report its price, not the whole report
      process.stderr.write(`warning: ${e instanceof Error ? e.message : String(e)}; its gpuPriceUsd is ignored\n`);
    }
  }
  return price;
}

/** quality.json files written by `moebench quality --out <runDir>/quality.json` (or a suite with quality: true). */
function qualityFor(runDirs: readonly string[]): QualityByPath {
  const out = new Map<string, { meanKld: number; top1Agreement: number; reference: string; synthetic: boolean }>();
  for (const d of runDirs) {
    const qf = join(runPaths(d).dir, "quality.json");
    if (!existsSync(qf)) continue;
    try {
      const q = JSON.parse(readFileSync(qf, "utf8")) as {
        rows: { path: string; meanKld: number; top1Agreement: number; reference: string; synthetic: boolean }[];
      };
      for (const r of q.rows) out.set(resolve(r.path), r);
    } catch {
      process.stderr.write(`warning: ${qf}: not a moebench quality file, ignored\n`);
    }
  }
  return out;
}

function reportOptions(o: ReportCliOptions, runDirs: readonly string[]): ReportOptions {
  const num = (flag: string, v: string, min: number): number => {
    const n = Number(v);
    if (!Number.isFinite(n) || n < min) throw new MoebenchError(`${flag} ${v}: expected a number ≥ ${min}`);
    return n;
  };
  const card = findCard(o.card);
  if (!card)
    throw unknownChoice(
      "--card",
      o.card,
      CARDS.map((c) => c.name),
    );
  if (o.priceBasis !== undefined && !(PRICE_BASES as readonly string[]).includes(o.priceBasis))
    throw unknownChoice("--price-basis", o.priceBasis, PRICE_BASES);
  return {
    kwhPriceUsd: num("--kwh-price", o.kwhPrice, 0),
    lifetimeHours: num("--lifetime-hours", o.lifetimeHours, 1),
    gpuPriceUsd: o.gpuPrice !== undefined ? num("--gpu-price", o.gpuPrice, 1) : suitePrice(runDirs),
    cpuPriceUsd: o.cpuPrice !== undefined ? num("--cpu-price", o.cpuPrice, 1) : undefined,
    priceBasis: o.priceBasis as PriceBasis | undefined,
    cardVramGiB: card.vramGiB,
    cardName: card.name,
  };
}

/** reports/<suite>/<runId> (names made path-safe: a record's suite cannot write outside reports/). */
function defaultOutDir(records: readonly ResultRecord[], runDirs: readonly string[]): string {
  const first = records[0]!;
  if (runDirs.length === 1) return join("reports", safePathComponent(first.suite), safePathComponent(first.runId));
  const stamp = new Date()
    .toISOString()
    .replace(/[:]/g, "-")
    .replace(/\.\d+Z$/, "Z");
  return join("reports", "combined", stamp);
}

async function chartSvgs(report: Report, formats: readonly string[]) {
  const cs = [...charts(report), ...perCardCharts(report.perCard)];
  const needSvg = formats.some((f) => f === "svg" || f === "png" || f === "html");
  const svgs = needSvg
    ? await Promise.all(cs.map(async (c) => ({ id: c.id, title: c.title, svg: await renderSvg(c.spec) })))
    : [];
  return { cs, svgs };
}

export async function writeReport(
  runDirs: string[],
  o: ReportCliOptions,
): Promise<{ outDir: string; markdown: string; files: string[] }> {
  const formats = o.format
    .split(",")
    .map((s) => s.trim())
    .filter(Boolean);
  for (const f of formats) if (!(FORMATS as readonly string[]).includes(f)) throw unknownChoice("--format", f, FORMATS);
  const records = readRecords(runDirs);
  const opts = reportOptions(o, runDirs);
  const report = buildReport(records, await factsForRecords(records), opts, qualityFor(runDirs));
  const outDir = resolve(o.out ?? defaultOutDir(records, runDirs));
  withFs(outDir, "create the report folder", () => mkdirSync(outDir, { recursive: true }));
  const files: string[] = [];
  const put = (name: string, data: string | Buffer): void => {
    const p = join(outDir, name);
    withFs(p, "write", () => {
      mkdirSync(dirname(p), { recursive: true });
      writeFileSync(p, data);
    });
    files.push(p);
  };
  const markdown = reportMarkdown(report);
  if (formats.includes("md")) put("summary.md", markdown);
  if (formats.includes("csv")) put("results.csv", reportCsv(report));
  if (formats.includes("json")) put("report.json", reportJson(report));
  const { cs, svgs } = await chartSvgs(report, formats);
  for (const s of svgs) {
    if (formats.includes("svg")) put(`charts/${s.id}.svg`, s.svg);
    if (formats.includes("png")) put(`charts/${s.id}.png`, svgToPng(s.svg));
  }
  if (formats.includes("json")) for (const c of cs) put(`charts/${c.id}.vl.json`, JSON.stringify(c.spec, null, 2));
  if (formats.includes("html")) put("index.html", reportHtml(report, svgs));
  return { outDir, markdown, files };
}

export function reportCommand(): Command {
  return new Command("report")
    .description("tables (Markdown, CSV, JSON), charts (SVG/PNG) and a self-contained index.html from one or more runs")
    .argument("<runDir...>", "run folders (results/<suite>/<runId>) or results.jsonl files")
    .option("--format <list>", `comma-separated: ${FORMATS.join(",")}`, FORMATS.join(","))
    .option("--out <dir>", "output folder (default reports/<suite>/<runId>)")
    .option("--gpu-price <usd>", "GPU purchase price for tok/s per $ and $/Mtok (default: the dated price table)")
    .option("--price-basis <basis>", `which price of the table: ${PRICE_BASES.join(", ")} (default: rental, else new)`)
    .option("--cpu-price <usd>", "CPU price: cost figures for CPU runs (none without it)")
    .option("--kwh-price <usd>", "electricity price per kWh", "0.15")
    .option("--lifetime-hours <h>", "hours a purchase price is amortised over", "8760")
    .option("--card <name>", "card whose VRAM is drawn on the VRAM chart", "RTX 3060 12GB")
    .action(async (dirs: string[], o: ReportCliOptions) => {
      const r = await writeReport(dirs, o);
      const html = r.files.some((f) => f.endsWith("index.html")) ? ` (open ${join(r.outDir, "index.html")})` : "";
      process.stdout.write(`report: ${r.outDir}${html}\n`);
    });
}
