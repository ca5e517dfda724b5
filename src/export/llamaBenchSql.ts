/**
 * Records → what `llama-bench -o sql` prints (pure): its CREATE TABLE and one INSERT per measured test, so
 * llama.cpp's own scripts/compare-llama-bench.py reads moebench's results (pipe it into `sqlite3 file`, or
 * let `moebench db export --out file.sqlite` build the file). The columns and their SQL types are
 * llama-bench's (tools/llama-bench/llama-bench.cpp: test::get_fields and get_field_type, in the llama.cpp
 * source node-llama-cpp 3.22.1 ships); every value is quoted text as llama-bench writes it, which SQLite
 * stores with the column's type. A record imported from llama-bench gives back the values llama-bench wrote.
 */
import type { Phase, ResultRecord } from "../results/schema.js";
import { mean, sampleSd } from "../util/stats.js";

type SqlType = "TEXT" | "INTEGER" | "REAL";

/** llama-bench's field list, in its order, with its SQL types. */
export const LLAMA_BENCH_FIELDS: readonly (readonly [string, SqlType])[] = [
  ["build_commit", "TEXT"],
  ["build_number", "INTEGER"],
  ["cpu_info", "TEXT"],
  ["gpu_info", "TEXT"],
  ["backends", "TEXT"],
  ["model_filename", "TEXT"],
  ["model_type", "TEXT"],
  ["model_size", "INTEGER"],
  ["model_n_params", "INTEGER"],
  ["n_batch", "INTEGER"],
  ["n_ubatch", "INTEGER"],
  ["n_threads", "INTEGER"],
  ["cpu_mask", "TEXT"],
  ["cpu_strict", "INTEGER"],
  ["poll", "INTEGER"],
  ["type_k", "TEXT"],
  ["type_v", "TEXT"],
  ["n_gpu_layers", "INTEGER"],
  ["n_cpu_moe", "INTEGER"],
  ["split_mode", "TEXT"],
  ["main_gpu", "INTEGER"],
  ["no_kv_offload", "INTEGER"],
  ["flash_attn", "INTEGER"],
  ["devices", "TEXT"],
  ["tensor_split", "TEXT"],
  ["tensor_buft_overrides", "TEXT"],
  ["load_mode", "TEXT"],
  ["lazy_mode", "TEXT"],
  ["embeddings", "INTEGER"],
  ["no_op_offload", "INTEGER"],
  ["no_host", "INTEGER"],
  ["fit_target", "INTEGER"],
  ["fit_min_ctx", "INTEGER"],
  ["n_prompt", "INTEGER"],
  ["n_gen", "INTEGER"],
  ["n_depth", "INTEGER"],
  ["test_time", "TEXT"],
  ["avg_ns", "INTEGER"],
  ["stddev_ns", "INTEGER"],
  ["avg_ts", "REAL"],
  ["stddev_ts", "REAL"],
];

const NAMES = LLAMA_BENCH_FIELDS.map(([name]) => name);

/** llama-bench's defaults for what moebench does not vary (its `cmd_params_defaults`, as -o sql prints them). */
const DEFAULTS: Record<string, string> = {
  cpu_mask: "0x0",
  cpu_strict: "0",
  poll: "50",
  n_cpu_moe: "0",
  split_mode: "layer",
  main_gpu: "0",
  no_kv_offload: "0",
  devices: "auto",
  tensor_split: "0.00",
  tensor_buft_overrides: "none",
  load_mode: "auto",
  lazy_mode: "auto",
  embeddings: "0",
  no_op_offload: "0",
  no_host: "0",
  fit_target: "0",
  fit_min_ctx: "0",
};

const BACKENDS: Record<string, string> = { cuda: "CUDA", vulkan: "Vulkan", metal: "Metal", cpu: "CPU" };

/** llama.cpp's file-type names (llama_model_ftype_name): Q4_K_M → "Q4_K - Medium", Q2_K → "Q2_K - Medium". */
export function ftypeName(quant: string): string {
  const size: Record<string, string> = { S: "Small", M: "Medium", L: "Large" };
  const k = /^(Q\d_K)_([SML])$/.exec(quant);
  if (k) return `${k[1]} - ${size[k[2]!]}`;
  if (quant === "Q2_K") return "Q2_K - Medium";
  if (quant === "F32") return "all F32";
  return quant;
}

/**
 * llama.cpp's model description, "<arch> <size> <file type>": its size classes are rounded parameter counts
 * ("8B", "17M"); "?B" where the count is unknown.
 */
function modelType(r: ResultRecord): string {
  const p = r.model.params;
  let size = "?B";
  if (p && p >= 1e9) size = `${Math.round(p / 1e9)}B`;
  else if (p) size = `${Math.round(p / 1e6)}M`;
  return `${r.model.arch ?? "?"} ${size} ${ftypeName(r.model.quant ?? r.model.fileType ?? "?")}`;
}

/** "b4000" → 4000, "build 1" (an import) → 1; 0 where the release is not a build number. */
function buildNumber(release: string | null): string {
  const m = /^(?:b|build )(\d+)$/.exec(release ?? "");
  return m ? m[1]! : "0";
}

