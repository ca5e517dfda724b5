import type { Hparams } from "./presets.js";

/** One tensor as the llama.cpp converter writes it at F16: name, GGUF-order shape, and its float type. */
export interface PlannedTensor {
  name: string;
  /** GGUF order: ne0 (row length) first */
  shape: number[];
  /** the converter's type at F16/BF16: F32 for 1-D tensors, norms, routers, conv kernels and biases */
  floatKind: "F32" | "half";
}

function weightKind(name: string, shape: number[]): PlannedTensor["floatKind"] {
  if (shape.length <= 1 || name.endsWith("_norm.weight")) return "F32";
  if (name.includes("ffn_gate_inp") || name.includes("shortconv.conv") || !name.endsWith(".weight")) return "F32";
  return "half";
}

const L = (i: number, rest: string): string => `blk.${i}.${rest}`;

/** The tensors of a model, before sorting, with the shapes llama.cpp's loader expects. */
export function planTensors(h: Hparams): PlannedTensor[] {
  const out: PlannedTensor[] = [];
  const add = (name: string, shape: number[]): void => {
    out.push({ name, shape, floatKind: weightKind(name, shape) });
  };
  const nQ = h.nHead * h.headDim;
  const nKv = h.nHeadKv * h.headDim;
  add("token_embd.weight", [h.nEmbd, h.vocab]);
  if (h.arch === "lfm2" || h.arch === "lfm2moe") {
    add("token_embd_norm.weight", [h.nEmbd]);
  } else {
    add("output_norm.weight", [h.nEmbd]);
  }
  if (!h.tiedEmbeddings) add("output.weight", [h.nEmbd, h.vocab]);
  if (h.ropeScalingLlama3) add("rope_freqs.weight", [h.headDim / 2]);

  for (let i = 0; i < h.nLayer; i++) {
    const hybrid = h.arch === "lfm2" || h.arch === "lfm2moe";
    const isAttn = !hybrid || (h.attnLayers ?? []).includes(i);
    add(L(i, "attn_norm.weight"), [h.nEmbd]);
    if (isAttn) {
      add(L(i, "attn_q.weight"), [h.nEmbd, nQ]);
      add(L(i, "attn_k.weight"), [h.nEmbd, nKv]);
      add(L(i, "attn_v.weight"), [h.nEmbd, nKv]);
      add(L(i, "attn_output.weight"), [nQ, h.nEmbd]);
      if (h.arch !== "llama") {
        add(L(i, "attn_q_norm.weight"), [h.headDim]);
        add(L(i, "attn_k_norm.weight"), [h.headDim]);
      }
    } else {
      add(L(i, "shortconv.conv.weight"), [h.convLCache ?? 3, h.nEmbd]);
      add(L(i, "shortconv.in_proj.weight"), [h.nEmbd, 3 * h.nEmbd]);
      add(L(i, "shortconv.out_proj.weight"), [h.nEmbd, h.nEmbd]);
    }
    add(L(i, "ffn_norm.weight"), [h.nEmbd]);
    const moe = h.arch === "lfm2moe" && i >= (h.nDenseLead ?? 0);
    if (moe) {
      const e = h.nExpert ?? 0;
      const f = h.nFfExp ?? 0;
      add(L(i, "ffn_gate_inp.weight"), [h.nEmbd, e]);
      add(L(i, "ffn_gate_exps.weight"), [h.nEmbd, f, e]);
      add(L(i, "ffn_down_exps.weight"), [f, h.nEmbd, e]);
      add(L(i, "ffn_up_exps.weight"), [h.nEmbd, f, e]);
      add(L(i, "exp_probs_b.bias"), [e]);
    } else {
      add(L(i, "ffn_gate.weight"), [h.nEmbd, h.nFf]);
      add(L(i, "ffn_down.weight"), [h.nFf, h.nEmbd]);
      add(L(i, "ffn_up.weight"), [h.nEmbd, h.nFf]);
    }
  }
  return sortLikeLlamaCpp(out);
}

/**
 * llama.cpp's loader orders weights by block number (non-block tensors first), then by name; llama-quantize
 * writes them in that order.
 */
export function sortLikeLlamaCpp<T extends { name: string }>(tensors: T[]): T[] {
  const layer = (n: string): number => {
    const m = /^blk\.(\d+)\./.exec(n);
    return m ? Number(m[1]) : -1;
  };
  return [...tensors].sort((a, b) => {
    const la = layer(a.name);
    const lb = layer(b.name);
    if (la !== lb) return la - lb;
    if (a.name === b.name) return 0;
    // byte order (std::string's operator<), not the locale's
    return a.name < b.name ? -1 : 1;
  });
}
