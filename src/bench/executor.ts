/**
 * Executors: what actually evaluates tokens. LlamaExecutor (src/bench/llama/) drives llama.cpp through
 * node-llama-cpp; MockExecutor returns deterministic synthetic timings (for runner tests and CI), with knobs
 * to inject slowdowns and failures through environment variables.
 */
import type { Env } from "../results/schema.js";

export interface ContextConfig {
  ctx: number;
  parallel: number;
  kvK: string;
  kvV: string;
  flashAttention: boolean;
  /** 0 = node-llama-cpp's default (the machine's math cores) */
  threads: number;
  batch: number;
  /** decode: timed work goes through the native batch API (llama-bench's semantics); greedy: public evaluate() throughout */
  tgMode: "decode" | "greedy";
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
   * decode: each step decodes the next of `tokens` (no sampling, llama-bench's tg); greedy: evaluate() samples greedily.
   */
  timeGenerate(tokens: number[], n: number, mode: "decode" | "greedy"): Promise<number[]>;
  /** K sequences generate n tokens each, together (tokens[k] feeds sequence k in decode mode) */
  timeParallel(tokens: number[][], n: number, mode: "decode" | "greedy"): Promise<ParallelTiming>;
  memory(): Promise<{ vramUsedBytes: number | null; vramTotalBytes: number | null; contextStateBytes: number | null }>;
  dispose(): Promise<void>;
}

export interface LoadedModel {
  createContext(cfg: ContextConfig): Promise<BenchContext>;
  dispose(): Promise<void>;
}

export interface Executor {
  env(): Promise<Partial<Env>>;
  load(path: string, gpuLayers: number | "max"): Promise<LoadedModel>;
}

// ---------------------------------------------------------------- deterministic mock

/**
 * Timings from a simple roofline of the model file (size and active share) with seeded ±1% noise.
 * MOEBENCH_MOCK_SLOWDOWN=1.1 makes everything 10% slower; MOEBENCH_MOCK_FAIL=<text> fails loading any
 * model whose path contains <text>; MOEBENCH_MOCK_CRASH=<text> kills the worker during such a model;
 * MOEBENCH_MOCK_HANG=<text> never finishes it (timeout tests).
 */
export class MockExecutor implements Executor {
  private rnd: () => number;
  constructor(
    seed: number,
    private readonly sizeBytes: number,
    private readonly activeShare: number,
  ) {
    let s = seed >>> 0 || 1;
    this.rnd = () => {
      s ^= s << 13;
      s >>>= 0;
      s ^= s >>> 17;
      s ^= s << 5;
      s >>>= 0;
      return s / 4294967296;
    };
  }
  async env(): Promise<Partial<Env>> {
    return { llamaCppRelease: "mock", llamaCppCommit: null, nodeLlamaCpp: null, backend: "mock", gpus: [] };
  }
  async load(path: string): Promise<LoadedModel> {
    const has = (v: string | undefined): boolean => !!v && path.includes(v);
    if (has(process.env.MOEBENCH_MOCK_FAIL)) throw new Error(`mock: failed to load model from ${path}`);
    const slow = Number(process.env.MOEBENCH_MOCK_SLOWDOWN ?? "1") || 1;
    const noise = (): number => 1 + (this.rnd() - 0.5) * 0.02;
    const activeBytes = this.sizeBytes * this.activeShare;
    const tgMs = (): number => Math.max(0.01, (activeBytes / 20e9) * 1000) * slow * noise();
    const ppMsPerTok = (): number => Math.max(0.001, (activeBytes / 400e9) * 1000) * slow * noise();
    const crash = has(process.env.MOEBENCH_MOCK_CRASH);
    // MOEBENCH_MOCK_REALTIME=1: really take the simulated time (telemetry tests need real windows)
    const realtime = process.env.MOEBENCH_MOCK_REALTIME === "1";
    const take = async (ms: number): Promise<number> => {
      if (realtime) await new Promise((r) => setTimeout(r, ms));
      return ms;
    };
    const hang = has(process.env.MOEBENCH_MOCK_HANG);
    return {
      dispose: async () => undefined,
      createContext: async (cfg) => ({
        appliedThreads: cfg.threads || 2,
        warnings: [],
        clear: async () => undefined,
        fill: async () => undefined,
        timePrompt: async (tokens) => {
          if (crash) process.exit(134);
          if (hang) await new Promise(() => setInterval(() => undefined, 1000));
          return take(tokens.length * ppMsPerTok());
        },
        timeGenerate: async (_t, n) => {
          if (crash) process.exit(134);
          if (hang) await new Promise(() => setInterval(() => undefined, 1000));
          const gaps = Array.from({ length: n }, tgMs);
          await take(gaps.reduce((a, b) => a + b, 0));
          return gaps;
        },
        timeParallel: async (tokens, n) => {
          const per = tgMs() * (1 + 0.15 * (tokens.length - 1));
          return { totalMs: per * n, ttftMs: tokens.map((_, k) => per * (1 + k * 0.01)) };
        },
        memory: async () => ({ vramUsedBytes: null, vramTotalBytes: null, contextStateBytes: cfg.ctx * 1024 }),
        dispose: async () => undefined,
      }),
    };
  }
}
