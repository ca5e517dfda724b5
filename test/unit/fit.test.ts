/**
 * fit's arithmetic on a hand-made model (numbers small enough to check by hand); llama.cpp itself is the
 * oracle in test/integration/fitVsLlamaCpp.test.ts.
 */
import { describe, it, expect } from "vitest";
import {
  ALL_ON_DEVICE,
  computeBufferBytes,
  computePhases,
  fit,
  fitRow,
  layersOnDevice,
  maxContexts,
  offloadLadder,
  smallestOffload,
  weightsOnDevice,
  type FitFacts,
} from "../../src/gguf/fit.js";

// 4 blocks; blocks 2 and 3 have 100 bytes of experts each; attention in blocks 1 and 3 (1 and 3 are KV layers,
// 0 and 2 short-conv); token_embd 50 bytes (tied), output norm 2 bytes; total = 50 + 2 + 10 + 20 + 130 + 140 = 352
const moe: FitFacts = {
  name: "hand-made",
  tensorBytes: 352,
  tokEmbdBytes: 50,
  outputBytes: 2,
  tiedEmbeddings: true,
  layerBytes: [10, 20, 130, 140],
  layerExpertBytes: [0, 0, 100, 100],
  nVocab: 1000,
  nEmbd: 64,
  ffnWidth: 256,
  nHead: 4,
  nLayer: 4,
  attentionLayers: [1, 3],
  nHeadKv: 2,
  headDimK: 16,
  headDimV: 16,
  recurrentLayers: [0, 2],
  convLCache: 3,
  ctxTrain: 4096,
};
const dense: FitFacts = { ...moe, layerExpertBytes: [0, 0, 0, 0], tiedEmbeddings: false };
const opts = { parallel: 1, batch: 512, vramBytes: null, overheadBytes: 0 };

describe("llama.cpp's -ngl placement", () => {
  it("counts the output layer as layer n_layer: -ngl 1 is the output layer alone, n_layer+1 is everything", () => {
    expect(layersOnDevice(4, 0)).toEqual({ first: 4, output: false });
    expect(layersOnDevice(4, 1)).toEqual({ first: 4, output: true });
    expect(layersOnDevice(4, 2)).toEqual({ first: 3, output: true });
    expect(layersOnDevice(4, 5)).toEqual({ first: 0, output: true });
    expect(layersOnDevice(4, 99)).toEqual({ first: 0, output: true });
    expect(layersOnDevice(4, null)).toEqual({ first: 0, output: true });
  });
});

describe("weights on the device and in host memory", () => {
  it("everything on the device: all blocks + output norm + a device copy of the tied token_embd", () => {
    // device = 10+20+130+140 + 2 + 50 (copy) = 352; host = token_embd 50
    expect(weightsOnDevice(moe)).toEqual({ device: 352, host: 50 });
  });
  it("an untied model keeps no copy", () => {
    expect(weightsOnDevice(dense)).toEqual({ device: 302, host: 50 });
  });
  it("-ngl 2: output layer + block 3", () => {
    // device = 140 + 2 + 50 = 192; host = 352 − 142 = 210
    expect(weightsOnDevice(moe, { gpuLayers: 2, cpuMoe: 0, expertsOnHost: false })).toEqual({ device: 192, host: 210 });
  });
  it("-ngl 0: all in host memory", () => {
    expect(weightsOnDevice(moe, { gpuLayers: 0, cpuMoe: 0, expertsOnHost: false })).toEqual({ device: 0, host: 352 });
  });
  it("--n-cpu-moe 3 keeps block 2's experts (blocks 0 and 1 have none) in host memory", () => {
    // device = 352 − 100 = 252; host = 50 + 100 = 150
    expect(weightsOnDevice(moe, { gpuLayers: null, cpuMoe: 3, expertsOnHost: false })).toEqual({
      device: 252,
      host: 150,
    });
  });
  it("-ot exps=CPU keeps every expert in host memory", () => {
    expect(weightsOnDevice(moe, { gpuLayers: null, cpuMoe: 0, expertsOnHost: true })).toEqual({
      device: 152,
      host: 250,
    });
  });
});

