/**
 * The timed tasks of one instance: pp (prompt processing), tg (generation), pp+tg, each at a depth, and
 * parallel-sequence generation. Every repetition starts from a cleared context (depth refilled, untimed);
 * each timed region is one measured window (its duration, wall-clock edges and NVML counter edges);
 * repeat() decides how many repetitions (warm-up first, then Stein's two-stage rule).
 */
import type { Phase } from "../results/schema.js";
import { percentiles } from "../util/stats.js";
import { epochNow } from "../util/time.js";
import type { BenchContext } from "./executor.js";
import { type RepetitionStats, type Repetitions, repeat, repetitionStats } from "./repeat.js";
import { randomTokens } from "../util/randomTokens.js";

export interface TaskSpec {
  pp: number;
  tg: number;
  depth: number;
  parallel: number;
  tgMode: "decode" | "app" | "greedy";
  warmup: number;
  /** NVML energy counter (mJ), read at each timed window's edges where available */
  energy?: () => bigint | null;
  /** with telemetry on: extend a phase's energy windows to at least this many ms (0 = off) */
  energyMinMs?: number;
  repetitions: Repetitions;
}

export interface TaskResult {
  pp: Phase | null;
  tg: Phase | null;
  parallelTg: Phase | null;
}

/** NVML energy (J) between two counter readings (mJ), or null. */
export const mjDiff = (a: bigint | null, b: bigint | null): number | null =>
  a !== null && b !== null && b >= a ? Number(b - a) / 1000 : null;

/** One timed region: what the executor timed (ms), its wall-clock edges and its NVML energy. */
interface Window<T = undefined> {
  ms: number;
  epochMs: [number, number];
  nvmlJ: number | null;
  detail: T;
}

/** Time `op` as a measured window; `msOf` is the duration the executor itself measured. */
async function measure<R, T = undefined>(
  energy: TaskSpec["energy"],
  op: () => Promise<R>,
  timing: (result: R) => { ms: number; detail?: T },
): Promise<Window<T>> {
  const e0 = energy?.() ?? null;
  const w0 = epochNow();
  const result = await op();
  const w1 = epochNow();
  const e1 = energy?.() ?? null;
  const t = timing(result);
  return { ms: t.ms, epochMs: [w0, w1], nvmlJ: mjDiff(e0, e1), detail: t.detail as T };
}

const sum = (xs: readonly number[]): number => xs.reduce((a, b) => a + b, 0);
const rateOf = (tokens: number) => (w: Window<unknown>) => tokens / (w.ms / 1000);

/** A phase record from its measured windows. */
function phaseOf(tokens: number, windows: Window<unknown>[], spec: TaskSpec, stats: RepetitionStats): Phase {
  return {
    tokens,
    samplesMs: windows.map((w) => w.ms),
    warmup: spec.warmup,
    itlMs: null,
    windowsEpochMs: windows.map((w) => w.epochMs),
    ...(spec.energy ? { nvmlJoules: windows.map((w) => w.nvmlJ) } : {}),
    ...stats,
  };
}

function itl(gapsPerRep: readonly number[][]): Phase["itlMs"] {
  const [p50, p90, p99] = percentiles(gapsPerRep.flat(), [0.5, 0.9, 0.99]);
  return { p50: p50!, p90: p90!, p99: p99! };
}

/**
 * Energy windows under ~1 s are too short for 50 ms power samples: repeat the operation back to back
 * (each preceded by its untimed preparation) until its windows add up to `energyMinMs`, for energy only.
 */
