/** `moebench synth` as a user sees it: the article's model with its own vocabulary, and an honest --help. */
import { describe, it, expect } from "vitest";
import { cli } from "../helpers.js";

describe("moebench synth", () => {
  it("lfm2.5-8b-a1b --dry-run --json shows the model card's 128,000-token vocabulary and where it comes from", () => {
    const r = cli(["synth", "lfm2.5-8b-a1b", "--quant", "Q4_K_M", "--dry-run", "--json"]);
    expect(r.status, r.stderr).toBe(0);
    const j = JSON.parse(r.stdout) as {
      vocab: number;
      ctxTrain: number;
      source: string;
      tensors: { name: string; shape: number[] }[];
    };
    expect(j.vocab).toBe(128_000);
    expect(j.ctxTrain).toBe(128_000);
    expect(j.source).toMatch(/huggingface\.co\/LiquidAI\/LFM2\.5-8B-A1B model card/);
    expect(j.tensors.find((t) => t.name === "token_embd.weight")!.shape).toEqual([2048, 128_000]);
  });

  it("--help does not claim quality on random weights; it shows the way to comparable files", () => {
    const r = cli(["synth", "--help"]);
    expect(r.status).toBe(0);
    expect(r.stdout).not.toMatch(/measure quantization noise only/);
    expect(r.stdout).toMatch(/share no weights/);
    expect(r.stdout).toMatch(/--from ref\.gguf/);
    expect(r.stdout).toMatch(/lfm2\.5-8b-a1b +lfm2moe/);
  });
});
