/**
 * llama.cpp's C API (llama.h, ggml.h, ggml-backend.h, ggml-cpu.h) through koffi, called synchronously on the
 * very library files node-llama-cpp loaded. dlopen of an already-loaded file returns the loaded copy, so these
 * calls share node-llama-cpp's backend registry: the backends it chose (CPU variant, CUDA, Vulkan) are the
 * ones that run.
 *
 * The struct layouts below are those of llama.cpp release v0.5.0 (llama_version() "0.5.0[-dev]", ggml 0.25.1;
 * node-llama-cpp 3.22.1's prebuilt binaries report ggml commit 0ad4a86, its source bundle de3ff81). A struct
 * passed or returned by value with the wrong layout corrupts memory, so nothing uses one before
 * `openLlamaCApi` has checked the library's version strings, and then that the defaults read through these
 * layouts are llama.cpp's documented defaults (a layout that shifted reads garbage there).
 */
import type { LlamaLibraryFiles } from "./loadedLibraries.js";

type Koffi = typeof import("koffi");
type KoffiType = ReturnType<Koffi["struct"]>;
/** An opaque native pointer as koffi hands it over (null for NULL). */
export type NativePointer = object;
type Fn = (...args: unknown[]) => unknown;

/** The library versions these layouts were written for. */
export const LAYOUT_VERSIONS = { llama: "0.5.0", ggml: "0.25.1", release: "v0.5.0" } as const;

/** llama_model_params (llama.h), the fields moebench sets; pointers are opaque. */
export interface ModelParams {
  n_gpu_layers: number;
  split_mode: number;
  load_mode: number;
  lazy_mode: number;
  use_extra_bufts: boolean;
  [field: string]: unknown;
}

/** llama_context_params (llama.h), the fields moebench sets or checks. */
export interface ContextParams {
  n_ctx: number;
  n_batch: number;
  n_ubatch: number;
  n_seq_max: number;
  n_threads: number;
  n_threads_batch: number;
  flash_attn_type: number;
  type_k: number;
  type_v: number;
  no_perf: boolean;
  swa_full: boolean;
  kv_unified: boolean;
  [field: string]: unknown;
}

/** llama_perf_context_data (llama.h), the fields moebench reads. */
interface PerfContextData {
  t_p_eval_ms: number;
  t_eval_ms: number;
}

/** llama_batch (llama.h) as passed by value: n_tokens and six arrays (NULL where unused). */
export interface Batch {
  n_tokens: number;
  token: NativePointer | null;
  embd: NativePointer | null;
  pos: NativePointer | null;
  n_seq_id: NativePointer | null;
  seq_id: NativePointer | null;
  logits: NativePointer | null;
}

function layouts(koffi: Koffi): { model: KoffiType; context: KoffiType; batch: KoffiType; perf: KoffiType } {
  const ptr = "void *";
  const model = koffi.struct({
    devices: ptr,
    tensor_buft_overrides: ptr,
    n_gpu_layers: "int32_t",
    split_mode: "int32_t",
    load_mode: "int32_t",
    lazy_mode: "int32_t",
    main_gpu: "int32_t",
    tensor_split: ptr,
    progress_callback: ptr,
    progress_callback_user_data: ptr,
    kv_overrides: ptr,
    vocab_only: "bool",
    check_tensors: "bool",
    use_extra_bufts: "bool",
    no_host: "bool",
    no_alloc: "bool",
    load_mtp: "bool",
  });
  const context = koffi.struct({
    n_ctx: "uint32_t",
    n_batch: "uint32_t",
    n_ubatch: "uint32_t",
    n_seq_max: "uint32_t",
    n_rs_seq: "uint32_t",
    n_outputs_max: "uint32_t",
    n_outputs_max_per_seq: "uint32_t",
    n_threads: "int32_t",
    n_threads_batch: "int32_t",
    ctx_type: "int32_t",
    rope_scaling_type: "int32_t",
    pooling_type: "int32_t",
    attention_type: "int32_t",
    flash_attn_type: "int32_t",
    rope_freq_base: "float",
    rope_freq_scale: "float",
    yarn_ext_factor: "float",
    yarn_attn_factor: "float",
    yarn_beta_fast: "float",
    yarn_beta_slow: "float",
    yarn_orig_ctx: "uint32_t",
    defrag_thold: "float",
    cb_eval: ptr,
    cb_eval_user_data: ptr,
    type_k: "int32_t",
    type_v: "int32_t",
    abort_callback: ptr,
    abort_callback_data: ptr,
    embeddings: "bool",
    offload_kqv: "bool",
    no_perf: "bool",
    op_offload: "bool",
    swa_full: "bool",
    kv_unified: "bool",
    samplers: ptr,
    n_samplers: "size_t",
    ctx_other: ptr,
  });
  const batch = koffi.struct({
    n_tokens: "int32_t",
    token: ptr,
    embd: ptr,
    pos: ptr,
    n_seq_id: ptr,
    seq_id: ptr,
    logits: ptr,
  });
  const perf = koffi.struct({
    t_start_ms: "double",
    t_load_ms: "double",
    t_p_eval_ms: "double",
    t_eval_ms: "double",
    n_p_eval: "int32_t",
    n_eval: "int32_t",
    n_reused: "int32_t",
  });
  return { model, context, batch, perf };
}

