/**
 * Sharding a plan: a deterministic partition of the planned instances over N shards that keeps each model
 * group (one model load) on one shard and balances the shards by the plan's time estimate (estimate.ts).
 * Every shard computes the same partition from the same plan, so no shard needs to talk to another; the
 * plan hash lets `merge` refuse shards of different plans.
 */
import { createHash } from "node:crypto";
import { estimateSeconds } from "./estimate.js";
import type { Planned } from "./planSuite.js";
import type { Instance } from "./types.js";

/** What the partition and the hash depend on: the expanded plan and the settings every shard must share. */
export type PlanToShard = Pick<Planned, "instances" | "sizes" | "gpu"> & {
  suite: Pick<Planned["suite"], "name" | "seed" | "warmup" | "repetitions">;
};

export interface ShardAssignment {
  planHash: string;
  count: number;
  /** model group → shard (1-based) */
  shardOfGroup: Map<string, number>;
  /** estimated seconds per shard (index 0 = shard 1); instance counts where the plan cannot be estimated */
  loads: number[];
  /** what the loads are: "s" (seconds from estimate.ts) or "instances" (hf: models are not sized before download) */
  unit: "s" | "instances";
}

/**
 * sha256 (first 16 hex digits) of the suite name, seed, warm-up, repetitions and every instance key with
 * its group, in order.
 */
export function planHash(plan: PlanToShard): string {
  const canonical = JSON.stringify({
    suite: plan.suite.name,
    seed: plan.suite.seed,
    warmup: plan.suite.warmup,
    repetitions: plan.suite.repetitions,
    instances: plan.instances.map((i) => [i.key, i.group]),
  });
  return createHash("sha256").update(canonical).digest("hex").slice(0, 16);
}

/** The model groups in order of first appearance, with their instances. */
function groupsOf(instances: readonly Instance[]): Map<string, Instance[]> {
  const groups = new Map<string, Instance[]>();
  for (const i of instances) groups.set(i.group, [...(groups.get(i.group) ?? []), i]);
  return groups;
}

/**
 * Longest processing time first: groups by falling cost (ties: plan order) each to the least-loaded shard
 * (ties: the lowest shard number). Deterministic for a given plan; every shard gets at least one group
 * while there are groups left.
 */
export function assignShards(plan: PlanToShard, count: number): ShardAssignment {
  const groups = [...groupsOf(plan.instances).entries()];
  const reps = plan.suite.repetitions.min;
  const estimates = groups.map(([, is]) => estimateSeconds(is, plan.sizes, plan.gpu, reps, plan.suite.warmup));
  const known = estimates.every((e) => e !== null);
  const costs = groups.map(([, is], g) => (known ? estimates[g]! : is.length));
  const order = groups.map((_, g) => g).sort((a, b) => costs[b]! - costs[a]! || a - b);
  const loads = new Array<number>(count).fill(0);
  const shardOfGroup = new Map<string, number>();
  for (const g of order) {
    let best = 0;
    for (let s = 1; s < count; s++) if (loads[s]! < loads[best]!) best = s;
    loads[best]! += costs[g]!;
    shardOfGroup.set(groups[g]![0], best + 1);
  }
  return { planHash: planHash(plan), count, shardOfGroup, loads, unit: known ? "s" : "instances" };
}

/** The instances of shard `index` (1-based), in plan order. */
export function instancesOfShard(instances: readonly Instance[], a: ShardAssignment, index: number): Instance[] {
  return instances.filter((i) => a.shardOfGroup.get(i.group) === index);
}
