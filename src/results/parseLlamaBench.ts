/**
 * llama-bench's output (-o json, jsonl, csv or sql) → validated rows (pure, given the text). The format is
 * recognised by content, not by the file name; llama-bench's default Markdown table and anything that is
 * not llama-bench output are refused, and every row is checked: a bad one is one line naming the file, the
 * line and the field.
 */
import { parse as parseCsv, CsvError } from "csv-parse/sync";
import { z } from "zod";
import { MoebenchError } from "../util/errors.js";

export type LlamaBenchFormat = "json" | "jsonl" | "csv" | "sql";
export type RawRow = Record<string, unknown>;

/** A row as moebench reads it: the fields it maps, checked; every other field is kept as it was. */
export type LlamaBenchRow = z.infer<typeof LlamaBenchRow> & RawRow;

const HINT = "produce it with llama-bench -o json (or jsonl, csv, sql)";
/** Fields every llama-bench version writes, by which its output is recognised. */
const SIGNATURE = ["model_filename", "n_prompt", "n_gen", "avg_ns"];

/** CSV and SQL carry every value as text: numbers are read back where a number is expected ("" = absent). */
function numeric(v: unknown): unknown {
  if (typeof v !== "string") return v;
  if (v.trim() === "") return undefined;
  return Number.isFinite(Number(v)) ? Number(v) : v;
}
/** samples_ns: a JSON array, or (older CSV) a quoted list "[1, 2]" / "1 2". */
const sampleList = (v: unknown): unknown =>
  typeof v === "string"
    ? v
        .replace(/[[\]"]/g, "")
        .split(/[\s,]+/)
        .filter(Boolean)
        .map(numeric)
    : v;
const int = (min: number) => z.number().int().min(min);
const positive = z.number().positive().finite();
/** A number read back from text ("" too is absent where the field is optional). */
const num = <T extends z.ZodType>(t: T) => z.preprocess(numeric, t);
const opt = <T extends z.ZodType>(t: T) => z.preprocess(numeric, t.optional()).optional();

export const LlamaBenchRow = z
  .object({
    model_filename: z.string().min(1),
    n_prompt: num(int(0)),
    n_gen: num(int(0)),
    n_depth: opt(int(0)),
    avg_ns: opt(positive),
    samples_ns: z.preprocess(sampleList, z.array(num(positive))).optional(),
    n_threads: opt(int(0)),
    n_batch: opt(int(1)),
    n_ubatch: opt(int(1)),
    n_gpu_layers: opt(int(-1)),
    flash_attn: z.union([z.boolean(), opt(z.number().int())]).optional(),
    type_k: z.string().min(1).optional(),
    type_v: z.string().min(1).optional(),
  })
  .passthrough()
  .refine((r) => r.n_prompt + r.n_gen > 0, { message: "n_prompt and n_gen are both 0", path: ["n_gen"] })
  .refine((r) => r.avg_ns !== undefined || (r.samples_ns?.length ?? 0) > 0, {
    message: "no timing (avg_ns or samples_ns)",
    path: ["avg_ns"],
  });

/** A row and the line of the file it starts on. */
interface Located {
  row: unknown;
  line: number;
}

function fail(file: string, line: number | null, what: string, hint = HINT): never {
  throw new MoebenchError(`${file}${line ? `:${line}` : ""}: ${what}`, hint);
}

/** Line and column of a character offset. */
function lineCol(text: string, offset: number): { line: number; col: number } {
  let line = 1;
  let last = -1;
  for (let i = text.indexOf("\n"); i >= 0 && i < offset; i = text.indexOf("\n", i + 1)) {
    line++;
    last = i;
  }
  return { line, col: offset - last };
}

function parseJson(text: string, file: string, firstLine: number): unknown {
  try {
    return JSON.parse(text);
  } catch (e) {
    const msg = (e as Error).message.split("\n")[0]!;
    const pos = /position (\d+)/.exec(msg);
    const at = pos ? lineCol(text, Number(pos[1])) : { line: 1, col: 1 };
    const line = firstLine + at.line - 1;
    return fail(file, line, `not valid JSON (column ${at.col}: ${msg.replace(/ in JSON.*$/, "")})`);
  }
}

/** The line on which each top-level element of a JSON array starts (a linear scan that skips strings). */
function elementLines(text: string): number[] {
  const lines: number[] = [];
  let line = 1;
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === "\n") line++;
    if (inString) {
      if (c === "\\") i++;
      else if (c === '"') inString = false;
      continue;
    }
    if (c === '"') inString = true;
    else if (c === "[" || c === "{") {
      if (depth === 1) lines.push(line);
      depth++;
    } else if (c === "]" || c === "}") depth--;
  }
  return lines;
}

