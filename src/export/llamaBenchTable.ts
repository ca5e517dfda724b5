/**
 * A run's records in llama-bench's output formats (pure: records → string), for `run -o md|csv|json|jsonl`:
 * one row per test with llama-bench's field names (so scripts that read llama-bench's output read these,
 * and `moebench import llama-bench` reads them back), plus moebench's own: the 95% CI of the mean tok/s,
 * `noisy`, parallel sequences. One field list feeds every format. The Markdown table follows llama-bench's
 * layout, except that its t/s column is the mean with its 95% CI (llama-bench prints mean ± SD).
 */
import { stringify } from "csv-stringify/sync";
import { phaseRate } from "../results/phaseRate.js";
import type { Phase, ResultRecord } from "../results/schema.js";
import { mean, sampleSd } from "../util/stats.js";
import { mdTable } from "./markdown.js";

export const LLAMA_BENCH_FORMATS = ["md", "csv", "json", "jsonl"] as const;
export type LlamaBenchFormat = (typeof LLAMA_BENCH_FORMATS)[number];

/** One test as llama-bench reports it. */
export interface LlamaBenchRow {
  build_commit: string | null;
  build_number: string | null;
  cpu_info: string;
  gpu_info: string;
  backends: string;
  model_filename: string;
  model_type: string;
  model_size: number | null;
  model_n_params: number | null;
  n_batch: number | null;
  n_ubatch: number | null;
  n_threads: number | null;
  type_k: string | null;
  type_v: string | null;
  n_gpu_layers: number | null;
  flash_attn: number | null;
  n_prompt: number;
  n_gen: number;
  n_depth: number;
  n_parallel: number;
  test_time: string;
  avg_ns: number;
  stddev_ns: number;
  avg_ts: number;
  stddev_ts: number;
  ts_ci95_low: number;
  ts_ci95_high: number;
  ts_noisy: boolean;
  samples_ns: number[];
  samples_ts: number[];
}

/**
 * The phase llama-bench would have timed: pp, tg, the aggregate of parallel sequences, or, for pp+tg, the
 * two together per repetition (llama-bench's pg test is one timing of prompt and generation).
 */
function timedPhase(r: ResultRecord): Phase | null {
  if (r.pp && r.tg && r.pp.samplesMs.length === r.tg.samplesMs.length) {
    const tg = r.tg;
    return {
      ...tg,
      tokens: r.pp.tokens + tg.tokens,
      samplesMs: r.pp.samplesMs.map((ms, i) => ms + tg.samplesMs[i]!),
    };
  }
  return r.parallelTg ?? r.tg ?? r.pp;
}

function rowOf(r: ResultRecord): LlamaBenchRow | null {
  const phase = timedPhase(r);
  const rate = phaseRate(phase);
  if (r.status !== "ok" || !phase || !rate) return null;
  const p = r.params;
  const samplesNs = phase.samplesMs.map((ms) => Math.round(ms * 1e6));
  return {
    build_commit: r.env.llamaCppCommit,
    build_number: r.env.llamaCppRelease,
    cpu_info: r.env.cpu,
    gpu_info: r.env.gpus.map((g) => g.name).join(", "),
    backends: r.env.backend,
    model_filename: r.model.path ?? r.model.ref,
    model_type: [r.model.arch, r.model.quant ?? r.model.fileType].filter(Boolean).join(" ") || r.model.label,
    model_size: r.model.sizeBytes,
    model_n_params: r.model.params,
    n_batch: p.batch,
    n_ubatch: p.ubatch,
    n_threads: p.threads,
    type_k: p.kvK,
    type_v: p.kvV,
    // llama-bench: -1 = every layer
    n_gpu_layers: p.gpuLayers === "max" ? -1 : p.gpuLayers,
    flash_attn: p.flashAttention === null ? null : Number(p.flashAttention),
    n_prompt: p.pp,
    n_gen: p.tg,
    n_depth: p.depth,
    n_parallel: p.parallel,
    test_time: r.timestamp,
    avg_ns: Math.round(mean(samplesNs)),
    stddev_ns: samplesNs.length > 1 ? Math.round(sampleSd(samplesNs)) : 0,
    avg_ts: rate.mean,
    stddev_ts: rate.sd,
    ts_ci95_low: rate.ciLow,
    ts_ci95_high: rate.ciHigh,
    ts_noisy: rate.noisy,
    samples_ns: samplesNs,
    samples_ts: phase.samplesMs.map((ms) => phase.tokens / (ms / 1000)),
  };
}

