import { spawnSync, type SpawnSyncReturns } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import type { TaskSpec } from "../src/bench/tasks.js";

export const ROOT = resolve(__dirname, "..");
export const CLI = join(ROOT, "dist", "cli.js");

export function tmp(prefix = "moebench-test-"): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

/** Run the real CLI (built into dist/ by the test setup). */
export function cli(
  args: string[],
  opts: { cwd?: string; env?: Record<string, string>; timeout?: number } = {},
): SpawnSyncReturns<string> {
  return spawnSync(process.execPath, [CLI, ...args], {
    cwd: opts.cwd ?? ROOT,
    encoding: "utf8",
    env: { ...process.env, CI: "1", ...opts.env },
    timeout: opts.timeout ?? 300_000,
  });
}

/** A TaskSpec for runTasks tests: nothing timed unless `o` asks, one warm-up, exactly three repetitions. */
export const taskSpec = (o: Partial<TaskSpec>): TaskSpec => ({
  pp: 0,
  tg: 0,
  depth: 0,
  parallel: 1,
  tgMode: "decode",
  warmup: 1,
  repetitions: { min: 3, max: 3, targetCi: 0.5 },
  ...o,
});
