import { describe, it, expect } from "vitest";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { planSynth, PRESET_NAMES, QUANT_NAMES } from "../../src/gguf/synth/synthesize.js";
import { ROOT } from "../helpers.js";

describe("quant mixes", () => {
  it("lfm2-8b-a1b Q4_K_M at full scale has the reference tensor-data bytes over 256 tensors", () => {
    const p = planSynth({ preset: "lfm2-8b-a1b", quant: "Q4_K_M" });
    expect(p.tensors.length).toBe(256);
    expect(p.tensorBytes).toBe(5_042_386_688);
  });

  it("llama-3.1-8b has 8,030,261,312 parameters", () => {
    expect(planSynth({ preset: "llama-3.1-8b", quant: "F16" }).params).toBe(8_030_261_312);
  });

  it("LFM2.5-8B-A1B Q4_K_M: LFM2-8B-A1B's bytes plus 62,464 more token rows at Q6_K (its tied output type)", () => {
    // 2048 × 62,464 / 256 blocks × 210 bytes = 104,939,520
    expect(planSynth({ preset: "LFM2.5-8B-A1B", quant: "q4_k_m" }).tensorBytes).toBe(5_042_386_688 + 104_939_520);
  });

  // The fixture holds llama-quantize's own per-tensor choices (llama.cpp bundled with node-llama-cpp,
  // `llama-quantize --dry-run` on full-size F16 synth files): written by scripts/crosscheck-quant.ts.
  const fx = JSON.parse(readFileSync(join(ROOT, "test/fixtures/llama-quantize/dry-run-types.json"), "utf8")) as {
    presets: Record<string, { names: string[]; quants: Record<string, string[]> }>;
  };
  for (const preset of PRESET_NAMES) {
    for (const quant of QUANT_NAMES) {
      it(`${preset} ${quant}: same tensors, order and types as llama-quantize`, () => {
        const ref = fx.presets[preset];
        expect(ref, `fixture has ${preset}`).toBeDefined();
        const types = ref!.quants[quant];
        expect(types, `fixture has ${preset} ${quant}`).toBeDefined();
        const p = planSynth({ preset, quant });
        expect(p.tensors.map((t) => t.name)).toEqual(ref!.names);
        expect(p.tensors.map((t) => t.type.name)).toEqual(types);
      });
    }
  }

  it("small and tiny scales keep every tensor's type family (no block-size fallbacks)", () => {
    for (const preset of PRESET_NAMES) {
      for (const scale of ["small", "tiny"] as const) {
        const p = planSynth({ preset, quant: "Q4_K_M", scale });
        const kinds = new Set(p.tensors.map((t) => t.type.name));
        expect(
          [...kinds].every((k) => ["F32", "Q4_K", "Q6_K"].includes(k)),
          `${preset} ${scale}: ${[...kinds].join(",")}`,
        ).toBe(true);
      }
    }
  });
});
