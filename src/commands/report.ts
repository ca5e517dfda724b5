import { Command } from "commander";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join, resolve, dirname } from "node:path";
import { readJsonl } from "../results/jsonl.js";
import { runPaths } from "../results/runDir.js";
import type { ResultRecord } from "../results/schema.js";
import { buildReport, type ReportOptions } from "../analysis/buildReport.js";
import type { ModelFileFacts } from "../analysis/quantMatrix.js";
import { readGguf } from "../gguf/read.js";
import { modelFacts } from "../gguf/modelFacts.js";
import { reportMarkdown } from "../export/reportMarkdown.js";
import { reportCsv } from "../export/csv.js";
import { charts } from "../export/charts.js";
import { renderSvg, svgToPng } from "../export/render.js";
import { reportHtml } from "../export/html.js";
import { MoebenchError, unknownChoice } from "../util/errors.js";
import { CARDS, findCard } from "../data/cards.js";
import { planSynth } from "../gguf/synth/synthesize.js";

const FORMATS = ["md", "csv", "json", "html", "svg", "png"] as const;

export interface ReportCliOptions {
  format: string;
  out?: string;
  gpuPrice?: string;
  kwhPrice: string;
  lifetimeHours: string;
  card: string;
  quiet?: boolean;
}

/**
 * Model facts for VRAM estimates. Synthetic models are sized at FULL scale from their preset (exact, no file
 * needed): a small-scale CPU run still answers "would the real model fit my card". Real files are read.
 */