describe("KV cache, recurrent state and compute per side", () => {
  it("KV of each attention layer on its layer's device; conv state likewise", () => {
    // cells 256; per attention layer K+V = 256 × 2 × 16 × 2 B × 2 = 32768;
    // conv state per block = 64 × 2 × 4 = 512
    const r = fitRow(moe, 256, "f16", true, { ...opts, offload: { gpuLayers: 2, cpuMoe: 0, expertsOnHost: false } });
    expect(r.kvCache).toEqual({ device: 32768, host: 32768 });
    expect(r.recurrentState).toEqual({ device: 0, host: 1024 });
    expect(r.total).toBe(r.weights.device + r.kvCache.device + r.recurrentState.device + r.compute.device);
    expect(r.hostTotal).toBe(r.weights.host + r.kvCache.host + r.recurrentState.host + r.compute.host);
  });
  it("phases, by hand (ubatch 256 = the context)", () => {
    const p = computePhases(moe, 256, false, 512);
    // output = 1000 × 256 × 4 + 2 × 64 × 256 × 4 = 1,024,000 + 131,072
    expect(p.output).toBe(1_155_072);
    // attention = 4 × 256 × 256 × 4 + 256 × 256 × 4 + 5.5 × 64 × 256 × 4 = 1,048,576 + 262,144 + 360,448
    expect(p.attention).toBe(1_671_168);
    // layer = 3 × 256 × 256 × 4 + 4 × 64 × 256 × 4 (no mask without flash attention)
    expect(p.layer).toBe(786_432 + 262_144);
    const fa = computePhases(moe, 256, true, 512);
    expect(fa.attention).toBe(0);
    expect(fa.layer).toBe(256 * 256 * 2 + 786_432 + 262_144);
  });
  it("each side holds the largest phase that runs there", () => {
    const all = computeBufferBytes(moe, 256, false, 512, ALL_ON_DEVICE);
    expect(all).toEqual({ device: 1_671_168, host: 0 });
    // -ngl 2: output + block 3 (attention) on the device; blocks 0–2 (block 1 attention) on the host
    const part = computeBufferBytes(moe, 256, false, 512, { gpuLayers: 2, cpuMoe: 0, expertsOnHost: false });
    expect(part).toEqual({ device: 1_671_168, host: 1_671_168 });
    // -ngl 1: only the output layer on the device
    const out = computeBufferBytes(moe, 256, true, 512, { gpuLayers: 1, cpuMoe: 0, expertsOnHost: false });
    expect(out.device).toBe(1_155_072);
    expect(out.host).toBe(256 * 256 * 2 + 786_432 + 262_144);
  });
  it("a quantized V cache without flash attention is not possible", () => {
    expect(fitRow(moe, 256, "q4_0", false, opts).verdict).toBe("not possible");
    expect(fitRow(moe, 256, "q4_0", true, opts).verdict).toBe("no card given");
  });
});

describe("verdicts, largest context and the trained-context cap", () => {
  it("fits / tight / does not fit at the 5% line", () => {
    const r = fitRow(moe, 256, "f16", true, opts);
    const at = (vram: number) => fitRow(moe, 256, "f16", true, { ...opts, vramBytes: vram }).verdict;
    expect(at(r.total)).toBe("tight");
    expect(at(Math.ceil(r.total / 0.95) + 1)).toBe("fits");
    expect(at(r.total - 1)).toBe("does not fit");
    // one byte free is tight too (under 5% of the card)
    expect(at(r.total + 1)).toBe("tight");
  });
  it("the largest context is capped at the trained context, and says so", () => {
    const huge = 2 ** 40;
    const [m] = maxContexts(moe, {
      ...opts,
      vramBytes: huge,
      contexts: [256],
      kvTypes: ["f16"],
      flashAttention: [true],
      offload: ALL_ON_DEVICE,
    });
    expect(m).toEqual({ kv: "f16", flashAttention: true, ctx: 4096, cappedByTraining: true });
    expect(fitRow(moe, 8192, "f16", true, opts).beyondTrained).toBe(true);
    expect(fitRow(moe, 4096, "f16", true, opts).beyondTrained).toBe(false);
  });
  it("the largest context below the trained one is the last multiple of 256 whose total fits", () => {
    const at1024 = fitRow(moe, 1024, "f16", true, opts).total;
    const [m] = maxContexts(moe, {
      ...opts,
      vramBytes: at1024,
      contexts: [256],
      kvTypes: ["f16"],
      flashAttention: [true],
      offload: ALL_ON_DEVICE,
    });
    expect(m!.ctx).toBe(1024);
    expect(m!.cappedByTraining).toBe(false);
  });
  it("fit() gives one row per flash attention × KV type × context", () => {
    const res = fit(moe, {
      ...opts,
      contexts: [256, 512],
      kvTypes: ["f16", "q8_0"],
      flashAttention: [false, true],
      offload: ALL_ON_DEVICE,
    });
    expect(res.rows.map((r) => `${r.flashAttention}/${r.kv}/${r.ctx}`)).toEqual([
      "false/f16/256",
      "false/f16/512",
      "false/q8_0/256",
      "false/q8_0/512",
      "true/f16/256",
      "true/f16/512",
      "true/q8_0/256",
      "true/q8_0/512",
    ]);
    expect(res.maxContext).toEqual([]);
  });
});

describe("the smallest offload that fits", () => {
  it("an MoE moves experts first, block by block (--n-cpu-moe), then whole blocks", () => {
    const ladder = offloadLadder(moe);
    expect(ladder.slice(0, 5).map((o) => o.cpuMoe)).toEqual([0, 1, 2, 3, 4]);
    expect(ladder[5]).toEqual({ gpuLayers: 4, cpuMoe: 0, expertsOnHost: true });
    expect(ladder.at(-1)).toEqual({ gpuLayers: 1, cpuMoe: 0, expertsOnHost: true });
  });
  it("a dense model moves whole blocks (-ngl n_layer+1 … 1)", () => {
    expect(offloadLadder(dense).map((o) => o.gpuLayers)).toEqual([5, 4, 3, 2, 1]);
  });
  it("picks the first rung whose device total fits", () => {
    const full = fitRow(moe, 256, "f16", true, opts).total;
    // 100 bytes of experts fewer on the device (block 2's) is what --n-cpu-moe 3 gives
    const s = smallestOffload(moe, 256, "f16", true, { ...opts, vramBytes: full - 50 });
    expect(s.offload).toEqual({ gpuLayers: null, cpuMoe: 3, expertsOnHost: false });
    expect(s.row!.total).toBe(full - 100);
    expect(smallestOffload(moe, 256, "f16", true, { ...opts, vramBytes: 1 }).offload).toBeNull();
  });
});

