/**
 * The timed tasks of one instance: pp (prompt processing), tg (generation), pp+tg, each at depth, and
 * parallel-sequence generation. tinybench drives the repetitions; our own timing of exactly the timed
 * region is handed to it as overriddenDuration, and every sample is kept in order. Repetitions adapt:
 * after `min`, more run until the 95% CI half-width is within `targetCi` of the mean or `max` is reached.
 */
import { Bench } from "tinybench";
import type { Phase } from "../results/schema.js";
import type { BenchContext } from "./executor.js";
import { summarize, percentiles } from "../util/stats.js";
import { epochNow } from "../util/time.js";
import { randomTokens } from "../util/randomTokens.js";

export interface TaskSpec {
  pp: number;
  tg: number;
  depth: number;
  parallel: number;
  tgMode: "decode" | "greedy";
  warmup: number;
  /** NVML energy counter (mJ), read at each timed window's edges where available */
  energy?: () => bigint | null;
  /** with telemetry on: extend a phase's energy windows to at least this many ms (0 = off) */
  energyMinMs?: number;
  repetitions: { min: number; max: number; targetCi: number };
}

/** Run `once` (returns its timed ms) under tinybench with warm-up, min reps, then adaptively up to max. */

/** NVML energy (J) between two counter readings, or null. */
export const mjDiff = (a: bigint | null, b: bigint | null): number | null =>
  a !== null && b !== null && b >= a ? Number(b - a) / 1000 : null;

async function repeat(
  once: () => Promise<{ ms: number; extra?: unknown; window?: [number, number]; nvmlJ?: number | null }>,
  spec: TaskSpec,
  tokens: number,
  onRep?: (rep: number, tokPerSec: number) => void,
): Promise<{ samplesMs: number[]; extras: unknown[]; windows: [number, number][]; nvml: (number | null)[] }> {
  const samplesMs: number[] = [];
  const extras: unknown[] = [];
  const windows: [number, number][] = [];
  const nvml: (number | null)[] = [];
  let warm = spec.warmup;
  const round = async (iterations: number): Promise<void> => {
    let measuring = false;
    const bench = new Bench({
      iterations,
      time: 0,
      warmup: warm > 0,
      warmupIterations: warm,
      warmupTime: 0,
      throws: true,
    });
    bench.add(
      "rep",
      async () => {
        const r = await once();
        if (measuring) {
          samplesMs.push(r.ms);
          extras.push(r.extra);
          if (r.window) windows.push(r.window);
          nvml.push(r.nvmlJ ?? null);
          onRep?.(samplesMs.length, tokens / (r.ms / 1000));
        }
        return { overriddenDuration: r.ms };
      },
      {
        beforeEach(mode) {
          measuring = mode === "run";
        },
      },
    );
    await bench.run();
    warm = 0;
  };
  await round(spec.repetitions.min);
  while (samplesMs.length < spec.repetitions.max) {
    const s = summarize(samplesMs.map((ms) => tokens / ms));
    if (s.n >= 2 && s.ciRel <= spec.repetitions.targetCi) break;
    await round(1);
  }
  return { samplesMs, extras, windows, nvml };
}

export interface TaskResult {
  pp: Phase | null;
  tg: Phase | null;
  parallelTg: Phase | null;
}

/**
 * Energy windows under ~1 s are too short for 50 ms power samples: repeat the operation back to back
 * (each preceded by its untimed preparation) until its windows add up to `minMs`, for energy only.
 */
async function energyPass(
  measured: [number, number][],
  spec: TaskSpec,
  tokensPerOp: number,
  prepare: () => Promise<void>,
  op: () => Promise<unknown>,
): Promise<Phase["energyPass"]> {
  const min = spec.energyMinMs ?? 0;
  const have = measured.reduce((s, [a, b]) => s + (b - a), 0);
  if (!min || have >= min) return undefined;
  const windows: [number, number][] = [];
  const nvmlJoules: (number | null)[] = [];
  let total = 0;
  for (let i = 0; i < 500 && total < min; i++) {
    await prepare();
    const e0 = spec.energy?.() ?? null;
    const w0 = epochNow();
    await op();
    const w1 = epochNow();
    windows.push([w0, w1]);
    nvmlJoules.push(mjDiff(e0, spec.energy?.() ?? null));
    total += w1 - w0;
  }
  return { tokens: tokensPerOp * windows.length, windowsEpochMs: windows, ...(spec.energy ? { nvmlJoules } : {}) };
}

