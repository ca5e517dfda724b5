/** Everything a report shows, computed from records (pure; exporters only format it). */
import type { ResultRecord } from "../results/schema.js";
import { aggregate, type AggRow } from "./aggregate.js";
import { checkClaims, type ClaimCheck } from "./claims.js";
import { cost, NO_COST, type Cost } from "./efficiency.js";
import { identityKey, type Identity } from "./identity.js";
import { moeDensePairs, type MoePair } from "./moeVsDense.js";
import {
  MATRIX_CONFIG_FIELDS,
  familyOf,
  fitEstimate,
  quantMatrices,
  quantRank,
  QUANT_ORDER,
  type QualityByPath,
  type QuantMatrix,
  type ReportFacts,
} from "./quantMatrix.js";
import { runInfos, type PriceOptions, type RunInfo } from "./runInfo.js";
import { perCard, type PerCard } from "./perCard.js";
import type { Summary } from "../util/stats.js";

export interface ReportOptions extends PriceOptions {
  kwhPriceUsd: number;
  lifetimeHours: number;
  cardVramGiB: number;
  cardName: string;
}

/** One model file of one run in one configuration: its plain pp and tg, energy and cost. */
export interface ModelRow {
  runId: string;
  model: string;
  arch: string;
  quant: string;
  params: number | null;
  activeParams: number | null;
  isMoe: boolean;
  config: Identity;
  pp: Summary | null;
  tg: Summary | null;
  tokPerJ: number | null;
  cost: Cost;
}

/** Stacked VRAM estimate (GiB) of one model against context, for the VRAM chart. */
export interface VramPoint {
  model: string;
  ctx: number;
  part: "weights" | "KV cache + state" | "compute buffer";
  gib: number;
}

export interface Report {
  runs: RunInfo[];
  multiRun: boolean;
  rows: AggRow[];
  /** cost of each row's generation figure (parallel to rows; NO_COST where nothing is priced) */
  rowCosts: Cost[];
  models: ModelRow[];
  pairs: MoePair[];
  claims: { runId: string; checks: ClaimCheck[] }[];
  quantMatrices: QuantMatrix[];
  vram: { points: VramPoint[]; kv: string; fa: boolean } | null;
  /** several GPU setups (cards, hosts, drivers, builds): a column per setup (analysis/perCard.ts) */
  perCard: PerCard | null;
  anyTelemetry: boolean;
  mock: boolean;
  warnings: string[];
  options: ReportOptions;
}

const isPlain = (r: AggRow, test: "pp" | "tg"): boolean => {
  const p = r.record.params;
  if (p.depth !== 0 || p.parallel !== 1) return false;
  return test === "pp" ? p.pp > 0 && p.tg === 0 : p.tg > 0 && p.pp === 0;
};

function costOf(tg: Summary | null, tokPerJ: number | null, run: RunInfo | undefined, o: ReportOptions): Cost {
  if (!tg) return NO_COST;
  const pricing = run?.pricing ?? null;
  return cost({
    tokPerSec: tg.mean,
    tokPerJoule: tokPerJ,
    pricing,
    kwhPriceUsd: o.kwhPriceUsd,
    lifetimeHours: o.lifetimeHours,
  });
}

