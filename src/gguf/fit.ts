/**
 * Does it fit? An analytic memory model of llama.cpp (pure), exact where it can be exact:
 * - weights: the tensor table's bytes. With every layer offloaded, llama.cpp keeps token_embd in host
 *   memory (the input lookup runs on the CPU); a tied-embedding model also holds a device copy of it for
 *   the output layer.
 * - KV cache: attention layers only × cells × KV heads × head dim × type size, for K and V; cells =
 *   context padded to 256, per parallel sequence (node-llama-cpp's contexts are not kv_unified).
 *   Checked exactly against llama.cpp's "KV buffer size" on CPU.
 * - recurrent state (lfm2 short-conv blocks): n_embd × (L−1) × 4 bytes per conv block per sequence.
 * - compute buffer (calibrated on llama.cpp's "compute buffer size", ubatch = batch = 512 as node-llama-cpp):
 *     output phase    = n_vocab × ubatch × 4 + 2 × n_embd × ubatch × 4
 *     attention phase = n_head × ubatch × cells × 4 + cells × ubatch × 4 + 5.5 × n_embd × ubatch × 4   (flash attention off only)
 *     compute         = max(output phase, attention phase): flat in context with flash attention, linear without.
 * - runtime overhead: an assumed allowance for the GPU runtime's own context (user-settable; not measured).
 */
import { kvBytes, KV_TYPE_BYTES } from "./kvCache.js";

export interface FitFacts {
  name: string;
  tensorBytes: number;
  tokEmbdBytes: number;
  tiedEmbeddings: boolean;
  nVocab: number;
  nEmbd: number;
  nHead: number;
  nLayer: number;
  attentionLayers: number[];
  nHeadKv: number;
  headDimK: number;
  headDimV: number;
  recurrentLayers: number[];
  convLCache: number;
}

export interface FitOptions {
  contexts: number[];
  kvTypes: string[];
  flashAttention: boolean[];
  parallel: number;
  batch: number;
  vramBytes: number | null;
  overheadBytes: number;
}

export type Verdict = "fits" | "tight" | "does not fit" | "no card given" | "not possible";

export interface FitRow {
  ctx: number;
  kv: string;
  flashAttention: boolean;
  cells: number;
  weightsDevice: number;
  weightsHost: number;
  kvCache: number;
  recurrentState: number;
  compute: number;
  overhead: number;
  total: number;
  verdict: Verdict;
  freeBytes: number | null;
  /** why llama.cpp would refuse this configuration */
  invalid: string | null;
}

export const pad256 = (n: number): number => Math.ceil(n / 256) * 256;

export function computeBufferBytes(f: FitFacts, cellsPerSeq: number, flashAttention: boolean, batch: number): number {
  const ub = Math.min(batch, cellsPerSeq);
  const output = f.nVocab * ub * 4 + 2 * f.nEmbd * ub * 4;
  if (flashAttention || f.attentionLayers.length === 0) return output;
  const attention = f.nHead * ub * cellsPerSeq * 4 + cellsPerSeq * ub * 4 + 5.5 * f.nEmbd * ub * 4;
  return Math.max(output, attention);
}

export function fitRow(
  f: FitFacts,
  ctx: number,
  kv: string,
  fa: boolean,
  o: Pick<FitOptions, "parallel" | "batch" | "vramBytes" | "overheadBytes">,
): FitRow {
  const cellsPerSeq = pad256(ctx);
  const cells = cellsPerSeq * o.parallel;
  const weightsHost = f.tokEmbdBytes;
  const weightsDevice = f.tensorBytes - f.tokEmbdBytes + (f.tiedEmbeddings ? f.tokEmbdBytes : 0);
  const kvCache = kvBytes(f, cells, kv, kv).total;
  const recurrentState = f.recurrentLayers.length * f.nEmbd * Math.max(0, f.convLCache - 1) * 4 * o.parallel;
  const compute = computeBufferBytes(f, cellsPerSeq, fa, o.batch);
  const total = weightsDevice + kvCache + recurrentState + compute + o.overheadBytes;
  let verdict: Verdict = "no card given";
  let freeBytes: number | null = null;
  const invalid =
    !fa && !["f16", "bf16", "f32"].includes(kv)
      ? "llama.cpp refuses a quantized V cache without flash attention"
      : null;
  if (invalid) verdict = "not possible";
  else if (o.vramBytes !== null) {
    freeBytes = o.vramBytes - total;
    verdict = freeBytes < 0 ? "does not fit" : freeBytes < 0.05 * o.vramBytes ? "tight" : "fits";
  }
  return {
    ctx,
    kv,
    flashAttention: fa,
    cells,
    weightsDevice,
    weightsHost,
    kvCache,
    recurrentState,
    compute,
    overhead: o.overheadBytes,
    total,
    verdict,
    freeBytes,
    invalid,
  };
}

export function fit(
  f: FitFacts,
  o: FitOptions,
): { rows: FitRow[]; maxContext: { kv: string; flashAttention: boolean; ctx: number }[] } {
  for (const k of o.kvTypes) if (KV_TYPE_BYTES[k] === undefined) throw new Error(`unknown KV type ${k}`);
  const rows: FitRow[] = [];
  for (const fa of o.flashAttention)
    for (const kv of o.kvTypes) for (const ctx of o.contexts) rows.push(fitRow(f, ctx, kv, fa, o));
  const maxContext: { kv: string; flashAttention: boolean; ctx: number }[] = [];
  if (o.vramBytes !== null) {
    for (const fa of o.flashAttention)
      for (const kv of o.kvTypes) {
        if (fitRow(f, 256, kv, fa, o).invalid) continue;
        // largest context (a multiple of 256) whose total fits
        let lo = 0;
        let hi = 16384;
        while (lo < hi) {
          const mid = Math.ceil((lo + hi) / 2);
          if (fitRow(f, mid * 256, kv, fa, o).total <= o.vramBytes) lo = mid;
          else hi = mid - 1;
        }
        const ctxMax = lo * 256;
        maxContext.push({ kv, flashAttention: fa, ctx: ctxMax });
      }
  }
  return { rows, maxContext };
}
