import type { FileType } from "../ggmlTypes.js";
import type { GgufValue } from "../ggufValue.js";
import type { Hparams } from "./presets.js";
import { synthVocab } from "./vocab.js";

/** Where a synthetic file comes from (written as moebench.synthetic.* keys). */
export interface Provenance {
  preset: string;
  scale: string;
  seed: number;
  sparse: boolean;
  /** the file type synthesized */
  quant: string;
  /** identity of the random weights: same id, same weights (hash of preset, scale, seed and hyperparameters) */
  weightsId: string;
}

/** The GGUF metadata the llama.cpp converter writes for this architecture (plus moebench's provenance keys). */
export function buildMetadata(h: Hparams, ftype: FileType, provenance: Provenance): [string, GgufValue][] {
  const a = h.arch;
  const kv: [string, GgufValue][] = [];
  const u32 = (k: string, v: number): void => {
    kv.push([k, { type: "u32", value: v }]);
  };
  const f32 = (k: string, v: number): void => {
    kv.push([k, { type: "f32", value: v }]);
  };
  const str = (k: string, v: string): void => {
    kv.push([k, { type: "string", value: v }]);
  };
  str("general.architecture", a);
  str("general.type", "model");
  str("general.name", h.name);
  u32(`${a}.block_count`, h.nLayer);
  u32(`${a}.context_length`, h.ctxTrain);
  u32(`${a}.embedding_length`, h.nEmbd);
  u32(`${a}.feed_forward_length`, h.nFf);
  u32(`${a}.attention.head_count`, h.nHead);
  if (h.attnLayers) {
    const perLayer = Array.from({ length: h.nLayer }, (_, i) => (h.attnLayers!.includes(i) ? h.nHeadKv : 0));
    kv.push([`${a}.attention.head_count_kv`, { type: "array", itemType: "u32", value: perLayer }]);
  } else {
    u32(`${a}.attention.head_count_kv`, h.nHeadKv);
  }
  f32(`${a}.rope.freq_base`, h.ropeBase);
  f32(`${a}.attention.layer_norm_rms_epsilon`, h.rmsEps);
  if (a === "llama" || a === "qwen3") {
    if (h.nHead * h.headDim !== h.nEmbd || a === "qwen3") {
      u32(`${a}.attention.key_length`, h.headDim);
      u32(`${a}.attention.value_length`, h.headDim);
    }
    u32(`${a}.rope.dimension_count`, h.headDim);
  }
  if (a === "lfm2moe") {
    u32(`${a}.expert_count`, h.nExpert!);
    u32(`${a}.expert_used_count`, h.nExpertUsed!);
    u32(`${a}.expert_feed_forward_length`, h.nFfExp!);
    u32(`${a}.leading_dense_block_count`, h.nDenseLead!);
    u32(`${a}.expert_gating_func`, 2); // sigmoid
  }
  u32("general.file_type", ftype.id);
  if (a === "lfm2" || a === "lfm2moe") {
    u32(`${a}.vocab_size`, h.vocab);
    u32(`${a}.shortconv.l_cache`, h.convLCache ?? 3);
  } else {
    u32(`${a}.vocab_size`, h.vocab);
  }
  u32("general.quantization_version", 2);
  const v = synthVocab(h.vocab, h.tokenizerPre);
  str("tokenizer.ggml.model", "gpt2");
  str("tokenizer.ggml.pre", h.tokenizerPre);
  kv.push(["tokenizer.ggml.tokens", { type: "array", itemType: "string", value: v.tokens }]);
  kv.push(["tokenizer.ggml.token_type", { type: "array", itemType: "i32", value: v.tokenTypes }]);
  kv.push(["tokenizer.ggml.merges", { type: "array", itemType: "string", value: v.merges }]);
  u32("tokenizer.ggml.bos_token_id", v.bosId);
  u32("tokenizer.ggml.eos_token_id", v.eosId);
  kv.push(["tokenizer.ggml.add_bos_token", { type: "bool", value: v.addBos }]);
  str("moebench.synthetic.preset", provenance.preset);
  str("moebench.synthetic.scale", provenance.scale);
  u32("moebench.synthetic.seed", provenance.seed);
  kv.push(["moebench.synthetic.sparse", { type: "bool", value: provenance.sparse }]);
  // what was synthesized, and which random weights: llama-quantize copies these keys into the files it
  // makes from this one (with a new general.file_type), which is how `quality` knows a derived quant
  str("moebench.synthetic.quant", provenance.quant);
  str("moebench.synthetic.weights", provenance.weightsId);
  return kv;
}
