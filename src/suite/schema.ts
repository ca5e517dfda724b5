/** Suite files (YAML), validated with zod; the Suite type is inferred from the schema. */
import { z } from "zod";
import { isSafePathComponent } from "../util/safeName.js";

const oneOrMany = <T extends z.ZodTypeAny>(t: T) =>
  z.union([t, z.array(t).min(1)]).transform((v) => (Array.isArray(v) ? v : [v]) as z.infer<T>[]);

export const KV_TYPES = ["f16", "bf16", "f32", "q8_0", "q4_0", "q4_1", "q5_0", "q5_1", "iq4_nl"] as const;
export const BACKENDS = ["auto", "cuda", "vulkan", "metal", "cpu", "mock"] as const;

/** A model entry: a string (path | hf:… | synth:preset:quant[:scale]) or an object that sweeps quants. */
export const ModelEntry = z.union([
  z.string().min(1),
  z
    .object({
      path: z.string().optional(),
      hf: z.string().optional(),
      synth: z.string().optional(),
      quants: oneOrMany(z.string()).optional(),
      scale: z.enum(["full", "small", "tiny"]).optional(),
      label: z.string().optional(),
    })
    .strict()
    .refine((m) => [m.path, m.hf, m.synth].filter(Boolean).length === 1, {
      message: "give exactly one of path, hf or synth",
    })
    .refine((m) => !m.quants || m.synth, {
      message: "quants sweeps only apply to synth models (give one path per real file)",
    }),
]);

/**
 * moebench's bound on any token count in a suite (pp, tg, depth, context): 16,777,216 tokens, above the
 * trained context of any released model (Llama 4 Scout's 10M is the largest), so that a typo cannot size
 * a billion-token buffer. llama.cpp's own hard limit is far higher (positions are int32: 2^31 − 1).
 */
export const MAX_TOKENS = 2 ** 24;
/** Default bound on the number of instances a suite may expand to (suite key maxInstances, --max-instances). */
export const DEFAULT_MAX_INSTANCES = 10_000;

const tokenCount = z.number().int().positive().max(MAX_TOKENS);
const TEST_STRING = /^(?:pp([1-9]\d*)|tg([1-9]\d*)|pp([1-9]\d*)\+tg([1-9]\d*))$/;

export const TestEntry = z.union([
  z
    .string()
    .regex(TEST_STRING, "a test is pp<N>, tg<N> or pp<N>+tg<M> with N, M ≥ 1")
    .refine((t) => (t.match(/\d+/g) ?? []).every((n) => Number(n) <= MAX_TOKENS), {
      message: `a test's token counts are at most ${MAX_TOKENS}`,
    }),
  z
    .object({ pp: tokenCount.optional(), tg: tokenCount.optional() })
    .strict()
    .refine((t) => t.pp || t.tg, { message: "a test needs pp, tg or both" }),
]);

const ctxValue = z.union([z.literal("auto"), z.number().int().min(256).max(MAX_TOKENS)]);
const kvValue = z.union([z.enum(KV_TYPES), z.object({ k: z.enum(KV_TYPES), v: z.enum(KV_TYPES) }).strict()]);

export const Endpoint = z
  .object({
    kind: z.enum(["llama-server", "ollama", "openai"]),
    url: z.string().url("an http(s) URL such as http://127.0.0.1:8080"),
    /** the model name the server knows (ollama, openai; llama-server serves one model) */
    model: z.string().optional(),
    label: z.string().optional(),
  })
  .strict();

