/**
 * `moebench run <suite>`: plan for this machine → open the run folder (lock, resume) → run the local
 * instances → sweep the HTTP endpoints → measure quality → print the summary; each step a function in
 * the folder of its stage. The exit code follows the policy in results/outcome.ts.
 */
import { Command, Option } from "commander";
import { existsSync } from "node:fs";
import { join, resolve } from "node:path";
import { diskRefusal, diskSummary } from "../bench/cacheBudget.js";
import { hostEnv } from "../bench/hostEnv.js";
import { userInterrupt } from "../bench/interrupt.js";
import { ModelCache } from "../bench/modelCache.js";
import { type MachinePlan, planForMachine } from "../bench/planForMachine.js";
import { Progress } from "../bench/progress.js";
import { RunRecorder } from "../bench/recorder.js";
import { type RunSummary, runSuite } from "../bench/runner.js";
import { summaryTable } from "../export/summaryTable.js";
import { readEnvFile, writeEnvFile } from "../results/envFile.js";
import { readJsonl } from "../results/jsonl.js";
import { type Outcome, outcomeLine, outcomeOf, parseAllowFailures, runExitCode } from "../results/outcome.js";
import { chooseRunDir, type OpenRunDir, openRunDir } from "../results/runDir.js";
import type { Env } from "../results/schema.js";
import { runHttpSweep } from "../serve/httpRunner.js";
import type { TelemetryOptions } from "../telemetry/startTelemetry.js";
import { MoebenchError } from "../util/errors.js";
import { suiteQuality } from "./suiteQuality.js";
import { resolveShard } from "../plan/shardSpec.js";
import { runsSuiteExtras, type ShardedRun, shardPlan, shardRunDir, writeShardPlan } from "./runShard.js";
import { llamaBenchOutput } from "../export/llamaBenchTable.js";
import { suiteFromCommandLine } from "../suite/commandLine.js";
import { addLlamaBenchOptions, type LlamaBenchCliOptions, suiteFlagsOf } from "./llamaBenchOptions.js";

/** kept for importCmd (io): the run id helper lives in results/runDir.ts */

export interface RunCliOptions extends LlamaBenchCliOptions {
  out?: string;
  resume?: boolean;
  filter?: string;
  executor: "llama" | "mock";
  backend?: string;
  verbose?: boolean;
  /** print the summary table (bench prints its report instead) */
  summary?: boolean;
  nvidiaSmi?: string;
  telemetry?: boolean;
  sampleMs?: string;
  idleBaseline?: string;
  llamaBench?: string;
  /** failure statuses that do not fail the run: "oom,timeout" or "all" */
  allowFailures?: string;
  /** --shard K/N, --shard-count N, --run-id: a sharded run (see runShard.ts) */
  shard?: string;
  shardCount?: string;
  runId?: string;
  /** the most disk the synthetic-model cache may use (else MOEBENCH_CACHE_MAX, else a share of the free disk) */
  cacheMax?: string;
}

export interface RunCliResult {
  runDir: string;
  outcome: Outcome;
  interrupted: boolean;
  exitCode: number;
}

function num(flag: string, v: string | undefined, dflt: number, range: [number, number]): number {
  if (v === undefined) return dflt;
  const n = Number(v);
  if (!Number.isFinite(n) || n < range[0] || n > range[1])
    throw new MoebenchError(`${flag} ${v}: expected a number from ${range[0]} to ${range[1]}`);
  return n;
}

function telemetryOptions(o: RunCliOptions): TelemetryOptions {
  return {
    disabled: o.telemetry === false,
    nvidiaSmi: o.nvidiaSmi,
    intervalMs: num("--sample-ms", o.sampleMs, 50, [5, 10_000]),
    idleBaselineSec: num("--idle-baseline", o.idleBaseline, 10, [0, 600]),
  };
}

const note = (line: string): void => {
  process.stderr.write(`${line}\n`);
};