/**
 * llama.cpp's defaults for these releases (llama_context_default_params / llama_model_default_params in
 * src/llama-context.cpp and src/llama-model.cpp): read back through our layouts, they must come out exactly so.
 */
const CONTEXT_DEFAULTS: Partial<ContextParams> = {
  n_ctx: 512,
  n_batch: 2048,
  n_ubatch: 512,
  n_seq_max: 1,
  n_outputs_max_per_seq: 1,
  n_threads: 4,
  n_threads_batch: 4,
  flash_attn_type: -1,
  yarn_ext_factor: -1,
  defrag_thold: -1,
  type_k: 1,
  type_v: 1,
  offload_kqv: true,
  no_perf: true,
  op_offload: true,
  swa_full: true,
  kv_unified: false,
  n_samplers: 0,
};
const MODEL_DEFAULTS: Partial<ModelParams> = {
  n_gpu_layers: -1,
  split_mode: 1,
  load_mode: -1,
  lazy_mode: 1,
  main_gpu: 0,
  use_extra_bufts: true,
  load_mtp: false,
};

function mismatches(actual: Record<string, unknown>, expected: Record<string, unknown>): string[] {
  return Object.entries(expected)
    .filter(([field, value]) => actual[field] !== value)
    .map(([field, value]) => `${field}=${String(actual[field])} (expected ${String(value)})`);
}

export interface LlamaCApi {
  readonly files: LlamaLibraryFiles;
  /** llama_version(), ggml_version(), ggml_commit() of the loaded libraries */
  readonly versions: { llama: string; ggml: string; ggmlCommit: string };
  readonly koffi: Koffi;
  modelDefaultParams(): ModelParams;
  contextDefaultParams(): ContextParams;
  loadModel(path: string, params: ModelParams): NativePointer | null;
  freeModel(model: NativePointer): void;
  vocabSize(model: NativePointer): number;
  initContext(model: NativePointer, params: ContextParams): NativePointer | null;
  freeContext(context: NativePointer): void;
  nThreads(context: NativePointer): number;
  stateSize(context: NativePointer): number;
  memoryClear(context: NativePointer): void;
  decode(context: NativePointer, batch: Batch): number;
  /**
   * llama_decode of the batch llama_batch_get_one(tokens, n) makes for llama-bench: `n` tokens of sequence 0
   * from the int32 array at `tokens`, positions and seq ids left to llama.cpp, logits for the last token only
   */
  decodeFirstSequence(context: NativePointer, n: number, tokens: NativePointer): number;
  synchronize(context: NativePointer): void;
  logitsIth(context: NativePointer, index: number): NativePointer | null;
  /**
   * ms llama.cpp's own clock has counted from the start of each llama_decode to the end of the
   * llama_synchronize that follows it, summed over the context's life (llama_perf_context's t_p_eval_ms +
   * t_eval_ms; the context must be created with no_perf = false)
   */
  decodeMs(context: NativePointer): number;
  batchInit(tokens: number, seqMax: number): Batch;
  batchFree(batch: Batch): void;
  /** a persistent CPU threadpool with ggml's default parameters for `threads` (as llama-bench makes), or null */
  threadpoolNew(threads: number): NativePointer | null;
  threadpoolFree(pool: NativePointer): void;
  attachThreadpool(context: NativePointer, pool: NativePointer): void;
}

