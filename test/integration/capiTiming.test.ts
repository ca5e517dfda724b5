/**
 * The C-API timing path (src/bench/llama/capi): it runs on the library files node-llama-cpp loaded, attaches a
 * persistent ggml threadpool (no thread is born during decodes, unlike node-llama-cpp's own path), and its
 * greedy tokens equal node-llama-cpp's evaluate path token for token. Not timed.
 */
import { describe, it, expect, beforeAll, afterAll } from "vitest";
import { join } from "node:path";
import { readdirSync, readFileSync } from "node:fs";
import { Worker } from "node:worker_threads";
import type { LlamaModel } from "node-llama-cpp";
import { synthesize } from "../../src/gguf/synth/synthesize.js";
import { LlamaExecutor } from "../../src/bench/llama/llamaExecutor.js";
import { CApiBenchContext } from "../../src/bench/llama/capi/capiBenchContext.js";
import type { ContextConfig, LoadedModel } from "../../src/bench/executor.js";
import { tmp } from "../helpers.js";

const dir = tmp();
const modelPath = join(dir, "llama-tiny-Q8_0.gguf");
const cfg = (threads: number, tgMode: ContextConfig["tgMode"] = "decode"): ContextConfig => ({
  ctx: 256,
  parallel: 1,
  kvK: "f16",
  kvV: "f16",
  flashAttention: false,
  threads,
  batch: 64,
  tgMode,
});

/**
 * Thread ids of this process seen by a worker thread that lists /proc/self/task as fast as it can while
 * `work` runs, minus those alive before it started. A thread that lives for one decode is caught.
 */
async function threadsBornDuring(work: () => Promise<void>): Promise<Set<string>> {
  const sampler = new Worker(
    `const { readdirSync } = require("node:fs"); const { parentPort } = require("node:worker_threads");
     const seen = new Set(); let stop = false;
     parentPort.on("message", () => { stop = true; parentPort.postMessage([...seen]); });
     (function loop() { for (let i = 0; i < 200; i++) for (const t of readdirSync("/proc/self/task")) seen.add(t);
       if (!stop) setImmediate(loop); })();`,
    { eval: true },
  );
  await new Promise((r) => sampler.once("online", r));
  await new Promise((r) => setTimeout(r, 50));
  const before = new Set(readdirSync("/proc/self/task"));
  await work();
  const seen = await new Promise<string[]>((resolve) => {
    sampler.once("message", resolve);
    sampler.postMessage("stop");
  });
  await sampler.terminate();
  return new Set(seen.filter((t) => !before.has(t)));
}

let capi: LoadedModel;
let capiExecutor: LlamaExecutor;

beforeAll(async () => {
  await synthesize({ preset: "llama-3.1-8b", quant: "Q8_0", scale: "tiny" }, modelPath);
  capiExecutor = new LlamaExecutor("cpu", { tgMode: "decode" });
  capi = await capiExecutor.load(modelPath, 0);
});
afterAll(async () => {
  await capi?.dispose();
});

