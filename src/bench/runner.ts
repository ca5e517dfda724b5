/**
 * The parent: runs a planned suite, one worker process per model load, and records one result per
 * instance (success or failure) as soon as it exists. A worker that dies is classified by what happened
 * (classifyDeath.ts): a crash is retried once with a fresh worker, an OOM or a timeout is recorded at
 * once, and the suite goes on; a user interrupt records nothing for the instances in flight.
 */
import type { Instance, ModelRef } from "../plan/types.js";
import { failedRecord, okRecord, type RecordBase } from "../results/record.js";
import type { Env, FailedStatus, ModelIdentity, ShardInfo } from "../results/schema.js";
import { recordTelemetry } from "../telemetry/instanceTelemetry.js";
import type { NvidiaSmiSampler } from "../telemetry/nvidiaSmi/sampler.js";
import { startTelemetry, type TelemetryOptions } from "../telemetry/startTelemetry.js";
import { isOomText } from "../util/oom.js";
import type { WorkerOptions } from "./ipc.js";
import { runWithLlamaBench } from "./llamaBenchExecutor.js";
import { identify, materialize, unknownIdentity } from "./prepareModel.js";
import type { Progress } from "./progress.js";
import type { RunRecorder } from "./recorder.js";
import type { Repetitions } from "./repeat.js";
import { type SessionEvent, workerSession } from "./workerSession.js";

export interface RunOptions {
  suiteName: string;
  runId: string;
  /** the instances still to run (already recorded ones removed) */
  instances: Instance[];
  executor: "llama" | "mock";
  backend: string;
  seed: number;
  warmup: number;
  repetitions: Repetitions;
  timeoutSec: number;
  env: Env;
  verbose?: boolean;
  /** extra warnings attached to every record (e.g. settings known to distort tg) */
  runWarnings?: string[];
  /** run every instance with this llama-bench binary instead of node-llama-cpp */
  llamaBench?: string;
  telemetry?: TelemetryOptions;
  /** keeps synthetic models under the disk budget: asked for room before each model group (bench/modelCache.ts) */
  modelCache?: { makeRoom(ref: ModelRef, upcoming: readonly ModelRef[]): void };
  /** the user's interrupt */
  signal: AbortSignal;
  /** a sharded run: every record says which shard measured it */
  shard?: ShardInfo;
  recorder: RunRecorder;
  progress: Progress;
}

export interface RunSummary {
  written: number;
  failed: number;
  interrupted: boolean;
}

/** A crashed worker is retried once with a fresh one; OOM and timeouts are results, never retried. */
const MAX_ATTEMPTS = 2;

/** Consecutive instances that share a model load. */
function groupsOf(instances: readonly Instance[]): Instance[][] {
  const groups: Instance[][] = [];
  for (const i of instances) {
    const g = groups[groups.length - 1];
    if (g && g[0]!.group === i.group) g.push(i);
    else groups.push([i]);
  }
  return groups;
}

interface PreparedModel {
  path: string;
  identity: ModelIdentity;
  vocab: number;
}

interface RunContext {
  o: RunOptions;
  sampler: NvidiaSmiSampler | undefined;
  telemetryReason: string;
  idleBaselineSec: number;
}

function baseOf(rc: RunContext, inst: Instance, model: ModelIdentity, env: Env): RecordBase {
  return {
    runId: rc.o.runId,
    suite: rc.o.suiteName,
    key: inst.key,
    testId: inst.testId,
    model,
    params: inst.params,
    env,
    executor: rc.o.llamaBench ? "llama-bench" : rc.o.executor,
    telemetry: { status: "unavailable", reason: rc.telemetryReason || "no telemetry" },
    warnings: [...(rc.o.runWarnings ?? [])],
    ...(rc.o.shard ? { shard: rc.o.shard } : {}),
  };
}

export async function runSuite(o: RunOptions): Promise<RunSummary> {
  const note = (s: string): void => o.progress.note(s);
  const { sampler, reason } = o.instances.length
    ? await startTelemetry(o.telemetry, note)
    : { sampler: undefined, reason: "nothing to run" };
  const rc: RunContext = {
    o,
    sampler,
    telemetryReason: reason,
    idleBaselineSec: sampler ? (o.telemetry?.idleBaselineSec ?? 10) : 0,
  };
  let interrupted = false;
  try {
    const groups = groupsOf(o.instances);
    for (const [g, group] of groups.entries()) {
      if (o.signal.aborted) break;
      const upcoming = groups.slice(g + 1).map((later) => later[0]!.model);
      const makeRoom = () => o.modelCache?.makeRoom(group[0]!.model, upcoming);
      const prepared = await prepareModel(group[0]!.model, note, makeRoom);
      if ("error" in prepared) {
        for (const inst of group) {
          const identity = unknownIdentity(inst.model, inst.model.kind === "path" ? inst.model.path : null);
          o.recorder.record(
            failedRecord(baseOf(rc, inst, identity, o.env), { status: "error", message: prepared.error }),
          );
        }
        continue;
      }
      const stopped = o.llamaBench ? await runWithExternal(rc, group, prepared) : await runGroup(rc, group, prepared);
      if (stopped) {
        interrupted = true;
        break;
      }
    }
  } finally {
    sampler?.stop();
  }
  return { written: o.recorder.written, failed: o.recorder.failed, interrupted: interrupted || o.signal.aborted };
}

