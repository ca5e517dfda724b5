/**
 * The statistics of moebench, in one place (one library: @stdlib). One statistic is reported everywhere:
 * the mean with its 95% confidence interval, labelled "mean (95% CI)".
 *
 * - Fixed repetitions: the t interval, mean ± t(0.975, n−1)·s/√n.
 * - Adaptive repetitions (the runner ran `repetitions.min` = n0 samples, then decided how many more): Stein's
 *   two-stage interval, mean of all N samples ± t(0.975, n0−1)·s0/√N, where s0 is the SD of the first n0
 *   samples. Because N depends on the first stage only, the interval keeps its 95% coverage; the naive
 *   t interval recomputed after "stop when the CI is narrow enough" does not (it covers ~89–91% when the
 *   noise is near the target: stopping is more likely right after an unusually small SD).
 * - `noisy`: the half-width still exceeds the target (relative to the mean) after the repetitions ran, or
 *   the lower bound of a rate would be negative (it is clamped at 0: a rate is never negative).
 */
import tQuantileOf from "@stdlib/stats-base-dists-t-quantile";
import ttest2 from "@stdlib/stats-ttest2";
import stridedMean from "@stdlib/stats-strided-mean";
import stridedVariance from "@stdlib/stats-strided-variance";

export interface Summary {
  n: number;
  /** the one statistic: arithmetic mean of the samples */
  mean: number;
  /** sample standard deviation (n − 1) of all samples */
  sd: number;
  /** 95% confidence interval of the mean; ciLow is clamped at 0 for rates (and `noisy` set) */
  ciLow: number;
  ciHigh: number;
  /** CI half-width (before any clamping) */
  halfWidth: number;
  /** CI half-width relative to the mean */
  ciRel: number;
  min: number;
  max: number;
  /** "t": plain t interval; "stein": Stein's two-stage interval with `firstStage` = n0 */
  method: "t" | "stein";
  firstStage: number | null;
  noisy: boolean;
}

export interface SummaryOptions {
  /** first-stage size n0 of adaptive repetitions (Stein's interval); absent or ≥ n: the plain t interval */
  firstStage?: number | null;
  /** target half-width relative to the mean: a wider interval is `noisy` */
  targetCi?: number | null;
  /** the samples are rates (tok/s): a negative lower bound is clamped at 0 and marked noisy. Default true. */
  nonNegative?: boolean;
}

/** The p-quantile of Student's t distribution with df degrees of freedom. */
export function tQuantile(p: number, df: number): number {
  return tQuantileOf(p, df);
}

export function mean(xs: readonly number[]): number {
  return xs.length ? stridedMean(xs.length, xs as number[], 1) : NaN;
}

/** Sample standard deviation (n − 1 in the denominator); NaN for fewer than 2 samples. */
export function sampleSd(xs: readonly number[]): number {
  return Math.sqrt(stridedVariance(xs.length, 1, xs as number[], 1));
}

const EMPTY: Summary = {
  n: 0,
  mean: NaN,
  sd: NaN,
  ciLow: NaN,
  ciHigh: NaN,
  halfWidth: NaN,
  ciRel: NaN,
  min: NaN,
  max: NaN,
  method: "t",
  firstStage: null,
  noisy: true,
};

/** Half-width of the 95% interval: Stein's when a valid first stage is given, else the t interval. */
function halfWidthOf(xs: readonly number[], n0: number | null): { half: number; method: Summary["method"] } {
  const n = xs.length;
  if (n0 !== null) {
    const s0 = sampleSd(xs.slice(0, n0));
    return { half: (tQuantile(0.975, n0 - 1) * s0) / Math.sqrt(n), method: "stein" };
  }
  if (n < 2) return { half: Infinity, method: "t" };
  return { half: (tQuantile(0.975, n - 1) * sampleSd(xs)) / Math.sqrt(n), method: "t" };
}

