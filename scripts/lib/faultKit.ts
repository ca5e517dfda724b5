/**
 * Fault injection around the real CLI (dist/cli.js) on the mock executor: start a run in its own process
 * group, wait for a line of its progress, find its workers, kill or interrupt them, and check the results
 * file afterwards. Used by test/integration/faults.test.ts and scripts/bench-faults.ts.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { existsSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { parseResults } from "../../src/results/jsonl.js";

export const ROOT = resolve(import.meta.dirname, "..", "..");
export const CLI = join(ROOT, "dist", "cli.js");

/** A mock suite: `models` tiny synthetic models × pp64 and tg16, fixed repetitions. */
export function writeSuite(dir: string, opts: { models?: number; timeoutSec?: number } = {}): string {
  const presets = ["lfm2-8b-a1b", "llama-3.1-8b", "qwen3-8b", "mistral-7b-v0.3", "llama-3.2-3b"];
  const models = presets.slice(0, opts.models ?? 3).map((p) => `  - synth:${p}:Q4_K_M:tiny`);
  const file = join(dir, "faults.yaml");
  writeFileSync(
    file,
    [
      "name: faults",
      "models:",
      ...models,
      "tests: [pp64, tg16]",
      "repetitions: {min: 2, max: 2}",
      `timeoutSec: ${opts.timeoutSec ?? 60}`,
    ].join("\n"),
  );
  return file;
}

export interface RunningCli {
  child: ChildProcess;
  /** stderr so far */
  stderr: () => string;
  stdout: () => string;
  /** resolves when stderr matches (or rejects after `ms`) */
  waitFor: (re: RegExp, ms?: number) => Promise<void>;
  /** resolves with "code/signal" when the process has exited */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/** Start `moebench <args>` as the leader of a new process group (as a terminal would). */
export function startCli(args: string[], env: Record<string, string>): RunningCli {
  const child = spawn(process.execPath, [CLI, ...args], {
    cwd: ROOT,
    env: { ...process.env, CI: "1", ...env },
    stdio: ["ignore", "pipe", "pipe"],
    detached: true,
  });
  let err = "";
  let out = "";
  const waiters: { re: RegExp; resolve: () => void }[] = [];
  child.stdout!.on("data", (b: Buffer) => {
    out += b.toString();
  });
  child.stderr!.on("data", (b: Buffer) => {
    err += b.toString();
    for (const w of [...waiters])
      if (w.re.test(err)) {
        waiters.splice(waiters.indexOf(w), 1);
        w.resolve();
      }
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((r) =>
    child.on("close", (code, signal) => r({ code, signal })),
  );
  const waitFor = (re: RegExp, ms = 60_000): Promise<void> =>
    new Promise((resolveWait, reject) => {
      if (re.test(err)) return resolveWait();
      const timer = setTimeout(() => reject(new Error(`timed out waiting for ${re} in:\n${err}`)), ms);
      const done = (): void => {
        clearTimeout(timer);
        resolveWait();
      };
      waiters.push({ re, resolve: done });
      void exited.then(() => {
        if (!re.test(err)) {
          clearTimeout(timer);
          reject(new Error(`exited before ${re}:\n${err}`));
        }
      });
    });
  return { child, stderr: () => err, stdout: () => out, waitFor, exited };
}

/** PIDs of the live worker processes whose parent is `pid` (Linux /proc). */
export function workersOf(pid: number): number[] {
  const out: number[] = [];
  for (const name of readdirSync("/proc")) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, "utf8");
      const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      // fields[0] state (Z = already dead), fields[1] ppid
      if (Number(fields[1]) !== pid || fields[0] === "Z") continue;
      if (readFileSync(`/proc/${name}/cmdline`, "utf8").includes("worker.js")) out.push(Number(name));
    } catch {
      /* gone */
    }
  }
  return out;
}

export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Wait until `pid` has a worker, and return its PID. */
export async function nextWorker(pid: number, ms = 60_000, except = new Set<number>()): Promise<number> {
  const until = Date.now() + ms;
  while (Date.now() < until) {
    const w = workersOf(pid).find((x) => !except.has(x));
    if (w) return w;
    if (!alive(pid)) throw new Error(`process ${pid} exited before a worker appeared`);
    await sleep(20);
  }
  throw new Error(`no worker of ${pid} within ${ms} ms`);
}

export interface FileCheck {
  /** keys in file order */
  keys: string[];
  statuses: string[];
  duplicates: string[];
  torn: number;
}

/** Read a results file the way --resume does (torn lines counted, not fatal). */
export function checkResults(path: string): FileCheck {
  if (!existsSync(path)) return { keys: [], statuses: [], duplicates: [], torn: 0 };
  const parsed = parseResults(path, readFileSync(path, "utf8"));
  const keys = parsed.records.map((r) => r.key);
  const duplicates = keys.filter((k, i) => keys.indexOf(k) !== i);
  return { keys, statuses: parsed.records.map((r) => r.status), duplicates, torn: parsed.torn.length };
}