async function prepareModel(
  ref: ModelRef,
  note: (s: string) => void,
  makeRoom: () => void,
): Promise<PreparedModel | { error: string }> {
  try {
    makeRoom();
    const path = await materialize(ref, note);
    const { identity, vocab } = await identify(ref, path);
    return { path, identity, vocab };
  } catch (e) {
    return { error: e instanceof Error ? e.message : String(e) };
  }
}

/** Every instance of the group through an external llama-bench binary. Returns true when interrupted. */
async function runWithExternal(rc: RunContext, group: Instance[], model: PreparedModel): Promise<boolean> {
  const { o } = rc;
  for (const inst of group) {
    if (o.signal.aborted) return true;
    o.progress.update(model.identity.label, `${inst.testId} (llama-bench)`, 0);
    const rec = await runWithLlamaBench(o.llamaBench!, inst, model.path, baseOf(rc, inst, model.identity, o.env), {
      reps: o.repetitions.min,
      extraArgs: inst.llamaBenchArgs,
      timeoutSec: o.timeoutSec,
      signal: o.signal,
    });
    if (!rec) return true;
    o.recorder.record(rec);
  }
  return false;
}

/** The state of one model group across the workers it takes. */
class GroupState {
  remaining: Instance[];
  readonly attempts = new Map<string, number>();
  readonly crashNotes = new Map<string, string>();
  loadAttempts = 0;
  env: Env;
  loadMs: number | null = null;
  constructor(group: Instance[], env: Env) {
    this.remaining = [...group];
    this.env = env;
  }
  finish(key: string): void {
    this.remaining = this.remaining.filter((i) => i.key !== key);
  }
  get(key: string): Instance | undefined {
    return this.remaining.find((i) => i.key === key);
  }
}

type SessionEnd = "done" | "respawn" | "interrupted";

/** The GPU's memory at ≥ 95% of its total in telemetry's latest reading: "VRAM 24100 of 24576 MiB". */
export function vramFull(sampler: Pick<NvidiaSmiSampler, "rows"> | undefined): string | null {
  const last = sampler?.rows[sampler.rows.length - 1];
  const used = last?.v["memory.used"];
  const total = last?.v["memory.total"];
  if (typeof used !== "number" || typeof total !== "number" || total <= 0 || used < 0.95 * total) return null;
  return `VRAM ${used} of ${total} MiB`;
}

/** Run a model group, respawning workers as deaths require. Returns true when the user interrupted. */
async function runGroup(rc: RunContext, group: Instance[], model: PreparedModel): Promise<boolean> {
  const st = new GroupState(group, rc.o.env);
  while (st.remaining.length) {
    if (rc.o.signal.aborted) return true;
    const options: WorkerOptions = {
      executor: rc.o.executor,
      modelPath: model.path,
      vocab: model.vocab,
      seed: rc.o.seed,
      warmup: rc.o.warmup,
      repetitions: rc.o.repetitions,
      backend: rc.o.backend,
      idleBaselineSec: rc.idleBaselineSec,
      telemetryActive: !!rc.sampler,
    };
    const session = workerSession(st.remaining, options, {
      timeoutSec: rc.o.timeoutSec,
      signal: rc.o.signal,
      verbose: rc.o.verbose,
      vramFull: () => vramFull(rc.sampler),
    });
    let end: SessionEnd = "done";
    for await (const ev of session) {
      const next = await onEvent(rc, st, model, ev);
      if (next) {
        end = next;
        break;
      }
    }
    if (end === "interrupted") return true;
    if (end === "done" && st.remaining.length) {
      // the worker said done without reporting these: never silently drop an instance
      failAll(rc, st, model, { status: "crash", message: "the worker ended without reporting this instance" });
    }
  }
  return false;
}

