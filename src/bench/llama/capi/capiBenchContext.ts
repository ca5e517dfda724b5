/**
 * A BenchContext on llama.cpp's C API, called synchronously from the worker: llama-bench's own loop
 * (llama_decode + llama_synchronize per step, llama_memory_clear between repetitions) with a persistent ggml
 * threadpool attached to the context, as llama-bench attaches one. No async hop and no thread creation per token.
 */
import type { Llama } from "node-llama-cpp";
import type { BenchContext, ContextConfig, ParallelTiming } from "../../executor.js";
import type { BatchItem } from "../nativeBatch.js";
import { CApiBatch } from "./capiBatch.js";
import type { ContextParams, LlamaCApi, NativePointer } from "./llamaCApi.js";

/** node-llama-cpp sizes a context as contextSize × sequences, padded up to 256 cells; so do we. */
const CONTEXT_PAD = 256;

/** llama_decode's documented return codes (llama.h). */
function decodeError(code: number): Error {
  const meaning: Record<number, string> = {
    1: "no KV cache slot for the batch (the context is too small)",
    2: "aborted",
    [-1]: "invalid input batch",
  };
  return new Error(`llama_decode failed with ${code}: ${meaning[code] ?? "fatal error"}`);
}

/**
 * Context parameters for `cfg`, as node-llama-cpp 3.22 sets them for the same options (AddonContext.cpp), except
 * no_perf: llama.cpp's own decode clock stays on (two clock reads per decode) so that each record can say how
 * much of its time was the harness's rather than llama.cpp's (decodeMs).
 */
function contextParams(api: LlamaCApi, cfg: ContextConfig, threads: number, kvType: (name: string) => number) {
  const params: ContextParams = api.contextDefaultParams();
  return Object.assign(params, {
    n_ctx: Math.ceil((cfg.ctx * cfg.parallel) / CONTEXT_PAD) * CONTEXT_PAD,
    n_batch: cfg.batch,
    n_ubatch: cfg.batch,
    n_seq_max: cfg.parallel,
    n_threads: threads,
    n_threads_batch: threads,
    flash_attn_type: cfg.flashAttention ? 1 : 0,
    type_k: kvType(cfg.kvK),
    type_v: kvType(cfg.kvV),
    no_perf: false,
    swa_full: false,
    kv_unified: false,
  });
}

export interface CApiContextOptions {
  threads: number;
  /** ggml type id of a KV cache type name (f16, q8_0, …) */
  kvType: (name: string) => number;
  /** node-llama-cpp's Llama, for VRAM readings */
  llama: Llama;
}

export class CApiBenchContext implements BenchContext {
  readonly appliedThreads: number;
  readonly warnings: string[] = [];
  private readonly batchSize: number;

  private constructor(
    private readonly api: LlamaCApi,
    private readonly context: NativePointer,
    private readonly pool: NativePointer,
    private readonly batch: CApiBatch,
    private readonly options: CApiContextOptions & { vocab: number },
  ) {
    this.appliedThreads = api.nThreads(context);
    this.batchSize = batch.capacity;
  }

  /** Create the context, give it a persistent threadpool of `threads` threads, allocate its batch. */
  static create(
    api: LlamaCApi,
    model: { pointer: NativePointer; vocab: number },
    cfg: ContextConfig,
    options: CApiContextOptions,
  ): CApiBenchContext {
    const context = api.initContext(model.pointer, contextParams(api, cfg, options.threads, options.kvType));
    if (!context)
      throw new Error(`llama_init_from_model failed (ctx ${cfg.ctx}×${cfg.parallel}, batch ${cfg.batch}): see stderr`);
    const pool = api.threadpoolNew(options.threads);
    if (!pool) {
      api.freeContext(context);
      throw new Error(`ggml_threadpool_new failed for ${options.threads} threads`);
    }
    api.attachThreadpool(context, pool);
    const batch = new CApiBatch(api, Math.max(cfg.batch, cfg.parallel));
    return new CApiBenchContext(api, context, pool, batch, { ...options, vocab: model.vocab });
  }

