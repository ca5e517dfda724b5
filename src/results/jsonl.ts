import { existsSync, openSync, closeSync, fsyncSync, readFileSync, writeSync } from "node:fs";
import { ResultRecord, SCHEMA_VERSION } from "./schema.js";
import { MoebenchError } from "../util/errors.js";

/** Append one validated record as a line and flush it to disk (a crash never loses a written record). */
export function appendJsonl(path: string, record: ResultRecord): void {
  const parsed = ResultRecord.parse(record);
  const fd = openSync(path, "a");
  try {
    writeSync(fd, `${JSON.stringify(parsed)}\n`);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

export interface ReadOptions {
  /** tolerate a torn last line (a run killed mid-write): skip it with a warning instead of failing */
  tolerateTornTail?: boolean;
  onWarning?: (msg: string) => void;
}

/** Read and validate a results.jsonl; errors name the file, the line and the field. */
export function readJsonl(path: string, opts: ReadOptions = { tolerateTornTail: true }): ResultRecord[] {
  if (!existsSync(path))
    throw new MoebenchError(`${path}: no such results file`, "pass a run folder containing results.jsonl");
  const text = readFileSync(path, "utf8");
  const lines = text.split("\n");
  const out: ResultRecord[] = [];
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    if (!line.trim()) continue;
    const isLast = i >= lines.length - 2 && !text.endsWith("\n");
    let obj: unknown;
    try {
      obj = JSON.parse(line);
    } catch {
      if (isLast && opts.tolerateTornTail) {
        opts.onWarning?.(`${path}:${i + 1}: incomplete last line skipped (the run was interrupted while writing)`);
        continue;
      }
      throw new MoebenchError(
        `${path}:${i + 1}: not valid JSON`,
        "the file is corrupt; remove that line or re-run the instance",
      );
    }
    const v = (obj as { schemaVersion?: unknown }).schemaVersion;
    if (v !== SCHEMA_VERSION) {
      throw new MoebenchError(
        `${path}:${i + 1}: schemaVersion ${JSON.stringify(v)} is not supported (this moebench reads ${SCHEMA_VERSION})`,
        "use the moebench version that wrote it, or re-run the suite",
      );
    }
    const r = ResultRecord.safeParse(obj);
    if (!r.success) {
      const iss = r.error.issues[0]!;
      throw new MoebenchError(
        `${path}:${i + 1}: field ${iss.path.join(".") || "(record)"}: ${iss.message}`,
        "the record does not match the results schema",
      );
    }
    out.push(r.data);
  }
  return out;
}
