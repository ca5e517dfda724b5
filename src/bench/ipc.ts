/** Typed messages between the runner (parent) and a worker (child process, one per model load). */
import type { Instance } from "../plan/types.js";
import type { Env, Phase } from "../results/schema.js";
import type { Repetitions } from "./repeat.js";

export interface WorkerOptions {
  executor: "llama" | "mock";
  modelPath: string;
  vocab: number;
  seed: number;
  warmup: number;
  repetitions: Repetitions;
  backend: string;
  /** seconds to idle after load for the loaded-idle power baseline (0: none) */
  idleBaselineSec: number;
  /** telemetry is sampling: extend short energy windows to 1 s */
  telemetryActive: boolean;
}

export type ParentToWorker = { type: "run"; options: WorkerOptions; instances: Instance[] };

export interface InstanceResult {
  pp: Phase | null;
  tg: Phase | null;
  parallelTg: Phase | null;
  memory: {
    vramUsedBytes: number | null;
    vramTotalBytes: number | null;
    contextStateBytes: number | null;
    rssBytes: number | null;
  } | null;
  /** settings as llama.cpp actually applied them (threads resolved, ubatch = batch in node-llama-cpp) */
  applied: { threads: number; ubatch: number; flashAttention: boolean };
  warnings: string[];
}

/** Epoch-ms edges of the load and of the loaded-idle power baseline (for telemetry). */
export interface LoadEvents {
  loadStart: number;
  loadEnd: number;
  idleStart?: number;
  idleEnd?: number;
}

/**
 * Written on its own line to the worker's stderr just before it sends `started`, `failed` or `loadFailed`:
 * stderr and the IPC channel are separate pipes, so the parent cuts stderr at these marks to know which
 * lines llama.cpp printed for which instance (stderrSegments.ts).
 */
export const STDERR_MARK = "@@moebench-worker-failed@@";

/** The worker's messages. Failures carry the message only: the parent classifies them (with stderr). */
export type WorkerToParent =
  /** `loadMs`: the model load alone (not the binding's start, not the idle-power wait) */
  | { type: "env"; env: Partial<Env>; loadMs: number; events: LoadEvents }
  | { type: "contextCreated"; key: string; t: number }
  | { type: "loadFailed"; message: string }
  | { type: "started"; key: string }
  | { type: "progress"; key: string; phase: string; rep: number; tokPerSec: number }
  | { type: "result"; key: string; result: InstanceResult }
  | { type: "failed"; key: string; message: string }
  | { type: "done" };
