/**
 * THE results record schema. Every writer and reader imports it; bump SCHEMA_VERSION on any
 * incompatible change (readers refuse versions they do not know, naming file, line and field).
 *
 * Version 2 (from version 1): `loadMs` is the model load alone (version 1 included the 10 s idle-power
 * wait on GPU runs), `params.threads` is the thread count that ran (version 1 wrote 0 for llama-bench's
 * default), pp+tg generation samples are the measured repetitions only, records say which `executor`
 * made them, a failure says how many `attempts` it took, and an adaptive phase records its first-stage
 * size (`firstStage`, for Stein's two-stage interval) and whether its CI stayed wider than the target
 * (`noisy`). Version-1 files are still read (jsonl.ts fills `executor` in from what they did record).
 */
import { z } from "zod";

export const SCHEMA_VERSION = 2;
/** versions this moebench reads (older ones are upgraded in memory when read) */
export const READABLE_SCHEMA_VERSIONS = [1, 2] as const;
const SchemaVersion = z.union([z.literal(1), z.literal(2)]);

/** what produced a record: node-llama-cpp, the mock executor (synthetic timings), an external llama-bench,
 * an HTTP server, or an import of someone else's llama-bench output */
export const EXECUTORS = ["llama", "mock", "llama-bench", "http", "import"] as const;
export type ExecutorKind = (typeof EXECUTORS)[number];

export const STATUSES = ["ok", "error", "oom", "timeout", "crash"] as const;
export type Status = (typeof STATUSES)[number];
export type FailedStatus = Exclude<Status, "ok">;

const Pct = z.object({ p50: z.number(), p90: z.number(), p99: z.number() });

export const ModelIdentity = z.object({
  /** what the suite said: a path, hf:… URI or synth:preset:quant[:scale] */
  ref: z.string(),
  label: z.string(),
  path: z.string().nullable(),
  sizeBytes: z.number().nullable(),
  /**
   * sha256 of the GGUF header (metadata + tensor table) plus the file size: identifies layout, quant and (for
   * synthetic files) the seed
   */
  headerSha256: z.string().nullable(),
  arch: z.string().nullable(),
  fileType: z.string().nullable(),
  quant: z.string().nullable(),
  params: z.number().nullable(),
  activeParams: z.number().nullable(),
  isMoe: z.boolean().nullable(),
  synthetic: z.object({ preset: z.string(), scale: z.string(), sparse: z.boolean() }).nullable(),
});
export type ModelIdentity = z.infer<typeof ModelIdentity>;

export const InstanceParams = z.object({
  pp: z.number().int().nonnegative(),
  tg: z.number().int().nonnegative(),
  depth: z.number().int().nonnegative(),
  parallel: z.number().int().positive(),
  ctx: z.number().int().positive(),
  kvK: z.string(),
  kvV: z.string(),
  flashAttention: z.boolean(),
  gpuLayers: z.union([z.number().int().nonnegative(), z.literal("max")]),
  threads: z.number().int().nonnegative(),
  batch: z.number().int().positive(),
  ubatch: z.number().int().positive(),
  backend: z.string(),
  /**
   * decode: each generation step decodes one seeded random token, no sampling (llama-bench's tg); app (formerly
   * greedy): node-llama-cpp's evaluate with greedy sampling (what an app sees)
   */
  tgMode: z.enum(["decode", "app", "greedy"]),
});
export type InstanceParams = z.infer<typeof InstanceParams>;

/**
 * A record's parameters: the instance's, except that a serving record (measured from outside a server over
 * HTTP) has null for what a client cannot know: context, KV types, flash attention, GPU layers, threads,
 * batch sizes. Readers treat null as "unknown", never as a value to join on.
 */
export const RecordParams = InstanceParams.extend({
  ctx: InstanceParams.shape.ctx.nullable(),
  kvK: InstanceParams.shape.kvK.nullable(),
  kvV: InstanceParams.shape.kvV.nullable(),
  flashAttention: InstanceParams.shape.flashAttention.nullable(),
  gpuLayers: InstanceParams.shape.gpuLayers.nullable(),
  threads: InstanceParams.shape.threads.nullable(),
  batch: InstanceParams.shape.batch.nullable(),
  ubatch: InstanceParams.shape.ubatch.nullable(),
});
export type RecordParams = z.infer<typeof RecordParams>;

export const GpuInfo = z.object({
  name: z.string(),
  uuid: z.string().nullable(),
  driver: z.string().nullable(),
  vramBytes: z.number().nullable(),
  /** a software or CPU-type device (Mesa's llvmpipe/lavapipe, SwiftShader): its "VRAM" is host memory */
  software: z.boolean().optional(),
});

