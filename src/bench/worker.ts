/**
 * Worker process: loads one model, runs its instances in order and reports each result to the parent.
 * Measurement happens here, never in the parent, so a crash or OOM takes down only this process and
 * VRAM readings are not polluted by other models. Failures are reported as messages; the parent decides
 * what they are (it has our stderr).
 */
import { statSync } from "node:fs";
import type { Instance } from "../plan/types.js";
import { epochNow } from "../util/time.js";
import type { BenchContext, ContextConfig, Executor } from "./executor.js";
import { MockExecutor } from "./mockExecutor.js";
import { LlamaExecutor } from "./llama/llamaExecutor.js";
import {
  type InstanceResult,
  type ParentToWorker,
  STDERR_MARK,
  type WorkerOptions,
  type WorkerToParent,
} from "./ipc.js";
import { runTasks } from "./tasks.js";

/** A marked message: first the stderr mark (after everything llama.cpp printed so far), then the message. */
async function sendMarked(m: Extract<WorkerToParent, { type: "started" | "failed" | "loadFailed" }>): Promise<void> {
  await new Promise<void>((resolve) => process.stderr.write(`\n${STDERR_MARK}\n`, () => resolve()));
  await send(m);
}

function send(m: WorkerToParent): Promise<void> {
  return new Promise((resolve) => {
    if (!process.send) {
      resolve();
      return;
    }
    process.send(m, undefined, undefined, () => resolve());
  });
}

const messageOf = (e: unknown): string => (e instanceof Error ? e.message : String(e));

function makeExecutor(o: WorkerOptions, first: Instance): Executor {
  if (o.executor !== "mock") return new LlamaExecutor(o.backend, { tgMode: first.params.tgMode });
  let size = 1e8;
  try {
    size = statSync(o.modelPath).size;
  } catch {
    /* the mock does not need the file */
  }
  const active = first.model.kind === "synth" && first.model.preset.includes("a1b") ? 0.25 : 1;
  return new MockExecutor(o.seed, size, active);
}

/** Load the model; `loadMs` times the load alone. Then the loaded-idle power baseline, if asked for. */
async function load(executor: Executor, o: WorkerOptions, first: Instance) {
  const env = await executor.env();
  const loadStart = epochNow();
  const t0 = performance.now();
  const model = await executor.load(o.modelPath, first.params.gpuLayers);
  const loadMs = performance.now() - t0;
  const loadEnd = epochNow();
  const offload = await model.offload?.();
  let idle: { idleStart?: number; idleEnd?: number } = {};
  if (o.idleBaselineSec > 0) {
    // the model resident, nothing running
    const idleStart = epochNow();
    await new Promise((r) => setTimeout(r, o.idleBaselineSec * 1000));
    idle = { idleStart, idleEnd: epochNow() };
  }
  const loadedEnv = offload === undefined ? env : { ...env, offload };
  await send({ type: "env", env: loadedEnv, loadMs, events: { loadStart, loadEnd, ...idle } });
  return model;
}

/** NVML's energy counter, read at the edges of every timed window in this (the measuring) process. */
async function nvmlEnergy(o: WorkerOptions): Promise<(() => bigint | null) | undefined> {
  if (o.executor !== "llama" || o.backend === "cpu") return undefined;
  const { openNvmlEnergy } = await import("../telemetry/nvml.js");
  const n = await openNvmlEnergy(0);
  return "read" in n ? n.read : undefined;
}

function contextConfig(inst: Instance): ContextConfig {
  const p = inst.params;
  return {
    ctx: p.ctx,
    parallel: p.parallel,
    kvK: p.kvK,
    kvV: p.kvV,
    flashAttention: p.flashAttention,
    threads: p.threads,
    batch: p.batch,
    tgMode: p.tgMode,
  };
}

async function measureInstance(
  ctx: BenchContext,
  inst: Instance,
  o: WorkerOptions,
  energy: (() => bigint | null) | undefined,
): Promise<InstanceResult> {
  const p = inst.params;
  const spec = {
    pp: p.pp,
    tg: p.tg,
    depth: p.depth,
    parallel: p.parallel,
    tgMode: p.tgMode,
    energy,
    energyMinMs: o.telemetryActive || energy ? 1000 : 0,
    warmup: o.warmup,
    repetitions: o.repetitions,
  };
  const onRep = (phase: string, rep: number, tokPerSec: number): void => {
    void send({ type: "progress", key: inst.key, phase, rep, tokPerSec });
  };
  const tasks = await runTasks(ctx, spec, o.vocab, o.seed + inst.index, onRep);
  const mem = await ctx.memory();
  return {
    ...tasks,
    memory: { ...mem, rssBytes: process.memoryUsage.rss() },
    applied: {
      threads: ctx.appliedThreads,
      ubatch: o.executor === "llama" ? p.batch : p.ubatch,
      flashAttention: p.flashAttention,
    },
    warnings: p.tg > 0 ? [...ctx.warnings] : [],
  };
}

async function run(msg: Extract<ParentToWorker, { type: "run" }>): Promise<void> {
  const o = msg.options;
  const first = msg.instances[0];
  if (!first) {
    await send({ type: "done" });
    return;
  }
  const executor = makeExecutor(o, first);
  let model: Awaited<ReturnType<Executor["load"]>>;
  try {
    model = await load(executor, o, first);
  } catch (e) {
    await sendMarked({ type: "loadFailed", message: messageOf(e) });
    return;
  }
  const energy = await nvmlEnergy(o);
  // one context while consecutive instances share its configuration
  let ctx: BenchContext | undefined;
  let ctxKey = "";
  for (const inst of msg.instances) {
    await sendMarked({ type: "started", key: inst.key });
    const cfg = contextConfig(inst);
    const key = JSON.stringify(cfg);
    try {
      if (!ctx || key !== ctxKey) {
        await ctx?.dispose();
        ctx = undefined;
        ctx = await model.createContext(cfg);
        ctxKey = key;
        await send({ type: "contextCreated", key: inst.key, t: epochNow() });
      }
      await send({ type: "result", key: inst.key, result: await measureInstance(ctx, inst, o, energy) });
    } catch (e) {
      await sendMarked({ type: "failed", key: inst.key, message: messageOf(e) });
      await ctx?.dispose().catch(() => undefined);
      ctx = undefined;
      ctxKey = "";
    }
  }
  await ctx?.dispose().catch(() => undefined);
  await model.dispose().catch(() => undefined);
  await send({ type: "done" });
}

process.on("message", (m: ParentToWorker) => {
  if (m.type !== "run") return;
  run(m).then(
    () => process.exit(0),
    (e: unknown) => {
      process.stderr.write(`worker: ${e instanceof Error ? e.stack : String(e)}\n`);
      process.exit(1);
    },
  );
});

// the parent died (killed, not interrupted cleanly): do not linger holding memory or VRAM
process.on("disconnect", () => process.exit(1));
