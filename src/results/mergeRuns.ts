/**
 * The shards of one sharded run → one run (pure; commands/merge.ts reads and writes the folders). The
 * shards must share a plan hash (the same suite expanded the same way); the merge names every planned
 * instance that no shard recorded and every instance recorded more than once.
 */
import { MoebenchError } from "../util/errors.js";
import type { PlanFile } from "./planFile.js";
import type { EnvFile, ResultRecord } from "./schema.js";

export interface ShardInput {
  dir: string;
  env: EnvFile | null;
  plan: PlanFile | null;
  /** null when the shard folder has no results.jsonl (it stopped before its first record) */
  records: ResultRecord[] | null;
}

export interface Duplicate {
  key: string;
  /** the folders that recorded it, once per record */
  dirs: string[];
}

export interface MergeResult {
  /** the plan's instances in plan order, then anything recorded outside the plan (HTTP endpoints) */
  records: ResultRecord[];
  env: Omit<EnvFile, "schemaVersion">;
  plan: PlanFile;
  /** planned instances no shard recorded */
  missing: PlanFile["instances"];
  duplicates: Duplicate[];
  /** shard numbers (1-based) of which no folder was given */
  absentShards: number[];
}

const PLAN_HINT = "merge only the shards of one run: the same suite, --filter and moebench version on every host";

/** Each folder must be a shard: env.json with `shard`, plan.json, and records of the same plan. */
function checkShard(s: ShardInput): { env: EnvFile; plan: PlanFile } {
  if (!s.plan || !s.env?.shard)
    throw new MoebenchError(
      `${s.dir}: not a shard of a sharded run (no plan.json or no shard in env.json)`,
      "merge the folders that `moebench run --shard K/N` (or a job array) wrote",
    );
  if (s.env.shard.planHash !== s.plan.planHash)
    throw new MoebenchError(`${s.dir}: env.json and plan.json disagree on the plan hash`, "re-run this shard");
  const stray = s.records?.find((r) => r.shard && r.shard.planHash !== s.plan!.planHash);
  if (stray)
    throw new MoebenchError(
      `${s.dir}/results.jsonl: record ${stray.key} belongs to plan ${stray.shard!.planHash}, not ${s.plan.planHash}`,
      PLAN_HINT,
    );
  return { env: s.env, plan: s.plan };
}

function sameRun(
  first: ShardInput & { plan: PlanFile; env: EnvFile },
  s: { dir: string; plan: PlanFile; env: EnvFile },
) {
  if (s.plan.planHash !== first.plan.planHash)
    throw new MoebenchError(
      `${first.dir} and ${s.dir} come from different plans (${first.plan.planHash} vs ${s.plan.planHash})`,
      PLAN_HINT,
    );
  if (s.env.executor !== first.env.executor)
    throw new MoebenchError(
      `${first.dir} and ${s.dir} were measured by different executors (${first.env.executor} vs ${s.env.executor})`,
      "merge shards of one executor",
    );
}

function findDuplicates(inputs: readonly ShardInput[]): Duplicate[] {
  const where = new Map<string, string[]>();
  for (const s of inputs) for (const r of s.records ?? []) where.set(r.key, [...(where.get(r.key) ?? []), s.dir]);
  return [...where.entries()].filter(([, dirs]) => dirs.length > 1).map(([key, dirs]) => ({ key, dirs }));
}

export function mergeShards(inputs: readonly ShardInput[], argv: string[]): MergeResult {
  if (inputs.length === 0) throw new MoebenchError("merge: no run folders given", "pass the shards' run folders");
  const checked = inputs.map((s) => ({ ...s, ...checkShard(s) }));
  const first = [...checked].sort((a, b) => a.env.shard!.index - b.env.shard!.index)[0]!;
  for (const s of checked) sameRun(first, s);
  const plan = first.plan;
  const byKey = new Map<string, ResultRecord>();
  for (const s of checked) for (const r of s.records ?? []) if (!byKey.has(r.key)) byKey.set(r.key, r);
  const planned = new Set(plan.instances.map((i) => i.key));
  const inPlan = plan.instances.flatMap((i) => byKey.get(i.key) ?? []);
  const outside = [...byKey.values()].filter((r) => !planned.has(r.key));
  const given = new Set(checked.map((s) => s.env.shard!.index));
  const absentShards = Array.from({ length: plan.count }, (_, i) => i + 1).filter((k) => !given.has(k));
  const startedAt = checked.map((s) => s.env.startedAt).sort()[0]!;
  const env: MergeResult["env"] = {
    runId: plan.runId,
    suite: plan.suite,
    executor: first.env.executor,
    env: first.env.env,
    startedAt,
    argv,
    ...(first.env.gpuPriceUsd ? { gpuPriceUsd: first.env.gpuPriceUsd } : {}),
    merged: {
      planHash: plan.planHash,
      shards: checked.map((s) => ({
        index: s.env.shard!.index,
        count: s.env.shard!.count,
        dir: s.dir,
        host: s.env.env?.host ?? "unknown",
        env: s.env.env,
        startedAt: s.env.startedAt,
        records: s.records?.length ?? 0,
      })),
    },
  };
  return {
    records: [...inPlan, ...outside],
    env,
    plan,
    missing: plan.instances.filter((i) => !byKey.has(i.key)),
    duplicates: findDuplicates(checked),
    absentShards,
  };
}
