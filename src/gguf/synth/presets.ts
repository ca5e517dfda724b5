/**
 * Architecture presets: hyperparameters from each model's published config.json (or model card), in the
 * form the llama.cpp converter writes them into GGUF metadata. Each preset says where its numbers come from.
 */
export type Arch = "llama" | "qwen3" | "lfm2" | "lfm2moe";

export interface Hparams {
  arch: Arch;
  /** general.name written into the file */
  name: string;
  vocab: number;
  nEmbd: number;
  nLayer: number;
  nHead: number;
  nHeadKv: number;
  headDim: number;
  /** dense FFN width */
  nFf: number;
  ctxTrain: number;
  ropeBase: number;
  rmsEps: number;
  tiedEmbeddings: boolean;
  /** llama3-style rope scaling: the converter adds rope_freqs.weight (head_dim/2 floats) */
  ropeScalingLlama3: boolean;
  /** hybrid (lfm2/lfm2moe): blocks holding attention; the rest are short-convolution blocks */
  attnLayers?: number[];
  convLCache?: number;
  /** MoE (lfm2moe) */
  nExpert?: number;
  nExpertUsed?: number;
  nFfExp?: number;
  nDenseLead?: number;
  /** tokenizer flavour written to tokenizer.ggml.pre */
  tokenizerPre: string;
  /** total/active parameter counts of the real model, for reference in --help */
  note: string;
  /** where the hyperparameters come from (primary sources) */
  source?: string;
}

/** LFM2-8B-A1B's layout (config.json, cited in its preset): LFM2.5-8B-A1B keeps it and changes the vocabulary. */
const LFM2_MOE_LAYOUT: Omit<Hparams, "name" | "vocab" | "note" | "source"> = {
  arch: "lfm2moe",
  nEmbd: 2048,
  nLayer: 24,
  nHead: 32,
  nHeadKv: 8,
  headDim: 64,
  nFf: 7168,
  ctxTrain: 128000,
  ropeBase: 1e6,
  rmsEps: 1e-5,
  tiedEmbeddings: true,
  ropeScalingLlama3: false,
  attnLayers: [2, 6, 10, 14, 18, 21],
  convLCache: 3,
  nExpert: 32,
  nExpertUsed: 4,
  nFfExp: 1792,
  nDenseLead: 2,
  tokenizerPre: "lfm2",
};

