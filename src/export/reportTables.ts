/**
 * The report's tables as data (headers, rows, alignment), shared by the Markdown and HTML exporters so both
 * show the same numbers under the same labels (pure).
 */
import type { Report } from "../analysis/buildReport.js";
import type { ClaimCheck } from "../analysis/claims.js";
import { IDENTITY_HEADERS, varyingFields, type Identity, type IdentityField } from "../analysis/identity.js";
import type { MoePair, PairPhase } from "../analysis/moeVsDense.js";
import type { QuantMatrix, QuantMatrixRow } from "../analysis/quantMatrix.js";
import { fixed, gib, MEAN_CI, meanCi, paramsText, ratioCiText, statusCell } from "./format.js";

export interface TableData {
  headers: string[];
  rows: string[][];
  align: ("l" | "r")[];
}

export interface Column<T> {
  header: string;
  cell: (row: T) => string;
  align?: "l" | "r";
  /** the column is shown only when this holds */
  when?: boolean;
}

export function table<T>(rows: readonly T[], columns: readonly Column<T>[]): TableData {
  const cols = columns.filter((c) => c.when !== false);
  return {
    headers: cols.map((c) => c.header),
    rows: rows.map((r) => cols.map((c) => c.cell(r))),
    align: cols.map((c) => c.align ?? "l"),
  };
}

/** Identity columns that vary among the rows (model and quant have their own columns). */
function identityColumns<T>(ids: (row: T) => Identity, rows: readonly T[], skip: IdentityField[]) {
  const fields = varyingFields(
    rows.map(ids),
    (["test", "ctx", "kv", "fa", "threads", "ngl", "batch", "ubatch", "tgMode", "args", "gpu"] as const).filter(
      (f) => !skip.includes(f),
    ),
  );
  return fields.map((f): Column<T> => ({ header: IDENTITY_HEADERS[f], cell: (r) => ids(r)[f] }));
}

export function modelsData(r: Report): TableData {
  const priced = r.models.some((m) => m.cost.tokPerSecPerDollar !== null || m.cost.totalPerMTok !== null);
  const energy = r.models.some((m) => m.tokPerJ !== null);
  return table(r.models, [
    { header: "run", cell: (m) => m.runId, when: r.multiRun },
    { header: "model", cell: (m) => m.model },
    { header: "arch", cell: (m) => `${m.arch}${m.isMoe ? " (MoE)" : ""}` },
    { header: "quant", cell: (m) => m.quant },
    ...identityColumns((m) => m.config, r.models, ["test"]),
    { header: "total params", cell: (m) => paramsText(m.params), align: "r" },
    { header: "active params", cell: (m) => paramsText(m.activeParams), align: "r" },
    { header: `pp tok/s, ${MEAN_CI}`, cell: (m) => meanCi(m.pp), align: "r" },
    { header: `tg tok/s, ${MEAN_CI}`, cell: (m) => meanCi(m.tg), align: "r" },
    { header: "tg tok/J", cell: (m) => fixed(m.tokPerJ), align: "r", when: energy },
    { header: "tg tok/s per $", cell: (m) => fixed(m.cost.tokPerSecPerDollar, 3), align: "r", when: priced },
    { header: "$ / Mtok", cell: (m) => fixed(m.cost.totalPerMTok, 3), align: "r", when: priced },
  ]);
}

export function pairsData(r: Report, phase: PairPhase): TableData {
  const pairs = r.pairs.filter((p) => p.phase === phase);
  return table<MoePair>(pairs, [
    { header: "run", cell: (p) => p.runId, when: r.multiRun },
    { header: "quant", cell: (p) => p.quant },
    { header: "test", cell: (p) => p.test },
    { header: "MoE model", cell: (p) => p.moe.model },
    { header: "dense model", cell: (p) => p.dense.model },
    ...identityColumns((p) => p.moe.identity, pairs, ["test"]),
    { header: `MoE ${phase} tok/s, ${MEAN_CI}`, cell: (p) => meanCi(p.moeRate), align: "r" },
    { header: `dense ${phase} tok/s, ${MEAN_CI}`, cell: (p) => meanCi(p.denseRate), align: "r" },
    { header: "MoE ÷ dense (95% CI)", cell: (p) => `${ratioCiText(p)}${p.noisy ? " noisy" : ""}`, align: "r" },
  ]);
}

