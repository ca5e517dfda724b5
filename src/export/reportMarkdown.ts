/** The report as GitHub-flavoured Markdown (pure). */
import type { Report } from "../analysis/buildReport.js";
import { mdTable } from "./markdown.js";
import { perCardMarkdown } from "./perCardTables.js";
import { claimsData, instanceData, modelsData, pairsData, quantMatrixData, type TableData } from "./reportTables.js";
import {
  CLAIMS_INTRO,
  fullScaleNote,
  matrixHeading,
  methodNotes,
  MOCK_BANNER,
  runLine,
  scaleNotes,
  subtitle,
} from "./reportText.js";

const md = (t: TableData): string => mdTable(t.headers, t.rows, t.align);

/** The MoE-vs-dense answer: paired pp and tg tables and the claims checked (also printed after a run). */
export function moeVsDenseMarkdown(r: Report, level = "##"): string {
  const out: string[] = [];
  for (const phase of ["tg", "pp"] as const) {
    const t = pairsData(r, phase);
    if (!t.rows.length) continue;
    const name = phase === "tg" ? "generation (tg)" : "prefill (pp)";
    out.push(`${level} MoE vs dense: ${name}`, "", md(t), "");
  }
  if (!out.length) out.push(`${level} MoE vs dense`, "", "No MoE and dense instances at the same quant and test.", "");
  for (const c of r.claims) {
    out.push(`${level} Claims checked${r.multiRun ? `: run ${c.runId}` : ""}`, "", CLAIMS_INTRO, "");
    out.push(md(claimsData(c.checks)), "");
  }
  return out.join("\n");
}

export function reportMarkdown(r: Report): string {
  const out: string[] = ["# moebench report", "", `_${subtitle(r)}_`, ""];
  if (r.mock) out.push(`> **${MOCK_BANNER}**`, "");
  for (const run of r.runs) out.push(`- ${runLine(run)}`);
  out.push("");
  for (const n of scaleNotes(r)) out.push(`> ${n}`, "");
  out.push(moeVsDenseMarkdown(r));
  if (r.models.length) out.push("## Models", "", md(modelsData(r)), "");
  for (const qm of r.quantMatrices) {
    const note = fullScaleNote(qm);
    out.push(`## Quant matrix: ${matrixHeading(qm, r.multiRun)}`, "", ...(note ? [note, ""] : []));
    out.push(md(quantMatrixData(qm)), "");
  }
  if (r.perCard) out.push(perCardMarkdown(r.perCard));
  out.push("## All instances", "", md(instanceData(r)), "");
  if (r.warnings.length) out.push("## Warnings", "", ...r.warnings.map((w) => `- ${w}`), "");
  out.push("## Notes", "", ...methodNotes(r).map((n) => `- ${n}`));
  return `${out.join("\n")}\n`;
}
