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

// ---------------------------------------------------------------- llama.cpp via node-llama-cpp

type NLC = typeof import("node-llama-cpp");

/** node-llama-cpp's native context (3.22.x): the batch API its own dispatcher uses. */
interface NativeContext {
  initBatch(size: number): void;
  addToBatch(
    sequenceId: number,
    firstTokenIndex: number,
    tokens: Uint32Array,
    logitIndexes: Uint32Array,
  ): Uint32Array | number[];
  decodeBatch(): Promise<void>;
  disposeSequence(sequenceId: number): void;
}

function nativeOf(ctx: unknown): NativeContext | undefined {
  const n = (ctx as { _ctx?: Partial<NativeContext> })._ctx;
  return n &&
    typeof n.initBatch === "function" &&
    typeof n.addToBatch === "function" &&
    typeof n.decodeBatch === "function" &&
    typeof n.disposeSequence === "function"
    ? (n as NativeContext)
    : undefined;
}

export class LlamaExecutor implements Executor {
  private llama?: Awaited<ReturnType<NLC["getLlama"]>>;
  constructor(private readonly backend: string) {}

  private async get(): Promise<NonNullable<LlamaExecutor["llama"]>> {
    if (this.llama) return this.llama;
    const { getLlama, LlamaLogLevel } = await import("node-llama-cpp");
    const gpu =
      this.backend === "auto" ? "auto" : this.backend === "cpu" ? false : (this.backend as "cuda" | "vulkan" | "metal");
    this.llama = await getLlama({
      gpu,
      build: (process.env.MOEBENCH_LLAMA_BUILD as "never" | "auto" | undefined) ?? "never",
      logLevel: LlamaLogLevel.warn,
      logger: (_level, message) => process.stderr.write(message.endsWith("\n") ? message : `${message}\n`),
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
        // "auto" threads on the CPU: all cores but one. node-llama-cpp decodes on a libuv thread with a fresh
        // ggml threadpool per decode; using every core leaves none for the JS and libuv threads, and ggml's
        // barriers then spin through whole scheduler slices (measured: tg at 0.06× llama-bench with 2 threads on
        // 2 cores, 1.0× with 1 thread; see npm run bench:fidelity).
        const cores = llama.cpuMathCores;
        const threads = cfg.threads > 0 ? cfg.threads : llama.gpu ? 0 : Math.max(1, cores - 1);
        const warnings: string[] = [];
        if (!llama.gpu && threads >= cores && cores > 0) {
          warnings.push(
            `threads=${threads} uses every core (${cores}) on the CPU backend: node-llama-cpp's generation speed is badly understated in this setting (measured 0.06× of llama-bench at 2/2 threads); use threads: [${Math.max(1, cores - 1)}] or auto`,
          );
        }
        const ctx = await model.createContext({
          contextSize: cfg.ctx,
          sequences: cfg.parallel,
          batchSize: cfg.batch,
          flashAttention: cfg.flashAttention,
          threads: threads > 0 ? { ideal: threads, min: threads } : undefined,
          experimentalKvCacheKeyType: cfg.kvK.toUpperCase() as never,
          experimentalKvCacheValueType: cfg.kvV.toUpperCase() as never,
          ignoreMemorySafetyChecks: true,
          failedCreationRemedy: false,
        });
        const seqs = Array.from({ length: cfg.parallel }, () => ctx.getSequence());
        const s0 = seqs[0]!;
        // The timed decodes go through node-llama-cpp's native batch API (what its own dispatcher calls):
        // exactly llama-bench's work (pp: one output row at the end; tg: one token with its logits per step,
        // no sampling), without the per-token sampling round trip of evaluate() (~300 µs on a 2-core CPU).
        const native = cfg.tgMode === "decode" ? nativeOf(ctx) : undefined;
        if (!native && cfg.tgMode === "decode")
          warnings.push(
            "node-llama-cpp's native batch API was not found: timings use the public evaluate() path, which adds a sampling round trip per generated token",
          );
        const seqId = (s: unknown): number => (s as { _sequenceId: number })._sequenceId;
        const pos = seqs.map(() => 0);
        const decode = async (items: { k: number; tokens: number[]; logitLast: boolean }[]): Promise<void> => {
          const n = items.reduce((a, i) => a + i.tokens.length, 0);
          native!.initBatch(n);
          for (const it of items) {
            const s = seqs[it.k]!;
            native!.addToBatch(
              seqId(s),
              s.nextTokenIndex + pos[it.k]!,
              Uint32Array.from(it.tokens),
              it.logitLast ? Uint32Array.from([it.tokens.length - 1]) : new Uint32Array(0),
            );
            pos[it.k]! += it.tokens.length;
          }
          await native!.decodeBatch();
        };
        return {
          appliedThreads: ctx.currentThreads || ctx.idealThreads,
          warnings,
          clear: async () => {
            for (const s of seqs) await s.clearHistory();
            if (native) for (const s of seqs) native.disposeSequence(seqId(s));
            pos.fill(0);
          },
          fill: async (tokens, seq = 0) => {
            await seqs[seq]!.evaluateWithoutGeneratingNewTokens(tokens as never);
          },
          timePrompt: async (tokens) => {
            const t0 = performance.now();
            if (native) {
              for (let i = 0; i < tokens.length; i += cfg.batch) {
                const chunk = tokens.slice(i, i + cfg.batch);
                await decode([{ k: 0, tokens: chunk, logitLast: i + cfg.batch >= tokens.length }]);
              }
            } else {
              await s0.evaluateWithoutGeneratingNewTokens(tokens as never);
            }
            return performance.now() - t0;
          },
          timeGenerate: async (tokens, n, mode) => {
            const gaps: number[] = [];
            let prev = performance.now();
            if (mode === "decode" && native) {
              for (let i = 0; i < n; i++) {
                await decode([{ k: 0, tokens: [tokens[i % tokens.length]!], logitLast: true }]);
                const now = performance.now();
                gaps.push(now - prev);
                prev = now;
              }
              return gaps;
            }
            let i = 0;
            for await (const _t of s0.evaluate([tokens[0]!] as never, { temperature: 0 })) {
              const now = performance.now();
              gaps.push(now - prev);
              prev = now;
              if (++i >= n) break;
            }
            return gaps;
          },
          timeParallel: async (tokens, n, mode) => {
            const t0 = performance.now();
            const ttft: number[] = [];
            if (mode === "decode" && native) {
              // one batch per step holding one token (with logits) of every sequence
              for (let i = 0; i < n; i++) {
                await decode(tokens.map((toks, k) => ({ k, tokens: [toks[i % toks.length]!], logitLast: true })));
                if (i === 0) {
                  const t = performance.now() - t0;
                  tokens.forEach((_, k) => {
                    ttft[k] = t;
                  });
                }
              }
              return { totalMs: performance.now() - t0, ttftMs: ttft };
            }
            await Promise.all(
              tokens.map(async (toks, k) => {
                let i = 0;
                for await (const _t of seqs[k]!.evaluate([toks[0]!] as never, { temperature: 0 })) {
                  if (i === 0) ttft[k] = performance.now() - t0;
                  if (++i >= n) break;
                }
              }),
            );
            return { totalMs: performance.now() - t0, ttftMs: ttft };
          },
          memory: async () => {
            const v = llama.gpu ? await llama.getVramState() : undefined;
            return {
              vramUsedBytes: v ? v.used : null,
              vramTotalBytes: v ? v.total : null,
              contextStateBytes: ctx.stateSize ?? null,
            };
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
