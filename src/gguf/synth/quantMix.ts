/**
 * Per-tensor ggml types for a llama.cpp file type, following the rules of llama.cpp's
 * src/llama-quant.cpp (v0.5.0 as bundled with node-llama-cpp 3.22.1) for the k-quant and legacy mixes
 * moebench writes. Our own implementation of the documented behaviour:
 * - only tensors ending in "weight", 2-D or more, not norms, not routers (ffn_gate_inp), not conv kernels;
 * - the output matrix (or token_embd when embeddings are tied) gets Q6_K unless the mix is Q8_0, Q8_0 when
 *   its rows do not split into blocks;
 * - attn_v, ffn_down and attn_output get more bits in the _M/_L mixes ("use_more_bits" layers);
 * - a type whose block does not divide the row length falls back (Q4_K→Q5_0, Q5_K→Q5_1, Q6_K→Q8_0,
 *   Q2_K/Q3_K→Q4_0, then F16).
 */
import { ggmlType, type FileType, type GgmlType } from "../ggmlTypes.js";
import type { Hparams } from "./presets.js";
import type { PlannedTensor } from "./tensorPlan.js";

export interface TypedTensor extends PlannedTensor {
  type: GgmlType;
}

type Category =
  | "token_embd"
  | "output"
  | "attn_v"
  | "attn_k"
  | "attn_q"
  | "attn_output"
  | "ffn_up"
  | "ffn_gate"
  | "ffn_down"
  | "other";

function category(name: string): Category {
  if (name === "output.weight") return "output";
  if (name === "token_embd.weight") return "token_embd";
  if (name.includes("attn_qkv.weight") || name.includes("attn_kv_b.weight") || name.includes("attn_v.weight"))
    return "attn_v";
  if (name.includes("attn_k.weight")) return "attn_k";
  if (name.includes("attn_q.weight")) return "attn_q";
  if (name.includes("attn_output.weight")) return "attn_output";
  if (name.includes("ffn_up")) return "ffn_up";
  if (name.includes("ffn_gate")) return "ffn_gate";
  if (name.includes("ffn_down")) return "ffn_down";
  return "other";
}

export function allowsQuantization(name: string, shape: readonly number[]): boolean {
  if (shape.length < 2) return false;
  if (!name.endsWith("weight")) return false;
  if (name.includes("_norm.weight")) return false;
  if (name.includes("ffn_gate_inp.weight")) return false;
  if (name.includes("shortconv.conv.weight") || name.includes("ssm_conv1d")) return false;
  return true;
}

const useMoreBits = (i: number, n: number): boolean =>
  i < Math.trunc(n / 8) || i >= Math.trunc((7 * n) / 8) || (i - Math.trunc(n / 8)) % 3 === 2;

function fallback(type: GgmlType, ne0: number): GgmlType {
  if (ne0 % type.blockSize === 0) return type;
  const next: Record<string, string> = { Q2_K: "Q4_0", Q3_K: "Q4_0", Q4_K: "Q5_0", Q5_K: "Q5_1", Q6_K: "Q8_0" };
  const f = next[type.name];
  const t = f ? ggmlType(f) : type;
  return ne0 % t.blockSize === 0 ? t : ggmlType("F16");
}

/** What the rules need to know about the model and the mix (llama-quant.cpp's quantize_state). */
interface MixState {
  f: string;
  def: GgmlType;
  tied: boolean;
  nAttnV: number;
  /** llama.cpp's n_gqa() reads layer 0; hybrid models have a conv block there (0 KV heads → 0) */
  gqa0: number;
  nExpert: number;
  /** 8-expert models get Mixtral-specific rules */
  eightExperts: boolean;
  nLayer: number;
}

const q = (name: string): GgmlType => ggmlType(name);

function outputType(st: MixState, ne0: number): GgmlType {
  if (ne0 % st.def.blockSize !== 0) return q("Q8_0");
  return st.def.name !== "Q8_0" ? q("Q6_K") : st.def;
}

