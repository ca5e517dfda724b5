/**
 * Worker process: loads one model, runs its instances in order and reports each result to the parent.
 * Measurement happens here, never in the parent, so a crash or OOM takes down only this process and
 * VRAM readings are not polluted by other models.
 */
import type { ParentToWorker, WorkerToParent, InstanceResult } from "./ipc.js";
import { isOomMessage } from "./ipc.js";
import { MockExecutor, type BenchContext, type ContextConfig, type Executor } from "./executor.js";
import { LlamaExecutor } from "./llama/llamaExecutor.js";
import { runTasks } from "./tasks.js";
import { epochNow } from "../util/time.js";
import { statSync } from "node:fs";

function send(m: WorkerToParent): Promise<void> {
  return new Promise((resolve) => {
    if (!process.send) {
      resolve();
      return;
    }
    process.send(m, undefined, undefined, () => resolve());
  });
}

async function run(msg: Extract<ParentToWorker, { type: "run" }>): Promise<void> {
  const o = msg.options;
  const first = msg.instances[0];
  if (!first) {
    await send({ type: "done" });
    return;
  }
  let executor: Executor;
  if (o.executor === "mock") {
    const size = (() => {
      try {
        return statSync(o.modelPath).size;
      } catch {
        return 1e8;
      }
    })();
    const active = first.model.kind === "synth" && first.model.preset.includes("a1b") ? 0.25 : 1;
    executor = new MockExecutor(o.seed, size, active);
  } else {
    executor = new LlamaExecutor(o.backend);
  }
  const t0 = performance.now();
  let model;
  try {
    const env = await executor.env();
    const loadStart = epochNow();
    model = await executor.load(o.modelPath, first.params.gpuLayers);
    const loadEnd = epochNow();
    let idle: { idleStart?: number; idleEnd?: number } = {};
    if (o.idleBaselineSec > 0) {
      // loaded-idle power baseline: the model resident, nothing running
      const idleStart = epochNow();
      await new Promise((r) => setTimeout(r, o.idleBaselineSec * 1000));
      idle = { idleStart, idleEnd: epochNow() };
    }
    await send({ type: "env", env, loadMs: performance.now() - t0, events: { loadStart, loadEnd, ...idle } });
  } catch (e) {
    const message = e instanceof Error ? e.message : String(e);
    await send({ type: "loadFailed", message, oom: isOomMessage(message) });
    return;
  }
  // NVML's energy counter, read at the edges of every timed window in this (the measuring) process
  let energy: (() => bigint | null) | undefined;
  if (o.executor === "llama" && o.backend !== "cpu") {
    const { openNvmlEnergy } = await import("../telemetry/nvml.js");
    const n = await openNvmlEnergy(0);
    if ("read" in n) energy = n.read;
  }
  let ctx: BenchContext | undefined;
  let ctxKey = "";
  for (const inst of msg.instances) {
    await send({ type: "started", key: inst.key });
    const p = inst.params;
    const cfg: ContextConfig = {
      ctx: p.ctx,
      parallel: p.parallel,
      kvK: p.kvK,
      kvV: p.kvV,
      flashAttention: p.flashAttention,
      threads: p.threads,
      batch: p.batch,
      tgMode: p.tgMode,
    };
    const key = JSON.stringify(cfg);
    try {
      if (!ctx || key !== ctxKey) {
        await ctx?.dispose();
        ctx = undefined;
        ctx = await model.createContext(cfg);
        ctxKey = key;
        await send({ type: "contextCreated", key: inst.key, t: epochNow() });
      }
      const tasks = await runTasks(
        ctx,
        {
          pp: p.pp,
          tg: p.tg,
          depth: p.depth,
          parallel: p.parallel,
          tgMode: p.tgMode,
          energy,
          energyMinMs: o.telemetryActive || energy ? 1000 : 0,
          warmup: o.warmup,
          repetitions: o.repetitions,
        },
        o.vocab,
        o.seed + inst.index,
        (phase, rep, tokPerSec) => {
          void send({ type: "progress", key: inst.key, phase, rep, tokPerSec });
        },
      );
      const mem = await ctx.memory();
      const result: InstanceResult = {
        ...tasks,
        memory: { ...mem, rssBytes: process.memoryUsage.rss() },
        applied: {
          threads: ctx.appliedThreads,
          ubatch: o.executor === "llama" ? p.batch : p.ubatch,
          flashAttention: p.flashAttention,
        },
        warnings: p.tg > 0 ? [...ctx.warnings] : [],
      };
      await send({ type: "result", key: inst.key, result });
    } catch (e) {
      const message = e instanceof Error ? e.message : String(e);
      await send({ type: "failed", key: inst.key, message, oom: isOomMessage(message) });
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
  if (m.type === "run") {
    run(m).then(
      () => process.exit(0),
      async (e: unknown) => {
        process.stderr.write(`worker: ${e instanceof Error ? e.stack : String(e)}\n`);
        process.exit(1);
      },
    );
  }
});

// the parent died (killed, not interrupted cleanly): do not linger holding memory or VRAM
process.on("disconnect", () => process.exit(1));