function record(rc: RunContext, st: GroupState, model: PreparedModel, inst: Instance, failure: FailureOf): void {
  const base = { ...baseOf(rc, inst, model.identity, st.env), loadMs: st.loadMs };
  const tries = failure.attempts && failure.attempts > 1 ? ` (tried ${failure.attempts} times)` : "";
  rc.o.recorder.record(failedRecord(base, { ...failure, message: `${failure.message}${tries}` }));
  st.finish(inst.key);
}

type FailureOf = { status: FailedStatus; message: string; stderr?: string; attempts?: number };

function failAll(rc: RunContext, st: GroupState, model: PreparedModel, failure: FailureOf): void {
  for (const inst of [...st.remaining]) record(rc, st, model, inst, failure);
}

/** A failure the worker reported: oom where the message or stderr says an allocation failed (quoted). */
function reportedFailure(message: string, stderr: string): { status: FailedStatus; message: string } {
  if (isOomText(message)) return { status: "oom", message };
  const line = stderr.split("\n").find((l) => isOomText(l));
  return line ? { status: "oom", message: `${message} (${line.trim()})` } : { status: "error", message };
}

async function onEvent(
  rc: RunContext,
  st: GroupState,
  model: PreparedModel,
  ev: SessionEvent,
): Promise<SessionEnd | undefined> {
  const label = model.identity.label;
  switch (ev.type) {
    case "loaded":
      st.env = { ...rc.o.env, ...ev.env, gpus: ev.env.gpus ?? [] };
      st.loadMs = ev.loadMs;
      return undefined;
    case "started":
      rc.o.progress.update(label, st.get(ev.key)?.testId ?? "", 0);
      return undefined;
    case "progress":
      rc.o.progress.update(label, `${st.get(ev.key)?.testId ?? ""} ${ev.phase}`, ev.tokPerSec);
      return undefined;
    case "result":
      await recordResult(rc, st, model, ev);
      return undefined;
    case "failed": {
      const inst = st.get(ev.key);
      if (inst) record(rc, st, model, inst, { ...reportedFailure(ev.message, ev.stderr), stderr: ev.stderr });
      return undefined;
    }
    case "loadFailed": {
      const failure = reportedFailure(`model load failed: ${ev.message}`, ev.stderr);
      failAll(rc, st, model, { ...failure, stderr: ev.stderr });
      return "done";
    }
    case "died":
      return onDeath(rc, st, model, ev);
    case "done":
      return "done";
  }
}

async function recordResult(
  rc: RunContext,
  st: GroupState,
  model: PreparedModel,
  ev: Extract<SessionEvent, { type: "result" }>,
): Promise<void> {
  const inst = st.get(ev.key);
  if (!inst) return;
  // energy windows must be covered by samples before they are integrated
  if (rc.sampler) await rc.sampler.waitPast(ev.events.end);
  const res = ev.result;
  const { phases, telemetry } = recordTelemetry(rc.sampler, rc.telemetryReason || "no telemetry", res, ev.events);
  const base = baseOf(rc, inst, model.identity, st.env);
  const crashed = st.crashNotes.get(inst.key);
  rc.o.recorder.record(
    okRecord(
      {
        ...base,
        params: { ...inst.params, threads: res.applied.threads, ubatch: res.applied.ubatch },
        telemetry,
        loadMs: st.loadMs,
        warnings: [...(base.warnings ?? []), ...res.warnings, ...(crashed ? [crashed] : [])],
      },
      { ...phases, memory: res.memory },
    ),
  );
  st.finish(inst.key);
}

/** A worker ended early: interrupt, or a failure charged to the instance it was running (or about to). */
function onDeath(
  rc: RunContext,
  st: GroupState,
  model: PreparedModel,
  ev: Extract<SessionEvent, { type: "died" }>,
): SessionEnd {
  if (ev.death.kind === "interrupted") return "interrupted";
  const { status, message } = ev.death;
  if (ev.during === "load") {
    st.loadAttempts++;
    if (status === "crash" && st.loadAttempts < MAX_ATTEMPTS) return "respawn";
    failAll(rc, st, model, { status, message, stderr: ev.stderr, attempts: st.loadAttempts });
    return "done";
  }
  const victim = (ev.key ? st.get(ev.key) : undefined) ?? st.remaining[0];
  if (!victim) return "done";
  const attempts = (st.attempts.get(victim.key) ?? 0) + 1;
  st.attempts.set(victim.key, attempts);
  if (status === "crash" && attempts < MAX_ATTEMPTS) {
    st.crashNotes.set(victim.key, `attempt ${attempts} of this instance failed (${message}); this is attempt 2`);
    return "respawn";
  }
  record(rc, st, model, victim, { status, message, stderr: ev.stderr, attempts });
  return "respawn";
}