function attnVType(st: MixState, i: number): GgmlType {
  const { f } = st;
  let nt = st.def;
  if (f === "Q2_K") nt = q(st.gqa0 >= 4 ? "Q4_K" : "Q3_K");
  else if (f === "Q3_K_M") nt = q(i < 2 ? "Q5_K" : "Q4_K");
  else if (f === "Q3_K_L") nt = q("Q5_K");
  else if ((f === "Q4_K_M" || f === "Q5_K_M") && useMoreBits(i, st.nAttnV)) nt = q("Q6_K");
  else if (f === "Q4_K_S" && i < 4) nt = q("Q5_K");
  return st.eightExperts ? q("Q8_0") : nt;
}

function ffnDownType(st: MixState, i: number): GgmlType {
  const { f, nLayer } = st;
  if (f === "Q2_K") return q("Q3_K");
  if (f === "Q3_K_M") return q(i < Math.trunc(nLayer / 16) ? "Q5_K" : "Q4_K");
  if (f === "Q3_K_L") return q("Q5_K");
  if ((f === "Q4_K_M" || f === "Q5_K_M") && useMoreBits(i, nLayer)) return q("Q6_K");
  if (f === "Q4_K_S" && i < Math.trunc(nLayer / 8)) return q("Q5_K");
  return st.def;
}

function attnOutputType(st: MixState): GgmlType {
  const { f } = st;
  if (st.eightExperts) return ["Q2_K", "Q3_K_S", "Q3_K_M", "Q4_K_S", "Q4_K_M"].includes(f) ? q("Q5_K") : st.def;
  if (f === "Q2_K") return q("Q3_K");
  if (f === "Q3_K_M") return q("Q4_K");
  if (f === "Q3_K_L") return q("Q5_K");
  return st.def;
}

/** Assign a ggml type to every tensor (tensors must already be in llama.cpp's order). */
export function assignTypes(
  h: Hparams,
  ftype: FileType,
  tensors: readonly PlannedTensor[],
  half: "F16" | "BF16" = ftype.name === "BF16" ? "BF16" : "F16",
): TypedTensor[] {
  const base = (t: PlannedTensor): GgmlType => ggmlType(t.floatKind === "F32" ? "F32" : half);
  const def = ggmlType(ftype.defaultType);
  if (!def.quantized) {
    // F16 / BF16: every quantizable tensor takes the half type, the rest stay as the converter wrote them
    return tensors.map((t) => ({ ...t, type: allowsQuantization(t.name, t.shape) ? def : base(t) }));
  }
  const hybrid = h.arch === "lfm2" || h.arch === "lfm2moe";
  const st: MixState = {
    f: ftype.name,
    def,
    tied: !tensors.some((t) => t.name === "output.weight"),
    nAttnV: tensors.filter((t) => category(t.name) === "attn_v").length,
    gqa0: hybrid && !(h.attnLayers ?? []).includes(0) ? 0 : h.nHead / h.nHeadKv,
    nExpert: Math.max(1, h.nExpert ?? 0),
    eightExperts: h.nExpert === 8,
    nLayer: h.nLayer,
  };
  let iAttnV = 0;
  let iFfnDown = 0;
  // MoE models count ffn_down by the block number in the name; others by occurrence (llama-quant.cpp)
  const layerOf = (name: string, counter: number): number => {
    if (st.nExpert <= 1) return counter;
    const m = /^blk\.(\d+)\./.exec(name);
    if (!m) throw new Error(`cannot determine the layer of ${name}`);
    return Number(m[1]);
  };
  const pick = (t: PlannedTensor): GgmlType => {
    const cat = category(t.name);
    let nt = def;
    if (cat === "output" || (st.tied && cat === "token_embd")) nt = outputType(st, t.shape[0]!);
    else if (cat === "attn_v") nt = attnVType(st, iAttnV++);
    else if (cat === "attn_k" && st.eightExperts) nt = q("Q8_0");
    else if (cat === "ffn_down") nt = ffnDownType(st, layerOf(t.name, iFfnDown++));
    else if (cat === "attn_output") nt = attnOutputType(st);
    // untied token embeddings keep the mix's default type for these file types
    return fallback(nt, t.shape[0]!);
  };
  return tensors.map((t) => ({ ...t, type: allowsQuantization(t.name, t.shape) ? pick(t) : base(t) }));
}
