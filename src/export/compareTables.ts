/** compare's tables as data, shared by its Markdown and HTML (pure). */
import type { CompareResult, CompareRow, Verdict } from "../analysis/compare.js";
import { IDENTITY_HEADERS } from "../analysis/identity.js";
import { MEAN_CI, meanCi, pctChange, ratioCiText } from "./format.js";
import { table, type Column, type TableData } from "./reportTables.js";

export interface CompareTextOptions {
  threshold: number;
  alpha: number;
}

const BAD: Verdict[] = ["slower", "failed"];

function side(r: CompareRow, which: "baseline" | "candidate"): string {
  const s = r[which];
  if (s) return meanCi(s);
  const status = r.status[which];
  if (status === null) return "—";
  return status === "ok" ? "ok" : `**${status}**`;
}

function verdictCell(r: CompareRow): string {
  const v = BAD.includes(r.verdict) ? `**${r.verdict}**` : r.verdict;
  return `${v}${r.noisy ? " (noisy)" : ""}${r.pooled.baseline > 1 || r.pooled.candidate > 1 ? " (pooled)" : ""}`;
}

function pText(p: number | null): string {
  if (p === null) return "—";
  return p < 1e-4 ? "<0.0001" : p.toFixed(4);
}

export function compareData(c: CompareResult): TableData {
  const ids: Column<CompareRow>[] = c.varying.map((f) => ({ header: IDENTITY_HEADERS[f], cell: (r) => r.identity[f] }));
  return table(c.rows, [
    { header: "model", cell: (r) => r.label },
    ...ids,
    { header: "metric", cell: (r) => r.metric ?? "—" },
    { header: `baseline, ${MEAN_CI}`, cell: (r) => side(r, "baseline"), align: "r" },
    { header: `candidate, ${MEAN_CI}`, cell: (r) => side(r, "candidate"), align: "r" },
    {
      header: "n (base/cand)",
      cell: (r) => (r.baseline && r.candidate ? `${r.baseline.n}/${r.candidate.n}` : "—"),
      align: "r",
    },
    { header: "ratio (95% CI)", cell: (r) => ratioCiText(r), align: "r" },
    { header: "change", cell: (r) => pctChange(r.ratio), align: "r" },
    { header: "p (Welch)", cell: (r) => pText(r.pValue), align: "r" },
    { header: "verdict", cell: verdictCell },
  ]);
}

export function identityData(c: CompareResult): TableData {
  return table(c.identity, [
    { header: "field", cell: (i) => i.field },
    { header: "baseline", cell: (i) => i.baseline },
    { header: "candidate", cell: (i) => i.candidate },
  ]);
}

/** The summary sentence under the table, and the counts the exit code follows. */
export function compareSummary(c: CompareResult, o: CompareTextOptions): string[] {
  const lines: string[] = [];
  const lo = (1 - o.threshold).toFixed(3);
  const hi = (1 + o.threshold).toFixed(3);
  lines.push(
    c.regressions
      ? `**${c.regressions} regression(s)**: slower, or failed on the candidate where the baseline ran.`
      : "No significant regression.",
  );
  if (c.inconclusive)
    lines.push(
      `${c.inconclusive} inconclusive: the ratio's 95% CI reaches beyond ${lo}–${hi} without a significant change ` +
        "(more repetitions would tell).",
    );
  lines.push(
    `Compared ${c.matched} of ${c.baselineInstances} baseline instance(s)` +
      `${c.matched < c.baselineInstances ? " (the rest are missing from the candidate)" : ""}.`,
  );
  lines.push(
    `slower/faster = Welch's t-test p < ${o.alpha} on the stored repetitions and a ratio beyond ${lo}/${hi}; ` +
      `same = the whole 95% CI of the ratio within ${lo}–${hi}; both-failed is not a regression.` +
      (c.ignored.length ? ` Ignored in the join: ${c.ignored.join(", ")}.` : ""),
  );
  return lines;
}
