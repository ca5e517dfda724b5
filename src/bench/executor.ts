/**
 * Executors: what actually evaluates tokens. LlamaExecutor (src/bench/llama/) drives llama.cpp through
 * node-llama-cpp; MockExecutor (mockExecutor.ts) returns deterministic synthetic timings (for runner tests
 * and CI), with knobs to inject slowdowns and failures through environment variables.
 */
import type { Env } from "../results/schema.js";
import type { Offload } from "./llama/offloadLog.js";

export interface ContextConfig {
  ctx: number;
  parallel: number;
  kvK: string;
  kvV: string;
  flashAttention: boolean;
  /** 0 = auto (the executor's thread policy: src/bench/llama/threadPolicy.ts) */
  threads: number;
  batch: number;
  /** decode: llama-bench's semantics (no sampling); app (or its former name greedy): public evaluate() throughout */
  tgMode: "decode" | "app" | "greedy";
}

export interface ParallelTiming {
  totalMs: number;
  /** time to first token of each sequence, ms from the start */
  ttftMs: number[];
}

export interface BenchContext {
  readonly appliedThreads: number;
  /** settings known to distort a measurement (copied into each record) */
  readonly warnings: string[];
  /** forget everything (every sequence) */
  clear(): Promise<void>;
  /** untimed: fill sequence `seq` with tokens (depth) */
  fill(tokens: number[], seq?: number): Promise<void>;
  /** evaluate a prompt without generating; returns its wall time, ms */
  timePrompt(tokens: number[]): Promise<number>;
  /**
   * n generation steps after a one-token prompt; returns each step's time since the previous one, ms.
   * decode: each step decodes the next of `tokens` (no sampling, llama-bench's tg); greedy: evaluate() samples
   * greedily.
   */
  timeGenerate(tokens: number[], n: number, mode: ContextConfig["tgMode"]): Promise<number[]>;
  /** K sequences generate n tokens each, together (tokens[k] feeds sequence k in decode mode) */
  timeParallel(tokens: number[][], n: number, mode: ContextConfig["tgMode"]): Promise<ParallelTiming>;
  /**
   * ms llama.cpp's own clock has counted inside llama_decode … llama_synchronize so far (llama_perf_context);
   * absent where the context cannot tell (node-llama-cpp's paths, the mock executor)
   */
  decodeMs?(): number;
  memory(): Promise<{ vramUsedBytes: number | null; vramTotalBytes: number | null; contextStateBytes: number | null }>;
  dispose(): Promise<void>;
}

export interface LoadedModel {
  createContext(cfg: ContextConfig): Promise<BenchContext>;
  /** GPU backends: the layers llama.cpp says it offloaded (null when it did not say); absent on the CPU */
  offload?: () => Promise<Offload | null>;
  dispose(): Promise<void>;
}

export interface Executor {
  env(): Promise<Partial<Env>>;
  load(path: string, gpuLayers: number | "max"): Promise<LoadedModel>;
}
