import { describe, expect, it } from "vitest";
import { cacheBudget, diskPlan, diskRefusal, evictionPlan } from "../../src/bench/cacheBudget.js";

const GiB = 2 ** 30;
const file = (path: string, gib: number, usedMs: number) => ({ path, bytes: gib * GiB, usedMs });

describe("cache budget", () => {
  it("--cache-max wins over MOEBENCH_CACHE_MAX, which wins over the free-disk default", () => {
    expect(cacheBudget({ flag: "20GiB", env: "5GiB", freeBytes: 0, cachedBytes: 0 })).toEqual({
      bytes: 20 * GiB,
      source: "--cache-max 20GiB",
    });
    expect(cacheBudget({ env: "500MB", freeBytes: 0, cachedBytes: 0 }).bytes).toBe(500e6);
    // default: 3 GiB cached + 80% of 10 GiB free = 11 GiB
    const d = cacheBudget({ freeBytes: 10 * GiB, cachedBytes: 3 * GiB });
    expect(d.bytes).toBe(11 * GiB);
    expect(d.source).toBe("80% of 10.00 GiB free + 3.00 GiB cached");
  });

  it.each(["abc", "0", "-5GiB", ""])("--cache-max %j is a one-line error", (v) => {
    expect(() => cacheBudget({ flag: v, freeBytes: GiB, cachedBytes: 0 })).toThrow(/^--cache-max .*: not a size$/);
  });
});

describe("eviction order", () => {
  // budget 10 GiB; cached: a 4 (used at t=1), b 3 (t=2), c 2 (t=3) = 9 GiB; a new 5 GiB file needs 4 GiB freed
  const files = [file("a", 4, 1), file("b", 3, 2), file("c", 2, 3)];

  it("files the run does not need again go first, least recently used first", () => {
    const p = evictionPlan(files, { budget: 10 * GiB, needBytes: 5 * GiB, keep: new Set(), nextUse: new Map() });
    // a (4) leaves 5 + 5 = 10 ≤ 10
    expect(p).toEqual({ evict: ["a"], fits: true });
  });

  it("then those needed furthest ahead; never the one about to run", () => {
    const nextUse = new Map([
      ["a", 0],
      ["b", 3],
    ]);
    // c is not needed again: evicted first (9 − 2 = 7, 7 + 5 > 10), then b (needed at group 3, after a at 0):
    // 4 + 5 ≤ 10
    const p = evictionPlan(files, { budget: 10 * GiB, needBytes: 5 * GiB, keep: new Set(), nextUse });
    expect(p).toEqual({ evict: ["c", "b"], fits: true });
    const kept = evictionPlan(files, { budget: 10 * GiB, needBytes: 5 * GiB, keep: new Set(["a"]), nextUse });
    expect(kept).toEqual({ evict: ["c", "b"], fits: true });
  });

  it("nothing is evicted when the new file fits; fits is false when even everything is not enough", () => {
    expect(evictionPlan(files, { budget: 20 * GiB, needBytes: GiB, keep: new Set(), nextUse: new Map() })).toEqual({
      evict: [],
      fits: true,
    });
    const p = evictionPlan(files, { budget: 10 * GiB, needBytes: 9 * GiB, keep: new Set(["a"]), nextUse: new Map() });
    // a (4) must stay: 4 + 9 > 10 after evicting b and c
    expect(p).toEqual({ evict: ["b", "c"], fits: false });
  });
});

describe("disk plan", () => {
  const budget = { bytes: 10 * GiB, source: "--cache-max 10GiB" };
  const models = [
    { label: "big", bytes: 6 * GiB, cached: false },
    { label: "small", bytes: 3 * GiB, cached: true },
    { label: "mid", bytes: 4 * GiB, cached: false },
  ];

  it("sums what is still to make, finds the largest, and says whether it fits whole or one at a time", () => {
    const p = diskPlan(models, budget, 0);
    expect(p.toMake).toBe(10 * GiB);
    expect(p.cachedBytes).toBe(3 * GiB);
    expect(p.largest?.label).toBe("big");
    expect(p.fitsWhole).toBe(false); // 13 > 10
    expect(p.fits).toBe(true); // 6 ≤ 10
    expect(diskPlan(models.slice(1), budget, 2 * GiB).fitsWhole).toBe(true); // 2 + 3 + 4 = 9 ≤ 10
    expect(diskRefusal(p, budget, "s.yaml")).toBeUndefined();
  });

  it("refuses in one line when the largest model alone exceeds the budget", () => {
    const tight = { bytes: 5 * GiB, source: "MOEBENCH_CACHE_MAX=5GiB" };
    const e = diskRefusal(diskPlan(models, tight, 0), tight, "s.yaml");
    expect(e?.line()).toBe(
      "s.yaml: big needs 6.00 GiB of disk, more than the model cache's budget of 5.00 GiB (MOEBENCH_CACHE_MAX=5GiB) " +
        "(free disk space, point MOEBENCH_CACHE at a larger disk, or raise --cache-max (MOEBENCH_CACHE_MAX))",
    );
  });
});