/** env.json: written when a run starts; a resumed run keeps the one it started with. */
function describeRun(plan: MachinePlan, runDir: OpenRunDir, env: Env, o: RunCliOptions, sharded?: ShardedRun): void {
  if (sharded) writeShardPlan(runDir.dir, sharded);
  if (o.resume && readEnvFile(runDir.dir)) return;
  writeEnvFile(runDir.dir, {
    runId: runDir.runId,
    suite: plan.suite.name,
    executor: o.llamaBench ? "llama-bench" : o.executor,
    env,
    startedAt: new Date().toISOString(),
    argv: process.argv.slice(2),
    ...(plan.suite.gpuPriceUsd ? { gpuPriceUsd: plan.suite.gpuPriceUsd } : {}),
    ...(sharded ? { shard: { ...sharded.info, source: sharded.spec.source } } : {}),
  });
}

/** The instances of the suite, through workers (or llama-bench), minus those already recorded. */
async function runLocal(
  plan: MachinePlan,
  runDir: OpenRunDir,
  env: Env,
  ctx: { o: RunCliOptions; signal: AbortSignal; sharded?: ShardedRun; modelCache: ModelCache },
): Promise<RunSummary> {
  const done = new Set(runDir.existing.map((r) => r.key));
  const todo = plan.instances.filter((i) => !done.has(i.key));
  if (done.size)
    note(
      `resuming ${runDir.dir}: ${plan.instances.length - todo.length} instance(s) already recorded, ` +
        `${todo.length} to run`,
    );
  const progress = new Progress(todo.length);
  const recorder = new RunRecorder(runDir.resultsPath, progress);
  try {
    return await runSuite({
      suiteName: plan.suite.name,
      runId: runDir.runId,
      instances: todo,
      executor: ctx.o.executor,
      backend: plan.backend,
      seed: plan.suite.seed,
      warmup: plan.suite.warmup,
      repetitions: plan.suite.repetitions,
      timeoutSec: plan.suite.timeoutSec,
      env,
      verbose: ctx.o.verbose,
      llamaBench: ctx.o.llamaBench ? resolve(ctx.o.llamaBench) : undefined,
      telemetry: telemetryOptions(ctx.o),
      modelCache: ctx.modelCache,
      signal: ctx.signal,
      shard: ctx.sharded?.info,
      recorder,
      progress,
    });
  } finally {
    recorder.close();
  }
}

/** The suite's `endpoints:` over HTTP (serve/), into the same results file. */
async function sweepEndpoints(plan: MachinePlan, runDir: OpenRunDir, env: Env, signal: AbortSignal): Promise<void> {
  if (!plan.suite.endpoints.length) return;
  const h = plan.suite.http;
  await runHttpSweep(
    {
      endpoints: plan.suite.endpoints,
      concurrency: plan.suite.concurrency,
      promptTokens: h.promptTokens,
      maxTokens: h.maxTokens,
      requests: h.requests,
      requestTimeoutSec: h.requestTimeoutSec,
      levelTimeoutSec: h.levelTimeoutSec,
    },
    {
      runId: runDir.runId,
      suite: plan.suite.name,
      env: { ...env, backend: "http" },
      resultsPath: runDir.resultsPath,
      seed: plan.suite.seed,
      signal,
      done: new Set(runDir.existing.map((r) => r.key)),
      onRecord: (r) => {
        const s = r.serving;
        const line = s
          ? `${s.aggregateTokPerSec.toFixed(1)} tok/s aggregate, TTFT p99 ${s.ttftMs?.p99.toFixed(0)} ms, ` +
            `${s.failed} failed`
          : "";
        note(`${r.model.label} ${r.testId}: ${r.status === "ok" ? line : `ERROR ${r.error?.message}`}`);
      },
    },
  );
}

