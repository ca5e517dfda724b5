/**
 * llama-bench rows → moebench records (pure). Every field llama-bench wrote is kept in `extra` (nothing
 * dropped silently); the ones moebench has columns for are mapped: model, threads, batch/ubatch, KV types,
 * flash attention, GPU layers, test and depth, and every repetition (samples_ns) as the phase's samples.
 * Rows from `moebench import` are validated first (parseLlamaBench.ts); missing values default here.
 */
import type { ResultRecord, Env, Phase } from "./schema.js";
import { okRecord, type RecordBase } from "./record.js";
import { testId } from "../util/testId.js";

type Row = Record<string, unknown>;

export interface ModelIdentityGuess {
  headerSha256: string | null;
  sizeBytes: number | null;
  quant: string | null;
  arch: string | null;
  params: number | null;
  activeParams: number | null;
  isMoe: boolean | null;
  synthetic: ResultRecord["model"]["synthetic"];
}

export interface ImportOptions {
  file: string;
  runId: string;
  host: Env;
  modelIdentity?: (filename: string) => ModelIdentityGuess | null;
}

function num(v: unknown, dflt = 0): number {
  if (typeof v === "number" && Number.isFinite(v)) return v;
  if (typeof v === "string" && v.trim() !== "" && Number.isFinite(Number(v))) return Number(v);
  return dflt;
}

function nums(v: unknown): number[] {
  if (Array.isArray(v)) return v.map(Number);
  if (typeof v !== "string" || !v.trim()) return [];
  return v
    .replace(/[[\]"]/g, "")
    .split(/[\s,]+/)
    .filter(Boolean)
    .map(Number);
}

/** llama-bench's backends field ("CUDA", "Vulkan", "CPU", "BLAS,CPU"…) → moebench's backend name. */
export function backendOf(backends: string): string {
  const b = backends.toLowerCase();
  for (const name of ["cuda", "vulkan", "metal"]) if (b.includes(name)) return name;
  return "cpu";
}

/** llama-bench: -1 or ≥ 99 GPU layers means all of them. */
function gpuLayersOf(v: unknown): number | "max" {
  const n = num(v, 0);
  return n < 0 || n >= 99 ? "max" : n;
}

function flashAttentionOf(v: unknown): boolean {
  return v === true || v === "true" || num(v) === 1;
}

function warningsOf(r: Row, nPrompt: number, nGen: number, hasSamples: boolean): string[] {
  const w: string[] = [];
  if (nPrompt && nGen)
    w.push(
      "llama-bench pp+tg is one combined timing (prompt and generation tokens together), recorded as tg with " +
        "tokens = n_prompt + n_gen",
    );
  if (num(r.flash_attn) < 0)
    w.push("llama-bench flash_attn = -1 (auto): recorded as off; the raw value is in extra.flash_attn");
  if (!hasSamples) w.push("llama-bench wrote no per-repetition samples (samples_ns): only the mean is known");
  return w;
}

function modelOf(filename: string, r: Row, ident: ModelIdentityGuess | null): ResultRecord["model"] {
  return {
    ref: filename,
    label: (filename.split(/[\\/]/).pop() ?? filename).replace(/\.gguf$/, ""),
    path: filename,
    sizeBytes: ident?.sizeBytes ?? (num(r.model_size) || null),
    headerSha256: ident?.headerSha256 ?? null,
    arch: ident?.arch ?? null,
    fileType: String(r.model_type ?? "") || null,
    quant: ident?.quant ?? null,
    params: ident?.params ?? (num(r.model_n_params) || null),
    activeParams: ident?.activeParams ?? null,
    isMoe: ident?.isMoe ?? null,
    synthetic: ident?.synthetic ?? null,
  };
}

function envOf(r: Row, host: Env): Env {
  const backends = String(r.backends ?? r.backend ?? "");
  return {
    ...host,
    llamaCppRelease: r.build_number !== undefined ? `build ${r.build_number}` : null,
    llamaCppCommit: r.build_commit ? String(r.build_commit) : null,
    nodeLlamaCpp: null,
    backend: backends ? `llama-bench (${backends})` : "llama-bench",
    gpus: r.gpu_info ? [{ name: String(r.gpu_info), uuid: null, driver: null, vramBytes: null }] : [],
    cpu: String(r.cpu_info ?? host.cpu),
  };
}

function recordOf(r: Row, i: number, o: ImportOptions): ResultRecord {
  const nPrompt = num(r.n_prompt);
  const nGen = num(r.n_gen);
  const depth = num(r.n_depth);
  const id = testId({ pp: nPrompt, tg: nGen, depth, parallel: 1 });
  const filename = String(r.model_filename ?? "unknown");
  const samplesNs = nums(r.samples_ns);
  const avgNs = num(r.avg_ns);
  const meanOnly = avgNs ? [avgNs] : [];
  const samplesMs = (samplesNs.length ? samplesNs : meanOnly).map((ns) => ns / 1e6);
  const phase: Omit<Phase, "tokens"> = { samplesMs, warmup: 1, itlMs: null };
  const ngl = gpuLayersOf(r.n_gpu_layers);
  const backends = String(r.backends ?? r.backend ?? "");
  const threads = num(r.n_threads);
  const kv = `${r.type_k}/${r.type_v}`;
  const base: RecordBase = {
    runId: o.runId,
    suite: "llama-bench-import",
    key:
      `llama-bench|${filename}|${id}|t=${threads}|b=${num(r.n_batch)}|ub=${num(r.n_ubatch)}|kv=${kv}` +
      `|fa=${r.flash_attn}|ngl=${ngl}|#${i}`,
    testId: id,
    executor: "import",
    timestamp: String(r.test_time ?? new Date().toISOString()),
    model: modelOf(filename, r, o.modelIdentity?.(filename) ?? null),
    params: {
      pp: nPrompt,
      tg: nGen,
      depth,
      parallel: 1,
      ctx: Math.max(1, nPrompt + nGen + depth),
      kvK: String(r.type_k ?? "f16"),
      kvV: String(r.type_v ?? "f16"),
      flashAttention: flashAttentionOf(r.flash_attn),
      gpuLayers: ngl,
      threads,
      batch: Math.max(1, num(r.n_batch, 1)),
      ubatch: Math.max(1, num(r.n_ubatch, 1)),
      backend: backendOf(backends),
      tgMode: "decode",
    },
    env: envOf(r, o.host),
    telemetry: { status: "unavailable", reason: "imported from llama-bench" },
    warnings: warningsOf(r, nPrompt, nGen, samplesNs.length > 0),
    extra: { source: "llama-bench", file: o.file, ...r },
  };
  return okRecord(base, {
    pp: nPrompt && !nGen ? { tokens: nPrompt, ...phase } : null,
    tg: nGen ? { tokens: nGen + (nPrompt || 0), ...phase } : null,
    parallelTg: null,
  });
}

export function llamaBenchToRecords(rows: readonly Row[], o: ImportOptions): ResultRecord[] {
  return rows.map((r, i) => recordOf(r, i, o));
}