export const PRESETS: Readonly<Record<string, Hparams>> = {
  "lfm2-8b-a1b": {
    ...LFM2_MOE_LAYOUT,
    name: "LFM2-8B-A1B (synthetic)",
    vocab: 65536,
    note: "LiquidAI LFM2-8B-A1B: 8.3B total, ~1.5B active, vocabulary 65,536",
    source:
      "huggingface.co/LiquidAI/LFM2-8B-A1B config.json (Lfm2MoeForCausalLM: hidden 2048, 24 layers, " +
      "full_attention at " +
      "2,6,10,14,18,21, 32 experts top-4, moe_intermediate_size 1792, intermediate_size 7168, num_dense_layers 2, " +
      "vocab_size 65536, max_position_embeddings 128000; the model card states a 32,768-token context)",
  },
  "lfm2.5-8b-a1b": {
    ...LFM2_MOE_LAYOUT,
    name: "LFM2.5-8B-A1B (synthetic)",
    vocab: 128000,
    note: "LiquidAI LFM2.5-8B-A1B (the seed article's model): LFM2-8B-A1B's layout, vocabulary 128,000",
    source:
      "huggingface.co/LiquidAI/LFM2.5-8B-A1B model card (README, May 2026): 24 layers (18 double-gated LIV conv + " +
      "6 GQA), context length 128,000, vocabulary size 128,000, built on the LFM2-8B-A1B architecture " +
      "(Lfm2MoeForCausalLM); " +
      "vLLM's recipe for it: max_position_embeddings = 128000. Widths, experts and layer pattern: LFM2-8B-A1B's " +
      "config.json. The card's '8.3B total' is LFM2-8B-A1B's count: the larger tied embedding makes it 8.47B",
  },
  "lfm2-1.2b": {
    arch: "lfm2",
    name: "LFM2-1.2B (synthetic)",
    vocab: 65536,
    nEmbd: 2048,
    nLayer: 16,
    nHead: 32,
    nHeadKv: 8,
    headDim: 64,
    nFf: 8192,
    ctxTrain: 128000,
    ropeBase: 1e6,
    rmsEps: 1e-5,
    tiedEmbeddings: true,
    ropeScalingLlama3: false,
    attnLayers: [2, 5, 8, 10, 12, 14],
    convLCache: 3,
    tokenizerPre: "lfm2",
    note: "LiquidAI LFM2-1.2B published config: dense hybrid, 6 attention + 10 short-conv blocks",
  },
  "llama-3.1-8b": {
    arch: "llama",
    name: "Llama-3.1-8B (synthetic)",
    vocab: 128256,
    nEmbd: 4096,
    nLayer: 32,
    nHead: 32,
    nHeadKv: 8,
    headDim: 128,
    nFf: 14336,
    ctxTrain: 131072,
    ropeBase: 500000,
    rmsEps: 1e-5,
    tiedEmbeddings: false,
    ropeScalingLlama3: true,
    tokenizerPre: "llama-bpe",
    note: "Meta Llama-3.1-8B published config: 8.03B parameters",
  },
  "llama-3.2-3b": {
    arch: "llama",
    name: "Llama-3.2-3B (synthetic)",
    vocab: 128256,
    nEmbd: 3072,
    nLayer: 28,
    nHead: 24,
    nHeadKv: 8,
    headDim: 128,
    nFf: 8192,
    ctxTrain: 131072,
    ropeBase: 500000,
    rmsEps: 1e-5,
    tiedEmbeddings: true,
    ropeScalingLlama3: true,
    tokenizerPre: "llama-bpe",
    note: "Meta Llama-3.2-3B published config: 3.21B parameters, tied embeddings",
  },
  "mistral-7b-v0.3": {
    arch: "llama",
    name: "Mistral-7B-v0.3 (synthetic)",
    vocab: 32768,
    nEmbd: 4096,
    nLayer: 32,
    nHead: 32,
    nHeadKv: 8,
    headDim: 128,
    nFf: 14336,
    ctxTrain: 32768,
    ropeBase: 1e6,
    rmsEps: 1e-5,
    tiedEmbeddings: false,
    ropeScalingLlama3: false,
    tokenizerPre: "default",
    note: "Mistral-7B-v0.3 published config: 7.25B parameters (real tokenizer SentencePiece; ours BPE, same size)",
  },
  "qwen3-8b": {
    arch: "qwen3",
    name: "Qwen3-8B (synthetic)",
    vocab: 151936,
    nEmbd: 4096,
    nLayer: 36,
    nHead: 32,
    nHeadKv: 8,
    headDim: 128,
    nFf: 12288,
    ctxTrain: 40960,
    ropeBase: 1e6,
    rmsEps: 1e-6,
    tiedEmbeddings: false,
    ropeScalingLlama3: false,
    tokenizerPre: "qwen2",
    note: "Qwen3-8B published config: 8.19B parameters",
  },
};

export const PRESET_ALIASES: Readonly<Record<string, string>> = {
  "lfm2-8b": "lfm2-8b-a1b",
  "lfm2.5-1.2b": "lfm2-1.2b",
  "qwen3-7b": "qwen3-8b",
  "mistral-7b": "mistral-7b-v0.3",
};

export type Scale = "full" | "small" | "tiny";
export const SCALES: readonly Scale[] = ["full", "small", "tiny"];

type Shape = Pick<Hparams, "nEmbd" | "nHead" | "nHeadKv" | "headDim" | "nFf" | "nLayer" | "vocab"> &
  Partial<Pick<Hparams, "attnLayers" | "nFfExp" | "nDenseLead">>;