export function claimsData(checks: readonly ClaimCheck[]): TableData {
  return table(checks, [
    { header: "claim", cell: (c) => c.claim },
    { header: "the article", cell: (c) => c.article },
    { header: "measured", cell: (c) => c.measured },
    { header: "verdict", cell: claimVerdictText },
    { header: "measured on / how to test", cell: (c) => c.basis },
    { header: "caveat", cell: (c) => c.note, when: checks.some((c) => c.note) },
  ]);
}

const cellText = (c: QuantMatrixRow["weights"]): string => {
  if (!c) return "—";
  return c.measured ? gib(c.bytes) : `≈${gib(c.bytes)}`;
};

const ctxLabel = (ctx: number): string => (ctx % 1024 === 0 ? `${ctx / 1024}k` : String(ctx));

export function quantMatrixData(qm: QuantMatrix): TableData {
  const genHeader = (ctx: number): string =>
    `tok/s gen, ${MEAN_CI}${qm.genContexts.length > 1 ? ` @ ctx ${ctxLabel(ctx)}` : ""}`;
  return table<QuantMatrixRow>(qm.rows, [
    { header: "quant", cell: (q) => q.quant },
    { header: "weights on GPU, GiB", cell: (q) => cellText(q.weights), align: "r" },
    ...qm.contexts.map(
      (ctx, i): Column<QuantMatrixRow> => ({
        header: `total @ ${ctxLabel(ctx)}, GiB`,
        cell: (q) => cellText(q.totals[i] ?? null),
        align: "r",
      }),
    ),
    ...qm.genContexts.map(
      (ctx, i): Column<QuantMatrixRow> => ({
        header: genHeader(ctx),
        cell: (q) => {
          const g = q.gen[i];
          if (!g) return "—";
          return "summary" in g ? meanCi(g.summary) : `**${g.failed}**`;
        },
        align: "r",
      }),
    ),
    { header: "quality vs F16", cell: (q) => q.quality },
  ]);
}

export function instanceData(r: Report): TableData {
  const energy = r.rows.some((x) => x.tgTokPerJ !== null);
  return table(r.rows, [
    { header: "run", cell: (x) => x.runId, when: r.multiRun },
    { header: "model", cell: (x) => x.model },
    { header: "quant", cell: (x) => x.quant },
    { header: "test", cell: (x) => x.testId },
    { header: "ctx", cell: (x) => x.identity.ctx, align: "r" },
    { header: "KV K/V", cell: (x) => x.identity.kv },
    { header: "FA", cell: (x) => x.identity.fa },
    { header: "threads", cell: (x) => x.identity.threads, align: "r" },
    ...identityColumns((x) => x.identity, r.rows, ["test", "ctx", "kv", "fa", "threads"]),
    { header: `pp tok/s, ${MEAN_CI}`, cell: (x) => meanCi(x.pp), align: "r" },
    { header: `tg tok/s, ${MEAN_CI}`, cell: (x) => meanCi(x.tg ?? x.parallelTg), align: "r" },
    { header: "tg tok/J", cell: (x) => fixed(x.tgTokPerJ?.gross), align: "r", when: energy },
    { header: "status", cell: (x) => statusCell(x.status, x.record.error?.message) },
  ]);
}

/** Verdicts that grade the claim are bold; "not tested" and "no evidence" (mock or tiny runs) are not. */
function claimVerdictText(c: ClaimCheck): string {
  if (c.verdict === "not tested") return "not tested in this run";
  if (c.verdict === "no evidence") return "no evidence (mock or tiny run)";
  return `**${c.verdict}**`;
}