/** The CPU backend's threadpool functions (ggml-cpu.h), found through the backend registry as llama-bench does. */
function cpuThreadpoolFunctions(
  koffi: Koffi,
  ggml: ReturnType<Koffi["load"]>,
  ggmlBase: ReturnType<Koffi["load"]>,
): Pick<LlamaCApi, "threadpoolNew" | "threadpoolFree"> | string {
  const devByType = ggml.func("void *ggml_backend_dev_by_type(int type)") as Fn;
  const devReg = ggml.func("void *ggml_backend_dev_backend_reg(void *device)") as Fn;
  const procAddress = ggml.func("void *ggml_backend_reg_get_proc_address(void *reg, const char *name)") as Fn;
  const paramsInit = ggmlBase.func("void ggml_threadpool_params_init(void *params, int n_threads)") as Fn;
  const cpu = devByType(0); // GGML_BACKEND_DEVICE_TYPE_CPU
  if (!cpu) return "no CPU backend is registered in the loaded libggml (node-llama-cpp's backends are not visible)";
  const reg = devReg(cpu);
  const newPtr = procAddress(reg, "ggml_threadpool_new");
  const freePtr = procAddress(reg, "ggml_threadpool_free");
  if (!newPtr || !freePtr) return "the CPU backend exports no ggml_threadpool_new";
  const newProto = koffi.proto("void *ggml_threadpool_new_fn(void *params)");
  const freeProto = koffi.proto("void ggml_threadpool_free_fn(void *pool)");
  return {
    threadpoolNew: (threads) => {
      // struct ggml_threadpool_params is ~530 bytes (cpumask[512] first); ggml fills it, we never read it
      const params = Buffer.alloc(2048);
      paramsInit(params, threads);
      return koffi.call(newPtr, newProto, params) as NativePointer | null;
    },
    threadpoolFree: (pool) => koffi.call(freePtr, freeProto, pool),
  };
}

function versionsOf(
  llama: ReturnType<Koffi["load"]>,
  ggmlBase: ReturnType<Koffi["load"]>,
): LlamaCApi["versions"] | string {
  const versions = {
    llama: String((llama.func("const char *llama_version(void)") as Fn)()),
    ggml: String((ggmlBase.func("const char *ggml_version(void)") as Fn)()),
    ggmlCommit: String((ggmlBase.func("const char *ggml_commit(void)") as Fn)()),
  };
  const llamaRelease = versions.llama.replace(/-dev$/, "");
  if (llamaRelease !== LAYOUT_VERSIONS.llama || versions.ggml !== LAYOUT_VERSIONS.ggml)
    return (
      `the loaded llama.cpp is ${versions.llama} (ggml ${versions.ggml}); moebench's C-API layouts are for ` +
      `${LAYOUT_VERSIONS.llama} (ggml ${LAYOUT_VERSIONS.ggml})`
    );
  return versions;
}

/**
 * llama_decode(ctx, batch), with the batch passed by value. Through koffi's struct conversion that call costs
 * ~17 µs per token on this project's CPU when a decode has just swept the caches (0.9 µs warm), against ~9 µs for
 * a call of plain integers, and it is made once per generated token. On x86-64 Linux (System V ABI) a 56-byte
 * struct argument is passed in memory, as consecutive eightbytes on the stack in field order, and uses no
 * register; declaring five unused integer arguments after ctx fills the remaining integer registers (rsi … r9),
 * so the seven eightbytes that follow are laid on the stack exactly as the struct would be. Elsewhere the
 * struct is passed as a struct.
 */
function decodeFunctions(
  llama: ReturnType<Koffi["load"]>,
  batch: KoffiType,
): Pick<LlamaCApi, "decode" | "decodeFirstSequence"> {
  if (process.arch !== "x64" || process.platform === "win32") {
    const decode = llama.func("llama_decode", "int32_t", ["void *", batch]) as LlamaCApi["decode"];
    const none = { embd: null, pos: null, n_seq_id: null, seq_id: null, logits: null };
    return { decode, decodeFirstSequence: (context, n, token) => decode(context, { n_tokens: n, token, ...none }) };
  }
  const eightbytes = llama.func(
    "int32_t llama_decode(void *ctx, int64_t, int64_t, int64_t, int64_t, int64_t, int64_t n_tokens, " +
      "void *token, void *embd, void *pos, void *n_seq_id, void *seq_id, void *logits)",
  ) as Fn;
  return {
    decode: (context, b) =>
      eightbytes(context, 0, 0, 0, 0, 0, b.n_tokens, b.token, b.embd, b.pos, b.n_seq_id, b.seq_id, b.logits) as number,
    decodeFirstSequence: (context, n, token) =>
      eightbytes(context, 0, 0, 0, 0, 0, n, token, null, null, null, null, null) as number,
  };
}

