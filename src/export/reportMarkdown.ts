/** The report as GitHub-flavoured Markdown (pure). */
import type { Report } from "../analysis/buildReport.js";
import type { Summary } from "../util/stats.js";
import { mdTable } from "./markdown.js";
import { COST_FOOTNOTES } from "../analysis/efficiency.js";

export const fmtRate = (s: Summary | null | undefined): string =>
  s ? `${s.mean.toFixed(1)} (${s.ciLow.toFixed(1)}–${s.ciHigh.toFixed(1)})` : "";
/** median ± CI half-width in percent: compact, for wide tables */
export const fmtRateShort = (s: Summary | null | undefined): string =>
  s ? `${s.mean.toFixed(1)} ±${Number.isFinite(s.ciRel) ? (s.ciRel * 100).toFixed(1) : "∞"}%` : "";
const gb = (b: number): string => `${(b / 1e9).toFixed(2)} GB`;
const cell = (c: { value: number; measured: boolean } | null): string =>
  c ? `${c.measured ? "" : "≈"}${gb(c.value)}` : "—";
const num = (n: number | null | undefined, d = 2): string => (n == null || !Number.isFinite(n) ? "—" : n.toFixed(d));
const params = (n: number | null): string =>
  n == null ? "—" : n >= 1e9 ? `${(n / 1e9).toFixed(2)}B` : `${(n / 1e6).toFixed(1)}M`;

export function statusCell(s: string, msg?: string | null): string {
  return s === "ok" ? "ok" : `**${s}**${msg ? `: ${msg.split("\n")[0]!.slice(0, 70)}` : ""}`;
}

export interface TableData {
  headers: string[];
  rows: string[][];
  align: ("l" | "r")[];
}
const md = (t: TableData): string => mdTable(t.headers, t.rows, t.align);

export function instanceTable(r: Report): string {
  return md(instanceData(r));
}
export function instanceData(r: Report): TableData {
  return {
    headers: [
      "model",
      "quant",
      "test",
      "ctx",
      "kv",
      "fa",
      "threads",
      "pp tok/s (95% CI)",
      "tg tok/s (95% CI)",
      "tg tok/J",
      "status",
    ],
    rows: r.rows.map((x) => [
      x.model,
      x.quant,
      x.testId,
      String(x.record.params.ctx),
      `${x.record.params.kvK}/${x.record.params.kvV}`,
      x.record.params.flashAttention ? "on" : "off",
      String(x.record.params.threads),
      fmtRate(x.pp),
      fmtRate(x.tg ?? x.parallelTg),
      num(x.tgTokPerJ?.gross),
      statusCell(x.status, x.record.error?.message),
    ]),
    align: ["l", "l", "l", "r", "l", "l", "r", "r", "r", "r", "l"],
  };
}

export function quantMatrixTable(rows: Report["quantMatrices"][number]["rows"]): string {
  return md(quantMatrixData(rows));
}
export function quantMatrixData(rows: Report["quantMatrices"][number]["rows"]): TableData {
  return {
    headers: ["Quant", "Weights VRAM", "+ KV @ 8k", "+ KV @ 16k", "tok/s gen, mean (95% CI)", "Quality vs F16"],
    rows: rows.map((q) => [
      q.quant,
      cell(q.weightsBytes),
      cell(q.with8k),
      cell(q.with16k),
      q.genTokPerSec
        ? `${q.genTokPerSec.mean.toFixed(1)} (${q.genTokPerSec.ciLow.toFixed(1)}–${q.genTokPerSec.ciHigh.toFixed(1)})`
        : q.genFailed
          ? `**${q.genFailed}**`
          : "—",
      q.quality,
    ]),
    align: ["l", "r", "r", "r", "r", "l"],
  };
}

export function moeTable(r: Report): string {
  return md(moeData(r));
}
export function moeData(r: Report): TableData {
  return {
    headers: [
      "model",
      "arch",
      "quant",
      "total params",
      "active params",
      "pp tok/s (±95% CI)",
      "tg tok/s (±95% CI)",
      "tg tok/J",
      "tg tok/s per $",
      "$ / Mtok",
    ],
    rows: r.moeVsDense.map((m) => [
      m.model,
      `${m.arch}${m.isMoe ? " (MoE)" : ""}`,
      m.quant,
      params(m.params),
      params(m.activeParams),
      fmtRateShort(m.pp),
      fmtRateShort(m.tg),
      num(m.tokPerJ),
      num(m.cost.tokPerSecPerDollar, 3),
      num(m.cost.totalPerMTok, 3),
    ]),
    align: ["l", "l", "l", "r", "r", "r", "r", "r", "r", "r"],
  };
}

export const fullScaleNote = (scale: string): string =>
  `VRAM columns: the full-size model (estimates from its exact tensor table and attention layout). tok/s: measured on the ${scale}-scale synthetic model that ran here, not the full-size one.`;

export function reportNotes(r: Report): string[] {
  const notes: string[] = [];
  if (r.anySynthetic)
    notes.push(
      "Synthetic models (random weights, real shapes and quant types) benchmark like the real ones; quality figures on them would measure quantization noise only.",
    );
  if (!r.anyTelemetry)
    notes.push(
      "No GPU power telemetry in these runs (CPU, or no nvidia-smi): energy and $/Mtok columns are empty rather than guessed.",
    );
  notes.push(
    "Estimates (≈) in the quant matrix come from the GGUF: weights = tensor bytes; + KV = attention layers × context × KV heads × head dim × 2 bytes (f16); compute buffers are not included. Unmarked values were measured.",
  );
  notes.push(
    "Rates are medians over repetitions with the 95% confidence interval of the mean; failed instances are shown as failures, never as zeros.",
  );
  return notes;
}

export function reportMarkdown(r: Report): string {
  const out: string[] = ["# moebench report", ""];
  for (const run of r.runs)
    out.push(
      `- run \`${run.runId}\` (suite ${run.suite}): ${run.records} instances${run.failed ? `, ${run.failed} failed` : ""}; llama.cpp ${run.env.llamaCppRelease ?? "?"} (${run.env.llamaCppCommit ?? "?"}), node-llama-cpp ${run.env.nodeLlamaCpp ?? "?"}, backend ${run.env.backend}${run.env.gpus.length ? `, ${run.env.gpus.map((g) => g.name).join(", ")}` : ""}; ${run.env.cpu} × ${run.env.cpuCores}`,
    );
  out.push("");
  if (r.moeVsDense.length) out.push("## MoE vs dense", "", moeTable(r), "");
  for (const qm of r.quantMatrices)
    out.push(
      `## Quant matrix: ${qm.family}`,
      "",
      ...(qm.fullScaleOf ? [fullScaleNote(qm.fullScaleOf), ""] : []),
      quantMatrixTable(qm.rows),
      "",
    );
  out.push("## All instances", "", instanceTable(r), "");
  if (r.warnings.length) out.push("## Warnings", "", ...r.warnings.map((w) => `- ${w}`), "");
  out.push("## Notes", "", ...reportNotes(r).map((n) => `- ${n}`), ...COST_FOOTNOTES.map((n) => `- ${n}`));
  if (r.priceNote)
    out.push(
      `- Price used: ${r.priceNote}; electricity $${r.options.kwhPriceUsd}/kWh; hardware amortised over ${r.options.lifetimeHours} h.`,
    );
  return `${out.join("\n")}\n`;
}
