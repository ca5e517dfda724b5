import { describe, it, expect } from "vitest";
import { planSynth, applySets, PRESET_NAMES } from "../../src/gguf/synth/synthesize.js";
import { PRESETS } from "../../src/gguf/synth/presets.js";
import { moeDenseRatio, scaleFidelity } from "../../src/gguf/synth/scaleFidelity.js";
import { allowsQuantization } from "../../src/gguf/synth/quantMix.js";

describe("LFM2-8B-A1B and LFM2.5-8B-A1B", () => {
  it("LFM2-8B-A1B: 8,339,930,560 parameters, 1,557,740,992 active (by hand)", () => {
    // token_embd 2048 × 65536 = 134,217,728; token_embd_norm 2,048; attn_norm + ffn_norm 24 × 4,096 = 98,304
    // 6 attention blocks: q 2048² + k, v 2048 × 512 each + o 2048² + q/k norms 64 each = 10,485,888 → 62,915,328
    // 18 conv blocks: conv 3 × 2048 + in_proj 2048 × 6144 + out_proj 2048² = 16,783,360 → 302,100,480
    // 2 dense lead FFNs: 3 × 2048 × 7168 = 44,040,192 → 88,080,384
    // 22 MoE blocks: router 2048 × 32 + experts 3 × 2048 × 1792 × 32 + bias 32 = 352,387,104 → 7,752,516,288
    // total 8,339,930,560; active = total − 22 × 352,321,536 × (1 − 4/32) = 8,339,930,560 − 6,782,189,568
    const p = planSynth({ preset: "lfm2-8b-a1b", quant: "F16" });
    expect(p.params).toBe(8_339_930_560);
    expect(p.activeParams).toBe(1_557_740_992);
  });
  it("LFM2.5-8B-A1B: the model card's vocabulary and context (128,000 each); 127,926,272 more parameters", () => {
    const p = planSynth({ preset: "lfm2.5-8b-a1b", quant: "F16" });
    expect(p.hparams.vocab).toBe(128_000);
    expect(p.hparams.ctxTrain).toBe(128_000);
    // tied embedding 2048 × (128,000 − 65,536) = 127,926,272, active too (it is the output projection)
    expect(p.params).toBe(8_339_930_560 + 127_926_272);
    expect(p.activeParams).toBe(1_557_740_992 + 127_926_272);
    expect(PRESETS["lfm2.5-8b-a1b"]!.source).toMatch(/huggingface\.co\/LiquidAI\/LFM2\.5-8B-A1B/);
  });
  it("is a preset of its own: lfm2-8b-a1b keeps the older model's vocabulary", () => {
    expect(planSynth({ preset: "LFM2-8B-A1B", quant: "q4_k_m" }).hparams.vocab).toBe(65_536);
    expect(planSynth({ preset: "LFM2.5-8B-A1B", quant: "q4_k_m" }).hparams.vocab).toBe(128_000);
  });
});

describe("small scale keeps the MoE-vs-dense story (±15% of full size)", () => {
  const within = (small: number, full: number): boolean => Math.abs(small / full - 1) <= 0.15;

  it("lfm2-8b-a1b vs llama-3.1-8b: active/total and the ratio of bytes read per token", () => {
    const f = scaleFidelity("lfm2-8b-a1b", "Q4_K_M", "small");
    // full size: 1,557,740,992 / 8,339,930,560 = 0.1868
    expect(f.activeShareFull).toBeCloseTo(1_557_740_992 / 8_339_930_560, 10);
    expect(within(f.activeShare, f.activeShareFull), `${f.activeShare} vs ${f.activeShareFull}`).toBe(true);
    expect(f.pair.dense).toBe("llama-3.1-8b");
    expect(within(f.pair.ratio, f.pair.ratioFull), `${f.pair.ratio} vs ${f.pair.ratioFull}`).toBe(true);
    // the small models before this scale: 21.3M of 54.3M active (0.39) and 0.77 of the dense model's bytes
    expect(f.activeShare).toBeLessThan(0.25);
    expect(f.pair.ratio).toBeLessThan(0.3);
  });

  for (const quant of ["F16", "Q8_0", "Q4_K_M", "Q2_K"])
    it(`every MoE preset against every dense preset at ${quant}`, () => {
      const moes = PRESET_NAMES.filter((p) => (PRESETS[p]!.nExpert ?? 0) > 1);
      const denses = PRESET_NAMES.filter((p) => !moes.includes(p));
      expect(moes).toEqual(["lfm2-8b-a1b", "lfm2.5-8b-a1b"]);
      for (const m of moes) {
        const f = scaleFidelity(m, quant, "small");
        expect(within(f.activeShare, f.activeShareFull), `${m}: ${f.activeShare} vs ${f.activeShareFull}`).toBe(true);
        for (const d of denses) {
          const r = moeDenseRatio(m, d, quant, "small");
          expect(within(r.ratio, r.ratioFull), `${m}/${d} ${quant}: ${r.ratio} vs ${r.ratioFull}`).toBe(true);
        }
      }
    });

  it("small models shrink the vocabulary too, and keep every row a multiple of 256", () => {
    for (const preset of PRESET_NAMES) {
      const p = planSynth({ preset, quant: "Q4_K_M", scale: "small" });
      expect(p.hparams.vocab).toBeLessThan(PRESETS[preset]!.vocab / 10);
      for (const t of p.tensors)
        if (allowsQuantization(t.name, t.shape)) expect(t.shape[0]! % 256, `${preset} ${t.name}`).toBe(0);
    }
  });
});

describe("--set overrides are bounded before anything is planned", () => {
  const h = PRESETS["llama-3.1-8b"]!;
  it.each([
    ["nLayer", 1e9],
    ["nLayer", 0],
    ["nLayer", 2.5],
    ["vocab", 100],
    ["nEmbd", 2 ** 40],
    ["ropeBase", 0],
  ])("%s=%s is refused", (k, v) => {
    expect(() => applySets(h, { [k]: v })).toThrow(new RegExp(`--set ${k}=`));
  });
  it("nExpert=5000 and nExpertUsed above nExpert are refused; a valid set passes", () => {
    expect(() => applySets(PRESETS["lfm2-8b-a1b"]!, { nExpert: 5000 })).toThrow(/--set nExpert=5000/);
    expect(() => applySets(PRESETS["lfm2-8b-a1b"]!, { nExpertUsed: 64 })).toThrow(/exceeds nExpert/);
    expect(applySets(h, { nLayer: 2, vocab: 32000 }).nLayer).toBe(2);
  });
});
