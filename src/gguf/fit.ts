/**
 * Does it fit? An analytic memory model of llama.cpp (pure), exact where it can be exact, split into what
 * lives on the device (the GPU) and what stays in host memory, for any offload:
 * - weights: the tensor table's bytes, placed as llama.cpp's loader places them (src/llama-model.cpp):
 *   token_embd always in host memory (the input lookup runs on the CPU); `-ngl N` puts the output layer and
 *   the last N−1 blocks on the device (llama.cpp counts the output layer as layer n_layer: i_gpu_start =
 *   n_layer + 1 − N); a tied-embedding model gets a device copy of token_embd for its output layer;
 *   `--n-cpu-moe N` keeps the expert tensors (`ffn_*_exps`) of blocks 0…N−1 in host memory, `-ot exps=CPU`
 *   all of them. Checked exactly against llama.cpp's per-buffer log (test/integration/fitVsLlamaCpp.test.ts).
 * - KV cache: attention layers only × cells × KV heads × head dim × type size, for K and V, on the device
 *   of its layer; cells = context padded to 256, per parallel sequence (node-llama-cpp's contexts are not
 *   kv_unified). Checked exactly against llama.cpp's "KV buffer size" lines.
 * - recurrent state (lfm2 short-conv blocks): n_embd × (L−1) × 4 bytes per conv block per sequence.
 * - compute buffers (calibrated on llama.cpp's "compute buffer size", ubatch = batch = 512 as node-llama-cpp),
 *   the largest phase that runs on each side:
 *     output phase    = n_vocab × ubatch × 4 + 2 × n_embd × ubatch × 4                (where the output layer is)
 *     attention phase = n_head × ubatch × cells × 4 + cells × ubatch × 4 + 5.5 × n_embd × ubatch × 4
 *                       (flash attention off; where attention layers are)
 *     layer phase     = cells × ubatch × 2 (flash attention's f16 KQ mask; 0 without)
 *                       + 3 × n_ff × ubatch × 4 + 4 × n_embd × ubatch × 4   (gate, up and their product;
 *                       n_ff = the dense FFN width, or n_used × the expert width; it shows where the
 *                       vocabulary is small: Mistral-7B-v0.3 with flash attention)
 *   Flat in the context with flash attention, linear without. With partial offload the split of compute
 *   between device and host is this model's, not measured on a GPU (see README: fit).
 * - runtime overhead: an assumed allowance for the GPU runtime's own context (user-settable; not measured).
 */
import { kvBytes, KV_TYPE_BYTES } from "./kvCache.js";

export interface FitFacts {
  name: string;
  tensorBytes: number;
  tokEmbdBytes: number;
  /** non-block tensors other than token_embd (output, output_norm, rope_freqs, token_embd_norm) */
  outputBytes: number;
  tiedEmbeddings: boolean;
  /** bytes of each block's tensors, and of its routed-expert tensors */
  layerBytes: number[];
  layerExpertBytes: number[];
  nVocab: number;
  nEmbd: number;
  /** the widest FFN a token goes through: the dense FFN width, or experts used × expert width */
  ffnWidth: number;
  nHead: number;
  nLayer: number;
  attentionLayers: number[];
  nHeadKv: number;
  headDimK: number;
  headDimV: number;
  recurrentLayers: number[];
  convLCache: number;
  /** the model's trained context (GGUF context_length), if known */
  ctxTrain: number | null;
}

/** Where the weights go: llama.cpp's `-ngl`, `--n-cpu-moe` and `-ot exps=CPU`. */
export interface Offload {
  /** layers on the device, counting the output layer as one (llama.cpp's -ngl); null = all */
  gpuLayers: number | null;
  /** keep the experts of blocks 0…N−1 in host memory */
  cpuMoe: number;
  /** keep every expert tensor in host memory */
  expertsOnHost: boolean;
}

export const ALL_ON_DEVICE: Offload = { gpuLayers: null, cpuMoe: 0, expertsOnHost: false };

export interface FitOptions {
  contexts: number[];
  kvTypes: string[];
  flashAttention: boolean[];
  parallel: number;
  batch: number;
  vramBytes: number | null;
  overheadBytes: number;
  /** default: every layer on the device */
  offload?: Offload;
}

export type Verdict = "fits" | "tight" | "does not fit" | "no card given" | "not possible";

export interface DeviceHost {
  device: number;
  host: number;
}

export interface FitRow {
  ctx: number;
  kv: string;
  flashAttention: boolean;
  cells: number;
  weights: DeviceHost;
  kvCache: DeviceHost;
  recurrentState: DeviceHost;
  compute: DeviceHost;
  overhead: number;
  /** device bytes: what must fit the card */
  total: number;
  /** host bytes: what stays in system memory */
  hostTotal: number;
  verdict: Verdict;
  freeBytes: number | null;
  /** why llama.cpp would refuse this configuration */
  invalid: string | null;
  /** the context is beyond the model's trained context */
  beyondTrained: boolean;
}

export const pad256 = (n: number): number => Math.ceil(n / 256) * 256;

