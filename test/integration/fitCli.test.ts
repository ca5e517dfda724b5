/** `moebench fit` as a user types it: llama.cpp's flag spellings, the GB/GiB note, the trained-context cap. */
import { describe, it, expect } from "vitest";
import { cli } from "../helpers.js";

interface FitJson {
  offload: { gpuLayers: number | null; cpuMoe: number; expertsOnHost: boolean };
  vramBytes: number;
  vramNote: string | null;
  rows: { ctx: number; beyondTrained: boolean; weights: { device: number; host: number }; total: number }[];
  maxContext: { ctx: number; cappedByTraining: boolean }[];
  smallestOffload: { offload: { cpuMoe: number } | null }[];
}

const fitJson = (args: string[]): FitJson => {
  const r = cli(["fit", ...args, "--json"]);
  expect(r.status, r.stderr).toBe(0);
  return JSON.parse(r.stdout) as FitJson;
};

describe("moebench fit", () => {
  it("takes llama.cpp's spellings: -ngl, -ncmoe, -ot exps=CPU", () => {
    expect(fitJson(["synth:lfm2.5-8b-a1b:Q4_K_M", "-ngl", "10"]).offload).toEqual({
      gpuLayers: 10,
      cpuMoe: 0,
      expertsOnHost: false,
    });
    expect(fitJson(["synth:lfm2.5-8b-a1b:Q4_K_M", "-ncmoe", "4"]).offload.cpuMoe).toBe(4);
    expect(fitJson(["synth:lfm2.5-8b-a1b:Q4_K_M", "-ot", "exps=CPU"]).offload.expertsOnHost).toBe(true);
    const all = fitJson(["synth:lfm2.5-8b-a1b:Q4_K_M", "--ctx", "8k", "--kv", "f16", "--fa", "on"]).rows[0]!;
    const ot = fitJson(["synth:lfm2.5-8b-a1b:Q4_K_M", "--ctx", "8k", "--kv", "f16", "--fa", "on", "-ot", "exps=CPU"])
      .rows[0]!;
    // the experts are most of an 8B MoE: moving them leaves well under a third of the weights on the device
    expect(ot.weights.device).toBeLessThan(all.weights.device / 3);
    expect(ot.weights.device + ot.weights.host).toBe(all.weights.device + all.weights.host);
  });

  it("--vram 12GB is read as the card's 12 GiB, and says so", () => {
    const j = fitJson(["synth:llama-3.1-8b:Q4_K_M", "--vram", "12GB"]);
    expect(j.vramBytes).toBe(12 * 2 ** 30);
    expect(j.vramNote).toMatch(/--vram 12GB read as 12\.00 GiB/);
    const text = cli(["fit", "synth:llama-3.1-8b:Q4_K_M", "--vram", "12GB"]).stdout;
    expect(text.match(/GiB = 2\^30 bytes/g)).toHaveLength(1);
  });

  it("the largest context stops at the trained context, marked; rows beyond it are starred", () => {
    const j = fitJson([
      "synth:llama-3.2-3b:Q4_K_M",
      "--gpu",
      "RTX 4090",
      "--ctx",
      "128k,256k",
      "--kv",
      "q4_0",
      "--fa",
      "on",
    ]);
    expect(j.maxContext).toEqual([{ kv: "q4_0", flashAttention: true, ctx: 131072, cappedByTraining: true }]);
    expect(j.rows.map((r) => r.beyondTrained)).toEqual([false, true]);
    const text = cli([
      "fit",
      "synth:llama-3.2-3b:Q4_K_M",
      "--gpu",
      "RTX 4090",
      "--ctx",
      "256k",
      "--kv",
      "q4_0",
      "--fa",
      "on",
    ]).stdout;
    expect(text).toMatch(/\| 256k\* /);
    expect(text).toMatch(/the model's trained context; the card would hold more/);
  });

  it("a card too small: the smallest --n-cpu-moe that fits", () => {
    const j = fitJson(["synth:lfm2.5-8b-a1b:Q8_0", "--vram", "6GiB", "--ctx", "16k", "--kv", "f16", "--fa", "on"]);
    expect(j.rows[0]!.total).toBeGreaterThan(6 * 2 ** 30);
    const n = j.smallestOffload[0]!.offload!.cpuMoe;
    expect(n).toBeGreaterThan(2);
    // one block fewer on the host does not fit: n is the smallest
    const less = fitJson([
      "synth:lfm2.5-8b-a1b:Q8_0",
      "--vram",
      "6GiB",
      "--ctx",
      "16k",
      "--kv",
      "f16",
      "--fa",
      "on",
      "--n-cpu-moe",
      String(n - 1),
    ]);
    expect(less.rows[0]!.total).toBeGreaterThan(6 * 2 ** 30);
    const at = fitJson([
      "synth:lfm2.5-8b-a1b:Q8_0",
      "--vram",
      "6GiB",
      "--ctx",
      "16k",
      "--kv",
      "f16",
      "--fa",
      "on",
      "--n-cpu-moe",
      String(n),
    ]);
    expect(at.rows[0]!.total).toBeLessThanOrEqual(6 * 2 ** 30);
  });
});
