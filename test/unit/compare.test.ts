import { describe, it, expect } from "vitest";
import ttest2 from "@stdlib/stats-ttest2";
import { compare, compareExitCode, verdictOf } from "../../src/analysis/compare.js";
import { ratioCi, welchPValue } from "../../src/util/stats.js";
import { MoebenchError } from "../../src/util/errors.js";
import { makeRecord, phase } from "./makeRecord.js";

const O = { threshold: 0.03, alpha: 0.05 };

/** tg phase of 1000 tokens whose per-repetition tok/s are exactly `rates` (ms = 10^6 / rate). */
const tgAt = (rates: number[]) =>
  phase(
    1000,
    rates.map((r) => 1e6 / r),
  );

// Reference values computed with SciPy 1.17.1 (scipy.stats.ttest_ind(..., equal_var=False), scipy.stats.t.ppf)
// on the same numbers, in this repository's development session.
describe("ratio CI and Welch's test against SciPy", () => {
  const base = [100.0, 101.5, 99.2, 100.8, 100.1];
  const cand = [97.1, 98.0, 96.5, 97.9, 97.3];
  it("Welch's t-test (the library) and its p-value through stats.ts", () => {
    const r = ttest2([1, 2, 3, 4, 5], [2, 3, 4, 5, 7]);
    expect(r.statistic).toBeCloseTo(-1.0776318121606494, 10);
    expect(r.pValue).toBeCloseTo(0.31375160946247505, 10);
    expect(welchPValue(cand, base)).toBeCloseTo(0.00039345320081107473, 10);
    expect(welchPValue([1, 1], [1, 1])).toBe(1);
    expect(welchPValue([1, 1], [2, 2])).toBe(0);
    expect(welchPValue([1], [2, 3])).toBeNull();
  });
  it("ratio of means with the log-ratio delta-method CI, Welch–Satterthwaite df = 7.197461214946108", () => {
    // se² = var(c)/(n·mean(c)²) + var(b)/(n·mean(b)²); CI = ratio · exp(±t(0.975, df)·se)
    const r = ratioCi(cand, base);
    expect(r.ratio).toBeCloseTo(0.9704944178628389, 12);
    expect(r.ciLow).toBeCloseTo(0.9596065831277236, 10);
    expect(r.ciHigh).toBeCloseTo(0.9815057875416523, 10);
    // fewer than two samples on a side: no interval
    expect(ratioCi([1], base).ciLow).toBeNaN();
    expect(ratioCi(base, [1]).ciHigh).toBeNaN();
    expect(ratioCi([1], base).ratio).toBeCloseTo(1 / 100.32, 12);
    // no spread on either side: the interval is the point
    expect(ratioCi([2, 2], [1, 1])).toEqual({ ratio: 2, ciLow: 2, ciHigh: 2 });
  });
});

describe("verdicts", () => {
  it("slower/faster need significance and a ratio beyond the threshold; same needs the whole CI in the band", () => {
    expect(verdictOf({ ratio: 0.9, ciLow: 0.88, ciHigh: 0.92, pValue: 0.001 }, 0.03, 0.05)).toBe("slower");
    expect(verdictOf({ ratio: 1.1, ciLow: 1.08, ciHigh: 1.12, pValue: 0.001 }, 0.03, 0.05)).toBe("faster");
    expect(verdictOf({ ratio: 1.0, ciLow: 0.98, ciHigh: 1.02, pValue: 0.9 }, 0.03, 0.05)).toBe("same");
    // the band's edges are inside it
    expect(verdictOf({ ratio: 1.0, ciLow: 0.97, ciHigh: 1.03, pValue: 0.9 }, 0.03, 0.05)).toBe("same");
    // the example: −49.9% with ratio CI [0.106, 2.373] is inconclusive, not same
    expect(verdictOf({ ratio: 0.501, ciLow: 0.106, ciHigh: 2.373, pValue: 0.3 }, 0.03, 0.05)).toBe("inconclusive");
    // significant but within the threshold, CI reaching beyond the band: inconclusive
    expect(verdictOf({ ratio: 0.98, ciLow: 0.96, ciHigh: 1.0, pValue: 0.01 }, 0.03, 0.05)).toBe("inconclusive");
    // beyond the threshold but not significant: inconclusive
    expect(verdictOf({ ratio: 0.9, ciLow: 0.7, ciHigh: 1.1, pValue: 0.2 }, 0.03, 0.05)).toBe("inconclusive");
    expect(verdictOf({ ratio: 0.9, ciLow: 0.7, ciHigh: 1.1, pValue: null }, 0.03, 0.05)).toBe("inconclusive");
  });

  it("a −50% change with three noisy repetitions is inconclusive end to end", () => {
    // base tok/s 100, 200, 300 (mean 200); candidate 50, 150, 100 (mean 100): ratio 0.5, p ≈ 0.22
    const c = compare(
      [makeRecord({ tgPhase: tgAt([100, 200, 300]) })],
      [makeRecord({ tgPhase: tgAt([50, 150, 100]) })],
      O,
    );
    expect(c.rows).toHaveLength(1);
    expect(c.rows[0]!.ratio).toBeCloseTo(0.5, 12);
    expect(c.rows[0]!.verdict).toBe("inconclusive");
    expect(c.inconclusive).toBe(1);
    expect(c.regressions).toBe(0);
    expect(compareExitCode(c)).toBe(0);
  });
});

