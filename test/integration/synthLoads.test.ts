/**
 * Synthetic models load in node-llama-cpp and generate tokens on CPU. CI runs a representative
 * subset (every preset, four quants covering each ggml type family, tiny scale); scripts/load-all.ts runs
 * every preset × quant at small scale.
 */
import { describe, it, expect, beforeAll, afterAll } from "vitest";
import { join } from "node:path";
import { getLlama, type Llama } from "node-llama-cpp";
import { synthesize, PRESET_NAMES } from "../../src/gguf/synth/synthesize.js";
import { tmp } from "../helpers.js";

let llama: Llama;
const dir = tmp();

beforeAll(async () => {
  llama = await getLlama({ gpu: false, build: "never" });
});
afterAll(async () => {
  await llama?.dispose();
});

describe("synthetic models load and generate in node-llama-cpp (CPU)", () => {
  for (const preset of PRESET_NAMES) {
    for (const quant of ["F16", "Q8_0", "Q4_K_M", "Q2_K"]) {
      it(`${preset} ${quant} (tiny)`, async () => {
        const path = join(dir, `${preset}-${quant}.gguf`);
        await synthesize({ preset, quant, scale: "tiny" }, path);
        const model = await llama.loadModel({ modelPath: path });
        const ctx = await model.createContext({ contextSize: 256, threads: 1 });
        const seq = ctx.getSequence();
        const got: number[] = [];
        for await (const t of seq.evaluate([300, 301, 302] as never, { temperature: 0 })) {
          got.push(t as unknown as number);
          if (got.length >= 4) break;
        }
        expect(got.length).toBe(4);
        expect(got.every((t) => Number.isInteger(t) && t >= 0)).toBe(true);
        // NaN or infinite weights would give NaN logits: the next-token distribution must be a distribution
        await seq.clearHistory();
        const opts = { temperature: 1, topK: 0, topP: 1, minP: 0 };
        const [out] = await seq.controlledEvaluate([
          [300, { generateNext: { probabilities: true, options: opts } }],
        ] as never);
        const probs = [
          ...((out as { next?: { probabilities?: Map<number, number> } }).next?.probabilities?.values() ?? []),
        ];
        expect(probs.length).toBeGreaterThan(1);
        expect(probs.every((p) => Number.isFinite(p) && p >= 0)).toBe(true);
        expect(probs.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 3);
        await ctx.dispose();
        await model.dispose();
      });
    }
  }
});