/** Mean with its 95% CI (see the module comment for which interval). */
export function summarize(xs: readonly number[], opts: SummaryOptions = {}): Summary {
  const n = xs.length;
  if (n === 0) return { ...EMPTY };
  const firstStage = opts.firstStage ?? null;
  // Stein needs at least 2 first-stage samples to estimate s0, and more samples than the first stage to differ
  const n0 = firstStage !== null && firstStage >= 2 && firstStage < n ? firstStage : null;
  const m = mean(xs);
  const { half, method } = halfWidthOf(xs, n0);
  const ciRel = m !== 0 ? half / Math.abs(m) : Infinity;
  const rawLow = m - half;
  const clamp = (opts.nonNegative ?? true) && !(rawLow >= 0);
  const wide = opts.targetCi != null && !(ciRel <= opts.targetCi);
  return {
    n,
    mean: m,
    sd: n > 1 ? sampleSd(xs) : 0,
    ciLow: clamp ? 0 : rawLow,
    ciHigh: m + half,
    halfWidth: half,
    ciRel,
    min: Math.min(...xs),
    max: Math.max(...xs),
    method,
    firstStage: n0,
    noisy: clamp || wide,
  };
}

/**
 * Stein's second stage: how many samples in all (N ≥ n0) give a 95% half-width of at most
 * `targetCi` × the first-stage mean, capped at `max`. The runner runs N − n0 more repetitions and
 * records n0 (`firstStage`) in the phase; `summarize(all, { firstStage: n0 })` then gives the interval.
 * With fewer than 2 first-stage samples (no SD) or a zero SD it returns n0 (nothing to gain).
 */
export function steinTotal(firstStage: readonly number[], targetCi: number, max: number): number {
  const n0 = firstStage.length;
  if (n0 < 2) return Math.max(n0, max);
  const s0 = sampleSd(firstStage);
  // no spread: nothing to gain from more (and 0 ÷ 0 when the mean is 0 as well)
  if (!(s0 > 0)) return n0;
  // a zero mean makes the target 0: run to max
  const d = targetCi * Math.abs(mean(firstStage));
  const needed = Math.ceil(((tQuantile(0.975, n0 - 1) * s0) / d) ** 2);
  return Math.min(Math.max(n0, needed), Math.max(n0, max));
}

export interface RatioCi {
  /** mean(numerator) ÷ mean(denominator) */
  ratio: number;
  /** 95% CI of the ratio; NaN when either side has fewer than 2 samples */
  ciLow: number;
  ciHigh: number;
}

/**
 * Ratio of two independent means, mean(num) ÷ mean(den), with a 95% CI from the delta method on the log
 * ratio: se² = var(num)/(n·mean(num)²) + var(den)/(m·mean(den)²), Welch–Satterthwaite degrees of freedom.
 * The interval is exp(±t·se) around the ratio, so it is never negative.
 */
export function ratioCi(num: readonly number[], den: readonly number[]): RatioCi {
  const mn = mean(num);
  const md = mean(den);
  const ratio = mn / md;
  // fewer than 2 samples on a side: the SD is NaN, and so is the interval
  const vn = sampleSd(num) ** 2 / num.length;
  const vd = sampleSd(den) ** 2 / den.length;
  const se = Math.sqrt(vn / (mn * mn) + vd / (md * md));
  const df = (vn + vd) ** 2 / ((vn * vn) / (num.length - 1) + (vd * vd) / (den.length - 1));
  // no spread on either side (df = 0 ÷ 0): the interval is the point
  const t = Number.isFinite(df) ? tQuantile(0.975, df) : 0;
  return { ratio, ciLow: ratio * Math.exp(-t * se), ciHigh: ratio * Math.exp(t * se) };
}

/** Welch's two-sided t-test p-value for a difference of means (1 or 0 when neither side varies). */
export function welchPValue(a: readonly number[], b: readonly number[]): number | null {
  if (a.length < 2 || b.length < 2) return null;
  const spread = sampleSd(a) + sampleSd(b);
  if (!(spread > 0)) return mean(a) === mean(b) ? 1 : 0;
  return ttest2(a as number[], b as number[]).pValue;
}

/** Tokens per second of each repetition (tokens ÷ seconds); repetitions of 0 ms are left out. */
export function tokPerSec(tokens: number, samplesMs: readonly number[]): number[] {
  return samplesMs.filter((ms) => ms > 0).map((ms) => tokens / (ms / 1000));
}

/**
 * Percentiles by linear interpolation between order statistics (NumPy's default "linear", R type 7):
 * position (n − 1)·p in the sorted samples.
 */
export function percentiles(xs: readonly number[], ps: readonly number[]): number[] {
  const s = [...xs].sort((a, b) => a - b);
  return ps.map((p) => {
    const pos = (s.length - 1) * Math.min(1, Math.max(0, p));
    const lo = Math.floor(pos);
    const hi = Math.min(lo + 1, s.length - 1);
    return s[lo]! + (s[hi]! - s[lo]!) * (pos - lo);
  });
}