/**
 * Bind the C API on `files` (already loaded by node-llama-cpp), after checking versions and layouts.
 * Returns the API, or a sentence saying why this library cannot be used.
 */
export function openLlamaCApi(koffi: Koffi, files: LlamaLibraryFiles): LlamaCApi | string {
  const llama = koffi.load(files.llama);
  const ggml = koffi.load(files.ggml);
  const ggmlBase = koffi.load(files.ggmlBase);
  const versions = versionsOf(llama, ggmlBase);
  if (typeof versions === "string") return versions;
  const t = layouts(koffi);
  const modelDefaults = llama.func("llama_model_default_params", t.model, []) as () => ModelParams;
  const contextDefaults = llama.func("llama_context_default_params", t.context, []) as () => ContextParams;
  const wrong = [...mismatches(modelDefaults(), MODEL_DEFAULTS), ...mismatches(contextDefaults(), CONTEXT_DEFAULTS)];
  if (wrong.length > 0) return `llama.cpp ${versions.llama} does not match moebench's layouts: ${wrong.join(", ")}`;
  const threadpool = cpuThreadpoolFunctions(koffi, ggml, ggmlBase);
  if (typeof threadpool === "string") return threadpool;
  const fn = (decl: string): Fn => llama.func(decl) as Fn;
  const getMemory = fn("void *llama_get_memory(void *ctx)");
  const memoryClear = fn("void llama_memory_clear(void *mem, bool data)");
  const getVocab = fn("void *llama_model_get_vocab(void *model)");
  const vocabTokens = fn("int32_t llama_vocab_n_tokens(void *vocab)");
  const batchInit = llama.func("llama_batch_init", t.batch, ["int32_t", "int32_t", "int32_t"]) as Fn;
  const batchFree = llama.func("llama_batch_free", "void", [t.batch]) as Fn;
  const attach = fn("void llama_attach_threadpool(void *ctx, void *pool, void *pool_batch)");
  const perf = llama.func("llama_perf_context", t.perf, ["void *"]) as (ctx: NativePointer) => PerfContextData;
  return {
    files,
    versions,
    koffi,
    modelDefaultParams: modelDefaults,
    contextDefaultParams: contextDefaults,
    loadModel: llama.func("llama_model_load_from_file", "void *", ["const char *", t.model]) as LlamaCApi["loadModel"],
    freeModel: fn("void llama_model_free(void *model)"),
    vocabSize: (model) => vocabTokens(getVocab(model)) as number,
    initContext: llama.func("llama_init_from_model", "void *", ["void *", t.context]) as LlamaCApi["initContext"],
    freeContext: fn("void llama_free(void *ctx)"),
    nThreads: fn("int32_t llama_n_threads(void *ctx)") as LlamaCApi["nThreads"],
    stateSize: fn("size_t llama_state_get_size(void *ctx)") as LlamaCApi["stateSize"],
    // data = false, as llama-bench clears between repetitions (the cells are forgotten, not zeroed)
    memoryClear: (context) => memoryClear(getMemory(context), false),
    ...decodeFunctions(llama, t.batch),
    synchronize: fn("void llama_synchronize(void *ctx)"),
    logitsIth: fn("float *llama_get_logits_ith(void *ctx, int32_t i)") as LlamaCApi["logitsIth"],
    decodeMs: (context) => {
      const data = perf(context);
      return data.t_p_eval_ms + data.t_eval_ms;
    },
    batchInit: (tokens, seqMax) => batchInit(tokens, 0, seqMax) as Batch,
    batchFree: (batch) => batchFree(batch),
    ...threadpool,
    // one pool for both generation and batches (pool_batch NULL), as llama-bench attaches it
    attachThreadpool: (context, pool) => attach(context, pool, null),
  };
}