/**
 * The blocks on the device under `-ngl` (llama.cpp: i_gpu_start = max(n_layer + 1 − ngl, 0), the output
 * layer being layer n_layer): blocks first…n_layer−1, and the output layer when ngl ≥ 1.
 */
export function layersOnDevice(nLayer: number, gpuLayers: number | null): { first: number; output: boolean } {
  const ngl = gpuLayers === null ? nLayer + 1 : Math.max(0, gpuLayers);
  return { first: Math.min(nLayer, Math.max(nLayer + 1 - ngl, 0)), output: ngl >= 1 };
}

const onDevice = (f: FitFacts, o: Offload, layer: number): boolean =>
  layer >= layersOnDevice(f.nLayer, o.gpuLayers).first;

/**
 * The one function for "weights on the device" (fit, reports): the tensor table split as llama.cpp's
 * loader splits it for this offload.
 */
export function weightsOnDevice(f: FitFacts, o: Offload = ALL_ON_DEVICE): DeviceHost {
  const { first, output } = layersOnDevice(f.nLayer, o.gpuLayers);
  let device = 0;
  for (let i = first; i < f.nLayer; i++) {
    const experts = o.expertsOnHost || i < o.cpuMoe ? (f.layerExpertBytes[i] ?? 0) : 0;
    device += (f.layerBytes[i] ?? 0) - experts;
  }
  // the output layer: its own tensors, plus (tied embeddings) a device copy of token_embd
  if (output) device += f.outputBytes + (f.tiedEmbeddings ? f.tokEmbdBytes : 0);
  return { device, host: f.tensorBytes - device + (output && f.tiedEmbeddings ? f.tokEmbdBytes : 0) };
}

function split(layers: readonly number[], f: FitFacts, o: Offload): { device: number; host: number } {
  const device = layers.filter((i) => onDevice(f, o, i)).length;
  return { device, host: layers.length - device };
}

/** Compute-buffer phases of one ubatch (see the header comment); the calibration is against llama.cpp's log. */
export function computePhases(
  f: FitFacts,
  cellsPerSeq: number,
  flashAttention: boolean,
  batch: number,
): { output: number; attention: number; layer: number } {
  const ub = Math.min(batch, cellsPerSeq);
  const mask = flashAttention && f.attentionLayers.length > 0 ? cellsPerSeq * ub * 2 : 0;
  return {
    output: f.nVocab * ub * 4 + 2 * f.nEmbd * ub * 4,
    attention:
      flashAttention || f.attentionLayers.length === 0
        ? 0
        : f.nHead * ub * cellsPerSeq * 4 + cellsPerSeq * ub * 4 + 5.5 * f.nEmbd * ub * 4,
    layer: mask + 3 * f.ffnWidth * ub * 4 + 4 * f.nEmbd * ub * 4,
  };
}

/** Compute buffers on each side: the largest phase that runs there. */
export function computeBufferBytes(
  f: FitFacts,
  cellsPerSeq: number,
  flashAttention: boolean,
  batch: number,
  o: Offload = ALL_ON_DEVICE,
): DeviceHost {
  const p = computePhases(f, cellsPerSeq, flashAttention, batch);
  const { first, output } = layersOnDevice(f.nLayer, o.gpuLayers);
  const attn = split(f.attentionLayers, f, o);
  const side = (out: boolean, attnLayers: number, layers: number): number =>
    Math.max(out ? p.output : 0, attnLayers > 0 ? p.attention : 0, layers > 0 ? p.layer : 0);
  const device = side(output, attn.device, f.nLayer - first);
  // everything on the device: the host keeps only the input embedding's activations (no buffer of note)
  const host = side(!output, attn.host, first);
  return { device, host };
}

export interface FitRowOptions {
  parallel: number;
  batch: number;
  vramBytes: number | null;
  overheadBytes: number;
  offload?: Offload;
}

function verdictOf(total: number, vramBytes: number | null, invalid: string | null): Verdict {
  if (invalid) return "not possible";
  if (vramBytes === null) return "no card given";
  const free = vramBytes - total;
  if (free < 0) return "does not fit";
  return free < 0.05 * vramBytes ? "tight" : "fits";
}

