/**
 * Executors: what actually evaluates tokens. LlamaExecutor drives llama.cpp through node-llama-cpp;
 * MockExecutor returns deterministic synthetic timings (for runner tests and CI), with knobs to inject
 * slowdowns and failures through environment variables.
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
}

export interface ParallelTiming {
  totalMs: number;
  /** time to first token of each sequence, ms from the start */
  ttftMs: number[];
}

export interface BenchContext {
  readonly appliedThreads: number;
  /** forget everything (every sequence) */
  clear(): Promise<void>;
  /** untimed: fill sequence `seq` with tokens (depth) */
  fill(tokens: number[], seq?: number): Promise<void>;
  /** evaluate a prompt without generating; returns its wall time, ms */
  timePrompt(tokens: number[]): Promise<number>;
  /** generate n tokens one at a time (greedy) after a one-token prompt; returns each token's time since the previous one, ms */
  timeGenerate(first: number, n: number): Promise<number[]>;
  /** K sequences generate n tokens each, together */
  timeParallel(firsts: number[], n: number): Promise<ParallelTiming>;
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

// ---------------------------------------------------------------- llama.cpp via node-llama-cpp

type NLC = typeof import("node-llama-cpp");

export class LlamaExecutor implements Executor {
  private llama?: Awaited<ReturnType<NLC["getLlama"]>>;
  constructor(private readonly backend: string) {}

  private async get(): Promise<NonNullable<LlamaExecutor["llama"]>> {
    if (this.llama) return this.llama;
    const { getLlama, LlamaLogLevel } = await import("node-llama-cpp");
    const gpu = this.backend === "auto" ? "auto" : this.backend === "cpu" ? false : (this.backend as "cuda" | "vulkan" | "metal");
    this.llama = await getLlama({
      gpu,
      build: (process.env.MOEBENCH_LLAMA_BUILD as "never" | "auto" | undefined) ?? "never",
      logLevel: LlamaLogLevel.warn,
      logger: (_level, message) => process.stderr.write(message.endsWith("\n") ? message : message + "\n"),
      // no cap: the suite's threads setting decides (node-llama-cpp caps CPU threads otherwise)
      maxThreads: 0,
    });
    return this.llama;
  }

  async env(): Promise<Partial<Env>> {
    const llama = await this.get();
    const names = llama.gpu ? await llama.getGpuDeviceNames() : [];
    const vram = llama.gpu ? await llama.getVramState() : undefined;
    return {
      llamaCppRelease: llama.llamaCppRelease.release,
      backend: llama.gpu || "cpu",
      gpus: names.map((name) => ({ name, uuid: null, driver: null, vramBytes: vram?.total ?? null })),
    };
  }

  async load(path: string, gpuLayers: number | "max"): Promise<LoadedModel> {
    const llama = await this.get();
    const model = await llama.loadModel({ modelPath: path, gpuLayers: llama.gpu ? gpuLayers : 0 });
    return {
      dispose: () => model.dispose(),
      createContext: async (cfg) => {
        const ctx = await model.createContext({
          contextSize: cfg.ctx,
          sequences: cfg.parallel,
          batchSize: cfg.batch,
          flashAttention: cfg.flashAttention,
          threads: cfg.threads > 0 ? { ideal: cfg.threads, min: cfg.threads } : undefined,
          experimentalKvCacheKeyType: cfg.kvK.toUpperCase() as never,
          experimentalKvCacheValueType: cfg.kvV.toUpperCase() as never,
          ignoreMemorySafetyChecks: true,
          failedCreationRemedy: false,
        });
        const seqs = Array.from({ length: cfg.parallel }, () => ctx.getSequence());
        const s0 = seqs[0]!;
        return {
          appliedThreads: ctx.currentThreads || ctx.idealThreads,
          clear: async () => { for (const s of seqs) await s.clearHistory(); },
          fill: async (tokens, seq = 0) => { await seqs[seq]!.evaluateWithoutGeneratingNewTokens(tokens as never); },
          timePrompt: async (tokens) => {
            const t0 = performance.now();
            await s0.evaluateWithoutGeneratingNewTokens(tokens as never);
            return performance.now() - t0;
          },
          timeGenerate: async (first, n) => {
            const gaps: number[] = [];
            let prev = performance.now();
            let i = 0;
            for await (const _t of s0.evaluate([first] as never, { temperature: 0 })) {
              const now = performance.now();
              gaps.push(now - prev);
              prev = now;
              if (++i >= n) break;
            }
            return gaps;
          },
          timeParallel: async (firsts, n) => {
            const t0 = performance.now();
            const ttft: number[] = [];
            await Promise.all(firsts.map(async (first, k) => {
              let i = 0;
              for await (const _t of seqs[k]!.evaluate([first] as never, { temperature: 0 })) {
                if (i === 0) ttft[k] = performance.now() - t0;
                if (++i >= n) break;
              }
            }));
            return { totalMs: performance.now() - t0, ttftMs: ttft };
          },
          memory: async () => {
            const v = llama.gpu ? await llama.getVramState() : undefined;
            return { vramUsedBytes: v ? v.used : null, vramTotalBytes: v ? v.total : null, contextStateBytes: ctx.stateSize ?? null };
          },
          dispose: () => ctx.dispose(),
        };
      },
    };
  }
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
  constructor(seed: number, private readonly sizeBytes: number, private readonly activeShare: number) {
    let s = seed >>> 0 || 1;
    this.rnd = () => { s ^= s << 13; s >>>= 0; s ^= s >>> 17; s ^= s << 5; s >>>= 0; return s / 4294967296; };
  }
  async env(): Promise<Partial<Env>> {
    return { llamaCppRelease: "mock", backend: "mock", gpus: [] };
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
    const hang = has(process.env.MOEBENCH_MOCK_HANG);
    return {
      dispose: async () => undefined,
      createContext: async (cfg) => ({
        appliedThreads: cfg.threads || 2,
        clear: async () => undefined,
        fill: async () => undefined,
        timePrompt: async (tokens) => {
          if (crash) process.exit(134);
          if (hang) await new Promise(() => setInterval(() => undefined, 1000));
          return tokens.length * ppMsPerTok();
        },
        timeGenerate: async (_f, n) => {
          if (crash) process.exit(134);
          if (hang) await new Promise(() => setInterval(() => undefined, 1000));
          return Array.from({ length: n }, tgMs);
        },
        timeParallel: async (firsts, n) => {
          const per = tgMs() * (1 + 0.15 * (firsts.length - 1));
          return { totalMs: per * n, ttftMs: firsts.map((_, k) => per * (1 + k * 0.01)) };
        },
        memory: async () => ({ vramUsedBytes: null, vramTotalBytes: null, contextStateBytes: cfg.ctx * 1024 }),
        dispose: async () => undefined,
      }),
    };
  }
}