describe("edges that change a number", () => {
  it("parallel sequences multiply the KV cells and the recurrent state; the overhead is in the GPU total", () => {
    const one = fitRow(moe, 256, "f16", true, opts);
    const two = fitRow(moe, 256, "f16", true, { ...opts, parallel: 2, overheadBytes: 1000 });
    expect(two.cells).toBe(512);
    expect(two.kvCache.device).toBe(2 * one.kvCache.device);
    // 2 conv blocks × 64 × 2 × 4 bytes × 2 sequences
    expect(two.recurrentState.device).toBe(2048);
    expect(two.total).toBe(
      two.weights.device + two.kvCache.device + two.recurrentState.device + two.compute.device + 1000,
    );
  });
  it("free bytes are the card minus the total; none without a card or for an impossible row", () => {
    const r = fitRow(moe, 256, "f16", true, { ...opts, vramBytes: 10_000_000 });
    expect(r.freeBytes).toBe(10_000_000 - r.total);
    expect(fitRow(moe, 256, "f16", true, opts).freeBytes).toBeNull();
    expect(fitRow(moe, 256, "q8_0", false, { ...opts, vramBytes: 10_000_000 }).freeBytes).toBeNull();
  });
  it("exactly 5% free is 'fits'; a total equal to the card fits the offload search", () => {
    const r = fitRow(moe, 256, "f16", true, opts);
    // free = 0.05 × vram exactly: vram = total / 0.95 (chosen so that it divides)
    const f2 = { ...moe, outputBytes: moe.outputBytes + ((19 - (r.total % 19)) % 19) };
    const t = fitRow(f2, 256, "f16", true, opts).total;
    expect(t % 19).toBe(0);
    expect(fitRow(f2, 256, "f16", true, { ...opts, vramBytes: (t / 19) * 20 }).verdict).toBe("fits");
    expect(smallestOffload(moe, 256, "f16", true, { ...opts, vramBytes: r.total }).offload).toEqual(ALL_ON_DEVICE);
  });
  it("f32 and bf16 V caches work without flash attention", () => {
    expect(fitRow(moe, 256, "f32", false, opts).invalid).toBeNull();
    expect(fitRow(moe, 256, "bf16", false, opts).invalid).toBeNull();
  });
  it("no trained context known: nothing is capped or starred", () => {
    const free = { ...moe, ctxTrain: null };
    expect(fitRow(free, 1 << 20, "f16", true, opts).beyondTrained).toBe(false);
    const at = fitRow(free, 8192, "f16", true, opts).total;
    const [m] = maxContexts(free, {
      ...opts,
      vramBytes: at,
      contexts: [256],
      kvTypes: ["f16"],
      flashAttention: [true],
    });
    expect(m).toEqual({ kv: "f16", flashAttention: true, ctx: 8192, cappedByTraining: false });
    // the trained context itself is not "beyond" it, and a card holding exactly it is not capped
    const cap = fitRow(moe, 4096, "f16", true, opts).total;
    const [c] = maxContexts(moe, {
      ...opts,
      vramBytes: cap,
      contexts: [256],
      kvTypes: ["f16"],
      flashAttention: [true],
    });
    expect(c).toEqual({ kv: "f16", flashAttention: true, ctx: 4096, cappedByTraining: false });
  });
  it("an impossible KV type is left out of the largest contexts; an unknown one is refused", () => {
    const list = maxContexts(moe, {
      ...opts,
      vramBytes: 2 ** 40,
      contexts: [256],
      kvTypes: ["f16", "q4_0"],
      flashAttention: [false],
    });
    expect(list.map((m) => m.kv)).toEqual(["f16"]);
    expect(() => fit(moe, { ...opts, contexts: [256], kvTypes: ["q3_x"], flashAttention: [true] })).toThrow(
      /unknown KV type q3_x/,
    );
  });
  it("a model without attention layers has no attention phase and no flash-attention mask", () => {
    const rec = { ...dense, attentionLayers: [], recurrentLayers: [0, 1, 2, 3] };
    expect(computePhases(rec, 256, false, 512).attention).toBe(0);
    expect(computePhases(rec, 256, true, 512).layer).toBe(786_432 + 262_144);
  });
  it("a dense model's offload ladder never moves experts", () => {
    expect(offloadLadder(dense).every((o) => !o.expertsOnHost && o.cpuMoe === 0)).toBe(true);
  });
});
