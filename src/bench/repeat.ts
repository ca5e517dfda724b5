/**
 * The repetition loop of every timed phase: warm-up runs (discarded), then Stein's two-stage procedure
 * (COORDINATION decision 1). Stage one is `min` repetitions; from their tok/s SD, util/stats' steinTotal
 * fixes the total N that brings the 95% CI half-width within `targetCi` of the mean, capped at `max`;
 * stage two runs the rest. The phase records its first-stage size, so the interval is recomputed from
 * the stored samples (summarize(rates, { firstStage })).
 *
 * A plain loop, not tinybench: tinybench's statistics are of latencies (ms), not of the rate we report,
 * and it cannot stop on our rule, so it was being driven one iteration at a time with its figures thrown
 * away; what it added (warm-up, a loop) is three lines here.
 */
import { steinTotal, summarize } from "../util/stats.js";

export interface Repetitions {
  min: number;
  max: number;
  /** target 95% CI half-width, as a fraction of the mean */
  targetCi: number;
}

export interface Repeated<T> {
  /** the measured repetitions, in order (warm-ups are not among them) */
  reps: T[];
  /** what the phase records about how its repetitions were chosen */
  stats: RepetitionStats;
}

export interface RepetitionStats {
  /** Stein's first-stage size, when the number of repetitions was adaptive (max > min) */
  firstStage?: number;
  targetCi: number;
  /** the 95% CI half-width exceeds targetCi × mean after the last repetition (or the lower bound is < 0) */
  noisy: boolean;
}

/** How many repetitions in all, from the first stage's rates: Stein's N within [min, max]; min when max = min. */
export function plannedRepetitions(firstStageRates: readonly number[], reps: Repetitions): number {
  if (reps.max <= reps.min) return reps.min;
  return Math.max(reps.min, steinTotal(firstStageRates, reps.targetCi, reps.max));
}

/** The record's view of a phase's rates: adaptive phases carry their first stage. */
export function repetitionStats(rates: readonly number[], reps: Repetitions, adaptive: boolean): RepetitionStats {
  const firstStage = adaptive ? reps.min : undefined;
  const { noisy } = summarize(rates, { firstStage, targetCi: reps.targetCi });
  return { ...(firstStage !== undefined ? { firstStage } : {}), targetCi: reps.targetCi, noisy };
}

/**
 * Run `once` `warmup` times (discarded), then min…N measured times, N from Stein's rule. `rateOf` is the
 * tok/s of one repetition: the statistic the rule and the interval are about.
 */
export async function repeat<T>(
  once: () => Promise<T>,
  rateOf: (rep: T) => number,
  options: { warmup: number; repetitions: Repetitions; onRep?: (n: number, rate: number) => void },
): Promise<Repeated<T>> {
  const { warmup, repetitions } = options;
  for (let i = 0; i < warmup; i++) await once();
  const reps: T[] = [];
  const rates: number[] = [];
  const measureOnce = async (): Promise<void> => {
    const rep = await once();
    const rate = rateOf(rep);
    reps.push(rep);
    rates.push(rate);
    options.onRep?.(reps.length, rate);
  };
  while (reps.length < repetitions.min) await measureOnce();
  const total = plannedRepetitions(rates, repetitions);
  while (reps.length < total) await measureOnce();
  return { reps, stats: repetitionStats(rates, repetitions, repetitions.max > repetitions.min) };
}
