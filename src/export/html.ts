/**
 * index.html: one self-contained file (inline CSS and SVG, no network): the same tables as the Markdown,
 * charts, environment, method notes (pure).
 */
import type { Report } from "../analysis/buildReport.js";
import { hardwareText, scaleText } from "../analysis/runInfo.js";
import { claimsData, instanceData, modelsData, pairsData, quantMatrixData, type TableData } from "./reportTables.js";
import { PER_CARD_INTRO, perCardSections } from "./perCardTables.js";
import {
  CLAIMS_INTRO,
  fullScaleNote,
  matrixHeading,
  methodNotes,
  MOCK_BANNER,
  scaleNotes,
  subtitle,
} from "./reportText.js";

export const esc = (s: string): string =>
  s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");

/** Markdown's inline marks (**bold**, `code`) as HTML. */
export const inline = (s: string): string =>
  esc(s)
    .replace(/\*\*(.+?)\*\*/g, "<strong>$1</strong>")
    .replace(/`(.+?)`/g, "<code>$1</code>");

const FAIL = /^\*\*(error|oom|crash|timeout|failed|slower|does not hold)/;

function cellClass(t: TableData, c: string, i: number): string {
  const cls = [t.align[i] === "r" ? "num" : "", FAIL.test(c) ? "fail" : "", /\bnoisy\b/.test(c) ? "noisy" : ""];
  return cls.filter(Boolean).join(" ");
}

/** A real table with the exporters' data; long labels wrap instead of being cut. */
export function htmlTable(t: TableData, id: string): string {
  const th = t.headers.map((h, i) => `<th class="${t.align[i] === "r" ? "num" : ""}">${esc(h)}</th>`).join("");
  const rows = t.rows
    .map((r) => `<tr>${r.map((c, i) => `<td class="${cellClass(t, c, i)}">${inline(c)}</td>`).join("")}</tr>`)
    .join("\n");
  return `<div class="scroll"><table id="${id}"><thead><tr>${th}</tr></thead><tbody>\n${rows}\n</tbody></table></div>`;
}

export const CSS = `
:root{--fg:#1d2330;--muted:#5b6475;--line:#e3e6ec;--accent:#2c5fb3;--bad:#b3261e;--warn:#8a5a00}
*{box-sizing:border-box}
body{font:14px/1.5 "DejaVu Sans",system-ui,sans-serif;color:var(--fg);margin:0;background:#fafbfc}
main{max-width:1280px;margin:0 auto;padding:24px 28px 60px}
h1{font-size:26px;margin:0 0 4px}
h2{font-size:19px;margin:34px 0 10px;border-bottom:1px solid var(--line);padding-bottom:4px}
.sub{color:var(--muted);margin:0 0 18px}
.scroll{overflow-x:auto;background:#fff;border:1px solid var(--line);border-radius:6px}
table{border-collapse:collapse;width:100%;font-size:13px}
th,td{padding:6px 10px;border-bottom:1px solid var(--line);text-align:left;vertical-align:top;overflow-wrap:break-word}
th{background:#f1f3f7;font-weight:600}
td.num,th.num{text-align:right;font-variant-numeric:tabular-nums}
td:first-child{min-width:11em}
td.fail{color:var(--bad)}td.noisy{color:var(--warn)}tr:last-child td{border-bottom:none}
.charts{display:grid;grid-template-columns:1fr;gap:16px}
.chart{background:#fff;border:1px solid var(--line);border-radius:6px;padding:10px;overflow-x:auto;margin:0}
.chart svg{max-width:100%;height:auto}
ul.notes li{margin:4px 0;color:var(--muted)}
dl.env{display:grid;grid-template-columns:max-content 1fr;gap:2px 16px;background:#fff;border:1px solid var(--line);
border-radius:6px;padding:10px 14px}
dt{color:var(--muted)}dd{margin:0}
.warn{background:#fff7e6;border:1px solid #f0d9a8;border-radius:6px;padding:8px 12px}
.mock{background:#fdecea;border:2px solid var(--bad);color:var(--bad);border-radius:6px;padding:10px 14px;
font-weight:600;margin:12px 0}
.caveat{background:#eef3fb;border:1px solid #c9d8f0;border-radius:6px;padding:8px 12px;margin:8px 0}
code{font-size:12px}`;

