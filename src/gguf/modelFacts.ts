import type { GgufFile, MetaValue } from "./read.js";
import { FTYPE_NAMES } from "./ggmlTypes.js";
import { elementCount, weightCounts } from "./weightCounts.js";
import { MoebenchError } from "../util/errors.js";

export interface TypeHistogramRow {
  type: string;
  tensors: number;
  params: number;
  bytes: number;
  bitsPerWeight: number;
}

export interface ModelFacts {
  arch: string;
  name: string | null;
  fileType: string | null;
  fileBytes: number;
  tensorCount: number;
  tensorBytes: number;
  params: number;
  /** MoE: parameters used per token (non-expert tensors + n_used/n_expert of the experts); dense: = params */
  activeParams: number;
  /** weight bytes a generated token reads (weightCounts) */
  activeBytesPerToken: number;
  isMoe: boolean;
  nExpert: number;
  nExpertUsed: number;
  nLayer: number;
  nEmbd: number;
  vocab: number;
  ctxTrain: number | null;
  /** blocks that hold a KV cache */
  attentionLayers: number[];
  nHead: number;
  /** KV heads per attention layer (same for all of them in the presets) */
  nHeadKv: number;
  headDimK: number;
  headDimV: number;
  /** hybrid short-conv blocks (lfm2) and their state length */
  recurrentLayers: number[];
  convLCache: number;
  bitsPerWeight: number;
  histogram: TypeHistogramRow[];
  synthetic: { preset: string; scale: string; sparse: boolean } | null;
}

const num = (v: MetaValue | undefined): number | null => {
  if (typeof v === "number") return v;
  return typeof v === "bigint" ? Number(v) : null;
};

/**
 * Ranges of the header values that size memory or arithmetic here and in `fit` (llama.cpp's own limits
 * where it has them: LLAMA_MAX_LAYERS 512, LLAMA_MAX_EXPERTS 1024). A value outside is a corrupt header:
 * checked before anything is allocated from it.
 */
export const HPARAM_RANGES: Readonly<Record<string, readonly [number, number]>> = {
  block_count: [1, 512],
  embedding_length: [1, 1 << 18],
  "attention.head_count": [0, 4096],
  "attention.head_count_kv": [0, 4096],
  "attention.key_length": [0, 1 << 16],
  "attention.value_length": [0, 1 << 16],
  expert_count: [0, 1024],
  expert_used_count: [0, 1024],
  vocab_size: [1, 1 << 24],
  context_length: [1, 1 << 30],
  "shortconv.l_cache": [0, 1024],
};

function ranged(f: GgufFile, arch: string, key: string): number | null {
  const full = `${arch}.${key}`;
  const v = f.metadata.get(full);
  const values = Array.isArray(v) ? v : [v];
  const [lo, hi] = HPARAM_RANGES[key]!;
  for (const x of values) {
    if (x === undefined) continue;
    const n = num(x);
    if (n === null || !Number.isInteger(n) || n < lo || n > hi)
      throw new MoebenchError(
        `${f.path}: ${full} = ${Array.isArray(v) ? `[…${String(x)}…]` : String(x)} is out of range (${lo}…${hi})`,
        "the file's header is corrupt, or not a language model llama.cpp loads",
      );
  }
  return Array.isArray(v) ? null : num(v);
}

/** KV heads per block: the converter writes an array for hybrid models (0 = no attention in that block). */
function kvHeadsPerLayer(f: GgufFile, arch: string, nLayer: number, nHead: number): number[] {
  ranged(f, arch, "attention.head_count_kv");
  const raw = f.metadata.get(`${arch}.attention.head_count_kv`);
  if (!Array.isArray(raw)) return Array.from({ length: nLayer }, () => num(raw) ?? nHead);
  if (raw.length !== nLayer)
    throw new MoebenchError(
      `${f.path}: ${arch}.attention.head_count_kv has ${raw.length} entries for ${nLayer} blocks`,
      "the file's header is corrupt",
    );
  return raw.map((x) => Number(x));
}