/** The summary table, where the run stands, and the outcome line (always the last line). */
async function finish(
  plan: MachinePlan,
  runDir: OpenRunDir,
  local: RunSummary,
  o: RunCliOptions,
  interrupted: boolean,
): Promise<Outcome> {
  const all = existsSync(runDir.resultsPath) ? readJsonl(runDir.resultsPath) : [];
  const outcome = outcomeOf(all);
  if (o.summary !== false && !o.output && all.length) {
    process.stdout.write(`\n${summaryTable(all)}\n`);
    // the MoE-vs-dense answer (the report module is loaded only when it is needed)
    const moe = await (await import("./report.js")).moeVsDenseSummary(all);
    if (moe) process.stdout.write(`\n${moe}\n`);
  }
  if (interrupted)
    note(`interrupted: nothing recorded for the instances in flight; continue with --resume --out ${runDir.dir}`);
  const http = all.filter((r) => r.serving).length;
  const session = `${local.written} record(s) written this time${http ? `, ${http} serving level(s) over HTTP` : ""}`;
  // with -o, stdout carries llama-bench's format alone (as llama-bench's does); the rest goes to stderr
  const out = o.output ? process.stderr : process.stdout;
  out.write(`\nran on ${plan.runsOn}; ${session}\nresults: ${runDir.resultsPath}\n`);
  if (o.output) process.stdout.write(llamaBenchOutput(all, o.output));
  return outcome;
}

/** The synthetic models must fit the cache budget one at a time: refused up front (one line) when they cannot. */
function checkDisk(plan: MachinePlan, file: string, cacheMax: string | undefined) {
  const modelCache = ModelCache.open({ cacheMax, note });
  const models = [...new Map(plan.instances.map((i) => [i.model.ref, i.model])).values()];
  const disk = modelCache.disk(models);
  const refusal = diskRefusal(disk.plan, modelCache.budget, file);
  if (refusal) throw refusal;
  const line = disk.models.length ? diskSummary(disk.plan, modelCache.budget, modelCache.dir) : undefined;
  return { modelCache, line };
}

export async function runCli(file: string | undefined, o: RunCliOptions): Promise<RunCliResult> {
  const allowed = parseAllowFailures(o.allowFailures);
  telemetryOptions(o); // bad numbers are usage errors before anything runs
  if (o.llamaBench && !existsSync(o.llamaBench))
    throw new MoebenchError(
      `--llama-bench ${o.llamaBench}: no such file`,
      "build llama-bench from the llama.cpp commit you want to test (see README: other builds)",
    );
  const shard = resolveShard(o, process.env);
  const flags = suiteFlagsOf(o);
  const source = flags || !file ? suiteFromCommandLine(file, flags ?? {}) : file;
  const { plan, sharded } = shardPlan(await planForMachine(source, o), shard);
  const disk = checkDisk(plan, file ?? "the command line's suite", o.cacheMax);
  const base = resolve("results", plan.suite.name);
  const dir = chooseRunDir({
    base,
    out: o.out ?? (shard ? shardRunDir(base, shard) : undefined),
    resume: !!o.resume,
    suite: plan.suite.name,
  });
  const opened = openRunDir(dir, !!o.resume, note);
  // every shard's records carry the run id the shards share, not their folder's name
  const runDir = shard ? { ...opened, runId: shard.runId } : opened;
  const interrupt = userInterrupt();
  try {
    const env: Env = { ...hostEnv(), backend: plan.backend };
    note(`moebench run: suite ${plan.suite.name}, ${plan.instances.length} instances on ${plan.runsOn}`);
    for (const n of [...plan.notes, ...plan.warnings]) note(`warning: ${n}`);
    if (sharded) note(sharded.note);
    if (disk.line) note(disk.line);
    note(`results → ${join(runDir.dir, "results.jsonl")}`);
    describeRun(plan, runDir, env, o, sharded);
    const local = await runLocal(plan, runDir, env, {
      o,
      signal: interrupt.signal,
      sharded,
      modelCache: disk.modelCache,
    });
    const extras = runsSuiteExtras(sharded);
    if (extras && !interrupt.signal.aborted && !local.interrupted)
      await sweepEndpoints(plan, runDir, env, interrupt.signal);
    const interrupted = interrupt.signal.aborted || local.interrupted;
    if (extras && plan.suite.quality && !interrupted) await suiteQuality(plan.models, runDir.dir);
    const outcome = await finish(plan, runDir, local, o, interrupted);
    return { runDir: runDir.dir, outcome, interrupted, exitCode: runExitCode(outcome, allowed, interrupted) };
  } finally {
    interrupt.dispose();
    runDir.lock.release();
  }
}

