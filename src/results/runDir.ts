import { existsSync, statSync } from "node:fs";
import { dirname, join, resolve } from "node:path";

/** A run folder or a results.jsonl path → the folder and its results file (env.json, quality.json live beside it). */
export function runPaths(arg: string): { dir: string; results: string } {
  const abs = resolve(arg);
  const isDir = existsSync(abs) && statSync(abs).isDirectory();
  return isDir ? { dir: abs, results: join(abs, "results.jsonl") } : { dir: dirname(abs), results: abs };
}