export async function runTasks(
  ctx: BenchContext,
  spec: TaskSpec,
  vocab: number,
  seed: number,
  onRep?: (phase: string, rep: number, tokPerSec: number) => void,
): Promise<TaskResult> {
  const lo = Math.min(256, Math.floor(vocab / 4));
  const hi = Math.max(lo + 1, vocab - 16);
  const depthToks = spec.depth ? randomTokens(spec.depth, seed + 1, lo, hi) : [];
  const prompt = spec.pp ? randomTokens(spec.pp, seed + 2, lo, hi) : [];
  const gen = Array.from({ length: spec.parallel }, (_, k) => randomTokens(Math.max(1, spec.tg), seed + 3 + k, lo, hi));
  const prepare = async (): Promise<void> => {
    await ctx.clear();
    if (spec.depth) for (let k = 0; k < spec.parallel; k++) await ctx.fill(depthToks, k);
  };
  const result: TaskResult = { pp: null, tg: null, parallelTg: null };

  if (spec.parallel > 1) {
    const total = spec.parallel * spec.tg;
    const r = await repeat(
      async () => {
        await prepare();
        const e0 = spec.energy?.() ?? null;
        const w0 = epochNow();
        const t = await ctx.timeParallel(gen, spec.tg, spec.tgMode);
        const w1 = epochNow();
        return {
          ms: t.totalMs,
          extra: t.ttftMs,
          window: [w0, w1] as [number, number],
          nvmlJ: mjDiff(e0, spec.energy?.() ?? null),
        };
      },
      spec,
      total,
      (rep, tps) => onRep?.("tg", rep, tps),
    );
    const ttft = r.extras.map((e) => percentiles(e as number[], [0.5])[0]!);
    result.parallelTg = {
      tokens: total,
      samplesMs: r.samplesMs,
      warmup: spec.warmup,
      ttftMs: ttft,
      itlMs: null,
      windowsEpochMs: r.windows,
      ...(spec.energy ? { nvmlJoules: r.nvml } : {}),
    };
    const pass = await energyPass(r.windows, spec, total, prepare, () => ctx.timeParallel(gen, spec.tg, spec.tgMode));
    if (pass) result.parallelTg.energyPass = pass;
    return result;
  }

  if (spec.pp) {
    // pp (and pp+tg): the prompt phase is timed alone; for pp+tg the generation that follows is timed too
    const tgGaps: number[][] = [];
    const tgMs: number[] = [];
    const tgWin: [number, number][] = [];
    const tgNvml: (number | null)[] = [];
    const r = await repeat(
      async () => {
        await prepare();
        const e0 = spec.energy?.() ?? null;
        const w0 = epochNow();
        const ms = await ctx.timePrompt(prompt);
        const w1 = epochNow();
        const e1 = spec.energy?.() ?? null;
        if (spec.tg) {
          const gaps = await ctx.timeGenerate(gen[0]!, spec.tg, spec.tgMode);
          tgGaps.push(gaps);
          tgMs.push(gaps.reduce((a, b) => a + b, 0));
          tgWin.push([w1, epochNow()]);
          tgNvml.push(mjDiff(e1, spec.energy?.() ?? null));
        }
        return { ms, window: [w0, w1] as [number, number], nvmlJ: mjDiff(e0, e1) };
      },
      spec,
      spec.pp,
      (rep, tps) => onRep?.("pp", rep, tps),
    );
    result.pp = {
      tokens: spec.pp,
      samplesMs: r.samplesMs,
      warmup: spec.warmup,
      itlMs: null,
      windowsEpochMs: r.windows,
      ...(spec.energy ? { nvmlJoules: r.nvml } : {}),
    };
    const ppPass = await energyPass(r.windows, spec, spec.pp, prepare, () => ctx.timePrompt(prompt));
    if (ppPass) result.pp.energyPass = ppPass;
    if (spec.tg) {
      // warm-up repetitions also ran generation: keep only the measured ones (the last n)
      const n = r.samplesMs.length;
      const gaps = tgGaps.slice(-n).flat();
      const [p50, p90, p99] = percentiles(gaps, [0.5, 0.9, 0.99]);
      result.tg = {
        tokens: spec.tg,
        samplesMs: tgMs.slice(-n),
        warmup: spec.warmup,
        itlMs: { p50: p50!, p90: p90!, p99: p99! },
        windowsEpochMs: tgWin.slice(-n),
        ...(spec.energy ? { nvmlJoules: tgNvml.slice(-n) } : {}),
      };
      const tgPass = await energyPass(
        tgWin.slice(-n),
        spec,
        spec.tg,
        async () => {
          await prepare();
          await ctx.timePrompt(prompt);
        },
        () => ctx.timeGenerate(gen[0]!, spec.tg, spec.tgMode),
      );
      if (tgPass) result.tg.energyPass = tgPass;
    }
    return result;
  }

  const allGaps: number[][] = [];
  const r = await repeat(
    async () => {
      await prepare();
      const e0 = spec.energy?.() ?? null;
      const w0 = epochNow();
      const gaps = await ctx.timeGenerate(gen[0]!, spec.tg, spec.tgMode);
      const w1 = epochNow();
      allGaps.push(gaps);
      return {
        ms: gaps.reduce((a, b) => a + b, 0),
        window: [w0, w1] as [number, number],
        nvmlJ: mjDiff(e0, spec.energy?.() ?? null),
      };
    },
    spec,
    spec.tg,
    (rep, tps) => onRep?.("tg", rep, tps),
  );
  const gaps = allGaps.slice(-r.samplesMs.length).flat();
  const [p50, p90, p99] = percentiles(gaps, [0.5, 0.9, 0.99]);
  result.tg = {
    tokens: spec.tg,
    samplesMs: r.samplesMs,
    warmup: spec.warmup,
    itlMs: { p50: p50!, p90: p90!, p99: p99! },
    windowsEpochMs: r.windows,
    ...(spec.energy ? { nvmlJoules: r.nvml } : {}),
  };
  const pass = await energyPass(r.windows, spec, spec.tg, prepare, () =>
    ctx.timeGenerate(gen[0]!, spec.tg, spec.tgMode),
  );
  if (pass) result.tg.energyPass = pass;
  return result;
}
