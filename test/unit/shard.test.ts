/**
 * Sharding: the partition (costs worked out by hand from estimate.ts's formula), the plan hash, and where
 * K/N comes from.
 */
import { describe, expect, it } from "vitest";
import { assignShards, instancesOfShard, planHash, type PlanToShard } from "../../src/plan/shard.js";
import { resolveShard } from "../../src/plan/shardSpec.js";
import type { Instance } from "../../src/plan/types.js";
import type { ModelSize } from "../../src/plan/estimate.js";
import { MoebenchError } from "../../src/util/errors.js";

const params = {
  pp: 10,
  tg: 0,
  depth: 0,
  parallel: 1,
  ctx: 512,
  kvK: "f16",
  kvV: "f16",
  flashAttention: false,
  gpuLayers: "max" as const,
  threads: 1,
  batch: 512,
  ubatch: 512,
  backend: "cpu",
  tgMode: "decode" as const,
};

/** `n` pp10 instances of model `name`, one model load. */
function group(name: string, n: number): Omit<Instance, "index">[] {
  return Array.from({ length: n }, (_, j) => ({
    key: `${name}|pp10|#${j}`,
    testId: "pp10",
    model: { kind: "path" as const, ref: name, label: name, path: `/m/${name}.gguf` },
    params,
    threadsAuto: false,
    group: `${name}|ngl=max`,
    llamaBenchArgs: "",
  }));
}

/**
 * Every model: 1e9 bytes, 4e9 parameters, all active. On the CPU (80e9 FLOP/s assumed by estimate.ts) one
 * pp10 repetition takes 10 × 2 × 4e9 / 80e9 = 1 s; 1 repetition, no warm-up → 1 s per instance; a load
 * takes 1 + 1e9 / 1e9 = 2 s. So a group of n instances costs n + 2 seconds.
 */
const SIZE: ModelSize = { bytes: 1e9, params: 4e9, activeParams: 4e9 };

function planOf(groups: [string, number][], sized = true): PlanToShard {
  const instances = groups.flatMap(([name, n]) => group(name, n)).map((i, index) => ({ ...i, index }));
  const sizes = new Map<string, ModelSize>(sized ? groups.map(([name]) => [name, SIZE]) : []);
  return {
    instances,
    sizes,
    gpu: false,
    suite: { name: "s", seed: 42, warmup: 0, repetitions: { min: 1, max: 1, targetCi: 0.02 } },
  };
}

describe("assignShards", () => {
  // costs: A 5+2 = 7 s, B 1+2 = 3, C 3+2 = 5, D 2+2 = 4, E 1+2 = 3
  const plan = planOf([
    ["A", 5],
    ["B", 1],
    ["C", 3],
    ["D", 2],
    ["E", 1],
  ]);

  it("longest first to the least-loaded shard: 2 shards", () => {
    // A7 → s1 (7 | 0); C5 → s2 (7 | 5); D4 → s2 (7 | 9); B3 → s1 (10 | 9); E3 → s2 (10 | 12)
    const a = assignShards(plan, 2);
    expect(a.unit).toBe("s");
    expect(a.loads[0]).toBeCloseTo(10, 9);
    expect(a.loads[1]).toBeCloseTo(12, 9);
    expect(Object.fromEntries(a.shardOfGroup)).toEqual({
      "A|ngl=max": 1,
      "C|ngl=max": 2,
      "D|ngl=max": 2,
      "B|ngl=max": 1,
      "E|ngl=max": 2,
    });
  });

  it("3 shards: ties go to the lowest shard, equal costs keep plan order", () => {
    // A7 → s1 (7|0|0); C5 → s2 (7|5|0); D4 → s3 (7|5|4); B3 → s3 (7|5|7); E3 → s2 (7|8|7)
    const a = assignShards(plan, 3);
    expect(a.loads.map((l) => Math.round(l * 1e6) / 1e6)).toEqual([7, 8, 7]);
    expect(instancesOfShard(plan.instances, a, 1).map((i) => i.model.ref)).toEqual(["A", "A", "A", "A", "A"]);
    expect(instancesOfShard(plan.instances, a, 2).map((i) => i.key)).toEqual([
      "C|pp10|#0",
      "C|pp10|#1",
      "C|pp10|#2",
      "E|pp10|#0",
    ]);
    expect(instancesOfShard(plan.instances, a, 3).map((i) => i.model.ref)).toEqual(["B", "D", "D"]);
  });

  it("every instance on exactly one shard, each model group whole; more shards than groups leaves some empty", () => {
    const a = assignShards(plan, 7);
    const parts = [1, 2, 3, 4, 5, 6, 7].map((k) => instancesOfShard(plan.instances, a, k));
    expect(
      parts
        .flat()
        .map((i) => i.key)
        .sort(),
    ).toEqual(plan.instances.map((i) => i.key).sort());
    expect(parts.filter((p) => p.length === 0)).toHaveLength(2);
    for (const p of parts) expect(new Set(p.map((i) => i.group)).size).toBeLessThanOrEqual(1);
  });

  it("unsized models (hf: before download) are balanced by instance count", () => {
    // counts: A5 → s1 (5|0); C3 → s2 (5|3); D2 → s2 (5|5); B1 → s1 (6|5); E1 → s2 (6|6)
    const a = assignShards(
      planOf(
        [
          ["A", 5],
          ["B", 1],
          ["C", 3],
          ["D", 2],
          ["E", 1],
        ],
        false,
      ),
      2,
    );
    expect(a.unit).toBe("instances");
    expect(a.loads).toEqual([6, 6]);
    expect(a.shardOfGroup.get("B|ngl=max")).toBe(1);
  });
});

