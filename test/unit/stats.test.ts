import { describe, it, expect } from "vitest";
import { mean, percentiles, sampleSd, steinTotal, summarize, tokPerSec, tQuantile } from "../../src/util/stats.js";

// Reference values from SciPy 1.17.1 / NumPy (scipy.stats.t.ppf, scipy.stats.t.interval, numpy.percentile),
// computed in this repository's development session and pasted here.
describe("t quantiles (SciPy)", () => {
  it.each([
    [1, 12.706204736174694],
    [2, 4.302652729749462],
    [4, 2.7764451051977934],
    [9, 2.262157162798205],
    [7.3, 2.345066736547703],
  ])("t(0.975, %s)", (df, want) => {
    expect(tQuantile(0.975, df)).toBeCloseTo(want, 9);
  });
});

describe("summarize: mean (95% CI)", () => {
  it("the t interval for fixed repetitions equals scipy.stats.t.interval", () => {
    // mean 100, sd 1.5811388300841898, half = 2.7764451051977934 × 1.5811388 / √5 = 1.9632431614775572
    const s = summarize([100, 102, 98, 101, 99]);
    expect(s.n).toBe(5);
    expect(s.mean).toBe(100);
    expect(s.sd).toBeCloseTo(Math.sqrt(2.5), 12);
    expect(s.ciLow).toBeCloseTo(98.03675683852244, 9);
    expect(s.ciHigh).toBeCloseTo(101.96324316147756, 9);
    expect(s.halfWidth).toBeCloseTo(1.9632431614775572, 9);
    expect(s.ciRel).toBeCloseTo(0.01963243161477557, 11);
    expect(s.method).toBe("t");
    expect(s.firstStage).toBeNull();
    expect(s.min).toBe(98);
    expect(s.max).toBe(102);
    expect(s.noisy).toBe(false);
  });

  it("Stein's two-stage interval: mean of all N, half-width t(0.975, n0−1)·s0/√N", () => {
    // first stage [100, 104, 96]: s0 = 4; N = 6; mean of all six = 600.5/6 = 100.08333…
    // half = 4.302652729749462 × 4 / √6 = 7.026202485519566
    const xs = [100, 104, 96, 101, 99, 100.5];
    const s = summarize(xs, { firstStage: 3 });
    expect(s.method).toBe("stein");
    expect(s.firstStage).toBe(3);
    expect(s.mean).toBeCloseTo(100.08333333333333, 12);
    expect(s.halfWidth).toBeCloseTo(7.026202485519566, 9);
    expect(s.ciLow).toBeCloseTo(100.08333333333333 - 7.026202485519566, 9);
    expect(s.ciHigh).toBeCloseTo(100.08333333333333 + 7.026202485519566, 9);
    // the plain t interval over the same six samples is different (df 5, the SD of all six)
    expect(summarize(xs).halfWidth).not.toBeCloseTo(7.026202485519566, 3);
  });

  it("a first stage that is all the samples is the t interval; a first stage of 1 has no SD and is ignored", () => {
    const xs = [100, 104, 96];
    expect(summarize(xs, { firstStage: 3 }).halfWidth).toBeCloseTo(summarize(xs).halfWidth, 12);
    expect(summarize(xs, { firstStage: 3 }).method).toBe("t");
    expect(summarize([1, 2, 3, 4], { firstStage: 1 }).method).toBe("t");
  });

  it("Stein needs a first stage of at least 2 and fewer samples than in all", () => {
    // first stage [100, 104]: s0 = 2.828427, t(0.975, 1) = 12.706204736174694, N = 4: half = 12.7062 × 2.8284 / 2
    const s = summarize([100, 104, 99, 101], { firstStage: 2 });
    expect(s.method).toBe("stein");
    expect(s.firstStage).toBe(2);
    expect(s.halfWidth).toBeCloseTo((12.706204736174694 * Math.sqrt(8)) / 2, 9);
    for (const fs of [1, 4, 5, null, undefined]) {
      const t = summarize([100, 104, 99, 101], { firstStage: fs });
      expect(t.method, String(fs)).toBe("t");
      expect(t.firstStage, String(fs)).toBeNull();
      // t(0.975, 3) × sd([100,104,99,101]) / 2
      expect(t.halfWidth, String(fs)).toBeCloseTo((3.1824463052837078 * Math.sqrt(14 / 3)) / 2, 9);
    }
  });

  it("a zero mean has an infinite relative half-width; all-zero rates have a zero-width CI", () => {
    expect(summarize([-1, 1], { nonNegative: false }).ciRel).toBe(Infinity);
    const zero = summarize([0, 0]);
    expect(zero.ciRel).toBe(Infinity);
    expect([zero.ciLow, zero.ciHigh, zero.noisy]).toEqual([0, 0, false]);
  });

  it("a half-width exactly at the target is not noisy", () => {
    const xs = [100, 102, 98, 101, 99];
    const at = summarize(xs).ciRel;
    expect(summarize(xs, { targetCi: at }).noisy).toBe(false);
    expect(summarize(xs, { targetCi: at * 0.999 }).noisy).toBe(true);
    expect(summarize(xs, { targetCi: null }).noisy).toBe(false);
  });

  it("noisy: a half-width over the target, relative to the mean", () => {
    // ciRel = 0.019632 (above): within a 2% target, over a 1.9% target
    expect(summarize([100, 102, 98, 101, 99], { targetCi: 0.02 }).noisy).toBe(false);
    expect(summarize([100, 102, 98, 101, 99], { targetCi: 0.019 }).noisy).toBe(true);
  });

  it("a rate's lower bound is never negative: clamped at 0 and marked noisy", () => {
    // [10, 100]: mean 55, sd 63.6396, half = 12.7062 × 63.6396 / √2 = 571.79 → lower bound −516.8
    const s = summarize([10, 100]);
    expect(s.ciLow).toBe(0);
    expect(s.ciHigh).toBeCloseTo(55 + (12.706204736174694 * 63.63961030678928) / Math.SQRT2, 6);
    expect(s.noisy).toBe(true);
    // not a rate: the bound stays as computed
    expect(summarize([10, 100], { nonNegative: false }).ciLow).toBeCloseTo(55 - 571.7792, 3);
  });

  it("one sample: no interval (infinite), noisy, SD 0; none: NaN everywhere", () => {
    const one = summarize([42]);
    expect(one.mean).toBe(42);
    expect(one.sd).toBe(0);
    expect(one.ciHigh).toBe(Infinity);
    expect(one.ciLow).toBe(0);
    expect(one.method).toBe("t");
    expect(one.noisy).toBe(true);
    expect(one.min).toBe(42);
    const none = summarize([]);
    expect(none.n).toBe(0);
    expect(none.mean).toBeNaN();
    expect(none.min).toBeNaN();
    expect(none.max).toBeNaN();
    expect(none.ciHigh).toBeNaN();
    expect(none.noisy).toBe(true);
  });

  it("mean, SD and tok/s", () => {
    expect(mean([1, 2, 3, 4])).toBe(2.5);
    expect(mean([])).toBeNaN();
    // var([1,2,3,4], ddof=1) = 1.6666…
    expect(sampleSd([1, 2, 3, 4])).toBeCloseTo(Math.sqrt(5 / 3), 12);
    expect(sampleSd([1])).toBeNaN();
    // 128 tokens in 250 ms = 512 tok/s; 0 ms repetitions are left out
    expect(tokPerSec(128, [250, 0, 500])).toEqual([512, 256]);
  });
});

