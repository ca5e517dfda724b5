/**
 * KV-cache size from the architecture (pure): only attention layers hold a KV cache; hybrid short-conv
 * layers keep a small fixed state.
 */
export const KV_TYPE_BYTES: Readonly<Record<string, number>> = {
  f32: 4,
  f16: 2,
  bf16: 2,
  q8_0: 34 / 32,
  q4_0: 18 / 32,
  q4_1: 20 / 32,
  q5_0: 22 / 32,
  q5_1: 24 / 32,
  iq4_nl: 18 / 32,
};

export interface KvFacts {
  attentionLayers: readonly number[];
  nHeadKv: number;
  headDimK: number;
  headDimV: number;
}

/** Bytes of K and V for `cells` cache cells (context × parallel sequences). */
export function kvBytes(f: KvFacts, cells: number, kvK = "f16", kvV = "f16"): { k: number; v: number; total: number } {
  const bk = KV_TYPE_BYTES[kvK];
  const bv = KV_TYPE_BYTES[kvV];
  if (bk === undefined || bv === undefined) throw new Error(`unknown KV cache type ${bk === undefined ? kvK : kvV}`);
  const n = f.attentionLayers.length;
  const k = n * cells * f.nHeadKv * f.headDimK * bk;
  const v = n * cells * f.nHeadKv * f.headDimV * bv;
  return { k, v, total: k + v };
}
