/**
 * The mock executor: deterministic synthetic timings from a simple roofline of the model file (size and
 * active share) with seeded ±1% noise, no llama.cpp. For runner tests, fault injection and CI; records it
 * makes say `executor: "mock"` (reports show a MOCK banner).
 *
 * Knobs (environment; <text> matches a substring of the model's path):
 * - MOEBENCH_MOCK_SLOWDOWN=1.1: every timing 10% slower
 * - MOEBENCH_MOCK_FAIL=<text>: loading fails with an error
 * - MOEBENCH_MOCK_CRASH=<text>: the worker exits (code 134, as an abort) in the first timed operation
 * - MOEBENCH_MOCK_HANG=<text>: the first timed operation never ends (timeout tests)
 * - MOEBENCH_MOCK_OOM=<text>: creating a context fails after llama.cpp's allocation message on stderr
 * - MOEBENCH_MOCK_REALTIME=1: really take the simulated time (telemetry tests need real windows)
 * - MOEBENCH_MOCK_LOAD_MS=<ms>, MOEBENCH_MOCK_OP_MS=<ms>: the load, and every timed operation, really take
 *   at least that long (fault tests interrupt mid-load and mid-measure)
 */
import type { Env } from "../results/schema.js";
import type { BenchContext, ContextConfig, Executor, LoadedModel } from "./executor.js";

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const forever = (): Promise<never> => new Promise(() => setInterval(() => undefined, 1000));
const envMs = (name: string): number => Math.max(0, Number(process.env[name] ?? "0") || 0);

/** xorshift32 in [0, 1) */
function seeded(seed: number): () => number {
  let s = seed >>> 0 || 1;
  return () => {
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    return s / 4294967296;
  };
}

interface MockBehaviour {
  tgMs: () => number;
  ppMsPerTok: () => number;
  crash: boolean;
  hang: boolean;
  oom: boolean;
  realtime: boolean;
  opMs: number;
}

function mockContext(cfg: ContextConfig, b: MockBehaviour): BenchContext {
  /** every timed operation: the fault knobs first, then (optionally) really take the time */
  const timed = async (ms: number): Promise<number> => {
    if (b.crash) process.exit(134);
    if (b.hang) await forever();
    const wait = Math.max(b.opMs, b.realtime ? ms : 0);
    if (wait > 0) await sleep(wait);
    return ms;
  };
  return {
    appliedThreads: cfg.threads || 2,
    warnings: [],
    clear: async () => undefined,
    fill: async () => undefined,
    timePrompt: (tokens) => timed(tokens.length * b.ppMsPerTok()),
    timeGenerate: async (_t, n) => {
      const gaps = Array.from({ length: n }, b.tgMs);
      await timed(gaps.reduce((a, c) => a + c, 0));
      return gaps;
    },
    timeParallel: async (tokens, n) => {
      const per = b.tgMs() * (1 + 0.15 * (tokens.length - 1));
      await timed(per * n);
      return { totalMs: per * n, ttftMs: tokens.map((_, k) => per * (1 + k * 0.01)) };
    },
    memory: async () => ({ vramUsedBytes: null, vramTotalBytes: null, contextStateBytes: cfg.ctx * 1024 }),
    dispose: async () => undefined,
  };
}

export class MockExecutor implements Executor {
  private readonly rnd: () => number;
  constructor(
    seed: number,
    private readonly sizeBytes: number,
    private readonly activeShare: number,
  ) {
    this.rnd = seeded(seed);
  }

  async env(): Promise<Partial<Env>> {
    return { llamaCppRelease: "mock", llamaCppCommit: null, nodeLlamaCpp: null, backend: "mock", gpus: [] };
  }

  async load(path: string): Promise<LoadedModel> {
    const has = (v: string | undefined): boolean => !!v && path.includes(v);
    await sleep(envMs("MOEBENCH_MOCK_LOAD_MS"));
    if (has(process.env.MOEBENCH_MOCK_FAIL)) throw new Error(`mock: failed to load model from ${path}`);
    const slow = Number(process.env.MOEBENCH_MOCK_SLOWDOWN ?? "1") || 1;
    const noise = (): number => 1 + (this.rnd() - 0.5) * 0.02;
    const activeBytes = this.sizeBytes * this.activeShare;
    const b: MockBehaviour = {
      tgMs: () => Math.max(0.01, (activeBytes / 20e9) * 1000) * slow * noise(),
      ppMsPerTok: () => Math.max(0.001, (activeBytes / 400e9) * 1000) * slow * noise(),
      crash: has(process.env.MOEBENCH_MOCK_CRASH),
      hang: has(process.env.MOEBENCH_MOCK_HANG),
      oom: has(process.env.MOEBENCH_MOCK_OOM),
      realtime: process.env.MOEBENCH_MOCK_REALTIME === "1",
      opMs: envMs("MOEBENCH_MOCK_OP_MS"),
    };
    return {
      dispose: async () => undefined,
      createContext: async (cfg) => {
        if (b.oom) {
          // what llama.cpp prints when the KV cache does not fit, then node-llama-cpp's generic error
          const bytes = cfg.ctx * 1024 * 1024;
          process.stderr.write(
            `ggml_backend_cpu_buffer_type_alloc_buffer: failed to allocate buffer of size ${bytes}\n`,
          );
          throw new Error("Failed to create context");
        }
        return mockContext(cfg, b);
      },
    };
  }
}
