/**
 * The article's quant matrix (pure): per quant, the weights on the GPU, the total at 8k and 16k context (and
 * any larger context the suite ran), generation tok/s, quality vs F16. One matrix per model family, run and
 * configuration (KV type, flash attention, threads, batch…): records with another configuration never mix.
 *
 * VRAM: measured where GPU telemetry measured it (after load − before load; after context creation − before
 * load at that context), else the estimate of `moebench fit` (src/gguf/fit.ts fitRow: weights on the device,
 * KV cache, recurrent state, compute buffer; no runtime allowance), for the suite's KV type and flash
 * attention. Estimates and measurements are marked apart.
 */
import type { AggRow } from "./aggregate.js";
import { fitRow, type FitFacts } from "../gguf/fit.js";
import type { Summary } from "../util/stats.js";
import { CONFIG_FIELDS, identityKey, type Identity, type IdentityField } from "./identity.js";
import { vramGrowth } from "../telemetry/instanceTelemetry.js";

export const QUANT_ORDER = [
  "F32",
  "F16",
  "BF16",
  "Q8_0",
  "Q6_K",
  "Q5_K_M",
  "Q5_K_S",
  "Q5_1",
  "Q5_0",
  "Q4_K_M",
  "Q4_K_S",
  "Q4_1",
  "Q4_0",
  "Q3_K_L",
  "Q3_K_M",
  "Q3_K_S",
  "Q2_K",
];
export const quantRank = (q: string): number => {
  const i = QUANT_ORDER.indexOf(q);
  return i < 0 ? QUANT_ORDER.length : i;
};

/** Model facts for VRAM estimates: fit's facts, plus the scale they stand for. */
export interface ReportFacts extends FitFacts {
  /** set when these are the full-size figures of a model that ran at a smaller scale (small, tiny) */
  fullScaleOf?: string;
}

export interface Cell {
  bytes: number;
  measured: boolean;
}

export type GenCell = { summary: Summary } | { failed: string } | null;

export interface QuantMatrixRow {
  quant: string;
  weights: Cell | null;
  /** one per QuantMatrix.contexts */
  totals: (Cell | null)[];
  /** one per QuantMatrix.genContexts */
  gen: GenCell[];
  quality: string;
}

export interface QuantMatrix {
  runId: string;
  family: string;
  /** the configuration every record of this matrix shares (see MATRIX_CONFIG_FIELDS) */
  config: Identity;
  fullScaleOf?: string;
  contexts: number[];
  genContexts: number[];
  rows: QuantMatrixRow[];
}

/** Fields that define a quant matrix's configuration (all but model, quant, test and context). */
export const MATRIX_CONFIG_FIELDS: readonly IdentityField[] = CONFIG_FIELDS.filter((f) => f !== "ctx");

/** The article's columns (8k and 16k context) plus any context of 4k or more that the suite ran. */
export const SEED_CONTEXTS = [8192, 16384];

export function familyOf(r: AggRow): string {
  const m = r.record.model;
  if (m.synthetic) {
    const scale = m.synthetic.scale && m.synthetic.scale !== "full" ? ` (${m.synthetic.scale})` : "";
    return `${m.synthetic.preset}${scale}`;
  }
  return `${m.arch ?? "?"} ${m.params ? `${(m.params / 1e9).toFixed(1)}B` : m.label}`;
}

/** Quality per model path (from `moebench quality --out <runDir>/quality.json`). */
export type QualityByPath = ReadonlyMap<
  string,
  { meanKld: number; top1Agreement: number; reference: string; synthetic: boolean }
>;

const MIB = 1024 * 1024;

/**
 * `moebench fit`'s total for one configuration (all layers on the GPU, one sequence, no runtime allowance),
 * or null where fit cannot say (K and V of different types, a configuration llama.cpp refuses).
 */
export function fitEstimate(
  f: FitFacts,
  c: { ctx: number; kvK: string; kvV: string; flashAttention: boolean; batch: number },
): { weights: number; kvAndState: number; compute: number; total: number } | null {
  if (c.kvK !== c.kvV) return null;
  let row: ReturnType<typeof fitRow>;
  try {
    row = fitRow(f, c.ctx, c.kvK, c.flashAttention, { parallel: 1, batch: c.batch, vramBytes: null, overheadBytes: 0 });
  } catch {
    return null; // a KV type fit does not know
  }
  if (row.invalid) return null;
  return {
    weights: row.weights.device,
    kvAndState: row.kvCache.device + row.recurrentState.device,
    compute: row.compute.device,
    total: row.total,
  };
}

/** Weights on the card as telemetry measured them (telemetry's vramGrowth: after load − before load). */
function measuredWeights(rs: readonly AggRow[]): Cell | null {
  for (const r of rs) {
    const v = r.record.telemetry.vram;
    const w = v ? vramGrowth(v).weightsMiB : null;
    if (w !== null) return { bytes: w * MIB, measured: true };
  }
  return null;
}

