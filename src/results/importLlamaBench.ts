/**
 * llama-bench output (json, jsonl, csv or sql) → moebench records (pure, given the text). Every field
 * llama-bench wrote is kept in `extra` (nothing dropped silently); the ones moebench has columns for are
 * mapped: model, threads, batch/ubatch, KV types, flash attention, GPU layers, test and depth, and every
 * repetition (samples_ns) as the phase's samples.
 */
import type { ResultRecord, Env } from "./schema.js";
import { SCHEMA_VERSION } from "./schema.js";
import { testId } from "../util/testId.js";
import { MoebenchError } from "../util/errors.js";
import { parse as parseCsv } from "csv-parse/sync";

type Row = Record<string, unknown>;

export function parseLlamaBench(text: string, file: string): { rows: Row[]; format: string } {
  const t = text.trim();
  if (!t) throw new MoebenchError(`${file}: empty`, "produce it with llama-bench -o json|jsonl|csv|sql");
  if (t.startsWith("[")) return { rows: JSON.parse(t) as Row[], format: "json" };
  if (t.startsWith("{"))
    return {
      rows: t
        .split("\n")
        .filter((l) => l.trim())
        .map((l, i) => {
          try {
            return JSON.parse(l) as Row;
          } catch {
            throw new MoebenchError(`${file}:${i + 1}: not valid JSON`, "is it llama-bench -o jsonl output?");
          }
        }),
      format: "jsonl",
    };
  if (/^CREATE TABLE|^INSERT INTO/im.test(t)) {
    const rows: Row[] = [];
    for (const m of t.matchAll(/INSERT INTO\s+\w+\s*\(([^)]*)\)\s*VALUES\s*\((.*)\);/g)) {
      const cols = m[1]!.split(",").map((s) => s.trim());
      const vals = [...m[2]!.matchAll(/'((?:[^']|'')*)'|([^,\s][^,]*)/g)].map((v) =>
        v[1] !== undefined ? v[1].replace(/''/g, "'") : v[2]!.trim(),
      );
      const row: Row = {};
      cols.forEach((c, i) => {
        const v = vals[i];
        row[c] = v !== undefined && /^-?\d+(\.\d+)?(e[+-]?\d+)?$/i.test(v) ? Number(v) : v;
      });
      rows.push(row);
    }
    return { rows, format: "sql" };
  }
  const rows = parseCsv(t, {
    columns: true,
    skip_empty_lines: true,
    cast: (v) => (/^-?\d+(\.\d+)?(e[+-]?\d+)?$/i.test(v) ? Number(v) : v),
  }) as Row[];
  return { rows, format: "csv" };
}

const num = (v: unknown, d = 0): number =>
  typeof v === "number" ? v : typeof v === "string" && v.trim() !== "" && Number.isFinite(Number(v)) ? Number(v) : d;
const nums = (v: unknown): number[] =>
  Array.isArray(v)
    ? v.map(Number)
    : typeof v === "string" && v.trim()
      ? v
          .replace(/[[\]"]/g, "")
          .split(/[\s,]+/)
          .filter(Boolean)
          .map(Number)
      : [];

export function llamaBenchToRecords(
  rows: Row[],
  o: {
    file: string;
    runId: string;
    host: Env;
    modelIdentity?: (filename: string) => {
      headerSha256: string | null;
      sizeBytes: number | null;
      quant: string | null;
      arch: string | null;
      params: number | null;
      activeParams: number | null;
      isMoe: boolean | null;
      synthetic: ResultRecord["model"]["synthetic"];
    } | null;
  },
): ResultRecord[] {
  return rows.map((r, i) => {
    const nPrompt = num(r.n_prompt);
    const nGen = num(r.n_gen);
    const depth = num(r.n_depth);
    const id = testId({ pp: nPrompt, tg: nGen, depth, parallel: 1 });
    const filename = String(r.model_filename ?? "unknown");
    const ident = o.modelIdentity?.(filename) ?? null;
    const samplesNs = nums(r.samples_ns);
    const avgNs = num(r.avg_ns);
    const samplesMs = (samplesNs.length ? samplesNs : avgNs ? [avgNs] : []).map((ns) => ns / 1e6);
    const phase = { samplesMs, warmup: 1, itlMs: null };
    // llama-bench: -1 / 99 = all layers; flash_attn -1 = auto (recorded as off, raw value kept in extra)
    const nglRaw = num(r.n_gpu_layers, 0);
    const ngl: number | "max" = nglRaw < 0 || nglRaw >= 99 ? "max" : nglRaw;
    const commit = r.build_commit ? String(r.build_commit) : null;
    const warnings =
      nPrompt && nGen
        ? [
            "llama-bench pp+tg is one combined timing (prompt and generation tokens together), recorded as tg with tokens = n_prompt + n_gen",
          ]
        : [];
    if (num(r.flash_attn) < 0)
      warnings.push("llama-bench flash_attn = -1 (auto): recorded as off; the raw value is in extra.flash_attn");
    if (!samplesNs.length)
      warnings.push("llama-bench wrote no per-repetition samples (samples_ns): only the mean is known");
    const backends = String(r.backends ?? r.backend ?? "");
    const rec: ResultRecord = {
      schemaVersion: SCHEMA_VERSION,
      runId: o.runId,
      suite: "llama-bench-import",
      key: `llama-bench|${filename}|${id}|t=${num(r.n_threads)}|b=${num(r.n_batch)}|ub=${num(r.n_ubatch)}|kv=${r.type_k}/${r.type_v}|fa=${r.flash_attn}|ngl=${ngl}|#${i}`,
      testId: id,
      status: "ok",
      timestamp: String(r.test_time ?? new Date().toISOString()),
      model: {
        ref: filename,
        label: filename
          .split(/[\\/]/)
          .pop()!
          .replace(/\.gguf$/, ""),
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
      },
      params: {
        pp: nPrompt,
        tg: nGen,
        depth,
        parallel: 1,
        ctx: Math.max(1, nPrompt + nGen + depth),
        kvK: String(r.type_k ?? "f16"),
        kvV: String(r.type_v ?? "f16"),
        flashAttention: num(r.flash_attn) === 1 || r.flash_attn === true || r.flash_attn === "true",
        gpuLayers: ngl,
        threads: num(r.n_threads),
        batch: Math.max(1, num(r.n_batch, 1)),
        ubatch: Math.max(1, num(r.n_ubatch, 1)),
        backend: backends.toLowerCase().includes("cuda")
          ? "cuda"
          : backends.toLowerCase().includes("vulkan")
            ? "vulkan"
            : backends.toLowerCase().includes("metal")
              ? "metal"
              : "cpu",
        tgMode: "decode",
      },
      env: {
        ...o.host,
        llamaCppRelease: r.build_number !== undefined ? `build ${r.build_number}` : null,
        llamaCppCommit: commit,
        nodeLlamaCpp: null,
        backend: backends ? `llama-bench (${backends})` : "llama-bench",
        gpus: r.gpu_info ? [{ name: String(r.gpu_info), uuid: null, driver: null, vramBytes: null }] : [],
        cpu: String(r.cpu_info ?? o.host.cpu),
      },
      pp: nPrompt && !nGen ? { tokens: nPrompt, ...phase } : null,
      tg: nGen ? { tokens: nGen + (nPrompt || 0), ...phase } : null,
      parallelTg: null,
      telemetry: { status: "unavailable", reason: "imported from llama-bench" },
      memory: null,
      loadMs: null,
      warnings,
      error: null,
      extra: { source: "llama-bench", file: o.file, ...r },
    };
    return rec;
  });
}