describe("compare", () => {
  it("a run compared with itself: every row same, exit 0", () => {
    const a = [
      makeRecord({ model: "m1", tgPhase: tgAt([100, 101, 99, 100.5]) }),
      makeRecord({ model: "m2", tgPhase: tgAt([50, 50.5, 49.5, 50.2]) }),
    ];
    const c = compare(a, a, O);
    expect(c.rows.map((r) => r.verdict)).toEqual(["same", "same"]);
    expect(c.rows.map((r) => r.ratio)).toEqual([1, 1]);
    expect(c.matched).toBe(2);
    expect(compareExitCode(c)).toBe(0);
  });

  it("each side's statistic is the mean (95% CI) of its tok/s", () => {
    // tok/s 100, 102, 98, 101, 99: mean 100, 95% CI 98.0368–101.9632 (scipy.stats.t.interval)
    const b = makeRecord({ tgPhase: tgAt([100, 102, 98, 101, 99]) });
    const row = compare([b], [b], O).rows[0]!;
    expect(row.metric).toBe("tg tok/s");
    expect(row.baseline!.mean).toBeCloseTo(100, 9);
    expect(row.baseline!.ciLow).toBeCloseTo(98.03675683852244, 6);
    expect(row.baseline!.ciHigh).toBeCloseTo(101.96324316147756, 6);
  });

  it("a 10% slowdown is flagged; new and missing instances are reported; exit 1", () => {
    const base = [
      makeRecord({ model: "m1", tgPhase: tgAt([100, 101, 99, 100, 100.5, 99.5]) }),
      makeRecord({ model: "gone" }),
    ];
    const cand = [
      makeRecord({ model: "m1", tgPhase: tgAt([90, 91, 89, 90, 90.5, 89.5]) }),
      makeRecord({ model: "fresh" }),
    ];
    const c = compare(base, cand, O);
    const m1 = c.rows.find((r) => r.label === "m1 Q4_K_M")!;
    expect(m1.verdict).toBe("slower");
    expect(m1.ratio!).toBeCloseTo(0.9, 12);
    expect(c.rows.find((r) => r.label === "gone Q4_K_M")!.verdict).toBe("missing");
    expect(c.rows.find((r) => r.label === "fresh Q4_K_M")!.verdict).toBe("new");
    expect(c.regressions).toBe(1);
    expect(c.matched).toBe(1);
    expect(c.baselineInstances).toBe(2);
    // a regression outranks the incomplete candidate
    expect(compareExitCode(c)).toBe(1);
  });

  it("failures: failed is a regression, both-failed is not, fixed is not", () => {
    const ok = (m: string) => makeRecord({ model: m });
    const bad = (m: string) => makeRecord({ model: m, status: "oom" });
    const c = compare([ok("a"), bad("b"), bad("c")], [bad("a"), bad("b"), ok("c")], O);
    const v = Object.fromEntries(c.rows.map((r) => [r.label, r.verdict]));
    expect(v).toEqual({ "a Q4_K_M": "failed", "b Q4_K_M": "both-failed", "c Q4_K_M": "fixed" });
    expect(c.rows.find((r) => r.label === "a Q4_K_M")!.status).toEqual({ baseline: "ok", candidate: "oom" });
    expect(c.regressions).toBe(1);
    const onlyBoth = compare([bad("b")], [bad("b")], O);
    expect(onlyBoth.regressions).toBe(0);
    expect(compareExitCode(onlyBoth)).toBe(0);
  });

  it("joins on the full identity: batch, threads, KV, FA, context and executor args all separate instances", () => {
    const base = [makeRecord({ batch: 512, tgPhase: tgAt([100, 100, 100]) })];
    // the batch-32 candidate must not stand in for the batch-512 baseline
    const cand = [
      makeRecord({ batch: 32, tgPhase: tgAt([100, 100, 100]) }),
      makeRecord({ batch: 512, tgPhase: tgAt([50, 50, 50]) }),
    ];
    const c = compare(base, cand, O);
    const joined = c.rows.find((r) => r.identity.batch === "512")!;
    expect(joined.ratio).toBeCloseTo(0.5, 12);
    expect(c.rows.find((r) => r.identity.batch === "32")!.verdict).toBe("new");
    expect(c.varying).toContain("batch");
    for (const [k, a, b] of [
      ["threads", { threads: 1 }, { threads: 2 }],
      ["kv", { kv: "f16" }, { kv: "q8_0" }],
      ["fa", { fa: false }, { fa: true }],
      ["ctx", { ctx: 512 }, { ctx: 8192 }],
      ["args", { extra: { llamaBenchArgs: "" } }, { extra: { llamaBenchArgs: "--n-cpu-moe 8" } }],
    ] as const) {
      const r = compare([makeRecord(a)], [makeRecord(b)], O);
      expect(r.matched, k).toBe(0);
      expect(compareExitCode(r), k).toBe(4);
    }
    // ignoring a field joins across it
    expect(compare([makeRecord({ ctx: 512 })], [makeRecord({ ctx: 8192 })], { ...O, ignore: ["ctx"] }).matched).toBe(1);
  });

  it("duplicates on a side are an error naming them (exit 4), or pooled when asked", () => {
    const a = makeRecord({ runId: "r1", tgPhase: tgAt([100, 100, 100]) });
    const b = makeRecord({ runId: "r2", tgPhase: tgAt([110, 110, 110]) });
    let err: unknown;
    try {
      compare([a, b], [a], O);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(MoebenchError);
    expect((err as MoebenchError).exitCode).toBe(4);
    expect((err as MoebenchError).message).toMatch(
      /baseline has 1 duplicate instance\(s\): m Q4_K_M tg128 \(×2: runs r1, r2\)/,
    );
    expect(() => compare([a], [a, b], O)).toThrow(/candidate has 1 duplicate/);
    const pooled = compare([a, b], [a], { ...O, pool: true });
    expect(pooled.rows[0]!.baseline!.n).toBe(6);
    // pooled mean of 100,100,100,110,110,110 = 105
    expect(pooled.rows[0]!.baseline!.mean).toBeCloseTo(105, 9);
    expect(pooled.rows[0]!.pooled).toEqual({ baseline: 2, candidate: 1 });
    expect(pooled.warnings.join()).toMatch(/pooled/);
  });

  it("exit codes: empty, half-finished or disjoint candidate → 4 unless --allow-partial", () => {
    const base = [makeRecord({ model: "a" }), makeRecord({ model: "b" })];
    const empty = compare(base, [], O);
    expect(compareExitCode(empty)).toBe(4);
    expect(compareExitCode(empty, { allowPartial: true })).toBe(0);
    const half = compare(base, [makeRecord({ model: "a" })], O);
    expect(half.matched).toBe(1);
    expect(compareExitCode(half)).toBe(4);
    expect(compareExitCode(half, { allowPartial: true })).toBe(0);
    const disjoint = compare(base, [makeRecord({ model: "z" })], O);
    expect(disjoint.matched).toBe(0);
    expect(compareExitCode(disjoint)).toBe(4);
    expect(compareExitCode(compare([], [], O))).toBe(4);
  });

  it("noisy sides are marked; a rate's CI never prints below 0", () => {
    // tok/s 10 and 100: t interval lower bound −516.8 → clamped at 0, noisy
    const noisy = makeRecord({ tgPhase: tgAt([10, 100]) });
    const row = compare([noisy], [noisy], O).rows[0]!;
    expect(row.noisy).toBe(true);
    expect(row.baseline!.ciLow).toBe(0);
    // a phase measured against a 2% target that it missed is noisy too
    const wide = makeRecord({ tgPhase: phase(1000, [10, 10.4, 9.6], { targetCi: 0.02 }) });
    expect(compare([wide], [wide], O).rows[0]!.noisy).toBe(true);
  });

  it("noise only (200 simulated pairs from one distribution): false alarms no higher than alpha", () => {
    let alarms = 0;
    let significant = 0;
    for (let i = 0; i < 200; i++) {
      const ms = (seed: number) => normals(seed, 5, 10, 0.3); // per-repetition ms: tok/s noise ~3%
      const c = compare(
        [makeRecord({ tgPhase: phase(128, ms(1000 + i)) })],
        [makeRecord({ tgPhase: phase(128, ms(5000 + i)) })],
        O,
      );
      if (c.regressions) alarms++;
      if ((c.rows[0]!.pValue ?? 1) < 0.05) significant++;
    }
    // the test alone: about alpha; with the 3% threshold as well: fewer
    expect(significant / 200).toBeLessThanOrEqual(0.09);
    expect(alarms / 200).toBeLessThanOrEqual(0.05);
  });

  it("warns when the sides differ in something other than the build", () => {
    const b = makeRecord();
    const c = makeRecord();
    c.env = { ...b.env, cpu: "another CPU" };
    expect(compare([b], [c], O).warnings.join()).toMatch(/differ in CPU \(Test CPU vs another CPU\)/);
    expect(compare([b], [b], O).warnings).toEqual([]);
  });
});

/** Seeded normal samples (Box–Muller on a xorshift stream). */
function normals(seed: number, n: number, mu: number, sd: number): number[] {
  let s = seed >>> 0 || 1;
  const u = () => {
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    return (s + 0.5) / 4294967296;
  };
  return Array.from({ length: n }, () => mu + sd * Math.sqrt(-2 * Math.log(u())) * Math.cos(2 * Math.PI * u()));
}
