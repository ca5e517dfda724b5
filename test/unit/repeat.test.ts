/**
 * The repetition loop against hand-computed Stein sample sizes. t(0.975, 2) = 4.302652729911275 (SciPy:
 * scipy.stats.t.ppf(0.975, 2)). First stage [100, 102, 98]: mean 100, s0 = √((0² + 2² + 2²)/2) = 2.
 */
import { describe, expect, it } from "vitest";
import { plannedRepetitions, repeat } from "../../src/bench/repeat.js";

const T975_2 = 4.302652729911275;

/** `once` returns the next value of the sequence (then its last value forever); rate = the value. */
async function run(values: number[], reps: { min: number; max: number; targetCi: number }, warmup = 0) {
  let i = 0;
  const once = async (): Promise<number> => values[Math.min(i++, values.length - 1)]!;
  const r = await repeat(once, (v) => v, { warmup, repetitions: reps });
  return { ...r, calls: i };
}

describe("Stein's two-stage stopping rule", () => {
  it("hand-computed N: d = 0.02 × 100 = 2, N = ⌈(4.3027 × 2 / 2)²⌉ = ⌈18.51⌉ = 19", async () => {
    expect(Math.ceil(T975_2 ** 2)).toBe(19);
    expect(plannedRepetitions([100, 102, 98], { min: 3, max: 30, targetCi: 0.02 })).toBe(19);
    const r = await run([100, 102, 98, 100], { min: 3, max: 30, targetCi: 0.02 });
    expect(r.reps).toHaveLength(19);
    // half-width t·s0/√19 = 8.6053/4.3589 = 1.9742; mean = (300 + 16 × 100)/19 = 100 → 1.97% ≤ 2%
    expect(r.stats).toEqual({ firstStage: 3, targetCi: 0.02, noisy: false });
  });

  it("capped at max, and then noisy: t·s0/√10 = 2.7212 > 2", async () => {
    const r = await run([100, 102, 98, 100], { min: 3, max: 10, targetCi: 0.02 });
    expect(r.reps).toHaveLength(10);
    expect(r.stats.noisy).toBe(true);
  });

  it("a quiet first stage stops at min: s0 = 0.1 → N = ⌈(4.3027 × 0.1 / 2)²⌉ = 1 < 3", async () => {
    const r = await run([100, 100.1, 99.9, 500], { min: 3, max: 10, targetCi: 0.02 });
    expect(r.reps).toEqual([100, 100.1, 99.9]);
    expect(r.stats.noisy).toBe(false);
  });

  // targetCi 0.05 → d = 5, N = ⌈(4.3027 × 2 / 5)²⌉ = ⌈2.96⌉ = 3
  it("a wider target needs fewer repetitions, a tighter one more", async () => {
    expect(plannedRepetitions([100, 102, 98], { min: 3, max: 10, targetCi: 0.05 })).toBe(3);
    // and a tighter one more: 0.01 → d = 1, N = ⌈74.05⌉ = 75, capped at 50
    expect(plannedRepetitions([100, 102, 98], { min: 3, max: 50, targetCi: 0.01 })).toBe(50);
  });

  it("fixed repetitions (max = min) run exactly min and record no first stage", async () => {
    const r = await run([100, 102, 98, 100], { min: 3, max: 3, targetCi: 0.02 });
    expect(r.reps).toHaveLength(3);
    expect(r.stats.firstStage).toBeUndefined();
    // t interval: 4.3027 × 2/√3 = 4.968 → 4.97% > 2%
    expect(r.stats.noisy).toBe(true);
  });

  it("warm-up runs are made and discarded", async () => {
    const r = await run([5, 6, 100, 100.1, 99.9], { min: 3, max: 10, targetCi: 0.02 }, 2);
    expect(r.calls).toBe(5);
    expect(r.reps).toEqual([100, 100.1, 99.9]);
  });
});