async function energyPass(
  measured: readonly Window<unknown>[],
  spec: TaskSpec,
  tokensPerOp: number,
  prepare: () => Promise<void>,
  op: () => Promise<unknown>,
): Promise<Phase["energyPass"]> {
  const min = spec.energyMinMs ?? 0;
  if (!min || sum(measured.map((w) => w.epochMs[1] - w.epochMs[0])) >= min) return undefined;
  const windows: Window[] = [];
  for (let i = 0, total = 0; i < 500 && total < min; i++) {
    await prepare();
    const w = await measure(spec.energy, op, () => ({ ms: 0 }));
    windows.push(w);
    total += w.epochMs[1] - w.epochMs[0];
  }
  return {
    tokens: tokensPerOp * windows.length,
    windowsEpochMs: windows.map((w) => w.epochMs),
    ...(spec.energy ? { nvmlJoules: windows.map((w) => w.nvmlJ) } : {}),
  };
}

/** The inputs of one instance: seeded random tokens (timing must not depend on a tokenizer). */
function tokensFor(spec: TaskSpec, vocab: number, seed: number) {
  const lo = Math.min(256, Math.floor(vocab / 4));
  const hi = Math.max(lo + 1, vocab - 16);
  return {
    depth: spec.depth ? randomTokens(spec.depth, seed + 1, lo, hi) : [],
    prompt: spec.pp ? randomTokens(spec.pp, seed + 2, lo, hi) : [],
    gen: Array.from({ length: spec.parallel }, (_, k) => randomTokens(Math.max(1, spec.tg), seed + 3 + k, lo, hi)),
  };
}

type OnRep = (phase: string, rep: number, tokPerSec: number) => void;

export async function runTasks(
  ctx: BenchContext,
  spec: TaskSpec,
  vocab: number,
  seed: number,
  onRep?: OnRep,
): Promise<TaskResult> {
  const toks = tokensFor(spec, vocab, seed);
  const prepare = async (): Promise<void> => {
    await ctx.clear();
    if (spec.depth) for (let k = 0; k < spec.parallel; k++) await ctx.fill(toks.depth, k);
  };
  const run: TaskRun = { ctx, spec, prepare, toks, onRep };
  if (spec.parallel > 1) return { pp: null, tg: null, parallelTg: await parallelPhase(run) };
  if (spec.pp) return promptPhases(run);
  return { pp: null, tg: await generationPhase(run), parallelTg: null };
}

interface TaskRun {
  ctx: BenchContext;
  spec: TaskSpec;
  prepare: () => Promise<void>;
  toks: ReturnType<typeof tokensFor>;
  onRep?: OnRep;
}

const repeatOptions = (run: TaskRun, phase: string) => ({
  warmup: run.spec.warmup,
  repetitions: run.spec.repetitions,
  onRep: (n: number, rate: number) => run.onRep?.(phase, n, rate),
});

/** K sequences generating together: aggregate tok/s and each repetition's median time to first token. */
async function parallelPhase(run: TaskRun): Promise<Phase> {
  const { ctx, spec, toks } = run;
  const total = spec.parallel * spec.tg;
  const op = () => ctx.timeParallel(toks.gen, spec.tg, spec.tgMode);
  const once = async () => {
    await run.prepare();
    return measure(spec.energy, op, (t) => ({ ms: t.totalMs, detail: t.ttftMs }));
  };
  const { reps, stats } = await repeat(once, rateOf(total), repeatOptions(run, "tg"));
  const phase: Phase = {
    ...phaseOf(total, reps, spec, stats),
    ttftMs: reps.map((w) => percentiles(w.detail, [0.5])[0]!),
  };
  const pass = await energyPass(reps, spec, total, run.prepare, op);
  return pass ? { ...phase, energyPass: pass } : phase;
}

/**
 * The harness's own time per generated token, µs: the wall time of `tokens` steps less what llama.cpp's clock
 * counted inside its decodes (an upper bound: it includes llama_decode's input checks before that clock starts).
 */
export const harnessUsPerToken = (wallMs: number, decodeMs: number, tokens: number): number =>
  ((wallMs - decodeMs) * 1000) / tokens;

/** One generation's step gaps, and the harness's share where the context can tell (harnessUsPerToken). */
interface Generation {
  gaps: number[];
  harnessUs: number | null;
}

