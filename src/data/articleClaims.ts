/**
 * The claims of the article moebench checks, with the article's numbers (docs/article-claims.md says where
 * each comes from and how moebench reads it). The article: a 2026 blog post on running LiquidAI's
 * LFM2.5-8B-A1B on an RTX 3060 12GB with llama.cpp, measured against dense 7–8B models.
 */
export interface ArticleClaim {
  id: "gen-speedup" | "prefill-gap" | "long-prompt" | "batch4" | "kv16k" | "q8-oom16k";
  /** the claim in moebench's words */
  claim: string;
  /** the article's number, as it states it */
  article: string;
  /** the test that would check it, for "not tested in this run" */
  howToTest: string;
}

/** Where the article measured: one RTX 3060 12GB, llama.cpp with all layers on the GPU, 1k-token prompt. */
export const ARTICLE_SETTING = "RTX 3060 12GB, llama.cpp (-ngl 99), single stream, ~1k-token prompt";

export const GEN_SPEEDUP = { quant: "Q4_K_M", low: 1.4, high: 1.6 } as const;
/** "within roughly 10–25 percent of a dense model": read as MoE pp tok/s between 0.75× and 1.25× dense */
export const PREFILL_GAP = { maxGap: 0.25 } as const;
/** "long prompts (4k+)": a prompt (pp tokens + depth already in context) of at least this many tokens */
export const LONG_PROMPT = { minTokens: 4096 } as const;
export const BATCH = { parallel: 4 } as const;
/** "roughly 3–4 GB of cache" at 16k for the MoE at Q4 (f16 KV); the article's GB read as 10^9 bytes */
export const KV16K = { ctx: 16384, lowBytes: 3e9, highBytes: 4e9 } as const;
/** the quant matrix says Q8_0 is "OOM" at 16k on the 12 GB card */
export const Q8_OOM = { quant: "Q8_0", ctx: 16384, cardGiB: 12, overheadMiB: 300 } as const;

export const ARTICLE_CLAIMS: readonly ArticleClaim[] = [
  {
    id: "gen-speedup",
    claim: "MoE generation is 1.4–1.6× the dense 8B's at Q4_K_M",
    article: "28–34 vs 18–23 tok/s: about 1.4–1.6×",
    howToTest: "tg128 for the MoE and Llama-3.1-8B, both at Q4_K_M (-n 128)",
  },
  {
    id: "prefill-gap",
    claim: "MoE prefill is within 10–25% of the dense model's",
    article: "prefill within roughly 10–25% of a dense model, not 3–6× faster",
    howToTest: "pp512 for the MoE and a dense model at the same quant (-p 512)",
  },
  {
    id: "long-prompt",
    claim: "Long prompts (4k+) tighten the MoE/dense prefill gap",
    article: "long prompts (4k+) tighten the gap with dense models",
    howToTest: "pp512 at depths 0 and 4096 for the MoE and a dense model (-p 512 -d 0,4096)",
  },
  {
    id: "batch4",
    claim: "Four parallel sequences erode the MoE's generation advantage",
    article: "at batch 4 the MoE's compute advantage shrinks",
    howToTest: "tg128 with 1 and 4 parallel sequences for the MoE and a dense model (--parallel 1,4 -n 128)",
  },
  {
    id: "kv16k",
    claim: "The MoE's KV cache at 16k context is about 3–4 GB",
    article: "roughly 3–4 GB of cache at 16k for an 8B MoE at Q4",
    howToTest: "the MoE as a synthetic preset or a readable GGUF file (its tensor table gives the KV size)",
  },
  {
    id: "q8-oom16k",
    claim: "The MoE at Q8_0 does not fit a 12 GB card at 16k context",
    article: "Q8_0: 'tight' at 8k, 'OOM' at 16k on the RTX 3060 12GB",
    howToTest: "the MoE at Q8_0 with a 16k context on a 12 GB card (contexts: [16384]), or include its Q8_0 file",
  },
];