describe("planHash", () => {
  const base = planOf([
    ["A", 2],
    ["B", 1],
  ]);
  it("is the same for the same plan and changes with an instance, the order or the repetitions", () => {
    expect(planHash(base)).toMatch(/^[0-9a-f]{16}$/);
    expect(
      planHash(
        planOf([
          ["A", 2],
          ["B", 1],
        ]),
      ),
    ).toBe(planHash(base));
    expect(planHash({ ...base, instances: base.instances.slice(1) })).not.toBe(planHash(base));
    expect(planHash({ ...base, instances: [...base.instances].reverse() })).not.toBe(planHash(base));
    const reps = { ...base, suite: { ...base.suite, repetitions: { min: 2, max: 5, targetCi: 0.02 } } };
    expect(planHash(reps)).not.toBe(planHash(base));
  });
});

describe("resolveShard", () => {
  const err = (f: () => unknown): string => {
    try {
      f();
    } catch (e) {
      expect(e).toBeInstanceOf(MoebenchError);
      return (e as MoebenchError).line();
    }
    throw new Error("expected an error");
  };

  it("--shard K/N (from 1) with --run-id or MOEBENCH_RUN_ID", () => {
    expect(resolveShard({ shard: "2/3", runId: "ci-41" }, {})).toMatchObject({ index: 2, count: 3, runId: "ci-41" });
    expect(resolveShard({ shard: " 1 / 1 " }, { MOEBENCH_RUN_ID: "x" })).toMatchObject({ index: 1, count: 1 });
    expect(resolveShard({}, {})).toBeNull();
  });

  it.each([
    ["0/3", /K must be from 1 to N/],
    ["4/3", /K must be from 1 to N/],
    ["2", /expected K\/N/],
    ["a/b", /expected K\/N/],
  ])("--shard %s is refused", (v, re) => {
    expect(err(() => resolveShard({ shard: v, runId: "r" }, {}))).toMatch(re);
  });

  it("a sharded run without a shared run id is refused; an unsafe run id too", () => {
    expect(err(() => resolveShard({ shard: "1/2" }, {}))).toMatch(/needs a run id shared by all its shards/);
    expect(err(() => resolveShard({ shard: "1/2", runId: "../x" }, {}))).toMatch(/cannot be a folder name/);
  });

  it("Slurm: (task id − min) / step + 1, count from SLURM_ARRAY_TASK_COUNT or min/max, run id from the job", () => {
    const job = { SLURM_ARRAY_JOB_ID: "777" };
    // --array=0-2, task 0 → shard 1
    expect(resolveShard({}, { ...job, SLURM_ARRAY_TASK_ID: "0", SLURM_ARRAY_TASK_COUNT: "3" })).toMatchObject({
      index: 1,
      count: 3,
      runId: "slurm-777",
    });
    // --array=1-3: task 3 → shard 3 of (3 − 1) / 1 + 1 = 3
    const oneBased = { ...job, SLURM_ARRAY_TASK_ID: "3", SLURM_ARRAY_TASK_MIN: "1", SLURM_ARRAY_TASK_MAX: "3" };
    expect(resolveShard({}, oneBased)).toMatchObject({ index: 3, count: 3 });
    // --array=0-4:2 → tasks 0, 2, 4: task 4 → (4 − 0) / 2 + 1 = shard 3 of (4 − 0) / 2 + 1 = 3
    const stepped = { ...job, SLURM_ARRAY_TASK_ID: "4", SLURM_ARRAY_TASK_MAX: "4", SLURM_ARRAY_TASK_STEP: "2" };
    expect(resolveShard({}, stepped)).toMatchObject({ index: 3, count: 3 });
    // --run-id wins over the job id; --shard wins over the variables
    expect(resolveShard({ runId: "mine" }, { ...oneBased })).toMatchObject({ runId: "mine" });
    expect(resolveShard({ shard: "1/2", runId: "r" }, oneBased)).toMatchObject({ index: 1, count: 2 });
  });

  it("Slurm: a list array (--array=1,5,7) or a missing count is refused in one line", () => {
    const list = { SLURM_ARRAY_JOB_ID: "1", SLURM_ARRAY_TASK_ID: "5", SLURM_ARRAY_TASK_MIN: "1" };
    expect(err(() => resolveShard({}, { ...list, SLURM_ARRAY_TASK_COUNT: "3" }))).toMatch(/not in a contiguous array/);
    expect(err(() => resolveShard({}, list))).toMatch(/without SLURM_ARRAY_TASK_COUNT/);
  });

  it("Kubernetes: JOB_COMPLETION_INDEX (from 0) + 1, count from --shard-count or MOEBENCH_SHARD_COUNT", () => {
    const pod = { JOB_COMPLETION_INDEX: "2", MOEBENCH_RUN_ID: "job-a" };
    expect(resolveShard({}, { ...pod, MOEBENCH_SHARD_COUNT: "3" })).toMatchObject({
      index: 3,
      count: 3,
      runId: "job-a",
    });
    expect(resolveShard({ shardCount: "4" }, pod)).toMatchObject({ index: 3, count: 4 });
    expect(err(() => resolveShard({}, pod))).toMatch(/number of shards is not/);
    expect(err(() => resolveShard({ shardCount: "2" }, pod))).toMatch(/not below the shard count 2/);
    expect(err(() => resolveShard({ shardCount: "2" }, {}))).toMatch(/no shard index/);
  });
});