export const SuiteSchema = z
  .object({
    /** the results folder's name (results/<name>/<runId>) */
    name: z
      .string()
      .regex(/^[\w.-]+$/, "use letters, digits, - . _")
      .refine(isSafePathComponent, "a name is used as a folder name: not . or .., not starting with . or -")
      .optional(),
    description: z.string().optional(),
    models: z.array(ModelEntry).default([]),
    /** serving benchmarks: servers to load over HTTP instead of local models */
    endpoints: z.array(Endpoint).default([]),
    concurrency: oneOrMany(z.number().int().min(1).max(256)).default([1, 2, 4]),
    http: z
      .object({
        /**
         * prompt length in tokens (token ids for llama-server; approximate text for ollama/openai, the
         * server's count is recorded)
         */
        promptTokens: z.number().int().min(1).max(131072).default(128),
        maxTokens: z.number().int().min(1).max(8192).default(64),
        /** requests per concurrency level */
        requests: z.number().int().min(1).max(10000).default(8),
        /** per-request and per-level time limits */
        requestTimeoutSec: z.number().positive().max(3600).default(120),
        levelTimeoutSec: z.number().positive().max(86400).default(600),
      })
      .strict()
      .default({ promptTokens: 128, maxTokens: 64, requests: 8, requestTimeoutSec: 120, levelTimeoutSec: 600 }),
    tests: z.array(TestEntry).min(1).default(["pp512", "tg128"]),
    depths: oneOrMany(z.number().int().nonnegative().max(MAX_TOKENS)).default([0]),
    parallel: oneOrMany(z.number().int().min(1).max(256)).default([1]),
    /** auto = room for the largest test, capped at each model's trained context */
    contexts: oneOrMany(ctxValue).default(["auto"]),
    /** let auto contexts go beyond a model's trained context (llama.cpp warns "possible training context overflow") */
    beyondTrainedContext: z.boolean().default(false),
    /** plan and run refuse a suite that expands to more instances than this */
    maxInstances: z.number().int().positive().default(DEFAULT_MAX_INSTANCES),
    kv: oneOrMany(kvValue).default(["f16"]),
    flashAttention: oneOrMany(z.boolean()).default([false]),
    gpuLayers: oneOrMany(z.union([z.literal("max"), z.number().int().nonnegative()])).default(["max"]),
    threads: oneOrMany(z.union([z.literal("auto"), z.number().int().positive().max(1024)])).default(["auto"]),
    batch: oneOrMany(z.number().int().min(1).max(65536)).default([512]),
    ubatch: oneOrMany(z.number().int().min(1).max(65536)).default([512]),
    repetitions: z
      .object({
        min: z.number().int().min(1).max(1000).default(3),
        max: z.number().int().min(1).max(1000).default(10),
        /** stop once the 95% CI half-width is within this fraction of the mean */
        targetCi: z.number().positive().max(1).default(0.02),
      })
      .strict()
      .refine((r) => r.max >= r.min, { message: "max must be ≥ min" })
      .default({ min: 3, max: 10, targetCi: 0.02 }),
    warmup: z.number().int().min(0).max(100).default(1),
    /**
     * decode (default): generation steps decode seeded random tokens without sampling, as llama-bench does (on
     * llama.cpp's C API with a persistent threadpool); app: node-llama-cpp's evaluate with greedy sampling (what
     * an application sees); greedy: the former name of app
     */
    tgMode: z.enum(["decode", "app", "greedy"]).default("decode"),
    backend: z.enum(BACKENDS).default("auto"),
    timeoutSec: z.number().positive().max(86400).default(900),
    seed: z.number().int().nonnegative().default(1234),
    quality: z.boolean().default(false),
    /**
     * extra llama-bench arguments, one variant per entry (a sweep), used only with run --llama-bench:
     * e.g. "--n-cpu-moe 8"
     */
    llamaBenchArgs: oneOrMany(z.string()).default([""]),
    /** GPU price override in USD for efficiency figures */
    gpuPriceUsd: z.number().positive().optional(),
    /** when the machine has a GPU, use these models instead (e.g. full-size where small is the CPU default) */
    gpu: z
      .object({ models: z.array(ModelEntry).min(1) })
      .strict()
      .optional(),
  })
  .strict()
  .refine((s) => s.models.length > 0 || s.endpoints.length > 0, {
    message: "list at least one model (models:) or server (endpoints:)",
    path: ["models"],
  });

export type Suite = z.infer<typeof SuiteSchema>;
export type ModelEntry = z.infer<typeof ModelEntry>;
