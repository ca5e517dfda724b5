/**
 * results.jsonl: one validated record per line, appended and flushed as each instance ends.
 *
 * Reading is self-healing for the one way a crash or a full disk damages the file: a torn line (a record
 * cut short by a kill or a short write). A torn last line, or a fragment that an older moebench glued the
 * next record onto, is skipped with one line of warning; the writer (which holds the run folder's lock)
 * moves it aside into `results.jsonl.torn-<n>` before appending. Anything else that is not a record is a
 * one-line error naming file, line and field.
 */
import { closeSync, existsSync, fstatSync, fsyncSync, ftruncateSync, openSync, renameSync, writeSync } from "node:fs";
import { readFileSync, writeFileSync } from "node:fs";
import { MoebenchError } from "../util/errors.js";
import { EXIT } from "../util/exitCodes.js";
import { fsError, withFs } from "../util/fsErrors.js";
import { validationMessage } from "./record.js";
import { type ExecutorKind, READABLE_SCHEMA_VERSIONS, ResultRecord } from "./schema.js";

export interface ReadOptions {
  /** a torn line is skipped with this one-line warning (default: printed to stderr) */
  onWarning?: (msg: string) => void;
  /** @deprecated torn lines are always tolerated now; kept so existing callers compile */
  tolerateTornTail?: boolean;
}

export interface TornLine {
  /** 1-based line number in the file */
  line: number;
  text: string;
}

export interface ParsedResults {
  records: ResultRecord[];
  /** the original text of each record's line, in order (rewritten verbatim when the file is repaired) */
  lines: string[];
  torn: TornLine[];
  /** the file's last line is a complete record that lacks its newline */
  missingFinalNewline: boolean;
}

const RECORD_START = '{"schemaVersion":';

/** The executor of a version-1 record, which did not say: inferred from what it did record. */
function inferExecutor(obj: { env?: { backend?: unknown }; extra?: { source?: unknown } }): ExecutorKind {
  const backend = typeof obj.env?.backend === "string" ? obj.env.backend : "";
  if (obj.extra?.source === "llama-bench") return "import";
  if (backend === "mock") return "mock";
  if (backend.startsWith("llama-bench")) return "llama-bench";
  if (backend.startsWith("http")) return "http";
  return "llama";
}

/** Validate one parsed line (any readable version) into a record; errors name file, line and field. */
function toRecord(obj: unknown, where: string): ResultRecord {
  if (obj === null || typeof obj !== "object" || Array.isArray(obj))
    throw new MoebenchError(
      `${where}: field (record): expected a JSON object, found ${obj === null ? "null" : typeof obj}`,
      "every line of results.jsonl is one record; remove that line or re-run the instance with --resume",
    );
  const version = (obj as { schemaVersion?: unknown }).schemaVersion;
  if (!(READABLE_SCHEMA_VERSIONS as readonly unknown[]).includes(version))
    throw new MoebenchError(
      `${where}: field schemaVersion: ${JSON.stringify(version)} is not supported ` +
        `(this moebench reads ${READABLE_SCHEMA_VERSIONS.join(", ")})`,
      "use the moebench version that wrote it, or re-run the suite",
    );
  const parsed = ResultRecord.safeParse(obj);
  if (!parsed.success)
    throw new MoebenchError(
      `${where}: ${validationMessage(parsed.error)}`,
      "the record does not match the results schema; remove that line or re-run the instance",
    );
  const r = parsed.data;
  return r.executor ? r : { ...r, executor: inferExecutor(r) };
}

function tryJson(text: string): { ok: true; value: unknown } | { ok: false } {
  try {
    return { ok: true, value: JSON.parse(text) };
  } catch {
    return { ok: false };
  }
}

/** Parse the text of a results file (pure; `path` only names the file in errors). */
export function parseResults(path: string, text: string): ParsedResults {
  const out: ParsedResults = { records: [], lines: [], torn: [], missingFinalNewline: false };
  const rows = text.split("\n");
  // the text after the last "\n" is "" for a well-formed file; anything else is an unterminated last line
  const lastIndex = rows.length - 1;
  for (let i = 0; i < rows.length; i++) {
    const line = rows[i]!;
    if (!line.trim()) continue;
    const where = `${path}:${i + 1}`;
    const json = tryJson(line);
    if (json.ok) {
      out.records.push(toRecord(json.value, where));
      out.lines.push(line);
      if (i === lastIndex) out.missingFinalNewline = true;
      continue;
    }
    // a fragment with a whole record glued after it (an append onto a torn line)
    const at = line.lastIndexOf(RECORD_START);
    const tail = at > 0 ? tryJson(line.slice(at)) : { ok: false as const };
    if (tail.ok) {
      out.torn.push({ line: i + 1, text: line.slice(0, at) });
      out.records.push(toRecord(tail.value, where));
      out.lines.push(line.slice(at));
      if (i === lastIndex) out.missingFinalNewline = true;
      continue;
    }
    if (i === lastIndex) {
      out.torn.push({ line: i + 1, text: line });
      continue;
    }
    throw new MoebenchError(
      `${where}: not valid JSON (and not a torn record)`,
      "the file is corrupt there; remove that line and run again with --resume",
    );
  }
  return out;
}

function tornWarning(path: string, torn: readonly TornLine[], action: string): string {
  const where = torn.map((t) => t.line).join(", ");
  return `${path}: incomplete record on line ${where} (a run was killed or the disk filled while writing): ${action}`;
}