function jsonRows(text: string, file: string): Located[] {
  const value = parseJson(text, file, 1);
  if (!Array.isArray(value)) return fail(file, null, "a JSON document that is not an array of results");
  const lines = elementLines(text);
  return value.map((row, i) => ({ row, line: lines[i] ?? 1 }));
}

function jsonlRows(text: string, file: string): Located[] {
  const out: Located[] = [];
  let line = 0;
  for (const l of text.split("\n")) {
    line++;
    if (l.trim()) out.push({ row: parseJson(l, file, line), line });
  }
  return out;
}

function csvRows(text: string, file: string): Located[] {
  try {
    const records = parseCsv(text, { columns: true, skip_empty_lines: true, info: true }) as {
      record: RawRow;
      info: { lines: number };
    }[];
    return records.map((r) => ({ row: r.record, line: r.info.lines }));
  } catch (e) {
    if (!(e instanceof CsvError)) throw e;
    const line = (e as CsvError & { lines?: number }).lines ?? null;
    return fail(file, line, `not valid CSV (${e.message.split("\n")[0]!.replace(/^Invalid Record Length: /, "")})`);
  }
}

/** `INSERT INTO t (a, b) VALUES ('x', '1');` as llama-bench's sql printer writes it (one per line). */
function sqlRows(text: string, file: string): Located[] {
  const out: Located[] = [];
  const lines = text.split("\n");
  lines.forEach((l, i) => {
    if (!/^\s*INSERT INTO/i.test(l)) return;
    const m = /^\s*INSERT INTO\s+\w+\s*\(([^)]*)\)\s*VALUES\s*\((.*)\);\s*$/i.exec(l);
    if (!m) fail(file, i + 1, "an INSERT statement moebench cannot read", "is it llama-bench -o sql output?");
    const cols = m[1]!.split(",").map((s) => s.trim());
    const vals = [...m[2]!.matchAll(/'((?:[^']|'')*)'|([^,\s][^,]*)/g)].map((v) =>
      v[1] !== undefined ? v[1].replace(/''/g, "'") : v[2]!.trim(),
    );
    if (vals.length !== cols.length)
      fail(file, i + 1, `${cols.length} columns but ${vals.length} values`, "is it llama-bench -o sql output?");
    out.push({ row: Object.fromEntries(cols.map((c, j) => [c, vals[j]])), line: i + 1 });
  });
  return out;
}

/** Recognise llama-bench's output format by its content. */
export function detectFormat(text: string, file: string): LlamaBenchFormat {
  const t = text.trimStart();
  if (!t) return fail(file, null, "empty");
  if (t.startsWith("[")) return "json";
  if (t.startsWith("{")) return "jsonl";
  if (/^(CREATE TABLE|INSERT INTO)/i.test(t)) return "sql";
  if (t.startsWith("|"))
    return fail(
      file,
      null,
      "this is llama-bench's Markdown table (its default -o md): it has no per-repetition timings to import",
      "re-run llama-bench with -o json (or jsonl, csv, sql)",
    );
  const nl = t.indexOf("\n");
  const header = (nl < 0 ? t : t.slice(0, nl)).split(",");
  if (SIGNATURE.every((f) => header.some((h) => h.replace(/"/g, "").trim() === f))) return "csv";
  return fail(file, 1, `not llama-bench output (no ${SIGNATURE.join(", ")} columns)`);
}

function located(text: string, file: string, format: LlamaBenchFormat): Located[] {
  if (format === "json") return jsonRows(text, file);
  if (format === "jsonl") return jsonlRows(text, file);
  if (format === "sql") return sqlRows(text, file);
  return csvRows(text, file);
}

/** Check one row; the first problem names the line and the field. */
function checkRow(r: Located, index: number, file: string): LlamaBenchRow {
  if (r.row === null || typeof r.row !== "object" || Array.isArray(r.row))
    return fail(file, r.line, `result ${index + 1} is not an object`);
  const row = r.row as RawRow;
  const present = SIGNATURE.filter((f) => f in row || (f === "avg_ns" && "samples_ns" in row));
  if (present.length === 0) return fail(file, r.line, `not llama-bench output (no ${SIGNATURE.join(", ")} fields)`);
  const parsed = LlamaBenchRow.safeParse(row);
  if (parsed.success) return parsed.data as LlamaBenchRow;
  const iss = parsed.error.issues[0]!;
  const field = iss.path.map(String).join(".") || "(row)";
  return fail(file, r.line, `result ${index + 1}: field ${field}: ${iss.message}`);
}

/** Parse and validate llama-bench output; `file` names it in errors. */
export function parseLlamaBench(text: string, file: string): { rows: LlamaBenchRow[]; format: LlamaBenchFormat } {
  const format = detectFormat(text, file);
  const rows = located(text, file, format).map((r, i) => checkRow(r, i, file));
  if (rows.length === 0) fail(file, null, `no results in it (${format})`);
  return { rows, format };
}