/** The timed phase as llama-bench would have timed it: pp, tg, or pp+tg as one test (durations added). */
function timed(r: ResultRecord): { tokens: number; samplesMs: number[] } | null {
  const { pp, tg } = r;
  if (pp && tg) {
    const n = Math.min(pp.samplesMs.length, tg.samplesMs.length);
    return { tokens: pp.tokens + tg.tokens, samplesMs: pp.samplesMs.slice(0, n).map((ms, i) => ms + tg.samplesMs[i]!) };
  }
  const only: Phase | null = pp ?? tg;
  return only?.samplesMs.length ? { tokens: only.tokens, samplesMs: only.samplesMs } : null;
}

/** avg_ns, stddev_ns, avg_ts and stddev_ts as llama-bench computes them (sample SD; ns truncated to whole ns). */
export function timingFields(tokens: number, samplesMs: readonly number[]): Record<string, string> {
  const ns = samplesMs.map((ms) => Math.round(ms * 1e6));
  const ts = ns.map((x) => (1e9 * tokens) / x);
  const sd = (xs: number[]): number => (xs.length > 1 ? sampleSd(xs) : 0);
  return {
    avg_ns: String(Math.floor(mean(ns))),
    stddev_ns: String(Math.floor(sd(ns))),
    avg_ts: mean(ts).toFixed(6),
    stddev_ts: sd(ts).toFixed(6),
  };
}

export type Skip = "failed" | "parallel" | "serving" | "no samples";

/**
 * One llama-bench row for a record, or why llama-bench has none (it writes no row for a failure, and has no
 * parallel sequences).
 */
export function llamaBenchRow(r: ResultRecord): { row: Record<string, string> } | { skip: Skip } {
  if (r.status !== "ok") return { skip: "failed" };
  if (r.serving) return { skip: "serving" };
  if (r.params.parallel > 1 || r.parallelTg) return { skip: "parallel" };
  const t = timed(r);
  if (!t) return { skip: "no samples" };
  const p = r.params;
  const computed: Record<string, string> = {
    ...DEFAULTS,
    build_commit: (r.env.llamaCppCommit ?? r.env.llamaCppRelease ?? "unknown").slice(0, 7),
    build_number: buildNumber(r.env.llamaCppRelease),
    cpu_info: r.env.cpu,
    gpu_info: r.env.gpus.map((g) => g.name).join(", "),
    backends: BACKENDS[p.backend] ?? BACKENDS[r.env.backend] ?? r.env.backend,
    model_filename: (r.model.path ?? r.model.ref).split(/[\\/]/).pop() ?? r.model.ref,
    model_type: modelType(r),
    model_size: String(r.model.sizeBytes ?? 0),
    model_n_params: String(r.model.params ?? 0),
    n_batch: String(p.batch),
    n_ubatch: String(p.ubatch),
    n_threads: String(p.threads),
    type_k: p.kvK ?? "",
    type_v: p.kvV ?? "",
    n_gpu_layers: p.gpuLayers === "max" ? "-1" : String(p.gpuLayers),
    flash_attn: p.flashAttention ? "1" : "0",
    n_prompt: String(p.pp),
    n_gen: String(p.tg),
    n_depth: String(p.depth),
    test_time: r.timestamp.replace(/\.\d+Z$/, "Z"),
    ...timingFields(t.tokens, t.samplesMs),
  };
  // an import: the values llama-bench itself wrote win (they round-trip exactly)
  const imported = r.extra?.source === "llama-bench" ? r.extra : {};
  const row: Record<string, string> = {};
  for (const name of NAMES) {
    const v = imported[name];
    row[name] = v === undefined || v === null ? (computed[name] ?? "") : String(typeof v === "boolean" ? Number(v) : v);
  }
  return { row };
}

const quote = (v: string): string => `'${v.replaceAll("'", "''")}'`;

/** llama-bench's CREATE TABLE statement, as `-o sql` prints it. */
export function llamaBenchCreateTable(): string {
  const cols = LLAMA_BENCH_FIELDS.map(([name, type], i) => `  ${name} ${type}${i < NAMES.length - 1 ? "," : ""}`);
  return `CREATE TABLE IF NOT EXISTS llama_bench (\n${cols.join("\n")}\n);\n`;
}

export interface LlamaBenchSql {
  sql: string;
  rows: number;
  skipped: Partial<Record<Skip, number>>;
}

/** The whole `-o sql` text for these records: the table, a blank line, one INSERT per row. */
export function llamaBenchSql(records: readonly ResultRecord[]): LlamaBenchSql {
  const inserts: string[] = [];
  const skipped: Partial<Record<Skip, number>> = {};
  for (const r of records) {
    const made = llamaBenchRow(r);
    if ("skip" in made) {
      skipped[made.skip] = (skipped[made.skip] ?? 0) + 1;
      continue;
    }
    const values = NAMES.map((n) => quote(made.row[n] ?? ""));
    inserts.push(`INSERT INTO llama_bench (${NAMES.join(", ")}) VALUES (${values.join(", ")});\n`);
  }
  return { sql: `${llamaBenchCreateTable()}\n${inserts.join("")}`, rows: inserts.length, skipped };
}