  private decodeSingle(tokens: ArrayLike<number>): void {
    const code = this.api.decodeFirstSequence(this.context, this.batch.tokens(tokens), this.batch.tokenArray);
    if (code !== 0) throw decodeError(code);
  }

  private decodeMulti(items: BatchItem[]): void {
    const code = this.api.decode(this.context, this.batch.multi(items));
    if (code !== 0) throw decodeError(code);
  }

  /** Decode `tokens` into sequence `seq` in batch-sized chunks, logits for the last token only. */
  private decodeChunks(tokens: number[], seq: number): void {
    for (let i = 0; i < tokens.length; i += this.batchSize) {
      const chunk = tokens.slice(i, i + this.batchSize);
      if (seq === 0) this.decodeSingle(chunk);
      else this.decodeMulti([{ seq, tokens: chunk, logitLast: true }]);
    }
    this.api.synchronize(this.context);
  }

  async clear(): Promise<void> {
    this.api.memoryClear(this.context);
  }

  async fill(tokens: number[], seq = 0): Promise<void> {
    this.decodeChunks(tokens, seq);
  }

  async timePrompt(tokens: number[]): Promise<number> {
    const t0 = performance.now();
    this.decodeChunks(tokens, 0);
    return performance.now() - t0;
  }

  async timeGenerate(tokens: number[], n: number, mode: ContextConfig["tgMode"]): Promise<number[]> {
    if (mode !== "decode") throw new Error(`the C-API context times tgMode decode only, not ${mode}`);
    // each step runs cold (the decode has just swept the CPU caches): the loop holds its functions in locals
    const gaps: number[] = new Array<number>(n);
    const step = this.batch.stepper(this.context);
    const { synchronize } = this.api;
    const context = this.context;
    const count = tokens.length;
    let previous = performance.now();
    for (let i = 0; i < n; i++) {
      const code = step(tokens[i % count]!);
      if (code !== 0) throw decodeError(code);
      synchronize(context);
      const now = performance.now();
      gaps[i] = now - previous;
      previous = now;
    }
    return gaps;
  }

  async timeParallel(tokens: number[][], n: number, mode: ContextConfig["tgMode"]): Promise<ParallelTiming> {
    if (mode !== "decode") throw new Error(`the C-API context times tgMode decode only, not ${mode}`);
    const t0 = performance.now();
    let ttft: number[] = [];
    for (let i = 0; i < n; i++) {
      // one batch per step holding one token (with logits) of every sequence
      this.decodeMulti(tokens.map((own, seq) => ({ seq, tokens: [own[i % own.length]!], logitLast: true })));
      this.api.synchronize(this.context);
      if (i === 0) {
        const first = performance.now() - t0;
        ttft = tokens.map(() => first);
      }
    }
    return { totalMs: performance.now() - t0, ttftMs: ttft };
  }

  /**
   * Untimed greedy generation on sequence 0 (argmax of each step's logits), from a cleared context: what the
   * tests compare with node-llama-cpp's evaluate path token for token.
   */
  greedy(prompt: number[], n: number): number[] {
    const vocab = this.options.vocab;
    this.api.memoryClear(this.context);
    this.decodeChunks(prompt, 0);
    const out: number[] = [];
    for (let i = 0; i < n; i++) {
      const logits = new Float32Array(this.api.koffi.view(this.api.logitsIth(this.context, -1), vocab * 4));
      let best = 0;
      for (let t = 1; t < vocab; t++) if (logits[t]! > logits[best]!) best = t;
      out.push(best);
      this.decodeSingle([best]);
      this.api.synchronize(this.context);
    }
    return out;
  }

  decodeMs(): number {
    return this.api.decodeMs(this.context);
  }

  async memory(): ReturnType<BenchContext["memory"]> {
    const llama = this.options.llama;
    const vram = llama.gpu ? await llama.getVramState() : undefined;
    return {
      vramUsedBytes: vram ? vram.used : null,
      vramTotalBytes: vram ? vram.total : null,
      contextStateBytes: Number(this.api.stateSize(this.context)),
    };
  }

  async dispose(): Promise<void> {
    this.batch.free();
    this.api.freeContext(this.context);
    this.api.threadpoolFree(this.pool);
  }
}
