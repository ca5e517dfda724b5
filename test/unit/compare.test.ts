import { describe, it, expect } from "vitest";
import ttest2 from "@stdlib/stats-ttest2";
import { compare, compareSamples } from "../../src/analysis/compare.js";
import { tQuantile } from "../../src/util/stats.js";
import type { ResultRecord } from "../../src/results/schema.js";

// Reference values computed with SciPy 1.17.1 (scipy.stats.ttest_ind(..., equal_var=False) and
// scipy.stats.t.ppf) on the same numbers, in this repository's development session.
describe("statistics against SciPy", () => {
  it("Welch's t-test", () => {
    const r = ttest2([1, 2, 3, 4, 5], [2, 3, 4, 5, 7]);
    expect(r.statistic).toBeCloseTo(-1.0776318121606494, 10);
    expect(r.pValue).toBeCloseTo(0.31375160946247505, 10);
    expect(r.df).toBeCloseTo(7.711133400200603, 10);
    const base = [100.0, 101.5, 99.2, 100.8, 100.1];
    const cand = [97.1, 98.0, 96.5, 97.9, 97.3];
    const s = compareSamples(base, cand, 0.05);
    expect(s.pValue).toBeCloseTo(0.00039345320081107473, 10);
    expect(s.ratio).toBeCloseTo(97.36 / 100.32, 10);
    expect(s.ciLow).toBeLessThan(s.ratio);
    expect(s.ciHigh).toBeGreaterThan(s.ratio);
    expect(s.ciHigh).toBeLessThan(1);
  });
  it("t quantile", () => {
    expect(tQuantile(0.975, 7.3)).toBeCloseTo(2.345066736547703, 6);
  });
});

function rec(key: string, tgMs: number[], extra: Partial<ResultRecord> = {}): ResultRecord {
  return {
    schemaVersion: 1,
    runId: "r",
    suite: "s",
    key,
    testId: "tg128",
    status: "ok",
    timestamp: "2026-01-01T00:00:00Z",
    model: {
      ref: key,
      label: key,
      path: `/m/${key}.gguf`,
      sizeBytes: 1,
      headerSha256: null,
      arch: "llama",
      fileType: "Q4_K_M",
      quant: "Q4_K_M",
      params: 1,
      activeParams: 1,
      isMoe: false,
      synthetic: null,
    },
    params: {
      pp: 0,
      tg: 128,
      depth: 0,
      parallel: 1,
      ctx: 512,
      kvK: "f16",
      kvV: "f16",
      flashAttention: false,
      gpuLayers: "max",
      threads: 1,
      batch: 512,
      ubatch: 512,
      backend: "cpu",
      tgMode: "decode",
    },
    env: {
      llamaCppRelease: "v1",
      llamaCppCommit: "abc",
      nodeLlamaCpp: "3",
      backend: "cpu",
      gpus: [],
      host: "h",
      os: "linux",
      cpu: "x",
      cpuCores: 2,
      node: "v20",
      moebench: "0",
    },
    pp: null,
    tg: { tokens: 128, samplesMs: tgMs, warmup: 1 },
    parallelTg: null,
    telemetry: { status: "unavailable", reason: "cpu" },
    memory: null,
    loadMs: null,
    warnings: [],
    error: null,
    ...extra,
  };
}

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

describe("compare", () => {
  it("a run compared with itself: no regression", () => {
    const a = [rec("m1", [100, 101, 99, 100.5]), rec("m2", [50, 50.5, 49.5, 50.2])];
    const c = compare(a, a, { threshold: 0.03, alpha: 0.05 });
    expect(c.regressions).toBe(0);
    expect(c.rows.every((r) => r.verdict === "same")).toBe(true);
  });
  it("a 10% slowdown is flagged; new and missing instances are reported", () => {
    const base = [rec("m1", normals(1, 6, 100, 1)), rec("gone", [10, 10, 10])];
    const cand = [rec("m1", normals(2, 6, 110, 1.1)), rec("fresh", [10, 10, 10])];
    const c = compare(base, cand, { threshold: 0.03, alpha: 0.05 });
    const m1 = c.rows.find((r) => r.label === "m1")!;
    expect(m1.verdict).toBe("slower");
    expect(m1.ratio!).toBeCloseTo(100 / 110, 1);
    expect(c.rows.find((r) => r.label === "gone")!.verdict).toBe("missing");
    expect(c.rows.find((r) => r.label === "fresh")!.verdict).toBe("new");
    expect(c.regressions).toBe(1);
  });
  it("a candidate that fails where the baseline ran counts as a regression", () => {
    const c = compare(
      [rec("m1", [100, 100, 101])],
      [rec("m1", [], { status: "crash", tg: null, error: { message: "boom", stderrTail: null } })],
      { threshold: 0.03, alpha: 0.05 },
    );
    expect(c.rows[0]!.verdict).toBe("failed");
    expect(c.regressions).toBe(1);
  });
  it("noise only (200 simulated pairs from one distribution): false alarms no higher than alpha", () => {
    let alarms = 0;
    let significant = 0;
    for (let i = 0; i < 200; i++) {
      const ms = (seed: number) => normals(seed, 5, 10, 0.3); // per-repetition ms: tok/s noise ~3%
      const c = compare([rec("m", ms(1000 + i))], [rec("m", ms(5000 + i))], { threshold: 0.03, alpha: 0.05 });
      if (c.regressions) alarms++;
      if ((c.rows[0]!.pValue ?? 1) < 0.05) significant++;
    }
    // the test alone: about alpha; with the 3% threshold as well: fewer
    expect(significant / 200).toBeLessThanOrEqual(0.09);
    expect(alarms / 200).toBeLessThanOrEqual(0.05);
  });
  it("warns when the sides differ in something other than the build", () => {
    const b = rec("m1", [100, 101, 99]);
    const c = rec("m1", [100, 101, 99], { env: { ...b.env, cpu: "another CPU" } });
    expect(compare([b], [c], { threshold: 0.03, alpha: 0.05 }).warnings.join()).toMatch(/differ in CPU/);
  });
});