async function factsFor(records: readonly ResultRecord[]): Promise<Map<string, ModelFileFacts>> {
  const out = new Map<string, ModelFileFacts>();
  for (const r of records) {
    const syn = r.model.synthetic;
    if (!out.has(r.model.ref) && syn && r.model.quant) {
      try {
        const p = planSynth({ preset: syn.preset, quant: r.model.quant, scale: "full" });
        const h = p.hparams;
        const attn = h.attnLayers ?? Array.from({ length: h.nLayer }, (_, i) => i);
        out.set(r.model.ref, {
          tensorBytes: p.tensorBytes,
          attentionLayers: attn,
          nHeadKv: h.nHeadKv,
          headDimK: h.headDim,
          headDimV: h.headDim,
          fullScaleOf: syn.scale !== "full" ? syn.scale : undefined,
        });
        continue;
      } catch {
        /* unknown preset in an old record: fall through to the file */
      }
    }
    if (out.has(r.model.ref) || !r.model.path || !existsSync(r.model.path)) continue;
    try {
      const f = modelFacts(await readGguf(r.model.path, { skipArrays: true }));
      out.set(r.model.ref, {
        tensorBytes: f.tensorBytes,
        attentionLayers: f.attentionLayers,
        nHeadKv: f.nHeadKv,
        headDimK: f.headDimK,
        headDimV: f.headDimV,
      });
    } catch {
      /* the model file changed or went away: estimates are left out */
    }
  }
  return out;
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
  const records: ResultRecord[] = [];
  for (const d of runDirs) {
    const p = runPaths(d).results;
    if (!existsSync(p))
      throw new MoebenchError(
        `${d}: no results.jsonl there`,
        "pass a run folder (results/<suite>/<runId>) or a results.jsonl file",
      );
    records.push(
      ...readJsonl(p, { tolerateTornTail: true, onWarning: (w) => process.stderr.write(`warning: ${w}\n`) }),
    );
  }
  if (records.length === 0) throw new MoebenchError(`${runDirs.join(", ")}: no records`, "run a suite first");
  const num = (flag: string, v: string, min: number): number => {
    const n = Number(v);
    if (!Number.isFinite(n) || n < min) throw new MoebenchError(`${flag} ${v}: expected a number ≥ ${min}`);
    return n;
  };
  // a suite's gpuPriceUsd (kept in the run's env.json) applies unless --gpu-price is given
  let suitePrice: number | undefined;
  for (const d of runDirs) {
    const ef = join(runPaths(d).dir, "env.json");
    try {
      const e = JSON.parse(readFileSync(ef, "utf8")) as { gpuPriceUsd?: number };
      if (typeof e.gpuPriceUsd === "number") suitePrice = e.gpuPriceUsd;
    } catch {
      /* no env.json */
    }
  }
  const card = findCard(o.card);
  if (!card)
    throw unknownChoice(
      "--card",
      o.card,
      CARDS.map((c) => c.name),
    );
  const opts: ReportOptions = {
    kwhPriceUsd: num("--kwh-price", o.kwhPrice, 0),
    lifetimeHours: num("--lifetime-hours", o.lifetimeHours, 1),
    gpuPriceUsd: o.gpuPrice !== undefined ? num("--gpu-price", o.gpuPrice, 1) : suitePrice,
    cardVramGiB: card.vramGiB,
    cardName: card.name,
  };
  const facts = await factsFor(records);
  // quality.json files written by `moebench quality --out <runDir>/quality.json` (or a suite with quality: true)
  const qualityByPath = new Map<
    string,
    { meanKld: number; top1Agreement: number; reference: string; synthetic: boolean }
  >();
  for (const d of runDirs) {
    const qf = join(runPaths(d).dir, "quality.json");
    if (!existsSync(qf)) continue;
    try {
      const q = JSON.parse(readFileSync(qf, "utf8")) as {
        rows: { path: string; meanKld: number; top1Agreement: number; reference: string; synthetic: boolean }[];
      };
      for (const r of q.rows) qualityByPath.set(resolve(r.path), r);
    } catch {
      process.stderr.write(`warning: ${qf}: not a moebench quality file, ignored\n`);
    }
  }
  const report = buildReport(records, facts, opts, qualityByPath);
  const first = records[0]!;
  const outDir = resolve(
    o.out ??
      (runDirs.length === 1
        ? join("reports", first.suite, first.runId)
        : join(
            "reports",
            "combined",
            new Date()
              .toISOString()
              .replace(/[:]/g, "-")
              .replace(/\.\d+Z$/, "Z"),
          )),
  );
  mkdirSync(outDir, { recursive: true });
  const files: string[] = [];
  const put = (name: string, data: string | Buffer): void => {
    const p = join(outDir, name);
    mkdirSync(dirname(p), { recursive: true });
    writeFileSync(p, data);
    files.push(p);
  };
  const markdown = reportMarkdown(report);
  if (formats.includes("md")) put("summary.md", markdown);
  if (formats.includes("csv")) put("results.csv", reportCsv(report));
  if (formats.includes("json"))
    put(
      "report.json",
      `${JSON.stringify({ ...report, rows: report.rows.map(({ record: _record, ...rest }) => rest) }, null, 2)}\n`,
    );
  const cs = charts(report, facts);
  const needSvg = formats.some((f) => f === "svg" || f === "png" || f === "html");
  const svgs = needSvg
    ? await Promise.all(cs.map(async (c) => ({ id: c.id, title: c.title, svg: await renderSvg(c.spec) })))
    : [];
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
    .option("--gpu-price <usd>", "GPU price for tok/s per $ and $/Mtok (default: the shipped, dated price table)")
    .option("--kwh-price <usd>", "electricity price per kWh", "0.15")
    .option("--lifetime-hours <h>", "hours the GPU's price is amortised over", "8760")
    .option("--card <name>", "card whose VRAM is drawn on the VRAM chart", "RTX 3060 12GB")
    .action(async (dirs: string[], o: ReportCliOptions) => {
      const r = await writeReport(dirs, o);
      process.stdout.write(
        `report: ${r.outDir}${r.files.some((f) => f.endsWith("index.html")) ? ` (open ${join(r.outDir, "index.html")})` : ""}\n`,
      );
    });
}
