/**
 * Which shard of a sharded run this process is: `--shard K/N` (1-based, e.g. a CI matrix entry), else the
 * engine's own variables: a Slurm job array (SLURM_ARRAY_TASK_ID with SLURM_ARRAY_TASK_COUNT or
 * MIN/MAX/STEP; SLURM_ARRAY_JOB_ID is the shared run id) or a Kubernetes Indexed Job (JOB_COMPLETION_INDEX,
 * 0-based, with the shard count from --shard-count or MOEBENCH_SHARD_COUNT). Pure: the environment is passed in.
 */
import { MoebenchError } from "../util/errors.js";
import { isSafePathComponent } from "../util/safeName.js";

export interface ShardSpec {
  /** 1-based */
  index: number;
  count: number;
  /** the run id every shard of the run shares */
  runId: string;
  /** where K/N came from, for messages and env.json */
  source: string;
}

export interface ShardFlags {
  /** --shard K/N */
  shard?: string;
  /** --shard-count N (with JOB_COMPLETION_INDEX) */
  shardCount?: string;
  /** --run-id */
  runId?: string;
}

type Vars = Readonly<Record<string, string | undefined>>;

const RUN_ID_HINT =
  "every shard of a run writes under one run id: pass --run-id (e.g. the CI run number) " +
  "or set MOEBENCH_RUN_ID (Slurm arrays use SLURM_ARRAY_JOB_ID)";

/** A whole number from a flag or variable, or a one-line error naming it. */
function whole(name: string, value: string, min: number): number {
  const n = Number(value.trim());
  if (value.trim() === "" || !Number.isSafeInteger(n) || n < min)
    throw new MoebenchError(`${name}=${value}: expected a whole number ≥ ${min}`);
  return n;
}

function parseShardFlag(value: string): { index: number; count: number } {
  const m = /^\s*(\d+)\s*\/\s*(\d+)\s*$/.exec(value);
  if (!m) throw new MoebenchError(`--shard ${value}: expected K/N, e.g. 2/3 (shard 2 of 3, counted from 1)`);
  const index = Number(m[1]);
  const count = Number(m[2]);
  if (count < 1 || index < 1 || index > count)
    throw new MoebenchError(`--shard ${value}: K must be from 1 to N and N at least 1`, "e.g. --shard 1/3");
  return { index, count };
}

/** SLURM_ARRAY_TASK_ID in an array given as a range (`--array=A-B[:S]`), as shard (id − min)/step + 1. */
function slurmShard(vars: Vars): { index: number; count: number } {
  const id = whole("SLURM_ARRAY_TASK_ID", vars.SLURM_ARRAY_TASK_ID ?? "", 0);
  const min = vars.SLURM_ARRAY_TASK_MIN !== undefined ? whole("SLURM_ARRAY_TASK_MIN", vars.SLURM_ARRAY_TASK_MIN, 0) : 0;
  const step =
    vars.SLURM_ARRAY_TASK_STEP !== undefined ? whole("SLURM_ARRAY_TASK_STEP", vars.SLURM_ARRAY_TASK_STEP, 1) : 1;
  let count: number;
  if (vars.SLURM_ARRAY_TASK_COUNT !== undefined)
    count = whole("SLURM_ARRAY_TASK_COUNT", vars.SLURM_ARRAY_TASK_COUNT, 1);
  else if (vars.SLURM_ARRAY_TASK_MAX !== undefined)
    count = Math.floor((whole("SLURM_ARRAY_TASK_MAX", vars.SLURM_ARRAY_TASK_MAX, 0) - min) / step) + 1;
  else
    throw new MoebenchError(
      "SLURM_ARRAY_TASK_ID is set without SLURM_ARRAY_TASK_COUNT or SLURM_ARRAY_TASK_MAX",
      "run inside an sbatch --array job, or give --shard K/N",
    );
  const offset = id - min;
  const index = offset / step + 1;
  if (offset < 0 || !Number.isInteger(index) || index > count)
    throw new MoebenchError(
      `SLURM_ARRAY_TASK_ID=${id} is not in a contiguous array (min ${min}, step ${step}, ${count} tasks)`,
      "submit the array as a range, e.g. sbatch --array=0-2, or give --shard K/N",
    );
  return { index, count };
}

function kubernetesShard(vars: Vars, flags: ShardFlags): { index: number; count: number } {
  const index = whole("JOB_COMPLETION_INDEX", vars.JOB_COMPLETION_INDEX ?? "", 0) + 1;
  const given = flags.shardCount ?? vars.MOEBENCH_SHARD_COUNT;
  if (given === undefined)
    throw new MoebenchError(
      "JOB_COMPLETION_INDEX is set (a Kubernetes Indexed Job) but the number of shards is not",
      "pass --shard-count N or set MOEBENCH_SHARD_COUNT to the Job's completions",
    );
  const count = whole(flags.shardCount !== undefined ? "--shard-count" : "MOEBENCH_SHARD_COUNT", given, 1);
  if (index > count)
    throw new MoebenchError(
      `JOB_COMPLETION_INDEX=${index - 1} is not below the shard count ${count}`,
      "set --shard-count / MOEBENCH_SHARD_COUNT to the Job's completions",
    );
  return { index, count };
}

/** --run-id, else MOEBENCH_RUN_ID, else the engine's own job id (Slurm: `slurm-<SLURM_ARRAY_JOB_ID>`). */
function sharedRunId(flags: ShardFlags, vars: Vars, engineId: string | undefined): string {
  const id = (flags.runId ?? vars.MOEBENCH_RUN_ID ?? engineId ?? "").trim();
  if (id === "") throw new MoebenchError("a sharded run needs a run id shared by all its shards", RUN_ID_HINT);
  if (!isSafePathComponent(id))
    throw new MoebenchError(`run id "${id}" cannot be a folder name`, "use letters, digits, '-', '_' and '.'");
  return id;
}

/**
 * The shard this process runs, or null for an unsharded run. A flag wins over the environment; a
 * Slurm array wins over a Kubernetes index (a job array never sets JOB_COMPLETION_INDEX).
 */
export function resolveShard(flags: ShardFlags, vars: Vars): ShardSpec | null {
  if (flags.shard !== undefined) {
    const { index, count } = parseShardFlag(flags.shard);
    return { index, count, runId: sharedRunId(flags, vars, undefined), source: `--shard ${index}/${count}` };
  }
  if (vars.SLURM_ARRAY_TASK_ID !== undefined) {
    const { index, count } = slurmShard(vars);
    const job = vars.SLURM_ARRAY_JOB_ID;
    const source = `Slurm array task ${vars.SLURM_ARRAY_TASK_ID} of job ${job ?? "?"}`;
    return { index, count, runId: sharedRunId(flags, vars, job ? `slurm-${job}` : undefined), source };
  }
  if (vars.JOB_COMPLETION_INDEX !== undefined) {
    const { index, count } = kubernetesShard(vars, flags);
    const source = `Kubernetes Indexed Job, JOB_COMPLETION_INDEX=${vars.JOB_COMPLETION_INDEX}`;
    return { index, count, runId: sharedRunId(flags, vars, undefined), source };
  }
  if (flags.shardCount !== undefined)
    throw new MoebenchError(
      "--shard-count is given but no shard index",
      "use it inside a Kubernetes Indexed Job (JOB_COMPLETION_INDEX), or give --shard K/N",
    );
  return null;
}
