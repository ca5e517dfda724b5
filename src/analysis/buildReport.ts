/** Everything a report shows, computed from records (pure; exporters only format it). */
import type { ResultRecord } from "../results/schema.js";
import { aggregate, type AggRow } from "./aggregate.js";
import {
  quantMatrix,
  familyOf,
  quantRank,
  type ModelFileFacts,
  type QuantMatrixRow,
  type QualityByPath,
} from "./quantMatrix.js";
import { cost, type Cost } from "./efficiency.js";
import { gpuPrice } from "../data/gpuPrices.js";

export interface ReportOptions {
  kwhPriceUsd: number;
  lifetimeHours: number;
  gpuPriceUsd?: number;
  cardVramGiB: number;
  cardName: string;
}

export interface MoeRow {
  model: string;
  arch: string;
  quant: string;
  params: number | null;
  activeParams: number | null;
  isMoe: boolean;
  pp: AggRow["pp"];
  tg: AggRow["tg"];
  tokPerJ: number | null;
  cost: Cost;
  gpu: string | null;
}

export interface Report {
  runs: { runId: string; suite: string; env: ResultRecord["env"]; records: number; failed: number }[];
  rows: AggRow[];
  /** fullScaleOf: VRAM columns are the full-size model's estimates, speeds were measured at this scale */
  quantMatrices: { family: string; rows: QuantMatrixRow[]; fullScaleOf?: string }[];
  moeVsDense: MoeRow[];
  anySynthetic: boolean;
  anyTelemetry: boolean;
  warnings: string[];
  options: ReportOptions;
  gpuName: string | null;
  priceNote: string | null;
}

const isPlain = (r: AggRow, test: "pp" | "tg"): boolean => {
  const p = r.record.params;
  return p.depth === 0 && p.parallel === 1 && (test === "pp" ? p.pp > 0 && p.tg === 0 : p.tg > 0 && p.pp === 0);
};

export function buildReport(
  records: readonly ResultRecord[],
  facts: ReadonlyMap<string, ModelFileFacts>,
  o: ReportOptions,
  qualityByPath: QualityByPath = new Map(),
): Report {
  const rows = aggregate(records);
  const runs = [...new Set(records.map((r) => r.runId))].map((id) => {
    const rs = records.filter((r) => r.runId === id);
    return {
      runId: id,
      suite: rs[0]!.suite,
      env: rs[0]!.env,
      records: rs.length,
      failed: rs.filter((r) => r.status !== "ok").length,
    };
  });
  const families = new Map<string, AggRow[]>();
  for (const r of rows) families.set(familyOf(r), [...(families.get(familyOf(r)) ?? []), r]);
  const quantMatrices = [...families.entries()]
    .filter(([, rs]) => new Set(rs.map((r) => r.quant)).size >= 2)
    .map(([family, rs]) => ({
      family,
      rows: quantMatrix(rs, facts, qualityByPath),
      fullScaleOf: facts.get(rs[0]!.record.model.ref)?.fullScaleOf,
    }));
  const gpuName = records.map((r) => r.telemetry.gpu?.name ?? r.env.gpus[0]?.name).find(Boolean) ?? null;
  const price = o.gpuPriceUsd ?? gpuPrice(gpuName)?.usd ?? null;
  const p = gpuPrice(gpuName);
  const priceNote = o.gpuPriceUsd
    ? `GPU price $${o.gpuPriceUsd} (given)`
    : p
      ? `${p.name}: $${p.usd} (${p.kind}, ${p.date}; ${p.source})`
      : gpuName
        ? `no price known for ${gpuName}: pass --gpu-price`
        : null;
  // MoE vs dense: one row per model file, from its plain pp and tg instances
  const byModel = new Map<string, AggRow[]>();
  for (const r of rows) byModel.set(r.record.model.ref, [...(byModel.get(r.record.model.ref) ?? []), r]);
  const moeVsDense: MoeRow[] = [...byModel.values()]
    .map((rs) => {
      const m = rs[0]!.record.model;
      const pp = rs.find((r) => r.status === "ok" && isPlain(r, "pp") && r.pp)?.pp ?? null;
      const tgRow = rs.find((r) => r.status === "ok" && isPlain(r, "tg") && r.tg);
      const tg = tgRow?.tg ?? null;
      const tokPerJ = tgRow?.tgTokPerJ?.gross ?? null;
      return {
        model: m.label,
        arch: m.arch ?? "?",
        quant: rs[0]!.quant,
        params: m.params,
        activeParams: m.activeParams,
        isMoe: !!m.isMoe,
        pp,
        tg,
        tokPerJ,
        cost: cost({
          tokPerSec: tg?.mean ?? 0,
          tokPerJoule: tokPerJ,
          gpuPriceUsd: price,
          kwhPriceUsd: o.kwhPriceUsd,
          lifetimeHours: o.lifetimeHours,
        }),
        gpu: gpuName,
      };
    })
    .sort((a, b) =>
      a.isMoe === b.isMoe
        ? quantRank(a.quant) - quantRank(b.quant) || a.model.localeCompare(b.model)
        : a.isMoe
          ? -1
          : 1,
    );
  const warnings = [...new Set(records.flatMap((r) => r.warnings))];
  return {
    runs,
    rows,
    quantMatrices,
    moeVsDense,
    options: o,
    gpuName,
    priceNote,
    warnings,
    anySynthetic: records.some((r) => r.model.synthetic),
    anyTelemetry: records.some((r) => r.telemetry.status === "ok"),
  };
}