export function fitRow(f: FitFacts, ctx: number, kv: string, fa: boolean, o: FitRowOptions): FitRow {
  const offload = o.offload ?? ALL_ON_DEVICE;
  const cellsPerSeq = pad256(ctx);
  const cells = cellsPerSeq * o.parallel;
  const weights = weightsOnDevice(f, offload);
  const kvPerLayer = f.attentionLayers.length ? kvBytes(f, cells, kv, kv).total / f.attentionLayers.length : 0;
  const attn = split(f.attentionLayers, f, offload);
  const kvCache = { device: attn.device * kvPerLayer, host: attn.host * kvPerLayer };
  const rsPerLayer = f.nEmbd * Math.max(0, f.convLCache - 1) * 4 * o.parallel;
  const rec = split(f.recurrentLayers, f, offload);
  const recurrentState = { device: rec.device * rsPerLayer, host: rec.host * rsPerLayer };
  const compute = computeBufferBytes(f, cellsPerSeq, fa, o.batch, offload);
  const total = weights.device + kvCache.device + recurrentState.device + compute.device + o.overheadBytes;
  const hostTotal = weights.host + kvCache.host + recurrentState.host + compute.host;
  const invalid =
    !fa && !["f16", "bf16", "f32"].includes(kv)
      ? "llama.cpp refuses a quantized V cache without flash attention"
      : null;
  const verdict = verdictOf(total, o.vramBytes, invalid);
  return {
    ctx,
    kv,
    flashAttention: fa,
    cells,
    weights,
    kvCache,
    recurrentState,
    compute,
    overhead: o.overheadBytes,
    total,
    hostTotal,
    verdict,
    freeBytes: o.vramBytes === null || invalid ? null : o.vramBytes - total,
    invalid,
    beyondTrained: f.ctxTrain !== null && ctx > f.ctxTrain,
  };
}

export interface MaxContext {
  kv: string;
  flashAttention: boolean;
  /** largest multiple of 256 whose total fits the card, capped at the trained context */
  ctx: number;
  /** the card would hold more, but the model was not trained for more */
  cappedByTraining: boolean;
}

/** Largest context (a multiple of 256) whose device total fits, up to `limit` tokens. */
function largestFitting(f: FitFacts, kv: string, fa: boolean, o: FitRowOptions & { vramBytes: number }): number {
  let lo = 0;
  let hi = 1 << 16; // 16M tokens in units of 256
  while (lo < hi) {
    const mid = Math.ceil((lo + hi) / 2);
    if (fitRow(f, mid * 256, kv, fa, o).total <= o.vramBytes) lo = mid;
    else hi = mid - 1;
  }
  return lo * 256;
}

export function maxContexts(f: FitFacts, o: FitOptions): MaxContext[] {
  const vramBytes = o.vramBytes;
  if (vramBytes === null) return [];
  const out: MaxContext[] = [];
  for (const fa of o.flashAttention)
    for (const kv of o.kvTypes) {
      if (fitRow(f, 256, kv, fa, o).invalid) continue;
      const ctx = largestFitting(f, kv, fa, { ...o, vramBytes });
      const cap = f.ctxTrain;
      out.push({
        kv,
        flashAttention: fa,
        ctx: cap !== null ? Math.min(ctx, cap) : ctx,
        cappedByTraining: cap !== null && ctx > cap,
      });
    }
  return out;
}

export interface SmallestOffload {
  ctx: number;
  kv: string;
  flashAttention: boolean;
  /** the least host offload that fits: null when even everything but the input layer on the host does not fit */
  offload: Offload | null;
  row: FitRow | null;
}

/**
 * The smallest offload that fits the card at a context: for an MoE, the fewest `--n-cpu-moe` blocks (all
 * layers otherwise on the device); for a dense model, the most `-ngl` layers.
 */
export function smallestOffload(
  f: FitFacts,
  ctx: number,
  kv: string,
  fa: boolean,
  o: FitRowOptions & { vramBytes: number },
): SmallestOffload {
  const fits = (offload: Offload): FitRow | null => {
    const r = fitRow(f, ctx, kv, fa, { ...o, offload });
    return r.total <= o.vramBytes && !r.invalid ? r : null;
  };
  for (const c of offloadLadder(f)) {
    const row = fits(c);
    if (row) return { ctx, kv, flashAttention: fa, offload: c, row };
  }
  return { ctx, kv, flashAttention: fa, offload: null, row: null };
}

/**
 * Offloads from the least host memory to the most: an MoE first keeps experts of more and more blocks in
 * host memory (`--n-cpu-moe 0…n`), then whole blocks too; a dense model moves whole blocks (`-ngl`). It
 * stops at `-ngl 1` (the output layer): at `-ngl 0` the card is not used for the model at all.
 */
export function offloadLadder(f: FitFacts): Offload[] {
  const moe = f.layerExpertBytes.some((b) => b > 0);
  const byLayers = (expertsOnHost: boolean): Offload[] =>
    Array.from({ length: f.nLayer + 1 }, (_, i) => ({ gpuLayers: f.nLayer + 1 - i, cpuMoe: 0, expertsOnHost }));
  if (!moe) return byLayers(false);
  const byExperts = Array.from({ length: f.nLayer + 1 }, (_, n) => ({
    gpuLayers: null,
    cpuMoe: n,
    expertsOnHost: false,
  }));
  return [...byExperts, ...byLayers(true).slice(1)];
}

export function fit(f: FitFacts, o: FitOptions): { rows: FitRow[]; maxContext: MaxContext[] } {
  for (const k of o.kvTypes) if (KV_TYPE_BYTES[k] === undefined) throw new Error(`unknown KV type ${k}`);
  const rows: FitRow[] = [];
  for (const fa of o.flashAttention)
    for (const kv of o.kvTypes) for (const ctx of o.contexts) rows.push(fitRow(f, ctx, kv, fa, o));
  return { rows, maxContext: maxContexts(f, o) };
}