export const backendOption = (): Option =>
  new Option("--backend <b>", "override the suite's backend (auto never picks a software device)").choices([
    "auto",
    "cuda",
    "vulkan",
    "metal",
    "cpu",
  ]);

export const cacheMaxOption = (): Option =>
  new Option(
    "--cache-max <size>",
    "most disk the synthetic-model cache may use, e.g. 20GiB; the least recently needed models are evicted " +
      "(default: MOEBENCH_CACHE_MAX, else the cache plus 80% of the free disk)",
  );

export const allowFailuresOption = (): Option =>
  new Option(
    "--allow-failures <statuses>",
    "failures that still exit 0, e.g. oom,timeout (an OOM in a quant matrix is a result); or all",
  );

export function runCommand(): Command {
  const cmd = new Command("run")
    .description("run a suite: one worker process per model load, one JSONL record per instance (success or failure)")
    .argument("[suite]", "suite YAML file (or models and sweeps as llama-bench flags, below)")
    .option("--out <dir>", "run folder (default results/<suite>/<runId>)")
    .option("--resume", "skip instances already recorded in the run folder (the latest run of the suite without --out)")
    .option(
      "--filter <expr>",
      "only matching instances: comma-separated field=value / field~regex / text " +
        "(fields: model, quant, test, depth, parallel, ctx, kv, fa, ngl, threads)",
    )
    .addOption(
      new Option("--executor <kind>", "llama (node-llama-cpp) or mock (deterministic synthetic timings, for tests)")
        .choices(["llama", "mock"])
        .default("llama"),
    )
    .addOption(backendOption())
    .addOption(allowFailuresOption())
    .option(
      "--llama-bench <binary>",
      "run every instance with this llama-bench binary (any llama.cpp build) instead of node-llama-cpp; " +
        "the suite's llamaBenchArgs sweep extra flags such as --n-cpu-moe",
    )
    .option("--nvidia-smi <path>", "nvidia-smi to sample (default: MOEBENCH_NVIDIA_SMI, else nvidia-smi on PATH)")
    .option("--no-telemetry", "do not sample GPU power/VRAM")
    .option("--sample-ms <ms>", "telemetry sampling interval (default 50)")
    .option("--idle-baseline <s>", "seconds of loaded-idle power measured after each model load (default 10; 0 = none)")
    .option(
      "--shard <K/N>",
      "run shard K of N (from 1): model groups balanced by the plan's estimate; default: a Slurm array task's " +
        "or a Kubernetes Indexed Job's own variables; writes results/<suite>/<runId>/shard-K-of-N",
    )
    .option("--shard-count <n>", "shards of a Kubernetes Indexed Job (or MOEBENCH_SHARD_COUNT): its completions")
    .option("--run-id <id>", "the run id all shards share (default MOEBENCH_RUN_ID; Slurm: slurm-<array job id>)")
    .addOption(cacheMaxOption())
    .option("-v, --verbose", "show llama.cpp's log");
  return addLlamaBenchOptions(cmd).action(async (file: string | undefined, o: RunCliOptions) => {
    const r = await runCli(file, o);
    (o.output ? process.stderr : process.stdout).write(`${outcomeLine(r.outcome)}\n`);
    process.exitCode = r.exitCode;
  });
}
