/**
 * A BenchContext over one node-llama-cpp context (the native-batch and evaluate timing paths): timed work goes
 * through the native batch adapter (llama-bench's semantics) where it is available and asked for, else through
 * the public evaluate() path.
 */
import type { Llama, LlamaContext, LlamaContextSequence, LlamaModel } from "node-llama-cpp";
import type { BenchContext, ContextConfig, ParallelTiming } from "../executor.js";
import { NativeBatch } from "./nativeBatch.js";
import { resolveThreads, threadWarnings } from "./threadPolicy.js";
import { fallbackWarning, type TimingIdentity } from "./timingPath.js";

type TgMode = ContextConfig["tgMode"];

const NO_NATIVE_BATCH_WARNING =
  "node-llama-cpp's native batch API was not found: timings use the public evaluate() path, which adds a " +
  "sampling round trip per generated token";

/** Create a node-llama-cpp context for `cfg` and wrap it. */
export async function createLlamaBenchContext(
  llama: Llama,
  model: LlamaModel,
  cfg: ContextConfig,
  timing: TimingIdentity,
): Promise<LlamaBenchContext> {
  const onGpu = llama.gpu !== false;
  const threads = resolveThreads(cfg.threads, timing.path, onGpu, llama.cpuMathCores);
  const warnings = [...fallbackWarning(timing), ...threadWarnings(threads, timing.path, onGpu, llama.cpuMathCores)];
  const context = await model.createContext({
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
  const sequences = Array.from({ length: cfg.parallel }, () => context.getSequence());
  const native = cfg.tgMode === "decode" ? NativeBatch.attach(context, sequences) : undefined;
  if (!native && cfg.tgMode === "decode") warnings.push(NO_NATIVE_BATCH_WARNING);
  return new LlamaBenchContext(llama, context, sequences, native, { batch: cfg.batch, warnings });
}

/** Time between consecutive calls of `mark()`, ms. */
function gapRecorder(): { mark(): void; gaps: number[] } {
  const gaps: number[] = [];
  let previous = performance.now();
  return {
    gaps,
    mark() {
      const now = performance.now();
      gaps.push(now - previous);
      previous = now;
    },
  };
}

export class LlamaBenchContext implements BenchContext {
  readonly appliedThreads: number;
  readonly warnings: string[];
  private readonly batch: number;

  constructor(
    private readonly llama: Llama,
    private readonly context: LlamaContext,
    private readonly sequences: LlamaContextSequence[],
    private readonly native: NativeBatch | undefined,
    options: { batch: number; warnings: string[] },
  ) {
    this.appliedThreads = context.currentThreads || context.idealThreads;
    this.warnings = options.warnings;
    this.batch = options.batch;
  }

  async clear(): Promise<void> {
    for (const sequence of this.sequences) await sequence.clearHistory();
    this.native?.clear();
  }

  async fill(tokens: number[], seq = 0): Promise<void> {
    await this.sequences[seq]!.evaluateWithoutGeneratingNewTokens(tokens as never);
  }

  async timePrompt(tokens: number[]): Promise<number> {
    const t0 = performance.now();
    if (this.native) {
      for (let i = 0; i < tokens.length; i += this.batch) {
        const chunk = tokens.slice(i, i + this.batch);
        await this.native.decode([{ seq: 0, tokens: chunk, logitLast: i + this.batch >= tokens.length }]);
      }
    } else {
      await this.sequences[0]!.evaluateWithoutGeneratingNewTokens(tokens as never);
    }
    return performance.now() - t0;
  }

  async timeGenerate(tokens: number[], n: number, mode: TgMode): Promise<number[]> {
    const recorder = gapRecorder();
    if (mode === "decode" && this.native) {
      for (let i = 0; i < n; i++) {
        await this.native.decode([{ seq: 0, tokens: [tokens[i % tokens.length]!], logitLast: true }]);
        recorder.mark();
      }
      return recorder.gaps;
    }
    let i = 0;
    for await (const _token of this.sequences[0]!.evaluate([tokens[0]!] as never, { temperature: 0 })) {
      recorder.mark();
      if (++i >= n) break;
    }
    return recorder.gaps;
  }

  async timeParallel(tokens: number[][], n: number, mode: TgMode): Promise<ParallelTiming> {
    if (mode === "decode" && this.native) return this.timeParallelNative(this.native, tokens, n);
    const t0 = performance.now();
    const ttft: number[] = [];
    await Promise.all(
      tokens.map(async (sequenceTokens, k) => {
        let i = 0;
        for await (const _token of this.sequences[k]!.evaluate([sequenceTokens[0]!] as never, { temperature: 0 })) {
          if (i === 0) ttft[k] = performance.now() - t0;
          if (++i >= n) break;
        }
      }),
    );
    return { totalMs: performance.now() - t0, ttftMs: ttft };
  }

  /** One batch per step holding one token (with logits) of every sequence. */
  private async timeParallelNative(native: NativeBatch, tokens: number[][], n: number): Promise<ParallelTiming> {
    const t0 = performance.now();
    let ttft: number[] = [];
    for (let i = 0; i < n; i++) {
      const items = tokens.map((sequenceTokens, seq) => ({
        seq,
        tokens: [sequenceTokens[i % sequenceTokens.length]!],
        logitLast: true,
      }));
      await native.decode(items);
      if (i === 0) {
        const first = performance.now() - t0;
        ttft = tokens.map(() => first);
      }
    }
    return { totalMs: performance.now() - t0, ttftMs: ttft };
  }

  async memory(): ReturnType<BenchContext["memory"]> {
    const vram = this.llama.gpu ? await this.llama.getVramState() : undefined;
    return {
      vramUsedBytes: vram ? vram.used : null,
      vramTotalBytes: vram ? vram.total : null,
      contextStateBytes: this.context.stateSize ?? null,
    };
  }

  dispose(): Promise<void> {
    return this.context.dispose();
  }
}
