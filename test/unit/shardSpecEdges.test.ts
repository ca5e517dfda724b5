/** resolveShard's edges: every refusal's exact one line (message and hint), sources, trimming, regex anchors. */
import { describe, expect, it } from "vitest";
import { resolveShard } from "../../src/plan/shardSpec.js";
import { MoebenchError } from "../../src/util/errors.js";

const err = (f: () => unknown): { message: string; hint: string | undefined } => {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(MoebenchError);
    return { message: (e as MoebenchError).message, hint: (e as MoebenchError).hint };
  }
  throw new Error("expected an error");
};

const RUN_ID_HINT =
  "every shard of a run writes under one run id: pass --run-id (e.g. the CI run number) " +
  "or set MOEBENCH_RUN_ID (Slurm arrays use SLURM_ARRAY_JOB_ID)";

describe("--shard K/N edges", () => {
  it("multi-digit K and N, spaces around, leading zeros: the source names the numbers", () => {
    expect(resolveShard({ shard: "12/15", runId: "r" }, {})).toEqual({
      index: 12,
      count: 15,
      runId: "r",
      source: "--shard 12/15",
    });
    expect(resolveShard({ shard: " 02 / 3 ", runId: "r" }, {})).toEqual({
      index: 2,
      count: 3,
      runId: "r",
      source: "--shard 2/3",
    });
    expect(resolveShard({ shard: "3/3", runId: "r" }, {})).toMatchObject({ index: 3, count: 3 });
    expect(resolveShard({ shard: "1/1", runId: "r" }, {})).toMatchObject({ index: 1, count: 1 });
  });

  it.each(["x1/2", "1/2x", "1/2/3", "-1/2", "1.5/2"])("--shard %s is not K/N", (v) => {
    expect(err(() => resolveShard({ shard: v, runId: "r" }, {}))).toEqual({
      message: `--shard ${v}: expected K/N, e.g. 2/3 (shard 2 of 3, counted from 1)`,
      hint: undefined,
    });
  });

  it.each(["0/0", "0/3", "4/3", "1/0"])("--shard %s: K out of range, with an example", (v) => {
    expect(err(() => resolveShard({ shard: v, runId: "r" }, {}))).toEqual({
      message: `--shard ${v}: K must be from 1 to N and N at least 1`,
      hint: "e.g. --shard 1/3",
    });
  });

  it("the run id: --run-id over MOEBENCH_RUN_ID, trimmed; blank or unsafe refused with hints", () => {
    expect(resolveShard({ shard: "1/2", runId: "  ci-7  " }, { MOEBENCH_RUN_ID: "env" })?.runId).toBe("ci-7");
    expect(resolveShard({ shard: "1/2" }, { MOEBENCH_RUN_ID: " env " })?.runId).toBe("env");
    expect(err(() => resolveShard({ shard: "1/2", runId: "   " }, {}))).toEqual({
      message: "a sharded run needs a run id shared by all its shards",
      hint: RUN_ID_HINT,
    });
    expect(err(() => resolveShard({ shard: "1/2", runId: " a/b " }, {}))).toEqual({
      message: 'run id "a/b" cannot be a folder name',
      hint: "use letters, digits, '-', '_' and '.'",
    });
  });

  it("--shard-count alone is refused with a hint", () => {
    expect(err(() => resolveShard({ shardCount: "2" }, {}))).toEqual({
      message: "--shard-count is given but no shard index",
      hint: "use it inside a Kubernetes Indexed Job (JOB_COMPLETION_INDEX), or give --shard K/N",
    });
  });
});

