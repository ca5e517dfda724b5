/**
 * The seed's quant matrix (pure): Quant | Weights VRAM | + KV @ 8k | + KV @ 16k | gen tok/s | quality vs F16.
 * Measured values where a run measured them (GPU telemetry: VRAM after load − before load, after context
 * creation at that context); otherwise estimates from the GGUF (tensor bytes; KV = attention layers × ctx ×
 * KV heads × head dim × type size), marked as estimates. Compute buffers are not in the estimates.
 */
import type { AggRow } from "./aggregate.js";
import { kvBytes, type KvFacts } from "../gguf/kvCache.js";

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

export interface Cell {
  value: number;
  measured: boolean;
}
export interface QuantMatrixRow {
  quant: string;
  weightsBytes: Cell | null;
  with8k: Cell | null;
  with16k: Cell | null;
  genTokPerSec: { mean: number; ciLow: number; ciHigh: number; n: number } | null;
  genFailed: string | null;
  quality: string;
}

export interface ModelFileFacts extends KvFacts {
  tensorBytes: number;
  /** set when these are the full-size figures of a model that ran at a smaller scale */
  fullScaleOf?: string;
}

export function familyOf(r: AggRow): string {
  const m = r.record.model;
  if (m.synthetic)
    return `${m.synthetic.preset}${m.synthetic.scale && m.synthetic.scale !== "full" ? ` (${m.synthetic.scale})` : ""}`;
  return `${m.arch ?? "?"} ${m.params ? `${(m.params / 1e9).toFixed(1)}B` : m.label}`;
}

const MIB = 1024 * 1024;

/** Quality per model path (from `moebench quality --out <runDir>/quality.json`). */
export type QualityByPath = ReadonlyMap<
  string,
  { meanKld: number; top1Agreement: number; reference: string; synthetic: boolean }
>;

export function quantMatrix(
  rows: readonly AggRow[],
  facts: ReadonlyMap<string, ModelFileFacts>,
  qualityByPath: QualityByPath = new Map(),
): QuantMatrixRow[] {
  const byQuant = new Map<string, AggRow[]>();
  for (const r of rows) byQuant.set(r.quant, [...(byQuant.get(r.quant) ?? []), r]);
  const out: QuantMatrixRow[] = [];
  for (const [quant, rs] of [...byQuant.entries()].sort((a, b) => quantRank(a[0]) - quantRank(b[0]))) {
    const f = facts.get(rs[0]!.record.model.ref);
    const tel = f?.fullScaleOf
      ? undefined
      : rs.map((r) => r.record.telemetry.vram).find((v) => v && v.beforeLoadMiB != null && v.afterLoadMiB != null);
    const weights: Cell | null = tel
      ? { value: (tel.afterLoadMiB! - tel.beforeLoadMiB!) * MIB, measured: true }
      : f
        ? { value: f.tensorBytes, measured: false }
        : rs[0]!.record.model.sizeBytes
          ? { value: rs[0]!.record.model.sizeBytes!, measured: false }
          : null;
    const withCtx = (ctx: number): Cell | null => {
      const m = f?.fullScaleOf
        ? undefined
        : rs.find(
            (r) =>
              r.record.params.ctx === ctx &&
              r.record.params.kvK === "f16" &&
              r.record.params.parallel === 1 &&
              r.record.telemetry.vram?.afterContextMiB != null &&
              r.record.telemetry.vram.beforeLoadMiB != null,
          );
      if (m)
        return {
          value: (m.record.telemetry.vram!.afterContextMiB! - m.record.telemetry.vram!.beforeLoadMiB!) * MIB,
          measured: true,
        };
      if (!weights || !f) return null;
      return { value: weights.value + kvBytes(f, ctx).total, measured: false };
    };
    const gen = rs.filter(
      (r) =>
        r.record.params.tg > 0 &&
        r.record.params.pp === 0 &&
        r.record.params.depth === 0 &&
        r.record.params.parallel === 1,
    );
    const ok = gen.find((r) => r.status === "ok" && r.tg);
    out.push({
      quant,
      weightsBytes: weights,
      with8k: withCtx(8192),
      with16k: withCtx(16384),
      genTokPerSec: ok?.tg ? { mean: ok.tg.mean, ciLow: ok.tg.ciLow, ciHigh: ok.tg.ciHigh, n: ok.tg.n } : null,
      genFailed: !ok && gen.length ? gen[0]!.status : null,
      quality: (() => {
        const q = rs.map((r) => qualityByPath.get(r.record.model.path ?? "")).find(Boolean);
        if (q)
          return `KLD ${q.meanKld.toExponential(2)}, top-1 ${(q.top1Agreement * 100).toFixed(1)}% vs ${q.reference}${q.synthetic ? " (noise only)" : ""}`;
        return /^(F16|BF16|F32)$/.test(quant) ? "reference" : "not measured";
      })(),
    });
  }
  return out;
}
