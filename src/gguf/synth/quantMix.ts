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
  const f = ftype.name;
  const tied = !tensors.some((t) => t.name === "output.weight");
  const nAttnV = tensors.filter((t) => category(t.name) === "attn_v").length;
  // llama.cpp's n_gqa() reads layer 0; hybrid models have a conv block there (0 KV heads → 0)
  const hybrid = h.arch === "lfm2" || h.arch === "lfm2moe";
  const gqa0 = hybrid && !(h.attnLayers ?? []).includes(0) ? 0 : h.nHead / h.nHeadKv;
  const nExpert = Math.max(1, h.nExpert ?? 0);
  const nLayer = h.nLayer;
  let iAttnV = 0;
  let iFfnDown = 0;

  const layerOf = (name: string, counter: number): number => {
    if (nExpert > 1) {
      const m = /^blk\.(\d+)\./.exec(name);
      if (!m) throw new Error(`cannot determine the layer of ${name}`);
      return Number(m[1]);
    }
    return counter;
  };

  const pick = (t: PlannedTensor): GgmlType => {
    const cat = category(t.name);
    let nt = def;
    if (cat === "output" || (tied && cat === "token_embd")) {
      const ne0 = t.shape[0]!;
      if (ne0 % def.blockSize !== 0) nt = ggmlType("Q8_0");
      else if (def.name !== "Q8_0") nt = ggmlType("Q6_K");
    } else if (cat === "token_embd") {
      // untied token embeddings keep the mix's default type for these file types
    } else if (cat === "attn_v") {
      if (f === "Q2_K") nt = ggmlType(gqa0 >= 4 ? "Q4_K" : "Q3_K");
      else if (f === "Q3_K_M") nt = ggmlType(iAttnV < 2 ? "Q5_K" : "Q4_K");
      else if (f === "Q3_K_L") nt = ggmlType("Q5_K");
      else if ((f === "Q4_K_M" || f === "Q5_K_M") && useMoreBits(iAttnV, nAttnV)) nt = ggmlType("Q6_K");
      else if (f === "Q4_K_S" && iAttnV < 4) nt = ggmlType("Q5_K");
      if (h.nExpert === 8) nt = ggmlType("Q8_0");
      iAttnV++;
    } else if (cat === "attn_k") {
      if (h.nExpert === 8) nt = ggmlType("Q8_0");
    } else if (cat === "ffn_down") {
      const i = layerOf(t.name, iFfnDown);
      if (f === "Q2_K") nt = ggmlType("Q3_K");
      else if (f === "Q3_K_M") nt = ggmlType(i < Math.trunc(nLayer / 16) ? "Q5_K" : "Q4_K");
      else if (f === "Q3_K_L") nt = ggmlType("Q5_K");
      else if (f === "Q4_K_M") {
        if (useMoreBits(i, nLayer)) nt = ggmlType("Q6_K");
      } else if (f === "Q5_K_M" && useMoreBits(i, nLayer)) nt = ggmlType("Q6_K");
      else if (f === "Q4_K_S" && i < Math.trunc(nLayer / 8)) nt = ggmlType("Q5_K");
      iFfnDown++;
    } else if (cat === "attn_output") {
      if (h.nExpert === 8) {
        if (["Q2_K", "Q3_K_S", "Q3_K_M", "Q4_K_S", "Q4_K_M"].includes(f)) nt = ggmlType("Q5_K");
      } else if (f === "Q2_K") nt = ggmlType("Q3_K");
      else if (f === "Q3_K_M") nt = ggmlType("Q4_K");
      else if (f === "Q3_K_L") nt = ggmlType("Q5_K");
    }
    return fallback(nt, t.shape[0]!);
  };

  return tensors.map((t) => ({ ...t, type: allowsQuantization(t.name, t.shape) ? pick(t) : base(t) }));
}