describe("Slurm array edges", () => {
  const job = { SLURM_ARRAY_JOB_ID: "77" };

  it("the source names the task and the job; no job id: '?' and the run id from the flag", () => {
    expect(resolveShard({}, { ...job, SLURM_ARRAY_TASK_ID: "1", SLURM_ARRAY_TASK_COUNT: "2" })).toEqual({
      index: 2,
      count: 2,
      runId: "slurm-77",
      source: "Slurm array task 1 of job 77",
    });
    expect(resolveShard({ runId: "r" }, { SLURM_ARRAY_TASK_ID: "0", SLURM_ARRAY_TASK_COUNT: "2" })).toEqual({
      index: 1,
      count: 2,
      runId: "r",
      source: "Slurm array task 0 of job ?",
    });
    expect(err(() => resolveShard({}, { SLURM_ARRAY_TASK_ID: "0", SLURM_ARRAY_TASK_COUNT: "2" }))).toEqual({
      message: "a sharded run needs a run id shared by all its shards",
      hint: RUN_ID_HINT,
    });
  });

  it("count from min/max/step: --array=3-9:3 is tasks 3, 6, 9", () => {
    const v = { ...job, SLURM_ARRAY_TASK_MIN: "3", SLURM_ARRAY_TASK_MAX: "9", SLURM_ARRAY_TASK_STEP: "3" };
    expect(resolveShard({}, { ...v, SLURM_ARRAY_TASK_ID: "6" })).toMatchObject({ index: 2, count: 3 });
    expect(resolveShard({}, { ...v, SLURM_ARRAY_TASK_ID: "9" })).toMatchObject({ index: 3, count: 3 });
    // --array=3-10:3 is still 3 tasks (floor)
    expect(resolveShard({}, { ...v, SLURM_ARRAY_TASK_MAX: "10", SLURM_ARRAY_TASK_ID: "3" })).toMatchObject({
      index: 1,
      count: 3,
    });
    // an explicit count wins over max
    expect(resolveShard({}, { ...v, SLURM_ARRAY_TASK_COUNT: "5", SLURM_ARRAY_TASK_ID: "3" })).toMatchObject({
      index: 1,
      count: 5,
    });
  });

  it.each([
    [
      "a task before min",
      { SLURM_ARRAY_TASK_ID: "0", SLURM_ARRAY_TASK_MIN: "1", SLURM_ARRAY_TASK_COUNT: "3" },
      "SLURM_ARRAY_TASK_ID=0 is not in a contiguous array (min 1, step 1, 3 tasks)",
    ],
    [
      "a task between steps",
      { SLURM_ARRAY_TASK_ID: "1", SLURM_ARRAY_TASK_STEP: "2", SLURM_ARRAY_TASK_COUNT: "3" },
      "SLURM_ARRAY_TASK_ID=1 is not in a contiguous array (min 0, step 2, 3 tasks)",
    ],
    [
      "a task past the count",
      { SLURM_ARRAY_TASK_ID: "3", SLURM_ARRAY_TASK_COUNT: "3" },
      "SLURM_ARRAY_TASK_ID=3 is not in a contiguous array (min 0, step 1, 3 tasks)",
    ],
  ])("%s is refused", (_, vars, message) => {
    expect(err(() => resolveShard({}, { ...job, ...vars }))).toEqual({
      message,
      hint: "submit the array as a range, e.g. sbatch --array=0-2, or give --shard K/N",
    });
  });

  it("the last task of the count is accepted", () => {
    expect(resolveShard({}, { ...job, SLURM_ARRAY_TASK_ID: "2", SLURM_ARRAY_TASK_COUNT: "3" })).toMatchObject({
      index: 3,
      count: 3,
    });
  });

  it("no count and no max: refused with a hint", () => {
    expect(err(() => resolveShard({}, { ...job, SLURM_ARRAY_TASK_ID: "0" }))).toEqual({
      message: "SLURM_ARRAY_TASK_ID is set without SLURM_ARRAY_TASK_COUNT or SLURM_ARRAY_TASK_MAX",
      hint: "run inside an sbatch --array job, or give --shard K/N",
    });
  });

  it.each([
    ["SLURM_ARRAY_TASK_ID", "", 0],
    ["SLURM_ARRAY_TASK_ID", "   ", 0],
    ["SLURM_ARRAY_TASK_ID", "-1", 0],
    ["SLURM_ARRAY_TASK_ID", "1.5", 0],
    ["SLURM_ARRAY_TASK_ID", "two", 0],
    ["SLURM_ARRAY_TASK_ID", "9007199254740993", 0],
    ["SLURM_ARRAY_TASK_MIN", "x", 0],
    ["SLURM_ARRAY_TASK_MIN", "-2", 0],
    ["SLURM_ARRAY_TASK_STEP", "0", 1],
    ["SLURM_ARRAY_TASK_STEP", "", 1],
    ["SLURM_ARRAY_TASK_COUNT", "0", 1],
    ["SLURM_ARRAY_TASK_MAX", "-1", 0],
  ])("%s=%j is not a whole number ≥ %i", (name, value, min) => {
    const vars: Record<string, string> = { ...job, SLURM_ARRAY_TASK_ID: "0", SLURM_ARRAY_TASK_COUNT: "1" };
    if (name === "SLURM_ARRAY_TASK_MAX") delete vars.SLURM_ARRAY_TASK_COUNT;
    vars[name] = value;
    expect(err(() => resolveShard({}, vars))).toEqual({
      message: `${name}=${value}: expected a whole number ≥ ${min}`,
      hint: undefined,
    });
  });

  it("values with spaces around them are read as numbers", () => {
    expect(
      resolveShard(
        {},
        { ...job, SLURM_ARRAY_TASK_ID: " 4 ", SLURM_ARRAY_TASK_MIN: " 2", SLURM_ARRAY_TASK_COUNT: "3 " },
      ),
    ).toMatchObject({ index: 3, count: 3 });
    // the smallest allowed values
    expect(
      resolveShard({}, { ...job, SLURM_ARRAY_TASK_ID: "0", SLURM_ARRAY_TASK_STEP: "1", SLURM_ARRAY_TASK_COUNT: "1" }),
    ).toMatchObject({ index: 1, count: 1 });
  });
});

