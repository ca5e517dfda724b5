/**
 * npm run bench:faults [-- --trials N --seed S]: a randomised campaign of the faults a GPU box throws at a
 * run (worker SIGKILL, Ctrl-C to the process group, SIGTERM or SIGKILL of the runner, a full disk), each at
 * a random moment, each followed by --resume until the suite is complete. Checks after every fault that no
 * record written before it was lost or changed, and at the end that every planned instance is recorded
 * exactly once. Mock executor, tiny synthetic models: a few minutes on 2 cores.
 */
import { readFileSync, rmSync } from "node:fs";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { parseResults } from "../src/results/jsonl.js";
import { nextWorker, sleep, startCli, writeSuite } from "./lib/faultKit.js";

const FAULTS = ["worker-sigkill", "group-sigint", "runner-sigterm", "runner-sigkill", "disk-full"] as const;
type Fault = (typeof FAULTS)[number];

const { values } = parseArgs({ options: { trials: { type: "string" }, seed: { type: "string" } } });
const trials = Number(values.trials ?? 20);
let state = Number(values.seed ?? 20261125) >>> 0 || 1;
/** xorshift32 in [0, 1): the campaign is reproducible from its seed */
const rnd = (): number => {
  state ^= state << 13;
  state >>>= 0;
  state ^= state >>> 17;
  state ^= state << 5;
  state >>>= 0;
  return state / 4294967296;
};
const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)]!;
const between = (lo: number, hi: number): number => Math.round(lo + rnd() * (hi - lo));

/** The records of a results file by key, as their exact lines (a lost or rewritten record shows). */
function snapshot(path: string): { lines: Map<string, string>; duplicates: number } {
  let text = "";
  try {
    text = readFileSync(path, "utf8");
  } catch {
    return { lines: new Map(), duplicates: 0 };
  }
  const parsed = parseResults(path, text);
  const lines = new Map<string, string>();
  let duplicates = 0;
  parsed.records.forEach((r, i) => {
    if (lines.has(r.key)) duplicates++;
    lines.set(r.key, parsed.lines[i]!);
  });
  return { lines, duplicates };
}

/** Deliver a signal fault after `delayMs`; false when the run had already ended (the fault missed). */
async function inject(fault: Fault, pid: number, delayMs: number): Promise<boolean> {
  await sleep(delayMs);
  try {
    if (fault === "worker-sigkill") process.kill(await nextWorker(pid, 5000), "SIGKILL");
    else if (fault === "group-sigint") process.kill(-pid, "SIGINT");
    else if (fault === "runner-sigterm") process.kill(pid, "SIGTERM");
    else if (fault === "runner-sigkill") process.kill(pid, "SIGKILL");
    return true;
  } catch {
    return false;
  }
}

interface TrialResult {
  faults: Fault[];
  complete: boolean;
  lost: number;
  duplicated: number;
}

interface Trial {
  suite: string;
  out: string;
  results: string;
}

/** One run of the trial's suite (the first fresh, later ones --resume), with `fault` injected. */
async function oneRound(t: Trial, round: number, fault: Fault | "none"): Promise<boolean> {
  const before = snapshot(t.results).lines;
  const env: Record<string, string> = {
    MOEBENCH_CACHE: join(tmpdir(), "moebench-faults-cache"),
    MOEBENCH_MOCK_OP_MS: String(between(20, 120)),
    ...(fault === "disk-full" ? { MOEBENCH_FAULT_DISK_BYTES: String(between(0, 6000) + sizeOf(before)) } : {}),
  };
  const run = startCli(["run", t.suite, "--executor", "mock", "--out", t.out, ...(round ? ["--resume"] : [])], env);
  const signalled =
    fault === "none" || fault === "disk-full" ? null : inject(fault, run.child.pid!, between(100, 1500));
  const end = await run.exited;
  if (fault === "none") return false;
  return fault === "disk-full" ? end.code === 4 : ((await signalled) ?? false);
}

async function trial(n: number): Promise<TrialResult> {
  const dir = mkdtempSync(join(tmpdir(), `moebench-faults-${n}-`));
  const models = between(2, 5);
  const out = join(dir, "run");
  const t: Trial = { suite: writeSuite(dir, { models }), out, results: join(out, "results.jsonl") };
  const planned = models * 2;
  const seen = new Map<string, string>();
  const faults: Fault[] = [];
  let lost = 0;
  let complete = false;
  for (let round = 0; round < 12 && !complete; round++) {
    const fault: Fault | "none" = round < 8 ? pick(FAULTS) : "none";
    if ((await oneRound(t, round, fault)) && fault !== "none") faults.push(fault);
    const now = snapshot(t.results);
    for (const [key, line] of seen) if (now.lines.get(key) !== line) lost++;
    for (const [key, line] of now.lines) seen.set(key, line);
    if (now.duplicates) return { faults, complete: false, lost, duplicated: now.duplicates };
    complete = now.lines.size === planned && !existsLock(out);
  }
  rmSync(dir, { recursive: true, force: true });
  return { faults, complete, lost, duplicated: 0 };
}

const sizeOf = (lines: Map<string, string>): number => [...lines.values()].reduce((s, l) => s + l.length + 1, 0);

function existsLock(out: string): boolean {
  try {
    readFileSync(join(out, ".moebench.lock"));
    return true;
  } catch {
    return false;
  }
}

const byKind = new Map<Fault, { injected: number; survived: number }>(
  FAULTS.map((f) => [f, { injected: 0, survived: 0 }]),
);
let faults = 0;
let survived = 0;
let lost = 0;
let duplicated = 0;
const t0 = Date.now();
for (let i = 0; i < trials; i++) {
  const r = await trial(i);
  const ok = r.complete && r.lost === 0 && r.duplicated === 0;
  for (const f of r.faults) {
    const k = byKind.get(f)!;
    k.injected++;
    if (ok) k.survived++;
  }
  faults += r.faults.length;
  if (ok) survived += r.faults.length;
  lost += r.lost;
  duplicated += r.duplicated;
  process.stderr.write(`trial ${i + 1}/${trials}: ${r.faults.join(", ") || "no fault"} → ${ok ? "ok" : "FAILED"}\n`);
}
for (const [f, k] of byKind) process.stdout.write(`${f}: ${k.injected} injected, ${k.survived} survived\n`);
process.stdout.write(`(${trials} trials in ${((Date.now() - t0) / 1000).toFixed(0)} s)\n`);
process.stdout.write(`${faults} faults, ${survived} survived, ${lost} records lost, ${duplicated} duplicated\n`);
process.exitCode = survived === faults && lost === 0 && duplicated === 0 ? 0 : 1;