describe("Stein's second-stage size", () => {
  // first stage [100, 104, 96]: mean 100, s0 4, t(0.975, 2) = 4.302652729749462
  it.each([
    // target 5%: d = 5, (4.3027 × 4 / 5)² = 11.85 → 12
    [0.05, 20, 12],
    // target 2%: d = 2, (4.3027 × 4 / 2)² = 74.05 → 75, capped at max 10
    [0.02, 10, 10],
    // target 20%: d = 20, (0.8605)² = 0.74 → never fewer than the first stage
    [0.2, 10, 3],
  ])("target %s, max %s → %s", (target, max, want) => {
    expect(steinTotal([100, 104, 96], target, max)).toBe(want);
  });
  it("no spread: nothing more to run; a single sample or a zero mean: run to max", () => {
    expect(steinTotal([5, 5, 5], 0.01, 10)).toBe(3);
    expect(steinTotal([0, 0, 0], 0.01, 10)).toBe(3);
    expect(steinTotal([5], 0.01, 10)).toBe(10);
    expect(steinTotal([-1, 1], 0.01, 10)).toBe(10);
    // a first stage of 2: s0 = 2.828, t(0.975, 1) = 12.706, target 10% of 102:
    // (12.706 × 2.828 / 10.2)² = 12.41 → 13
    expect(steinTotal([100, 104], 0.1, 20)).toBe(13);
    // max never below the first stage
    expect(steinTotal([100, 104, 96], 0.02, 2)).toBe(3);
  });
});

describe("percentiles (NumPy's linear method)", () => {
  it("equals numpy.percentile([5,1,4,2,3,10], [0,50,90,99,100])", () => {
    expect(percentiles([5, 1, 4, 2, 3, 10], [0, 0.5, 0.9, 0.99, 1])).toEqual([1, 3.5, 7.5, 9.75, 10]);
    expect(percentiles([], [0.5])[0]).toBeNaN();
    expect(percentiles([], [0])[0]).toBeNaN();
    expect(percentiles([7], [0, 0.5, 1])).toEqual([7, 7, 7]);
  });
});

/** Seeded standard normals (xorshift32 + Box–Muller): the same stream on every run. */
function normalStream(seed: number): () => number {
  let s = seed >>> 0 || 1;
  const u = (): number => {
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    return (s + 0.5) / 4294967296;
  };
  return () => Math.sqrt(-2 * Math.log(u())) * Math.cos(2 * Math.PI * u());
}

describe("coverage under adaptive repetitions (seeded simulation, 4000 runs)", () => {
  // tok/s ~ Normal(100, 2): noise near a 2% target; min 3, max 10 repetitions, as the suites use
  const MU = 100;
  const SD = 2;
  const TARGET = 0.02;
  const MIN = 3;
  const MAX = 10;
  const RUNS = 4000;

  it("Stein's interval covers the true mean ≥ 94%; the naive t interval after adaptive stopping does not", () => {
    const z = normalStream(12345);
    const draw = (): number => MU + SD * z();
    let stein = 0;
    let naive = 0;
    for (let i = 0; i < RUNS; i++) {
      // Stein: decide N from the first stage, run, interval with t(n0 − 1) and s0
      const first = Array.from({ length: MIN }, draw);
      const n = steinTotal(first, TARGET, MAX);
      const all = [...first, ...Array.from({ length: n - MIN }, draw)];
      const s = summarize(all, { firstStage: MIN });
      if (s.ciLow <= MU && MU <= s.ciHigh) stein++;
      // naive: add one at a time until the t interval is within the target, then report that t interval
      const xs = Array.from({ length: MIN }, draw);
      while (xs.length < MAX && summarize(xs).ciRel > TARGET) xs.push(draw());
      const t = summarize(xs);
      if (t.ciLow <= MU && MU <= t.ciHigh) naive++;
    }
    expect(stein / RUNS).toBeGreaterThanOrEqual(0.94);
    expect(naive / RUNS).toBeLessThan(0.935);
  });
});
