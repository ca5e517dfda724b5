/** Summary statistics over stored samples (simple-statistics for moments and quantiles, jStat for the t distribution). */
import { mean, median, sampleStandardDeviation, quantileSorted } from "simple-statistics";
import jstatPkg from "jstat";

const { jStat } = jstatPkg;

export interface Summary {
  n: number;
  mean: number;
  median: number;
  sd: number;
  /** 95% confidence interval of the mean (t distribution) */
  ciLow: number;
  ciHigh: number;
  /** CI half-width relative to the mean */
  ciRel: number;
  min: number;
  max: number;
}

export function tQuantile(p: number, df: number): number {
  return jStat.studentt.inv(p, df);
}

export function tCdf(t: number, df: number): number {
  return jStat.studentt.cdf(t, df);
}

export function summarize(xs: readonly number[]): Summary {
  const n = xs.length;
  if (n === 0)
    return { n: 0, mean: NaN, median: NaN, sd: NaN, ciLow: NaN, ciHigh: NaN, ciRel: NaN, min: NaN, max: NaN };
  const m = mean(xs as number[]);
  const sd = n > 1 ? sampleStandardDeviation(xs as number[]) : 0;
  const half = n > 1 ? tQuantile(0.975, n - 1) * (sd / Math.sqrt(n)) : Infinity;
  return {
    n,
    mean: m,
    median: median(xs as number[]),
    sd,
    ciLow: m - half,
    ciHigh: m + half,
    ciRel: m !== 0 ? half / Math.abs(m) : Infinity,
    min: Math.min(...xs),
    max: Math.max(...xs),
  };
}

export function percentiles(xs: readonly number[], ps: readonly number[]): number[] {
  if (xs.length === 0) return ps.map(() => NaN);
  const s = [...xs].sort((a, b) => a - b);
  return ps.map((p) => quantileSorted(s, p));
}