function firstHeadCount(f: GgufFile, arch: string): number {
  ranged(f, arch, "attention.head_count");
  const v = f.metadata.get(`${arch}.attention.head_count`);
  if (Array.isArray(v)) return num(v.find((x) => Number(x) > 0)) ?? 0;
  return num(v) ?? 0;
}

function histogramOf(f: GgufFile): TypeHistogramRow[] {
  const hist = new Map<string, TypeHistogramRow>();
  for (const t of f.tensors) {
    const row = hist.get(t.type) ?? { type: t.type, tensors: 0, params: 0, bytes: 0, bitsPerWeight: 0 };
    row.tensors++;
    row.params += elementCount(t.shape);
    row.bytes += t.bytes;
    hist.set(t.type, row);
  }
  return [...hist.values()]
    .map((r) => ({ ...r, bitsPerWeight: r.params ? (r.bytes * 8) / r.params : 0 }))
    .sort((a, b) => b.bytes - a.bytes);
}

function syntheticOf(m: Map<string, MetaValue>): ModelFacts["synthetic"] {
  const preset = m.get("moebench.synthetic.preset");
  if (typeof preset !== "string") return null;
  return {
    preset,
    scale: String(m.get("moebench.synthetic.scale") ?? ""),
    sparse: m.get("moebench.synthetic.sparse") === true,
  };
}

/** Facts about a model read from its GGUF header (pure); a header value out of range is a one-line error. */
export function modelFacts(f: GgufFile): ModelFacts {
  const m = f.metadata;
  const arch = String(m.get("general.architecture") ?? "unknown");
  const nLayer = ranged(f, arch, "block_count") ?? 0;
  const nEmbd = ranged(f, arch, "embedding_length") ?? 0;
  const nHead = firstHeadCount(f, arch);
  const kvPerLayer = kvHeadsPerLayer(f, arch, nLayer, nHead);
  const attentionLayers = kvPerLayer.map((n, i) => (n > 0 ? i : -1)).filter((i) => i >= 0);
  const headDimK = ranged(f, arch, "attention.key_length") ?? (nHead ? nEmbd / nHead : 0);
  const headDimV = ranged(f, arch, "attention.value_length") ?? headDimK;
  const nExpert = ranged(f, arch, "expert_count") ?? 0;
  const nExpertUsed = ranged(f, arch, "expert_used_count") ?? 0;
  const vocab =
    ranged(f, arch, "vocab_size") ??
    f.arrayLengths.get("tokenizer.ggml.tokens") ??
    f.tensors.find((t) => t.name === "token_embd.weight")?.shape[1] ??
    0;
  const counts = weightCounts(f.tensors, nExpert, nExpertUsed);
  const ft = num(m.get("general.file_type"));
  const name = m.get("general.name");
  return {
    arch,
    name: typeof name === "string" ? name : null,
    fileType: ft === null ? null : (FTYPE_NAMES[ft] ?? `ftype ${ft}`),
    fileBytes: f.fileBytes,
    tensorCount: f.tensors.length,
    tensorBytes: counts.tensorBytes,
    params: counts.params,
    activeParams: counts.activeParams,
    activeBytesPerToken: counts.activeBytesPerToken,
    isMoe: nExpert > 1 && counts.expertParams > 0,
    nExpert,
    nExpertUsed,
    nLayer,
    nEmbd,
    vocab,
    ctxTrain: ranged(f, arch, "context_length"),
    attentionLayers,
    nHead,
    nHeadKv: kvPerLayer.find((n) => n > 0) ?? 0,
    headDimK,
    headDimV,
    recurrentLayers: kvPerLayer.map((n, i) => (n === 0 ? i : -1)).filter((i) => i >= 0),
    convLCache: ranged(f, arch, "shortconv.l_cache") ?? 0,
    bitsPerWeight: counts.params ? (counts.tensorBytes * 8) / counts.params : 0,
    histogram: histogramOf(f),
    synthetic: syntheticOf(m),
  };
}