/** Everything loading and the context put on the card at this context: weights + what the context added. */
function measuredTotal(rs: readonly AggRow[], ctx: number): Cell | null {
  for (const r of rs) {
    const v = r.record.telemetry.vram;
    if (!v || r.record.params.ctx !== ctx || r.record.params.parallel !== 1) continue;
    const g = vramGrowth(v);
    if (g.weightsMiB !== null && g.contextMiB !== null)
      return { bytes: (g.weightsMiB + g.contextMiB) * MIB, measured: true };
  }
  return null;
}

const isPlainTg = (r: AggRow): boolean => {
  const p = r.record.params;
  return p.tg > 0 && p.pp === 0 && p.depth === 0 && p.parallel === 1;
};

function genCell(rs: readonly AggRow[], ctx: number): GenCell {
  const gen = rs.filter((r) => isPlainTg(r) && r.record.params.ctx === ctx);
  const ok = gen.find((r) => r.status === "ok" && r.tg);
  if (ok?.tg) return { summary: ok.tg };
  return gen.length ? { failed: gen[0]!.status } : null;
}

function qualityText(rs: readonly AggRow[], quant: string, q: QualityByPath): string {
  const found = rs.map((r) => q.get(r.record.model.path ?? "")).find(Boolean);
  if (found) {
    const noise = found.synthetic ? " (random-weight model: quantization noise only)" : "";
    const top1 = (found.top1Agreement * 100).toFixed(1);
    return `KLD ${found.meanKld.toExponential(2)}, top-1 ${top1}% vs ${found.reference}${noise}`;
  }
  return /^(F16|BF16|F32)$/.test(quant) ? "reference" : "not measured";
}

function matrixRows(
  rs: readonly AggRow[],
  facts: ReadonlyMap<string, ReportFacts>,
  contexts: readonly number[],
  genContexts: readonly number[],
  quality: QualityByPath,
): QuantMatrixRow[] {
  const byQuant = new Map<string, AggRow[]>();
  for (const r of rs) byQuant.set(r.quant, [...(byQuant.get(r.quant) ?? []), r]);
  const quants = [...byQuant.keys()].sort((a, b) => quantRank(a) - quantRank(b));
  return quants.map((quant) => {
    const qs = byQuant.get(quant)!;
    const p = qs[0]!.record.params;
    const f = facts.get(qs[0]!.record.model.ref);
    // a small-scale run's VRAM cannot stand for the full-size model: estimates only
    const measure = !f?.fullScaleOf;
    const est = (ctx: number) =>
      f
        ? fitEstimate(f, {
            ctx,
            kvK: p.kvK ?? "f16",
            kvV: p.kvV ?? "f16",
            flashAttention: p.flashAttention ?? false,
            batch: p.batch ?? 512,
          })
        : null;
    const anyEst = est(contexts[0] ?? 8192);
    const weights =
      (measure ? measuredWeights(qs) : null) ?? (anyEst ? { bytes: anyEst.weights, measured: false } : null);
    const totals = contexts.map((ctx) => {
      const m = measure ? measuredTotal(qs, ctx) : null;
      if (m) return m;
      const e = est(ctx);
      return e ? { bytes: e.total, measured: false } : null;
    });
    return {
      quant,
      weights,
      totals,
      gen: genContexts.map((ctx) => genCell(qs, ctx)),
      quality: qualityText(qs, quant, quality),
    };
  });
}

/** One matrix per run × family × configuration with at least two quants. */
export function quantMatrices(
  rows: readonly AggRow[],
  facts: ReadonlyMap<string, ReportFacts>,
  quality: QualityByPath = new Map(),
): QuantMatrix[] {
  const groups = new Map<string, AggRow[]>();
  for (const r of rows) {
    const k = `${r.runId}|${familyOf(r)}|${identityKey(r.identity, MATRIX_CONFIG_FIELDS)}`;
    groups.set(k, [...(groups.get(k) ?? []), r]);
  }
  const out: QuantMatrix[] = [];
  for (const rs of groups.values()) {
    if (new Set(rs.map((r) => r.quant)).size < 2) continue;
    // serving records' context is unknown (null): not a context the matrix can show
    const ran = rs.map((r) => r.record.params.ctx).filter((c): c is number => c !== null);
    const contexts = [...new Set([...SEED_CONTEXTS, ...ran.filter((c) => c >= 4096)])].sort((a, b) => a - b);
    const genContexts = [...new Set(rs.filter(isPlainTg).flatMap((r) => r.record.params.ctx ?? []))].sort(
      (a, b) => a - b,
    );
    out.push({
      runId: rs[0]!.runId,
      family: familyOf(rs[0]!),
      config: rs[0]!.identity,
      fullScaleOf: facts.get(rs[0]!.record.model.ref)?.fullScaleOf,
      contexts,
      genContexts,
      rows: matrixRows(rs, facts, contexts, genContexts, quality),
    });
  }
  return out;
}
