/**
 * The one record factory. Every writer (the runner, the llama-bench executor, serve, the importer) builds
 * its records here, so the ~20 identity fields are filled in one place and a record is either measured
 * (`okRecord`) or a failure (`failedRecord`), never something in between.
 */
import {
  type Env,
  type ExecutorKind,
  type FailedStatus,
  type RecordParams,
  type Memory,
  type ModelIdentity,
  type Phase,
  ResultRecord,
  SCHEMA_VERSION,
  type ShardInfo,
  type Telemetry,
} from "./schema.js";

/** What every record of one instance carries, whatever its outcome. */
export interface RecordBase {
  runId: string;
  suite: string;
  /** the instance key (--resume and compare join on it) */
  key: string;
  testId: string;
  model: ModelIdentity;
  params: RecordParams;
  env: Env;
  executor: ExecutorKind;
  /** default: "unavailable" with reason "no telemetry" */
  telemetry?: Telemetry;
  loadMs?: number | null;
  warnings?: string[];
  extra?: Record<string, unknown>;
  /** default: now */
  timestamp?: string;
  /** a sharded run's shard */
  shard?: ShardInfo;
}

/** What a successful measurement produced. */
export interface Measured {
  pp: Phase | null;
  tg: Phase | null;
  parallelTg: Phase | null;
  memory?: Memory;
  serving?: ResultRecord["serving"];
}

export interface Failure {
  status: FailedStatus;
  message: string;
  /** the tail of the process's stderr (kept to its last 4000 characters) */
  stderr?: string | null;
  /** times the instance was tried */
  attempts?: number;
}

const STDERR_TAIL = 4000;
const NO_TELEMETRY: Telemetry = { status: "unavailable", reason: "no telemetry" };

function common(base: RecordBase): Omit<ResultRecord, "status" | "pp" | "tg" | "parallelTg" | "memory" | "error"> {
  return {
    schemaVersion: SCHEMA_VERSION,
    runId: base.runId,
    suite: base.suite,
    key: base.key,
    testId: base.testId,
    timestamp: base.timestamp ?? new Date().toISOString(),
    model: base.model,
    params: base.params,
    env: base.env,
    executor: base.executor,
    telemetry: base.telemetry ?? NO_TELEMETRY,
    loadMs: base.loadMs ?? null,
    warnings: base.warnings ?? [],
    ...(base.extra ? { extra: base.extra } : {}),
    ...(base.shard ? { shard: base.shard } : {}),
  };
}

export function okRecord(base: RecordBase, measured: Measured): ResultRecord {
  return {
    ...common(base),
    status: "ok",
    pp: measured.pp,
    tg: measured.tg,
    parallelTg: measured.parallelTg,
    memory: measured.memory ?? null,
    error: null,
    ...(measured.serving ? { serving: measured.serving } : {}),
  };
}

export function failedRecord(base: RecordBase, failure: Failure): ResultRecord {
  const stderr = failure.stderr ? failure.stderr.slice(-STDERR_TAIL) : null;
  return {
    ...common(base),
    status: failure.status,
    pp: null,
    tg: null,
    parallelTg: null,
    memory: null,
    error: {
      message: failure.message,
      stderrTail: stderr,
      ...(failure.attempts !== undefined ? { attempts: failure.attempts } : {}),
    },
  };
}

/** "field pp.samplesMs.3: expected number, received NaN" — the first problem zod found, on one line. */
export function validationMessage(error: { issues: { path: PropertyKey[]; message: string }[] }): string {
  const issue = error.issues[0];
  if (!issue) return "invalid record";
  const field = issue.path.map(String).join(".") || "(record)";
  return `field ${field}: ${issue.message}`;
}

/**
 * The record as it will be written, or — when it does not match the schema (a NaN, a negative duration) —
 * an `error` record for the same instance that says why. `invalid` only when even that cannot be written
 * (the instance's own identity is invalid): the caller reports it and the run goes on.
 */
export function checkedRecord(record: ResultRecord): { record: ResultRecord } | { invalid: string } {
  const parsed = ResultRecord.safeParse(record);
  if (parsed.success) return { record: parsed.data };
  const why = validationMessage(parsed.error);
  const base: RecordBase = {
    runId: record.runId,
    suite: record.suite,
    key: record.key,
    testId: record.testId,
    model: record.model,
    params: record.params,
    env: record.env,
    executor: record.executor ?? "llama",
    warnings: record.warnings,
    timestamp: record.timestamp,
    shard: record.shard,
  };
  const fallback = failedRecord(base, {
    status: "error",
    message: `the measured record failed validation (${why}); nothing of it was kept`,
    stderr: record.error?.stderrTail ?? null,
  });
  const second = ResultRecord.safeParse(fallback);
  return second.success ? { record: second.data } : { invalid: why };
}
