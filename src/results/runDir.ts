import { existsSync, mkdirSync, readdirSync, statSync } from "node:fs";
import { basename, dirname, join, resolve } from "node:path";
import { MoebenchError } from "../util/errors.js";
import { fsError, withFs } from "../util/fsErrors.js";
import { repairResults } from "./jsonl.js";
import { lockRunDir, type RunLock } from "./runLock.js";
import type { ResultRecord } from "./schema.js";

export const RESULTS_FILE = "results.jsonl";

/** A run folder or a results.jsonl path → the folder and its results file (env.json, quality.json live beside it). */
export function runPaths(arg: string): { dir: string; results: string } {
  const abs = resolve(arg);
  const isDir = existsSync(abs) && statSync(abs).isDirectory();
  return isDir ? { dir: abs, results: join(abs, RESULTS_FILE) } : { dir: dirname(abs), results: abs };
}

/** A run id from the start time: 2025-01-31T12-00-00Z (sorts by time, safe as a folder name). */
export function newRunId(d = new Date()): string {
  return d
    .toISOString()
    .replace(/[:]/g, "-")
    .replace(/\.\d+Z$/, "Z");
}

/** The newest run folder (by name) under `base` that has a results file. */
export function latestRunDir(base: string): string | undefined {
  if (!existsSync(base)) return undefined;
  const dirs = withFs(base, "list", () => readdirSync(base))
    .filter((d) => existsSync(join(base, d, RESULTS_FILE)))
    .sort();
  return dirs.length ? join(base, dirs[dirs.length - 1]!) : undefined;
}

/** Where this run writes: --out, or (with --resume) the suite's latest run, or a new folder under `base`. */
export function chooseRunDir(o: { base: string; out?: string; resume: boolean; suite: string }): string {
  if (o.out) return resolve(o.out);
  if (!o.resume) return join(o.base, newRunId());
  const last = latestRunDir(o.base);
  if (!last)
    throw new MoebenchError(
      `--resume: no earlier run of suite ${o.suite} under ${o.base}`,
      "give the run folder with --out",
    );
  return last;
}

/**
 * mkdir -p with the real reason when it fails: Node's recursive mkdir reports ENOENT where a read-only file
 * system (EROFS) or a permission (EACCES) stopped it, so the first missing folder is made on its own.
 */
function makeDir(dir: string): void {
  try {
    mkdirSync(dir, { recursive: true });
  } catch (e) {
    let first = dir;
    while (!existsSync(dirname(first)) && dirname(first) !== first) first = dirname(first);
    withFs(dir, "create the run folder", () => mkdirSync(first));
    throw fsError(e, dir, "create the run folder");
  }
}

export interface OpenRunDir {
  dir: string;
  runId: string;
  resultsPath: string;
  lock: RunLock;
  /** the records already there (--resume), after any torn line was set aside */
  existing: ResultRecord[];
}

/**
 * Make the folder, take its lock, and (with --resume) repair and read what is already recorded. Refuses
 * a folder that already holds a run unless resuming (appending to someone else's run mixes two runs).
 */
export function openRunDir(dir: string, resume: boolean, note: (line: string) => void): OpenRunDir {
  if (existsSync(dir) && !statSync(dir).isDirectory())
    throw new MoebenchError(`--out ${dir} is a file`, "give a folder");
  makeDir(dir);
  const resultsPath = join(dir, RESULTS_FILE);
  const lock = lockRunDir(dir);
  try {
    if (existsSync(resultsPath) && !statSync(resultsPath).isFile())
      throw fsError(Object.assign(new Error("EISDIR"), { code: "EISDIR" }), resultsPath, "write");
    // a folder whose run recorded nothing (a preflight failed, a Ctrl-C during the first load) is reused
    const holdsRun = existsSync(resultsPath) && statSync(resultsPath).size > 0;
    if (holdsRun && !resume)
      throw new MoebenchError(
        `${dir} already holds a run`,
        "add --resume to continue it, or choose a new folder with --out",
      );
    if (lock.tookOver) note(`${dir}: took over the lock of PID ${lock.tookOver.pid}, which is no longer running`);
    const existing = resume ? repairResults(resultsPath, note) : [];
    return { dir, runId: basename(dir), resultsPath, lock, existing };
  } catch (e) {
    lock.release();
    throw e;
  }
}