/** The generation steps of `run` as a timed operation. */
function generation(run: TaskRun): () => Promise<Generation> {
  const { ctx, spec, toks } = run;
  const steps = () => ctx.timeGenerate(toks.gen[0]!, spec.tg, spec.tgMode);
  if (!ctx.decodeMs) return async () => ({ gaps: await steps(), harnessUs: null });
  const clock = ctx.decodeMs.bind(ctx);
  return async () => {
    const before = clock();
    const gaps = await steps();
    return { gaps, harnessUs: harnessUsPerToken(sum(gaps), clock() - before, gaps.length) };
  };
}

const generationWindow = (g: Generation) => ({ ms: sum(g.gaps), detail: g });

/** The tg phase's per-token figures from its windows: inter-token latency, and the harness's share if known. */
function generationFigures(windows: readonly Window<Generation>[]): Pick<Phase, "itlMs" | "harnessUsPerToken"> {
  const harness = windows.flatMap((w) => (w.detail.harnessUs === null ? [] : [w.detail.harnessUs]));
  return {
    itlMs: itl(windows.map((w) => w.detail.gaps)),
    ...(harness.length > 0 ? { harnessUsPerToken: harness } : {}),
  };
}

/** tg alone: n generation steps after a one-token prompt, with inter-token latency percentiles. */
async function generationPhase(run: TaskRun): Promise<Phase> {
  const { spec } = run;
  const op = generation(run);
  const once = async () => {
    await run.prepare();
    return measure(spec.energy, op, generationWindow);
  };
  const { reps, stats } = await repeat(once, rateOf(spec.tg), repeatOptions(run, "tg"));
  const phase: Phase = { ...phaseOf(spec.tg, reps, spec, stats), ...generationFigures(reps) };
  const pass = await energyPass(reps, spec, spec.tg, run.prepare, op);
  return pass ? { ...phase, energyPass: pass } : phase;
}

/**
 * pp, and pp+tg: the prompt is timed alone; for pp+tg the generation that follows it in the same
 * repetition is a second window. Warm-up repetitions (prompt and generation) are discarded by repeat().
 */
async function promptPhases(run: TaskRun): Promise<TaskResult> {
  const { ctx, spec, toks } = run;
  const prompt = () => ctx.timePrompt(toks.prompt);
  const generate = generation(run);
  const once = async () => {
    await run.prepare();
    const pp = await measure(spec.energy, prompt, (ms) => ({ ms }));
    const tg = spec.tg ? await measure(spec.energy, generate, generationWindow) : null;
    return { pp, tg };
  };
  const { reps, stats } = await repeat(once, (r) => rateOf(spec.pp)(r.pp), repeatOptions(run, "pp"));
  const ppWindows = reps.map((r) => r.pp);
  const ppPass = await energyPass(ppWindows, spec, spec.pp, run.prepare, prompt);
  const pp: Phase = { ...phaseOf(spec.pp, ppWindows, spec, stats), ...(ppPass ? { energyPass: ppPass } : {}) };
  if (!spec.tg) return { pp, tg: null, parallelTg: null };
  const tgWindows = reps.map((r) => r.tg!);
  const afterPrompt = async (): Promise<void> => {
    await run.prepare();
    await prompt();
  };
  const tgPass = await energyPass(tgWindows, spec, spec.tg, afterPrompt, generate);
  // the prompt's rate decided how many repetitions: for the generation they were a fixed number (t interval)
  const tgStats = repetitionStats(tgWindows.map(rateOf(spec.tg)), spec.repetitions, false);
  const tg: Phase = {
    ...phaseOf(spec.tg, tgWindows, spec, tgStats),
    ...generationFigures(tgWindows),
    ...(tgPass ? { energyPass: tgPass } : {}),
  };
  return { pp, tg, parallelTg: null };
}
