/** index.html: one self-contained file (inline CSS and SVG, no network): tables, charts, environment, method notes (pure). */
import type { Report } from "../analysis/buildReport.js";
import {
  fullScaleNote,
  instanceData,
  moeData,
  quantMatrixData,
  reportNotes,
  type TableData,
} from "./reportMarkdown.js";
import { COST_FOOTNOTES } from "../analysis/efficiency.js";

const esc = (s: string): string =>
  s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");
const inline = (s: string): string =>
  esc(s)
    .replace(/\*\*(.+?)\*\*/g, "<strong>$1</strong>")
    .replace(/`(.+?)`/g, "<code>$1</code>");

function table(t: TableData, id: string): string {
  const th = t.headers.map((h, i) => `<th class="${t.align[i] === "r" ? "num" : ""}">${esc(h)}</th>`).join("");
  const rows = t.rows
    .map(
      (r) =>
        `<tr>${r.map((c, i) => `<td class="${t.align[i] === "r" ? "num" : ""}${/^\*\*(error|oom|crash|timeout)/.test(c) ? " fail" : ""}">${inline(c)}</td>`).join("")}</tr>`,
    )
    .join("\n");
  return `<div class="scroll"><table id="${id}"><thead><tr>${th}</tr></thead><tbody>\n${rows}\n</tbody></table></div>`;
}

const CSS = `
:root{--fg:#1d2330;--muted:#5b6475;--line:#e3e6ec;--accent:#2c5fb3;--bad:#b3261e}
*{box-sizing:border-box}body{font:14px/1.5 "DejaVu Sans",system-ui,sans-serif;color:var(--fg);margin:0;background:#fafbfc}
main{max-width:1180px;margin:0 auto;padding:24px 28px 60px}h1{font-size:26px;margin:0 0 4px}h2{font-size:19px;margin:34px 0 10px;border-bottom:1px solid var(--line);padding-bottom:4px}
.sub{color:var(--muted);margin:0 0 18px}.scroll{overflow-x:auto;background:#fff;border:1px solid var(--line);border-radius:6px}
table{border-collapse:collapse;width:100%;font-size:13px}th,td{padding:6px 10px;border-bottom:1px solid var(--line);text-align:left;white-space:nowrap}
th{background:#f1f3f7;font-weight:600}td.num,th.num{text-align:right;font-variant-numeric:tabular-nums}td.fail{color:var(--bad)}tr:last-child td{border-bottom:none}
.charts{display:grid;grid-template-columns:1fr;gap:16px}.chart{background:#fff;border:1px solid var(--line);border-radius:6px;padding:10px;overflow-x:auto}
.chart svg{max-width:100%;height:auto}ul.notes li{margin:4px 0;color:var(--muted)}dl.env{display:grid;grid-template-columns:max-content 1fr;gap:2px 16px;background:#fff;border:1px solid var(--line);border-radius:6px;padding:10px 14px}
dt{color:var(--muted)}dd{margin:0}.warn{background:#fff7e6;border:1px solid #f0d9a8;border-radius:6px;padding:8px 12px}code{font-size:12px}`;

export function reportHtml(r: Report, svgs: { id: string; title: string; svg: string }[]): string {
  const env = r.runs
    .map(
      (run) => `<dl class="env">
<dt>run</dt><dd>${esc(run.runId)} (suite ${esc(run.suite)}), ${run.records} instances${run.failed ? `, <strong>${run.failed} failed</strong>` : ""}</dd>
<dt>llama.cpp</dt><dd>${esc(run.env.llamaCppRelease ?? "?")} (commit ${esc(run.env.llamaCppCommit ?? "?")}) via node-llama-cpp ${esc(run.env.nodeLlamaCpp ?? "?")}</dd>
<dt>backend</dt><dd>${esc(run.env.backend)}${run.env.gpus.length ? ` — ${esc(run.env.gpus.map((g) => g.name).join(", "))}` : ""}</dd>
<dt>host</dt><dd>${esc(run.env.cpu)} × ${run.env.cpuCores}, ${esc(run.env.os)}, Node ${esc(run.env.node)}, moebench ${esc(run.env.moebench)}</dd></dl>`,
    )
    .join("\n");
  const parts = [
    `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1"><title>moebench report</title><style>${CSS}</style></head><body><main>`,
    `<h1>moebench report</h1><p class="sub">MoE vs dense GGUF models on llama.cpp — measured ${esc(r.rows[0]?.record.timestamp.slice(0, 10) ?? "")}${r.anySynthetic ? " · synthetic models (real shapes, random weights)" : ""}</p>`,
  ];
  if (r.moeVsDense.length) parts.push(`<h2>MoE vs dense</h2>${table(moeData(r), "moe-vs-dense")}`);
  for (const [i, qm] of r.quantMatrices.entries())
    parts.push(
      `<h2>Quant matrix: ${esc(qm.family)}</h2>${qm.fullScaleOf ? `<p class="sub">${esc(fullScaleNote(qm.fullScaleOf))}</p>` : ""}${table(quantMatrixData(qm.rows), `quant-matrix-${i}`)}`,
    );
  if (svgs.length)
    parts.push(
      `<h2>Charts</h2><div class="charts">${svgs.map((c) => `<figure class="chart" id="chart-${c.id}" aria-label="${esc(c.title)}">${c.svg}</figure>`).join("\n")}</div>`,
    );
  parts.push(`<h2>All instances</h2>${table(instanceData(r), "instances")}`);
  if (r.warnings.length)
    parts.push(
      `<h2>Warnings</h2><div class="warn"><ul>${r.warnings.map((w) => `<li>${esc(w)}</li>`).join("")}</ul></div>`,
    );
  parts.push(`<h2>Environment</h2>${env}`);
  parts.push(`<h2>Method and notes</h2><ul class="notes">${[...reportNotes(r), ...COST_FOOTNOTES, ...(r.priceNote ? [`Price used: ${r.priceNote}; electricity $${r.options.kwhPriceUsd}/kWh; hardware amortised over ${r.options.lifetimeHours} h.`] : [])].map((n) => `<li>${inline(n)}</li>`).join("")}
<li>Prefill (pp) and generation (tg) are separate timed phases; warm-up first; the context is cleared before each repetition; every repetition's duration is stored in results.jsonl.</li></ul>`);
  parts.push("</main></body></html>");
  return parts.join("\n");
}
