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
    expect(welchPValue([2, 3], [1])).toBeNull();
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

describe("compare: details a reader relies on", () => {
  it("the identity table of both sides, field by field, and a warning per differing machine field", () => {
    const b = makeRecord({ gpu: "RTX A", tgPhase: tgAt([100, 100, 100]) });
    const c = makeRecord({ gpu: "RTX A", tgPhase: tgAt([100, 100, 100]) });
    b.telemetry = {
      status: "ok",
      reason: null,
      gpu: { name: "RTX A", uuid: null, driver: "550.1", memoryTotalMiB: 1 },
    };
    c.telemetry = {
      status: "ok",
      reason: null,
      gpu: { name: "RTX A", uuid: null, driver: "570.2", memoryTotalMiB: 1 },
    };
    c.env = { ...c.env, llamaCppRelease: "b2", llamaCppCommit: "def", nodeLlamaCpp: "3.23.0", host: "h2" };
    c.params = { ...c.params, backend: "cuda" };
    const r = compare([b], [c], { ...O, ignore: [] });
    expect(r.identity).toEqual([
      { field: "llama.cpp release", baseline: "b1", candidate: "b2" },
      { field: "llama.cpp commit", baseline: "abc", candidate: "def" },
      { field: "node-llama-cpp", baseline: "3.22.1", candidate: "3.23.0" },
      { field: "executor", baseline: "cuda", candidate: "cuda" },
      { field: "backend", baseline: "auto", candidate: "cuda" },
      { field: "GPU", baseline: "RTX A", candidate: "RTX A" },
      { field: "driver", baseline: "550.1", candidate: "570.2" },
      { field: "CPU", baseline: "Test CPU", candidate: "Test CPU" },
      { field: "host", baseline: "h", candidate: "h2" },
    ]);
    expect(r.warnings).toEqual([
      "the sides differ in driver (550.1 vs 570.2), not only in the llama.cpp build: a difference may not be the build's",
      "the sides differ in backend (auto vs cuda), not only in the llama.cpp build: a difference may not be the build's",
    ]);
    expect(r.ignored).toEqual([]);
    // the first ok record speaks for a side; a GPU from the environment when telemetry has none
    const failed = makeRecord({ model: "x", status: "crash" });
    failed.env = { ...failed.env, llamaCppRelease: "from-the-failure" };
    const gpuEnv = makeRecord({ gpu: "Env GPU" });
    const s = compare([failed, gpuEnv], [gpuEnv], { ...O, pool: true });
    expect(s.identity[0]).toEqual({ field: "llama.cpp release", baseline: "b1", candidate: "b1" });
    expect(s.identity.find((i) => i.field === "GPU")).toEqual({
      field: "GPU",
      baseline: "Env GPU",
      candidate: "Env GPU",
    });
    expect(s.identity.find((i) => i.field === "driver")).toEqual({ field: "driver", baseline: "—", candidate: "—" });
    // an empty side shows dashes
    const e = compare([b], [], O);
    expect(e.identity[0]).toEqual({ field: "llama.cpp release", baseline: "b1", candidate: "—" });
    expect(e.identity.find((i) => i.field === "GPU")!.candidate).toBe("none");
  });

  it("rows carry their statuses, pooling counts and noisy flags", () => {
    const ok = makeRecord({ tgPhase: tgAt([100, 100, 100]) });
    const row = compare([ok], [ok], O).rows[0]!;
    expect(row.status).toEqual({ baseline: "ok", candidate: "ok" });
    expect(row.pooled).toEqual({ baseline: 1, candidate: 1 });
    expect(row.noisy).toBe(false);
    const gone = compare([ok], [], O).rows[0]!;
    expect(gone).toMatchObject({ verdict: "missing", status: { baseline: "ok", candidate: null }, noisy: false });
    expect(gone.pooled).toEqual({ baseline: 0, candidate: 0 });
    const fresh = compare([], [makeRecord({ status: "oom" })], O).rows[0]!;
    expect(fresh.status).toEqual({ baseline: null, candidate: "oom" });
    // pooled with one failure among two: the failure's status, and the instance counts as failed
    const a = makeRecord({ runId: "1" });
    const bad = makeRecord({ runId: "2", status: "timeout" });
    const pooled = compare([a, bad], [a], { ...O, pool: true }).rows[0]!;
    expect(pooled.verdict).toBe("fixed");
    expect(pooled.status).toEqual({ baseline: "timeout", candidate: "ok" });
    const both = compare([a], [a, bad], { ...O, pool: true }).rows[0]!;
    expect(both.verdict).toBe("failed");
    expect(both.status).toEqual({ baseline: "ok", candidate: "timeout" });
    // only the candidate noisy: the row is noisy
    const noisy = compare([ok], [makeRecord({ tgPhase: tgAt([10, 100]) })], O).rows[0]!;
    expect(noisy.noisy).toBe(true);
    const noisyBase = compare([makeRecord({ tgPhase: tgAt([10, 100]) })], [ok], O).rows[0]!;
    expect(noisyBase.noisy).toBe(true);
  });

  it("a metric appears only where both sides have it; tok/J where both measured energy; parallel phases", () => {
    const energy = (j: number) => makeRecord({ tgPhase: phase(100, [1000, 1000, 1000], { joules: [j, j, j] }) });
    const r = compare([energy(50)], [energy(40)], O);
    expect(r.rows.map((x) => x.metric)).toEqual(["tg tok/s", "tg tok/J"]);
    // 100 tokens ÷ 40 J = 2.5 against 2 tok/J: 1.25×
    expect(r.rows[1]!.ratio).toBeCloseTo(1.25, 12);
    expect(r.rows[1]!.baseline!.mean).toBe(2);
    expect(compare([energy(50)], [makeRecord({ tgPhase: phase(100, [1000, 1000, 1000]) })], O).rows).toHaveLength(1);
    // a repetition without joules (or 0 J) is left out of tok/J
    const partial = makeRecord({ tgPhase: phase(100, [1000, 1000, 1000], { joules: [50, null, 0] }) });
    expect(compare([partial], [partial], O).rows[1]!.baseline!.n).toBe(1);
    const par = (ms: number) =>
      makeRecord({
        parallel: 4,
        testId: "tg128×4seq",
        parallelPhase: phase(512, [ms, ms, ms], { joules: [64, 64, 64] }),
      });
    const p = compare([par(1000)], [par(500)], O);
    expect(p.rows.map((x) => [x.metric, x.ratio])).toEqual([
      ["parallel tg tok/s", 2],
      ["tg tok/J", 1],
    ]);
    // pooled tok/J: all repetitions of both records
    const q = compare([energy(50), { ...energy(25), runId: "2" }], [energy(50)], { ...O, pool: true });
    expect(q.rows[1]!.baseline!.n).toBe(6);
    expect(q.rows[1]!.baseline!.mean).toBe(3);
  });

  it("verdict boundaries: exactly at the threshold is not beyond it; p must be below alpha", () => {
    expect(verdictOf({ ratio: 0.97, ciLow: 0.9, ciHigh: 0.99, pValue: 0.001 }, 0.03, 0.05)).toBe("inconclusive");
    expect(verdictOf({ ratio: 1.03, ciLow: 1.01, ciHigh: 1.1, pValue: 0.001 }, 0.03, 0.05)).toBe("inconclusive");
    expect(verdictOf({ ratio: 0.9, ciLow: 0.85, ciHigh: 0.95, pValue: 0.05 }, 0.03, 0.05)).toBe("inconclusive");
    expect(verdictOf({ ratio: 1.0, ciLow: 0.96, ciHigh: 1.0, pValue: 0.5 }, 0.03, 0.05)).toBe("inconclusive");
    expect(verdictOf({ ratio: 1.0, ciLow: 1.0, ciHigh: 1.04, pValue: 0.5 }, 0.03, 0.05)).toBe("inconclusive");
  });

  it("more than three duplicates are counted, not all named", () => {
    const recs = ["a", "b", "c", "d", "e"].flatMap((m) => [
      makeRecord({ model: m, runId: "1" }),
      makeRecord({ model: m, runId: "2" }),
    ]);
    expect(() => compare(recs, [], O)).toThrow(
      "the baseline has 5 duplicate instance(s): a Q4_K_M tg128 (×2: runs 1, 2); b Q4_K_M tg128 (×2: runs 1, 2); " +
        "c Q4_K_M tg128 (×2: runs 1, 2) and 2 more",
    );
    const three = recs.slice(0, 6);
    expect(() => compare(three, [], O)).toThrow(/c Q4_K_M tg128 \(×2: runs 1, 2\)$/);
    try {
      compare(three, [], O);
    } catch (e) {
      expect((e as MoebenchError).hint).toBe("pass one run per side, or --pool to pool their repetitions");
    }
    expect(compare(three, three, { ...O, pool: true }).warnings).toEqual([
      "6 duplicate instance(s) pooled: their repetitions are compared together",
    ]);
  });
});
