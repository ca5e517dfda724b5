import type { GgufFile, MetaValue } from "./read.js";
import { FTYPE_NAMES } from "./ggmlTypes.js";

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
  /** MoE: parameters used per token (all non-expert tensors + n_used/n_expert of the expert tensors); dense: = params */
  activeParams: number;
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

const num = (v: MetaValue | undefined): number | null =>
  typeof v === "number" ? v : typeof v === "bigint" ? Number(v) : null;

/** Facts about a model read from its GGUF header (pure). */
export function modelFacts(f: GgufFile): ModelFacts {
  const m = f.metadata;
  const arch = String(m.get("general.architecture") ?? "unknown");
  const k = (s: string): MetaValue | undefined => m.get(`${arch}.${s}`);
  const nLayer = num(k("block_count")) ?? 0;
  const nEmbd = num(k("embedding_length")) ?? 0;
  const nHead = (() => {
    const v = k("attention.head_count");
    return Array.isArray(v) ? (num(v.find((x) => Number(x) > 0)) ?? 0) : (num(v) ?? 0);
  })();
  const kvRaw = k("attention.head_count_kv");
  const kvPerLayer: number[] = Array.isArray(kvRaw)
    ? kvRaw.map((x) => Number(x))
    : Array.from({ length: nLayer }, () => num(kvRaw) ?? nHead);
  const attentionLayers = kvPerLayer.map((n, i) => (n > 0 ? i : -1)).filter((i) => i >= 0);
  const nHeadKv = kvPerLayer.find((n) => n > 0) ?? 0;
  const headDimK = num(k("attention.key_length")) ?? (nHead ? nEmbd / nHead : 0);
  const headDimV = num(k("attention.value_length")) ?? headDimK;
  const nExpert = num(k("expert_count")) ?? 0;
  const nExpertUsed = num(k("expert_used_count")) ?? 0;
  const tokens = m.get("tokenizer.ggml.tokens");
  const vocab =
    num(k("vocab_size")) ??
    (Array.isArray(tokens) && tokens.length
      ? tokens.length
      : (f.tensors.find((t) => t.name === "token_embd.weight")?.shape[1] ?? 0));
  const hist = new Map<string, TypeHistogramRow>();
  let params = 0;
  let expertParams = 0;
  let bytes = 0;
  for (const t of f.tensors) {
    const n = t.shape.reduce((a, b) => a * b, 1);
    params += n;
    bytes += t.bytes;
    if (/_exps\./.test(t.name)) expertParams += n;
    const row = hist.get(t.type) ?? { type: t.type, tensors: 0, params: 0, bytes: 0, bitsPerWeight: 0 };
    row.tensors++;
    row.params += n;
    row.bytes += t.bytes;
    hist.set(t.type, row);
  }
  const histogram = [...hist.values()]
    .map((r) => ({ ...r, bitsPerWeight: r.params ? (r.bytes * 8) / r.params : 0 }))
    .sort((a, b) => b.bytes - a.bytes);
  const isMoe = nExpert > 1 && expertParams > 0;
  const activeParams = isMoe ? Math.round(params - expertParams * (1 - nExpertUsed / nExpert)) : params;
  const ft = num(m.get("general.file_type"));
  const preset = m.get("moebench.synthetic.preset");
  return {
    arch,
    name: typeof m.get("general.name") === "string" ? String(m.get("general.name")) : null,
    fileType: ft === null ? null : (FTYPE_NAMES[ft] ?? `ftype ${ft}`),
    fileBytes: f.fileBytes,
    tensorCount: f.tensors.length,
    tensorBytes: bytes,
    params,
    activeParams,
    isMoe,
    nExpert,
    nExpertUsed,
    nLayer,
    nEmbd,
    vocab,
    ctxTrain: num(k("context_length")),
    attentionLayers,
    nHead,
    nHeadKv,
    headDimK,
    headDimV,
    recurrentLayers: kvPerLayer.map((n, i) => (n === 0 ? i : -1)).filter((i) => i >= 0),
    convLCache: num(k("shortconv.l_cache")) ?? 0,
    bitsPerWeight: params ? (bytes * 8) / params : 0,
    histogram,
    synthetic:
      typeof preset === "string"
        ? {
            preset,
            scale: String(m.get("moebench.synthetic.scale") ?? ""),
            sparse: m.get("moebench.synthetic.sparse") === true,
          }
        : null,
  };
}