/**
 * Small scale: every preset shrunk so that a small run tells the full-size story (checked in
 * test/unit/smallScale.test.ts): generation reads ~1/120 of the full-size weight bytes per token for
 * every preset (so the MoE/dense ratio of active bytes per token stays within ±15% of full size), an MoE
 * keeps its active/total parameter ratio, and a model keeps the share of its output matrix in those bytes
 * (vocabulary shrunk with width × depth). Widths stay multiples of 256 (the quant rules give every tensor
 * its full-size type), the GQA ratio, hybrid pattern (¼ to ⅜ attention blocks), dense lead and expert
 * routing (32 experts, 4 used) are kept. Width ÷8 and depth ÷2 for the 2048- and 4096-wide models; the
 * 3072-wide Llama-3.2-3B is ÷4 wide (q rows of 3 × 2 × 128 stay multiples of 256) and ÷7 deep. LFM2's
 * expert width 1792 cannot shrink ÷8 to a multiple of 256 (224): 256 it is, and 11 blocks instead of 12
 * make up for the 8/7 wider experts.
 */
const LFM2_MOE_SMALL: Shape = {
  nEmbd: 256,
  nHead: 8,
  nHeadKv: 2,
  headDim: 32,
  nFf: 1024,
  nFfExp: 256,
  nLayer: 11,
  attnLayers: [2, 6, 10],
  nDenseLead: 1,
  vocab: 4096,
};
const LLAMA_8B_SMALL: Shape = { nEmbd: 512, nHead: 8, nHeadKv: 2, headDim: 64, nFf: 1792, nLayer: 16, vocab: 8016 };
const SMALL: Readonly<Record<string, Shape>> = {
  "lfm2-8b-a1b": LFM2_MOE_SMALL,
  // 128,000 ÷ 16, as 65,536 ÷ 16 for LFM2-8B-A1B
  "lfm2.5-8b-a1b": { ...LFM2_MOE_SMALL, vocab: 8000 },
  "lfm2-1.2b": {
    nEmbd: 256,
    nHead: 8,
    nHeadKv: 2,
    headDim: 32,
    nFf: 1024,
    nLayer: 8,
    attnLayers: [2, 4, 6],
    vocab: 4096,
  },
  "llama-3.1-8b": LLAMA_8B_SMALL,
  "llama-3.2-3b": { nEmbd: 768, nHead: 6, nHeadKv: 2, headDim: 128, nFf: 2048, nLayer: 4, vocab: 4581 },
  "mistral-7b-v0.3": { ...LLAMA_8B_SMALL, vocab: 2048 },
  "qwen3-8b": { ...LLAMA_8B_SMALL, nFf: 1536, nLayer: 18, vocab: 9496 },
};

const scaledName = (h: Hparams, scale: Scale): string => `${h.name.replace(" (synthetic)", "")} ${scale} (synthetic)`;

/**
 * Tiny scale: the structure only (hybrid pattern, dense lead, GQA ratio, MoE routing, quant rules: every
 * width a multiple of 256), as small as llama.cpp loads quickly. It does not keep the size ratios (see
 * `inspect`): for tests of the machinery, not for conclusions.
 */
function tinyHparams(h: Hparams): Hparams {
  const gqa = h.nHead / h.nHeadKv;
  const nHeadKv = 1;
  const nHead = gqa * nHeadKv;
  const headDim = [32, 64, 128, 256].find((d) => (nHead * d) % 256 === 0) ?? 256;
  const base = {
    ...h,
    nEmbd: nHead * headDim,
    headDim,
    nHead,
    nHeadKv,
    vocab: 2048,
    nFf: 512,
    name: scaledName(h, "tiny"),
  };
  // never 8 experts (llama.cpp gives 8-expert models Mixtral-specific quant rules)
  if (h.arch === "lfm2moe")
    return { ...base, nLayer: 6, attnLayers: [2, 5], nExpert: 4, nExpertUsed: 2, nFfExp: 256, nDenseLead: 2 };
  if (h.arch === "lfm2") return { ...base, nLayer: 6, attnLayers: [2, 4] };
  return { ...base, nLayer: 4 };
}

/** A preset's hyperparameters at a scale (full: as published). */
export function scaleHparams(preset: string, h: Hparams, scale: Scale): Hparams {
  if (scale === "full") return { ...h };
  if (scale === "tiny") return tinyHparams(h);
  const small = SMALL[preset];
  if (!small) throw new Error(`no small scale for preset ${preset}`);
  return { ...h, ...small, name: scaledName(h, "small") };
}