/** llama-bench's test column: pp512, tg128, pp512+tg128, with " @ d4096" (and moebench's " ×4 seq"). */
function testName(r: ResultRecord): string {
  const p = r.params;
  const parts = [p.pp ? `pp${p.pp}` : "", p.tg ? `tg${p.tg}` : ""].filter(Boolean).join("+");
  return `${parts}${p.depth ? ` @ d${p.depth}` : ""}${p.parallel > 1 ? ` ×${p.parallel} seq` : ""}`;
}

/** llama-bench's size column: MiB below 1 GiB, else GiB, two decimals. */
function sizeText(bytes: number | null): string {
  if (bytes === null) return "";
  return bytes < 1024 ** 3 ? `${(bytes / 1024 ** 2).toFixed(2)} MiB` : `${(bytes / 1024 ** 3).toFixed(2)} GiB`;
}

/** llama-bench's params column: M below a billion, else B. */
function paramsText(n: number | null): string {
  if (n === null) return "";
  return n < 1e9 ? `${(n / 1e6).toFixed(2)} M` : `${(n / 1e9).toFixed(2)} B`;
}

function rateText(r: ResultRecord): string {
  if (r.status !== "ok") return `${r.status}: ${(r.error?.message ?? "").split("\n")[0]!.slice(0, 60)}`;
  const s = phaseRate(timedPhase(r));
  if (!s) return "";
  return `${s.mean.toFixed(2)} (${s.ciLow.toFixed(2)}–${s.ciHigh.toFixed(2)})${s.noisy ? " noisy" : ""}`;
}

interface Column {
  header: string;
  cell: (r: ResultRecord) => string;
  /** shown only where it varies across the rows or is not moebench's default (as llama-bench does) */
  optional?: boolean;
}

const COLUMNS: Column[] = [
  { header: "model", cell: (r) => r.model.label },
  { header: "size", cell: (r) => sizeText(r.model.sizeBytes) },
  { header: "params", cell: (r) => paramsText(r.model.params) },
  { header: "backend", cell: (r) => r.env.backend },
  { header: "ngl", cell: (r) => String(r.params.gpuLayers ?? ""), optional: true },
  { header: "threads", cell: (r) => String(r.params.threads ?? "") },
  { header: "n_batch", cell: (r) => String(r.params.batch ?? ""), optional: true },
  { header: "n_ubatch", cell: (r) => String(r.params.ubatch ?? ""), optional: true },
  { header: "type_k", cell: (r) => r.params.kvK ?? "", optional: true },
  { header: "type_v", cell: (r) => r.params.kvV ?? "", optional: true },
  { header: "fa", cell: (r) => (r.params.flashAttention === null ? "" : String(Number(r.params.flashAttention))) },
  { header: "test", cell: testName },
  { header: "t/s mean (95% CI)", cell: rateText },
];

/** Defaults that a column does not need to show when every row has them. */
const DEFAULT_CELLS: Record<string, string> = {
  ngl: "max",
  n_batch: "512",
  n_ubatch: "512",
  type_k: "f16",
  type_v: "f16",
};

function markdown(records: readonly ResultRecord[]): string {
  const shown = COLUMNS.filter((c) => {
    if (!c.optional) return true;
    const cells = new Set(records.map(c.cell));
    return cells.size > 1 || !cells.has(DEFAULT_CELLS[c.header] ?? "");
  });
  const table = mdTable(
    shown.map((c) => c.header),
    records.map((r) => shown.map((c) => c.cell(r))),
    shown.map((c) => (["size", "params", "threads", "t/s mean (95% CI)"].includes(c.header) ? "r" : "l")),
  );
  const env = records[0]?.env;
  const build = env ? `\nbuild: ${env.llamaCppCommit ?? "?"} (${env.llamaCppRelease ?? "?"})\n` : "";
  return `${table}\n${build}`;
}

/** The rows a machine-readable format carries: measured tests only (failures are in results.jsonl). */
export function llamaBenchRows(records: readonly ResultRecord[]): LlamaBenchRow[] {
  return records.filter((r) => !r.serving).flatMap((r) => rowOf(r) ?? []);
}

export function llamaBenchOutput(records: readonly ResultRecord[], format: LlamaBenchFormat): string {
  const local = records.filter((r) => !r.serving);
  if (format === "md") return markdown(local);
  const rows = llamaBenchRows(local);
  if (format === "json") return `${JSON.stringify(rows, null, 2)}\n`;
  if (format === "jsonl") return rows.map((r) => `${JSON.stringify(r)}\n`).join("");
  const flat = rows.map((r) => ({ ...r, samples_ns: r.samples_ns.join(" "), samples_ts: r.samples_ts.join(" ") }));
  return stringify(flat, { header: true, quoted: true, cast: { boolean: (b) => (b ? "1" : "0") } });
}
