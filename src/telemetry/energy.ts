/**
 * Energy from power samples (pure). Trapezoid integration of instantaneous power with linear
 * interpolation at the window's edges; gaps longer than 3× the sampling interval are flagged (their
 * area is still interpolated, but the figure is marked); windows under 1 s are low-confidence.
 * NVML's total-energy counter (mJ) is preferred where present: energyFromCounter turns two readings into joules.
 */
export interface PowerSample {
  t: number;
  w: number;
}

export interface WindowEnergy {
  joules: number;
  meanW: number;
  peakW: number;
  seconds: number;
  samples: number;
  /** [start, end] of gaps longer than 3× the interval */
  gaps: [number, number][];
  lowConfidence: boolean;
  reasons: string[];
}

function interp(a: PowerSample, b: PowerSample, t: number): number {
  if (b.t === a.t) return a.w;
  return a.w + ((b.w - a.w) * (t - a.t)) / (b.t - a.t);
}

/** Median spacing of the samples, ms. */
export function sampleInterval(samples: readonly PowerSample[]): number {
  const d: number[] = [];
  for (let i = 1; i < samples.length; i++) d.push(samples[i]!.t - samples[i - 1]!.t);
  d.sort((x, y) => x - y);
  return d.length ? d[Math.floor(d.length / 2)]! : NaN;
}

/** Energy over [from, to] (ms) from time-sorted samples. */
export function integrateWindow(
  samples: readonly PowerSample[],
  from: number,
  to: number,
  intervalMs = sampleInterval(samples),
): WindowEnergy {
  const reasons: string[] = [];
  const seconds = (to - from) / 1000;
  if (!(to > from))
    return {
      joules: 0,
      meanW: NaN,
      peakW: NaN,
      seconds: 0,
      samples: 0,
      gaps: [],
      lowConfidence: true,
      reasons: ["empty window"],
    };
  // the samples that bracket and fill the window
  let lo = 0;
  while (lo + 1 < samples.length && samples[lo + 1]!.t <= from) lo++;
  let hi = samples.length - 1;
  while (hi - 1 >= 0 && samples[hi - 1]!.t >= to) hi--;
  const a = samples[lo];
  const b = samples[hi];
  if (!a || !b || a.t > from || b.t < to) {
    return {
      joules: NaN,
      meanW: NaN,
      peakW: NaN,
      seconds,
      samples: 0,
      gaps: [],
      lowConfidence: true,
      reasons: ["no samples cover the window"],
    };
  }
  const pts: PowerSample[] = [];
  pts.push({ t: from, w: lo + 1 < samples.length ? interp(a, samples[lo + 1]!, from) : a.w });
  for (let i = lo + 1; i < hi; i++) pts.push(samples[i]!);
  pts.push({ t: to, w: hi - 1 >= 0 ? interp(samples[hi - 1]!, b, to) : b.w });
  let joules = 0;
  let peak = -Infinity;
  const gaps: [number, number][] = [];
  for (let i = 1; i < pts.length; i++) {
    const p = pts[i - 1]!;
    const q = pts[i]!;
    joules += ((p.w + q.w) / 2) * ((q.t - p.t) / 1000);
    peak = Math.max(peak, p.w, q.w);
  }
  // gaps are judged on the real samples (not the interpolated edges)
  for (let i = lo; i < hi; i++) {
    const d = samples[i + 1]!.t - samples[i]!.t;
    if (Number.isFinite(intervalMs) && d > 3 * intervalMs) gaps.push([samples[i]!.t, samples[i + 1]!.t]);
  }
  if (gaps.length) reasons.push(`${gaps.length} gap(s) longer than 3× the ${intervalMs.toFixed(0)} ms interval`);
  if (seconds < 1) reasons.push(`window of ${(seconds * 1000).toFixed(0)} ms is under 1 s`);
  return {
    joules,
    meanW: joules / seconds,
    peakW: peak,
    seconds,
    samples: hi - lo + 1,
    gaps,
    lowConfidence: reasons.length > 0,
    reasons,
  };
}

/**
 * Joules between two readings of NVML's total-energy counter (mJ since the driver loaded), or null when a
 * reading is missing or the counter went backwards (the driver was reloaded between the readings: the
 * difference would be meaningless). The 64-bit millijoule counter does not wrap in practice (2^64 mJ is
 * ~5×10^9 kWh), so a decrease is never read as a wrap.
 */
export function energyFromCounter(startMj: bigint | null, endMj: bigint | null): number | null {
  if (startMj === null || endMj === null || endMj < startMj) return null;
  return Number(endMj - startMj) / 1000;
}

/** Net energy: gross minus the loaded-idle baseline over the same duration (null without a baseline). */
export function netJoules(gross: number, idleW: number | null | undefined, seconds: number): number | null {
  return idleW === null || idleW === undefined || !Number.isFinite(gross) ? null : gross - idleW * seconds;
}