/** Read and validate a results.jsonl; torn lines are skipped with one warning line, anything else wrong is an error. */
export function readJsonl(path: string, opts: ReadOptions = {}): ResultRecord[] {
  if (!existsSync(path))
    throw new MoebenchError(`${path}: no such results file`, "pass a run folder containing results.jsonl");
  const text = withFs(path, "read", () => readFileSync(path, "utf8"));
  const parsed = parseResults(path, text);
  if (parsed.torn.length) {
    const warn = opts.onWarning ?? ((m: string) => process.stderr.write(`warning: ${m}\n`));
    warn(tornWarning(path, parsed.torn, "skipped; `run --resume` moves it aside"));
  }
  return parsed.records;
}

/** First free `<path>.torn-<n>`. */
function tornPath(path: string): string {
  for (let n = 1; ; n++) if (!existsSync(`${path}.torn-${n}`)) return `${path}.torn-${n}`;
}

/**
 * Before a run appends to an existing results file (--resume): move torn lines aside into
 * `results.jsonl.torn-<n>`, rewrite the good lines verbatim (write a temporary file, then rename), and
 * return the records already there. Call only while holding the run folder's lock.
 */
export function repairResults(path: string, note: (line: string) => void): ResultRecord[] {
  if (!existsSync(path)) return [];
  const text = withFs(path, "read", () => readFileSync(path, "utf8"));
  const parsed = parseResults(path, text);
  if (!parsed.torn.length && !parsed.missingFinalNewline) return parsed.records;
  if (parsed.torn.length) {
    const aside = tornPath(path);
    withFs(aside, "write", () => writeFileSync(aside, `${parsed.torn.map((t) => t.text).join("\n")}\n`));
    note(tornWarning(path, parsed.torn, `set aside in ${aside}`));
  }
  const tmp = `${path}.repair-${process.pid}`;
  const body = parsed.lines.length ? `${parsed.lines.join("\n")}\n` : "";
  withFs(tmp, "write", () => {
    const fd = openSync(tmp, "w");
    try {
      writeAll(fd, Buffer.from(body), tmp);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
  });
  withFs(path, "replace", () => renameSync(tmp, path));
  return parsed.records;
}

/**
 * Test hook for the full-disk fault tests (where a test cannot mount a small tmpfs): the results file may
 * grow to MOEBENCH_FAULT_DISK_BYTES bytes; a write past that writes what fits, then fails with ENOSPC,
 * exactly as a full file system does.
 */
function faultLimit(): number | undefined {
  const v = process.env.MOEBENCH_FAULT_DISK_BYTES;
  const n = v === undefined ? Number.NaN : Number(v);
  return Number.isFinite(n) && n >= 0 ? n : undefined;
}

function enospc(): NodeJS.ErrnoException {
  const e: NodeJS.ErrnoException = new Error("ENOSPC: no space left on device, write");
  e.code = "ENOSPC";
  return e;
}

/** write(2) until every byte is down; a short write is retried, a write of 0 bytes is an error. */
function writeAll(fd: number, buf: Buffer, path: string, limit?: number): void {
  let offset = 0;
  while (offset < buf.length) {
    let want = buf.length - offset;
    if (limit !== undefined) {
      const room = limit - fstatSync(fd).size;
      if (room <= 0) throw enospc();
      want = Math.min(want, room);
    }
    const n = writeSync(fd, buf, offset, want);
    if (n <= 0) throw new Error(`short write to ${path}: 0 of ${buf.length - offset} bytes`);
    offset += n;
  }
}

/**
 * The run's appender: one open file, every record's line written whole and flushed before the next. A
 * failed write (ENOSPC, EIO, a short write) truncates the partial line away where the system allows,
 * then throws a one-line error with exit code 4 (incomplete): the run stops cleanly and --resume continues.
 */
export class ResultsWriter {
  private fd: number | undefined;
  private constructor(readonly path: string) {
    this.fd = withFs(path, "open for appending", () => openSync(path, "a"));
  }

  static open(path: string): ResultsWriter {
    return new ResultsWriter(path);
  }

  append(record: ResultRecord): void {
    const fd = this.fd;
    if (fd === undefined) throw new Error(`${this.path}: writer already closed`);
    const buf = Buffer.from(`${JSON.stringify(record)}\n`);
    const before = fstatSync(fd).size;
    try {
      writeAll(fd, buf, this.path, faultLimit());
      fsyncSync(fd);
    } catch (e) {
      try {
        ftruncateSync(fd, before);
      } catch {
        /* the torn line stays; readers and --resume set it aside */
      }
      const err = fsError(e, this.path, "append a record to");
      if (err instanceof MoebenchError)
        throw new MoebenchError(
          err.message,
          `${err.hint ?? "fix the cause"}; records written so far are intact, continue with --resume`,
          EXIT.incomplete,
        );
      throw new MoebenchError(
        `cannot append a record to ${this.path}: ${(e as Error).message}`,
        "records written so far are intact; continue with --resume",
        EXIT.incomplete,
      );
    }
  }

  close(): void {
    if (this.fd === undefined) return;
    closeSync(this.fd);
    this.fd = undefined;
  }
}

/** Append one validated record (one-off writers: serve, import). Prefer ResultsWriter for a run. */
export function appendJsonl(path: string, record: ResultRecord): void {
  const writer = ResultsWriter.open(path);
  try {
    writer.append(ResultRecord.parse(record));
  } finally {
    writer.close();
  }
}
