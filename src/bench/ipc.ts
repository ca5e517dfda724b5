/** Typed messages between the runner (parent) and a worker (child process, one per model load). */
import type { Instance } from "../plan/types.js";
import type { Phase, Env } from "../results/schema.js";

export interface WorkerOptions {
  executor: "llama" | "mock";
  modelPath: string;
  vocab: number;
  seed: number;
  warmup: number;
  repetitions: { min: number; max: number; targetCi: number };
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

export type WorkerToParent =
  | {
      type: "env";
      env: Partial<Env>;
      loadMs: number;
      events: { loadStart: number; loadEnd: number; idleStart?: number; idleEnd?: number };
    }
  | { type: "contextCreated"; key: string; t: number }
  | { type: "loadFailed"; message: string; oom: boolean }
  | { type: "started"; key: string }
  | { type: "progress"; key: string; phase: string; rep: number; tokPerSec: number }
  | { type: "result"; key: string; result: InstanceResult }
  | { type: "failed"; key: string; message: string; oom: boolean }
  | { type: "done" };

export function isOomMessage(msg: string): boolean {
  return /out of memory|failed to allocate|cudaMalloc failed|ErrorOutOfDeviceMemory|insufficient memory|not enough memory|unable to allocate/i.test(
    msg,
  );
}