export const Env = z.object({
  llamaCppRelease: z.string().nullable(),
  llamaCppCommit: z.string().nullable(),
  nodeLlamaCpp: z.string().nullable(),
  /** the backend that actually ran: cuda, vulkan, metal, cpu, mock, llama-bench */
  backend: z.string(),
  gpus: z.array(GpuInfo),
  host: z.string(),
  os: z.string(),
  cpu: z.string(),
  cpuCores: z.number(),
  node: z.string(),
  moebench: z.string(),
  /** how the llama executor timed prefill and generation, and on which library files (absent for other executors) */
  timing: z
    .object({
      /**
       * c-api: llama.cpp's C API, synchronous, persistent threadpool; native-batch / evaluate: through
       * node-llama-cpp
       */
      path: z.enum(["c-api", "native-batch", "evaluate"]),
      /** the llama.cpp library files node-llama-cpp loaded (and the C-API path called) */
      libraries: z.array(z.string()),
      /** llama_version(), ggml_version(), ggml_commit() where the C API was opened */
      llamaVersion: z.string().nullable(),
      ggmlVersion: z.string().nullable(),
      ggmlCommit: z.string().nullable(),
      /** persistent: one ggml threadpool per context (as llama-bench); per-decode: ggml starts threads every decode */
      threadpool: z.enum(["persistent", "per-decode"]),
      /** why a faster path was not used (null when the suite's tgMode got its own path) */
      fallback: z.string().nullable(),
    })
    .optional(),
  /**
   * GPU backends: the layers llama.cpp put on the GPU for this model load, from its own load log ("offloaded N/M
   * layers to GPU"); null when it did not say; absent on the CPU and for other executors
   */
  offload: z
    .object({ layers: z.number().int().nonnegative(), of: z.number().int().nonnegative() })
    .nullable()
    .optional(),
});
export type Env = z.infer<typeof Env>;

/** One timed phase: every repetition's duration, in order. */
export const Phase = z.object({
  tokens: z.number().int().nonnegative(),
  /** wall time of each repetition, ms */
  samplesMs: z.array(z.number().nonnegative()),
  warmup: z.number().int().nonnegative(),
  /** tg: inter-token latencies of all repetitions pooled, ms (p50/p90/p99) */
  itlMs: z.object({ p50: z.number(), p90: z.number(), p99: z.number() }).nullable().optional(),
  /**
   * tg on the C-API path: per repetition, the harness's own time per generated token (µs), the wall time less
   * what llama.cpp's clock counted inside its decodes (llama_perf_context); absent where it cannot be known
   */
  harnessUsPerToken: z.array(z.number()).optional(),
  /** parallel: per-sequence time to first token of each repetition (ms, median over sequences) */
  ttftMs: z.array(z.number()).nullable().optional(),
  /** energy per repetition (gross J) where telemetry measured it */
  joules: z.array(z.number().nullable()).nullable().optional(),
  /** energy per repetition from NVML's total-energy counter (J), read at the window's edges in the measuring process */
  nvmlJoules: z.array(z.number().nullable()).optional(),
  /** wall-clock window of each measured repetition, epoch ms (for energy and VRAM from telemetry) */
  windowsEpochMs: z.array(z.tuple([z.number(), z.number()])).optional(),
  /**
   * when the measured repetitions together last under ~1 s and telemetry is on, the same operation is
   * repeated back to back (untimed for speed) until the windows add up to 1 s, for the energy figure only
   */
  energyPass: z
    .object({
      tokens: z.number(),
      windowsEpochMs: z.array(z.tuple([z.number(), z.number()])),
      nvmlJoules: z.array(z.number().nullable()).optional(),
      joules: z.number().nullable().optional(),
    })
    .optional(),
  /** energy caveats: windows under 1 s, sampling gaps, power.draw (1 s average) used instead of power.draw.instant */
  energyNotes: z.array(z.string()).optional(),
  /**
   * adaptive repetitions: the first-stage size n0 (= repetitions.min) after which the runner chose how many
   * more to run (util/stats.ts steinTotal); analysis then reports Stein's two-stage interval. Absent: fixed
   * repetitions, the plain t interval.
   */
  firstStage: z.number().int().positive().optional(),
  /** the suite's targetCi (relative CI half-width) this phase was measured against */
  targetCi: z.number().positive().optional(),
  /** the 95% CI half-width still exceeded targetCi after the maximum repetitions (util/stats.ts summarize) */
  noisy: z.boolean().optional(),
});
export type Phase = z.infer<typeof Phase>;

export const Telemetry = z.object({
  status: z.enum(["ok", "unavailable", "error"]),
  reason: z.string().nullable(),
  /** where power came from */
  source: z.enum(["nvml", "power.draw.instant", "power.draw"]).nullable().optional(),
  /** loaded-idle baseline (mean W over ~10 s after load) */
  idleWatts: z.number().nullable().optional(),
  /** throttling seen during the instance (power cap, thermal) */
  throttle: z.array(z.string()).optional(),
  samplerRestarts: z.number().optional(),
  gpu: z
    .object({
      name: z.string().nullable(),
      uuid: z.string().nullable(),
      driver: z.string().nullable(),
      memoryTotalMiB: z.number().nullable(),
    })
    .nullable()
    .optional(),
  vram: z
    .object({
      beforeLoadMiB: z.number().nullable(),
      afterLoadMiB: z.number().nullable(),
      afterContextMiB: z.number().nullable(),
      peakMiB: z.number().nullable(),
      /** the worker process's own VRAM (nvidia-smi --query-compute-apps) at the end of the instance */
      processMiB: z.number().nullable().optional(),
      /** what loading put on the card: afterLoadMiB − beforeLoadMiB */
      weightsMiB: z.number().nullable().optional(),
      /** what the context added (KV cache, compute buffers): afterContextMiB − afterLoadMiB */
      contextMiB: z.number().nullable().optional(),
    })
    .nullable()
    .optional(),
});

