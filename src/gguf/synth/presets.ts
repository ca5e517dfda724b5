/**
 * Architecture presets: hyperparameters from each model's published config.json, in the form the
 * llama.cpp converter writes them into GGUF metadata.
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
}

export const PRESETS: Readonly<Record<string, Hparams>> = {
  "lfm2-8b-a1b": {
    arch: "lfm2moe",
    name: "LFM2-8B-A1B (synthetic)",
    vocab: 65536,
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
    note: "LiquidAI LFM2-8B-A1B published config (the seed's LFM2.5-8B-A1B): 8.3B total, ~1.5B active",
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
    note: "Mistral-7B-v0.3 published config: 7.25B parameters (real tokenizer is SentencePiece; ours is BPE of the same size)",
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
  "lfm2.5-8b-a1b": "lfm2-8b-a1b",
  "lfm2-8b": "lfm2-8b-a1b",
  "lfm2.5-1.2b": "lfm2-1.2b",
  "qwen3-7b": "qwen3-8b",
  "mistral-7b": "mistral-7b-v0.3",
};

export type Scale = "full" | "small" | "tiny";
export const SCALES: readonly Scale[] = ["full", "small", "tiny"];

/**
 * Shrink width and depth while keeping the structure (hybrid layer pattern, dense lead, GQA ratio,
 * MoE routing) and the quant rules: every width stays a multiple of 256 so each tensor gets the same
 * ggml type as at full scale.
 */
export function scaleHparams(h: Hparams, scale: Scale): Hparams {
  if (scale === "full") return { ...h };
  const small = scale === "small";
  // keep the GQA ratio; pick the head dim so that q/o rows stay multiples of 256 (same quant types as full scale)
  const gqa = h.nHead / h.nHeadKv;
  const nHeadKv = small ? 2 : 1;
  const nHead = gqa * nHeadKv;
  const headDim = [small ? 64 : 32, 64, 128, 256].find((d) => (nHead * d) % 256 === 0) ?? 256;
  const nEmbd = nHead * headDim;
  const vocab = small ? 8192 : 2048;
  const base = {
    ...h,
    nEmbd,
    headDim,
    nHead,
    nHeadKv,
    vocab,
    nFf: small ? 1536 : 512,
    name: `${h.name.replace(" (synthetic)", "")} ${scale} (synthetic)`,
  };
  if (h.arch === "lfm2moe") {
    // 2 dense lead blocks, attention every 4th block as at full size; never 8 experts (llama.cpp gives
    // 8-expert models Mixtral-specific quant rules)
    return {
      ...base,
      nLayer: small ? 8 : 6,
      attnLayers: small ? [2, 6] : [2, 5],
      nExpert: small ? 16 : 4,
      nExpertUsed: 2,
      nFfExp: 256,
      nDenseLead: 2,
    };
  }
  if (h.arch === "lfm2") {
    return { ...base, nLayer: small ? 8 : 6, attnLayers: small ? [2, 5] : [2, 4] };
  }
  return { ...base, nLayer: small ? 8 : 4 };
}