describe("C-API timing path", () => {
  it("runs on the libllama/libggml files node-llama-cpp loaded, and says so in env", async () => {
    const env = await capiExecutor.env();
    const mapped = readFileSync("/proc/self/maps", "utf8");
    expect(env.timing?.path, env.timing?.fallback ?? "").toBe("c-api");
    expect(env.timing?.threadpool).toBe("persistent");
    expect(env.timing?.llamaVersion).toMatch(/^0\.5\.0/);
    expect(env.timing?.libraries).toHaveLength(3);
    for (const file of env.timing!.libraries) {
      expect(mapped).toContain(file);
      expect(file).toContain("@node-llama-cpp");
    }
  });

  it("attaches a persistent threadpool: no thread is born during decodes (node-llama-cpp's makes some)", async () => {
    const ctx = await capi.createContext(cfg(2));
    expect(ctx).toBeInstanceOf(CApiBenchContext);
    expect(ctx.appliedThreads).toBe(2);
    const tokens = Array.from({ length: 32 }, (_, i) => 300 + i);
    await ctx.timeGenerate(tokens, 4, "decode"); // warm: the pool exists from context creation on
    const born = await threadsBornDuring(async () => {
      for (let rep = 0; rep < 4; rep++) {
        await ctx.clear();
        await ctx.timePrompt(tokens);
        await ctx.timeGenerate(tokens, 32, "decode");
      }
    });
    await ctx.dispose();
    expect([...born]).toEqual([]);

    // control: the same work through node-llama-cpp's native batch path, which attaches no threadpool, makes
    // ggml start threads on every decode; the sampler above must see them (else it proves nothing)
    process.env.MOEBENCH_TIMING_PATH = "native-batch";
    const fallback = new LlamaExecutor("cpu", { tgMode: "decode" });
    const model = await fallback.load(modelPath, 0);
    delete process.env.MOEBENCH_TIMING_PATH;
    expect((await fallback.env()).timing?.path).toBe("native-batch");
    const viaBinding = await model.createContext(cfg(2));
    await viaBinding.timeGenerate(tokens, 4, "decode");
    const bornViaBinding = await threadsBornDuring(async () => {
      await viaBinding.timeGenerate(tokens, 32, "decode");
    });
    await viaBinding.dispose();
    await model.dispose();
    expect(bornViaBinding.size).toBeGreaterThan(0);
  });

  it("llama.cpp's own decode clock counts every generation step, inside the wall time (harnessUsPerToken)", async () => {
    const ctx = await capi.createContext(cfg(1));
    const tokens = Array.from({ length: 32 }, (_, i) => 300 + i);
    await ctx.timeGenerate(tokens, 4, "decode");
    const before = ctx.decodeMs!();
    const gaps = await ctx.timeGenerate(tokens, 32, "decode");
    const counted = ctx.decodeMs!() - before;
    await ctx.dispose();
    const wall = gaps.reduce((a, b) => a + b, 0);
    // the clock runs from inside llama_decode to the end of llama_synchronize (µs ticks: 32 × 1 µs of slack)
    expect(counted).toBeLessThanOrEqual(wall + 0.032);
    // off (no_perf) or read through a wrong layout it would be 0 or garbage; on, most of each step is llama.cpp's
    expect(counted).toBeGreaterThan(wall * 0.2);
  });

  it("decodes batches of several sequences (the by-value llama_batch with seq ids and logits flags)", async () => {
    const ctx = await capi.createContext({ ...cfg(1), parallel: 2 });
    const own = (k: number) => Array.from({ length: 8 }, (_, i) => 300 + 10 * k + i);
    await ctx.fill(own(1), 1);
    const before = ctx.decodeMs!();
    const timing = await ctx.timeParallel([own(0), own(1)], 6, "decode");
    const counted = ctx.decodeMs!() - before;
    await ctx.dispose();
    expect(timing.ttftMs).toHaveLength(2);
    expect(counted).toBeGreaterThan(0);
    expect(counted).toBeLessThanOrEqual(timing.totalMs + 0.006);
  });

  it("generates the same greedy tokens as node-llama-cpp's evaluate path", async () => {
    const prompt = [300, 301, 302, 303, 304, 305, 306, 307];
    const n = 24;
    const ctx = (await capi.createContext(cfg(1))) as CApiBenchContext;
    const { getLlama } = await import("node-llama-cpp");
    const llama = await getLlama({ gpu: false, build: "never" });
    const model: LlamaModel = await llama.loadModel({ modelPath, gpuLayers: 0 });
    const ours = ctx.greedy(prompt, n);
    await ctx.dispose();
    const appContext = await model.createContext({
      contextSize: 256,
      threads: 1,
      batchSize: 64,
      flashAttention: false,
    });
    const theirs: number[] = [];
    for await (const token of appContext.getSequence().evaluate(prompt as never, { temperature: 0 })) {
      theirs.push(token as unknown as number);
      if (theirs.length >= n) break;
    }
    await appContext.dispose();
    await model.dispose();
    expect(theirs).toHaveLength(n);
    expect(ours).toEqual(theirs);
  });
});