export const Memory = z
  .object({
    /** node-llama-cpp's own view (getVramState); all zeros on CPU */
    vramUsedBytes: z.number().nullable(),
    vramTotalBytes: z.number().nullable(),
    /** context state size reported by node-llama-cpp */
    contextStateBytes: z.number().nullable(),
    /** resident set of the worker after the context exists */
    rssBytes: z.number().nullable(),
  })
  .nullable();

export const RecordError = z.object({
  message: z.string(),
  stderrTail: z.string().nullable(),
  /** how many times the instance was tried (a crashed worker is retried once with a fresh one) */
  attempts: z.number().int().positive().optional(),
});

/**
 * A sharded run (`run --shard K/N`, a Slurm array task, a Kubernetes Indexed Job's pod): which part of
 * the plan this is (1-based) and the hash of the whole expanded plan, which every shard of one run shares
 * (merge refuses shards whose hashes differ).
 */
export const ShardInfo = z.object({
  index: z.number().int().positive(),
  count: z.number().int().positive(),
  planHash: z.string(),
});
export type ShardInfo = z.infer<typeof ShardInfo>;

export const ResultRecord = z.object({
  schemaVersion: SchemaVersion,
  runId: z.string(),
  suite: z.string(),
  /** stable key of the instance (model ref + params): --resume and compare join on it */
  key: z.string(),
  testId: z.string(),
  status: z.enum(STATUSES),
  timestamp: z.string(),
  model: ModelIdentity,
  params: RecordParams,
  env: Env,
  pp: Phase.nullable(),
  tg: Phase.nullable(),
  /** parallel: aggregate generation over all sequences (tokens = parallel × tg) */
  parallelTg: Phase.nullable(),
  telemetry: Telemetry,
  memory: Memory,
  loadMs: z.number().nullable(),
  warnings: z.array(z.string()),
  error: RecordError.nullable(),
  /** what made the record (version 1 files: inferred from env.backend when read) */
  executor: z.enum(EXECUTORS).optional(),
  /** serving benchmarks over HTTP: one record per endpoint × concurrency level */
  serving: z
    .object({
      kind: z.string(),
      url: z.string(),
      concurrency: z.number(),
      requests: z.number(),
      ok: z.number(),
      failed: z.number(),
      wallMs: z.number(),
      aggregateTokPerSec: z.number(),
      ttftMs: Pct.nullable(),
      itlMs: Pct.nullable(),
      e2eMs: Pct.nullable(),
      outputTokPerSec: Pct.nullable(),
      /** the server's own timings where it reports them (llama-server timings, Ollama durations) */
      serverPromptTokPerSec: Pct.nullable(),
      serverGenTokPerSec: Pct.nullable(),
      promptTokens: z.number().nullable(),
      errors: z.array(z.string()),
    })
    .optional(),
  /** fields from imported tools that moebench has no column for (kept, never dropped) */
  extra: z.record(z.string(), z.unknown()).optional(),
  /** the shard that measured it (sharded runs only); its host and GPU are in `env` */
  shard: ShardInfo.optional(),
});
export type ResultRecord = z.infer<typeof ResultRecord>;
export type Telemetry = z.infer<typeof Telemetry>;
export type Memory = z.infer<typeof Memory>;

/**
 * env.json: one per run folder, written once when a run (or an import) starts. Version 1 files (a run's,
 * with `env`, or an import's `{source, file, format, importedAt}`) are upgraded when read (envFile.ts).
 */
export const EnvFile = z.object({
  schemaVersion: SchemaVersion,
  runId: z.string(),
  suite: z.string(),
  executor: z.enum(EXECUTORS),
  /** the machine and the build; null only for version-1 imports, which did not record it */
  env: Env.nullable(),
  startedAt: z.string(),
  argv: z.array(z.string()),
  /** the suite's GPU price override, for reports */
  gpuPriceUsd: z.number().positive().optional(),
  /** imports: where the records came from */
  import: z.object({ source: z.string(), file: z.string(), format: z.string() }).optional(),
  /** a shard of a sharded run, and where its K/N came from (a flag, Slurm's or Kubernetes' variables) */
  shard: ShardInfo.extend({ source: z.string() }).optional(),
  /** a run made by `moebench merge`: every shard it was made from, with its host and machine */
  merged: z
    .object({
      planHash: z.string(),
      shards: z.array(
        z.object({
          index: z.number().int().positive(),
          count: z.number().int().positive(),
          dir: z.string(),
          host: z.string(),
          env: Env.nullable(),
          startedAt: z.string(),
          records: z.number().int().nonnegative(),
        }),
      ),
    })
    .optional(),
});
export type EnvFile = z.infer<typeof EnvFile>;