describe("Kubernetes Indexed Job edges", () => {
  it("the source names the index; the run id from MOEBENCH_RUN_ID", () => {
    expect(resolveShard({}, { JOB_COMPLETION_INDEX: "0", MOEBENCH_SHARD_COUNT: "1", MOEBENCH_RUN_ID: "k" })).toEqual({
      index: 1,
      count: 1,
      runId: "k",
      source: "Kubernetes Indexed Job, JOB_COMPLETION_INDEX=0",
    });
  });

  it("a bad count is named by where it came from: the flag wins over the variable", () => {
    const pod = { JOB_COMPLETION_INDEX: "0", MOEBENCH_RUN_ID: "k" };
    expect(err(() => resolveShard({ shardCount: "0" }, { ...pod, MOEBENCH_SHARD_COUNT: "2" }))).toEqual({
      message: "--shard-count=0: expected a whole number ≥ 1",
      hint: undefined,
    });
    expect(resolveShard({ shardCount: "3" }, { ...pod, MOEBENCH_SHARD_COUNT: "x" })).toMatchObject({ count: 3 });
    expect(err(() => resolveShard({}, { ...pod, MOEBENCH_SHARD_COUNT: "x" }))).toEqual({
      message: "MOEBENCH_SHARD_COUNT=x: expected a whole number ≥ 1",
      hint: undefined,
    });
  });

  it("a bad or missing count, an index past it, a blank index: exact lines", () => {
    const pod = { MOEBENCH_RUN_ID: "k" };
    expect(err(() => resolveShard({}, { ...pod, JOB_COMPLETION_INDEX: "1" }))).toEqual({
      message: "JOB_COMPLETION_INDEX is set (a Kubernetes Indexed Job) but the number of shards is not",
      hint: "pass --shard-count N or set MOEBENCH_SHARD_COUNT to the Job's completions",
    });
    expect(err(() => resolveShard({ shardCount: "3" }, { ...pod, JOB_COMPLETION_INDEX: "3" }))).toEqual({
      message: "JOB_COMPLETION_INDEX=3 is not below the shard count 3",
      hint: "set --shard-count / MOEBENCH_SHARD_COUNT to the Job's completions",
    });
    expect(resolveShard({ shardCount: "3" }, { ...pod, JOB_COMPLETION_INDEX: "2" })).toMatchObject({ index: 3 });
    expect(err(() => resolveShard({ shardCount: "3" }, { ...pod, JOB_COMPLETION_INDEX: "" }))).toEqual({
      message: "JOB_COMPLETION_INDEX=: expected a whole number ≥ 0",
      hint: undefined,
    });
  });
});
