/**
 * `fit` against what llama.cpp itself allocates (CPU, through node-llama-cpp, reading llama.cpp's own log):
 * KV-cache bytes exactly, for every architecture and f16/q8_0/q4_0; compute buffers within 10% at
 * 8k/16k/32k with flash attention on and off, on full-size sparse synth files (they allocate like the real ones).
 */
import { describe, it, expect, beforeAll, afterAll } from "vitest";
import { join } from "node:path";
import { getLlama, LlamaLogLevel, type Llama } from "node-llama-cpp";
import { synthesize, planSynth, PRESET_NAMES } from "../../src/gguf/synth/synthesize.js";
import { fitFactsFromPlan } from "../../src/gguf/fitFacts.js";
import { fitRow } from "../../src/gguf/fit.js";
import { tmp } from "../helpers.js";

let llama: Llama;
let log: string[] = [];
const dir = tmp();
beforeAll(async () => {
  llama = await getLlama({
    gpu: false,
    build: "never",
    logLevel: LlamaLogLevel.debug,
    logger: (_l, m) => {
      if (/buffer size|size =/.test(m)) log.push(m);
    },
  });
});
afterAll(async () => {
  await llama?.dispose();
});

const mib = (re: RegExp): number | undefined => {
  for (const l of log) {
    const m = re.exec(l);
    if (m) return Number(m[1]);
  }
  return undefined;
};

async function allocate(
  path: string,
  ctx: number,
  kv: string,
  fa: boolean,
): Promise<{ kvMiB?: number; rsMiB?: number; computeMiB?: number; cells?: number; layers?: number }> {
  log = [];
  const model = await llama.loadModel({ modelPath: path });
  const c = await model.createContext({
    contextSize: ctx,
    flashAttention: fa,
    batchSize: 512,
    threads: 1,
    experimentalKvCacheKeyType: kv.toUpperCase() as never,
    experimentalKvCacheValueType: kv.toUpperCase() as never,
  });
  // llama.cpp's log reaches JS asynchronously
  for (let i = 0; i < 50 && !log.some((l) => /compute buffer size/.test(l)); i++)
    await new Promise((r) => setTimeout(r, 20));
  const size = log.map((l) => /size =\s+[\d.]+ MiB \(\s*(\d+) cells,\s+(\d+) layers/.exec(l)).find(Boolean);
  const out = {
    kvMiB: mib(/KV buffer size =\s+([\d.]+) MiB/),
    rsMiB: mib(/RS buffer size =\s+([\d.]+) MiB/),
    computeMiB: mib(/compute buffer size =\s+([\d.]+) MiB/),
    cells: size ? Number(size[1]) : undefined,
    layers: size ? Number(size[2]) : undefined,
  };
  await c.dispose();
  await model.dispose();
  return out;
}

describe("fit vs llama.cpp's own allocation (CPU)", () => {
  for (const preset of PRESET_NAMES) {
    it(`${preset} (small): KV cache bytes exact for f16, q8_0, q4_0`, async () => {
      const path = join(dir, `${preset}.gguf`);
      await synthesize({ preset, quant: "Q4_K_M", scale: "small" }, path);
      const facts = fitFactsFromPlan(planSynth({ preset, quant: "Q4_K_M", scale: "small" }));
      for (const kv of ["f16", "q8_0", "q4_0"]) {
        const got = await allocate(path, 4096, kv, true);
        const ours = fitRow(facts, 4096, kv, true, { parallel: 1, batch: 512, vramBytes: null, overheadBytes: 0 });
        // llama.cpp prints MiB with two decimals: equal at that precision, and the same cells and layers
        expect(
          Math.abs(got.kvMiB! - ours.kvCache / 2 ** 20),
          `${preset} ${kv}: llama.cpp ${got.kvMiB} MiB, ours ${ours.kvCache / 2 ** 20}`,
        ).toBeLessThanOrEqual(0.005);
        expect(got.cells).toBe(ours.cells);
        expect(got.layers).toBe(facts.attentionLayers.length);
        if (facts.recurrentLayers.length)
          expect(Math.abs(got.rsMiB! - ours.recurrentState / 2 ** 20)).toBeLessThanOrEqual(0.005);
      }
    });
  }

  for (const preset of ["lfm2-8b-a1b", "llama-3.1-8b"]) {
    it(`${preset} (full size, sparse): compute buffer within 10% at 8k/16k/32k, flash attention on and off`, async () => {
      const path = join(dir, `${preset}-full-sparse.gguf`);
      await synthesize({ preset, quant: "Q4_K_M", sparse: true }, path);
      const facts = fitFactsFromPlan(planSynth({ preset, quant: "Q4_K_M" }));
      for (const ctx of [8192, 16384, 32768])
        for (const fa of [false, true]) {
          const got = await allocate(path, ctx, "f16", fa);
          const ours = fitRow(facts, ctx, "f16", fa, { parallel: 1, batch: 512, vramBytes: null, overheadBytes: 0 });
          expect(Math.abs(got.kvMiB! - ours.kvCache / 2 ** 20)).toBeLessThanOrEqual(0.005);
          const rel = Math.abs(ours.compute / 2 ** 20 - got.computeMiB!) / got.computeMiB!;
          expect(
            rel,
            `${preset} ctx=${ctx} fa=${fa}: ours ${(ours.compute / 2 ** 20).toFixed(1)} MiB vs llama.cpp ${got.computeMiB} MiB`,
          ).toBeLessThan(0.1);
        }
    });
  }
});