function modelRows(rows: readonly AggRow[], runs: readonly RunInfo[], o: ReportOptions): ModelRow[] {
  const groups = new Map<string, AggRow[]>();
  for (const r of rows) {
    const k = `${r.runId}|${r.record.model.ref}|${identityKey(r.identity, MATRIX_CONFIG_FIELDS)}`;
    groups.set(k, [...(groups.get(k) ?? []), r]);
  }
  const out: ModelRow[] = [];
  for (const rs of groups.values()) {
    const first = rs[0]!;
    const m = first.record.model;
    const pp = rs.find((r) => r.status === "ok" && isPlain(r, "pp") && r.pp)?.pp ?? null;
    const tgRow = rs.find((r) => r.status === "ok" && isPlain(r, "tg") && r.tg);
    const tg = tgRow?.tg ?? null;
    const tokPerJ = tgRow?.tgTokPerJ?.gross ?? null;
    const c = costOf(
      tg,
      tokPerJ,
      runs.find((x) => x.runId === first.runId),
      o,
    );
    out.push({
      runId: first.runId,
      model: m.label,
      arch: m.arch ?? "?",
      quant: first.quant,
      params: m.params,
      activeParams: m.activeParams,
      isMoe: !!m.isMoe,
      config: (tgRow ?? first).identity,
      pp,
      tg,
      tokPerJ,
      cost: c,
    });
  }
  return out.sort(
    (a, b) =>
      a.runId.localeCompare(b.runId) ||
      Number(b.isMoe) - Number(a.isMoe) ||
      quantRank(a.quant) - quantRank(b.quant) ||
      a.model.localeCompare(b.model),
  );
}

/** Per model family, the quant closest to Q4_K_M: weights + KV + compute from fit at 4k…32k. */
function vramSeries(rows: readonly AggRow[], facts: ReadonlyMap<string, ReportFacts>): Report["vram"] {
  const target = QUANT_ORDER.indexOf("Q4_K_M");
  const pick = new Map<string, AggRow>();
  for (const r of rows) {
    if (!facts.has(r.record.model.ref)) continue;
    const fam = familyOf(r);
    const cur = pick.get(fam);
    if (!cur || Math.abs(quantRank(r.quant) - target) < Math.abs(quantRank(cur.quant) - target)) pick.set(fam, r);
  }
  if (!pick.size) return null;
  const first = [...pick.values()][0]!.record.params;
  // serving records have null parameters (unknown to a client) and no model facts: never picked above
  const kv = first.kvK !== null && first.kvK === first.kvV ? first.kvK : "f16";
  const fa = first.flashAttention ?? false;
  const points: VramPoint[] = [];
  const GiB = 1024 ** 3;
  for (const [fam, r] of pick) {
    const f = facts.get(r.record.model.ref)!;
    const label = `${f.fullScaleOf ? `${fam.replace(/ \(\w+\)$/, "")} (full size)` : fam} ${r.quant}`;
    for (const ctx of [4096, 8192, 16384, 32768]) {
      const e = fitEstimate(f, { ctx, kvK: kv, kvV: kv, flashAttention: fa, batch: r.record.params.batch ?? 512 });
      if (!e) continue;
      points.push({ model: label, ctx, part: "weights", gib: e.weights / GiB });
      points.push({ model: label, ctx, part: "KV cache + state", gib: e.kvAndState / GiB });
      points.push({ model: label, ctx, part: "compute buffer", gib: e.compute / GiB });
    }
  }
  return points.length ? { points, kv, fa } : null;
}

export function buildReport(
  records: readonly ResultRecord[],
  facts: ReadonlyMap<string, ReportFacts>,
  o: ReportOptions,
  qualityByPath: QualityByPath = new Map(),
): Report {
  const rows = aggregate(records);
  const runs = runInfos(records, o);
  const pairs = moeDensePairs(rows);
  const warnings = [...new Set(records.flatMap((r) => r.warnings))];
  for (const run of runs) if (run.pricingNote) warnings.push(run.pricingNote);
  return {
    runs,
    multiRun: runs.length > 1,
    rows,
    rowCosts: rows.map((r) =>
      costOf(
        r.tg ?? r.parallelTg,
        r.tgTokPerJ?.gross ?? null,
        runs.find((x) => x.runId === r.runId),
        o,
      ),
    ),
    models: modelRows(rows, runs, o),
    pairs,
    claims: runs.map((run) => ({ runId: run.runId, checks: checkClaims(run, rows, pairs, facts) })),
    quantMatrices: quantMatrices(rows, facts, qualityByPath),
    vram: vramSeries(rows, facts),
    perCard: perCard(rows, o),
    anyTelemetry: records.some((r) => r.telemetry.status === "ok"),
    mock: runs.some((r) => r.mock),
    warnings,
    options: o,
  };
}
