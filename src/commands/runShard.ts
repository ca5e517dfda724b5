/**
 * `moebench run --shard K/N` (or a Slurm array task, or a Kubernetes Indexed Job's pod): the steps of a
 * sharded run that an unsharded one does not have. The plan is partitioned (plan/shard.ts), the shard
 * writes its own run folder `results/<suite>/<runId>/shard-K-of-N` under the run id all shards share, and
 * the folder gets plan.json (the whole partition) for `moebench merge`.
 */
import { join } from "node:path";
import type { MachinePlan } from "../bench/planForMachine.js";
import { assignShards, instancesOfShard, type ShardAssignment } from "../plan/shard.js";
import type { ShardSpec } from "../plan/shardSpec.js";
import { writePlanFile } from "../results/planFile.js";
import type { ShardInfo } from "../results/schema.js";
import { fmtDuration } from "./plan.js";

export interface ShardedRun {
  spec: ShardSpec;
  assignment: ShardAssignment;
  /** what every record of this shard carries */
  info: ShardInfo;
  /** the whole plan, before partitioning (plan.json lists it) */
  full: MachinePlan;
  /** "shard 2/3 (…), run …: 4 of 12 instances, …": printed when the run starts */
  note: string;
}

const fmtLoad = (a: ShardAssignment, load: number): string =>
  a.unit === "s" ? `~${fmtDuration(load)}` : `${load} instance(s)`;

/** This shard's part of the plan, with a note saying which part and how the shards are balanced. */
export function shardPlan(full: MachinePlan, spec: ShardSpec | null): { plan: MachinePlan; sharded?: ShardedRun } {
  if (!spec) return { plan: full };
  const assignment = assignShards(full, spec.count);
  const instances = instancesOfShard(full.instances, assignment, spec.index);
  const loads = new Set(instances.map((i) => i.group)).size;
  const balance = assignment.loads.map((l) => fmtLoad(assignment, l)).join(", ");
  const part =
    instances.length === 0
      ? `no instance (the plan has ${assignment.shardOfGroup.size} model load(s) for ${spec.count} shards)`
      : `${instances.length} of ${full.instances.length} instances, ${loads} model load(s)`;
  const extras = spec.index === 1 ? "" : "; the suite's endpoints and quality run on shard 1";
  const head = `shard ${spec.index}/${spec.count} (${spec.source}), run ${spec.runId}`;
  const note = `${head}: ${part}; estimated loads ${balance}${extras}`;
  const info: ShardInfo = { index: spec.index, count: spec.count, planHash: assignment.planHash };
  return { plan: { ...full, instances }, sharded: { spec, assignment, info, full, note } };
}

/** The shard's own run folder under the shared run id. */
export function shardRunDir(base: string, spec: ShardSpec): string {
  return join(base, spec.runId, `shard-${spec.index}-of-${spec.count}`);
}

/** plan.json: the whole partition, so merge can name the instances of a shard that never arrived. */
export function writeShardPlan(runDir: string, s: ShardedRun): void {
  writePlanFile(runDir, {
    planHash: s.assignment.planHash,
    suite: s.full.suite.name,
    runId: s.spec.runId,
    count: s.spec.count,
    loads: s.assignment.loads,
    unit: s.assignment.unit,
    instances: s.full.instances.map((i) => ({
      key: i.key,
      testId: i.testId,
      model: i.model.label,
      shard: s.assignment.shardOfGroup.get(i.group) ?? 0,
    })),
  });
}

/** Suite-level work that is not split (HTTP endpoints, quality against F16) runs on shard 1 only. */
export const runsSuiteExtras = (s: ShardedRun | undefined): boolean => !s || s.spec.index === 1;