function envBlock(r: Report): string {
  return r.runs
    .map((run) => {
      const e = run.env;
      const failed = run.failed ? `, <strong>${run.failed} failed</strong>` : "";
      return `<dl class="env">
<dt>run</dt><dd>${esc(run.runId)} (suite ${esc(run.suite)}), ${run.records} instances${failed}</dd>
<dt>models</dt><dd>${esc(scaleText(run.scales))}</dd>
<dt>ran on</dt><dd>${esc(hardwareText(run))}</dd>
<dt>llama.cpp</dt><dd>${esc(`${e.llamaCppRelease ?? "?"} (commit ${e.llamaCppCommit ?? "?"})`)}
 via node-llama-cpp ${esc(e.nodeLlamaCpp ?? "?")}</dd>
<dt>executor</dt><dd>${esc(e.backend)}${e.gpus.length ? ` — ${esc(e.gpus.map((g) => g.name).join(", "))}` : ""}</dd>
<dt>host</dt><dd>${esc(`${e.cpu} × ${e.cpuCores}, ${e.os}, Node ${e.node}, moebench ${e.moebench}`)}</dd></dl>`;
    })
    .join("\n");
}

function moeSection(r: Report): string[] {
  const parts: string[] = [];
  for (const phase of ["tg", "pp"] as const) {
    const t = pairsData(r, phase);
    if (!t.rows.length) continue;
    const name = phase === "tg" ? "generation (tg)" : "prefill (pp)";
    parts.push(`<h2>MoE vs dense: ${name}</h2>${htmlTable(t, `moe-pairs-${phase}`)}`);
  }
  for (const c of r.claims) {
    const title = `Claims checked${r.multiRun ? `: run ${c.runId}` : ""}`;
    const intro = `<p class="sub">${inline(CLAIMS_INTRO)}</p>`;
    parts.push(`<h2>${esc(title)}</h2>${intro}${htmlTable(claimsData(c.checks), `claims-${esc(c.runId)}`)}`);
  }
  return parts;
}

export function reportHtml(r: Report, svgs: { id: string; title: string; svg: string }[]): string {
  const head = `<!doctype html><html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width,initial-scale=1"><title>moebench report</title>
<style>${CSS}</style></head><body><main>`;
  const parts = [head, `<h1>moebench report</h1><p class="sub">${esc(subtitle(r))}</p>`];
  if (r.mock) parts.push(`<div class="mock" id="mock-banner">${esc(MOCK_BANNER)}</div>`);
  for (const n of scaleNotes(r)) parts.push(`<p class="caveat">${inline(n)}</p>`);
  parts.push(...moeSection(r));
  if (r.models.length) parts.push(`<h2>Models</h2>${htmlTable(modelsData(r), "models")}`);
  for (const [i, qm] of r.quantMatrices.entries()) {
    const note = fullScaleNote(qm);
    const sub = note ? `<p class="sub">${esc(note)}</p>` : "";
    const heading = `<h2>Quant matrix: ${esc(matrixHeading(qm, r.multiRun))}</h2>`;
    parts.push(`${heading}${sub}${htmlTable(quantMatrixData(qm), `quant-matrix-${i}`)}`);
  }
  if (r.perCard) {
    parts.push(`<h2>By card</h2><p class="sub">${esc(PER_CARD_INTRO)}</p>`);
    for (const t of perCardSections(r.perCard)) parts.push(`<h3>${esc(t.title)}</h3>${htmlTable(t.table, t.id)}`);
  }
  if (svgs.length) {
    const figs = svgs.map(
      (c) => `<figure class="chart" id="chart-${c.id}" aria-label="${esc(c.title)}">${c.svg}</figure>`,
    );
    parts.push(`<h2>Charts</h2><div class="charts">${figs.join("\n")}</div>`);
  }
  parts.push(`<h2>All instances</h2>${htmlTable(instanceData(r), "instances")}`);
  if (r.warnings.length)
    parts.push(
      `<h2>Warnings</h2><div class="warn"><ul>${r.warnings.map((w) => `<li>${esc(w)}</li>`).join("")}</ul></div>`,
    );
  parts.push(`<h2>Environment</h2>${envBlock(r)}`);
  const notes = [
    ...methodNotes(r),
    "Prefill (pp) and generation (tg) are separate timed phases; warm-up first; the context is cleared before each " +
      "repetition; every repetition's duration is stored in results.jsonl.",
  ];
  parts.push(`<h2>Method and notes</h2><ul class="notes">${notes.map((n) => `<li>${inline(n)}</li>`).join("")}</ul>`);
  parts.push("</main></body></html>");
  return parts.join("\n");
}
