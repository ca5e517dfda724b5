import { describe, it, expect } from "vitest";
import { readdirSync, statSync, truncateSync, copyFileSync, chmodSync, mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { synthesize, planSynth } from "../../src/gguf/synth/synthesize.js";
import { readGguf } from "../../src/gguf/read.js";
import { modelFacts } from "../../src/gguf/modelFacts.js";
import { toHalf } from "../../src/gguf/synth/blockPool.js";
import { tmp } from "../helpers.js";

describe("GGUF writer and reader", () => {
  it("round-trips a tiny MoE model: tensor table, metadata and facts", async () => {
    const d = tmp();
    const out = join(d, "m.gguf");
    const res = await synthesize({ preset: "lfm2-8b-a1b", quant: "Q4_K_M", scale: "tiny" }, out);
    const g = await readGguf(out);
    const plan = planSynth({ preset: "lfm2-8b-a1b", quant: "Q4_K_M", scale: "tiny" });
    expect(g.tensors.map((t) => [t.name, t.type, t.shape.join("x")])).toEqual(
      plan.tensors.map((t) => [t.name, t.type.name, t.shape.join("x")]),
    );
    expect(g.tensors.reduce((s, t) => s + t.bytes, 0)).toBe(plan.tensorBytes);
    expect(statSync(out).size).toBe(res.fileBytes);
    for (const t of g.tensors) expect(t.offset % 32).toBe(0);
    const f = modelFacts(g);
    expect(f.arch).toBe("lfm2moe");
    expect(f.fileType).toBe("Q4_K_M");
    expect(f.isMoe).toBe(true);
    expect(f.activeParams).toBeLessThan(f.params);
    expect(f.attentionLayers).toEqual(plan.hparams.attnLayers);
    expect(f.synthetic).toEqual({ preset: "lfm2-8b-a1b", scale: "tiny", sparse: false });
    expect((g.metadata.get("tokenizer.ggml.tokens") as string[]).length).toBe(plan.hparams.vocab);
  });

  it("--sparse writes the full-size layout as a hole", async () => {
    const d = tmp();
    const out = join(d, "s.gguf");
    const res = await synthesize({ preset: "llama-3.2-3b", quant: "Q4_K_M", sparse: true }, out);
    const st = statSync(out);
    expect(st.size).toBe(res.fileBytes);
    expect(st.blocks * 512).toBeLessThan(64 << 20);
    expect(res.tensorBytes).toBe(planSynth({ preset: "llama-3.2-3b", quant: "Q4_K_M" }).tensorBytes);
  });

  it("a truncated file is a clear error naming the file", async () => {
    const d = tmp();
    const out = join(d, "t.gguf");
    await synthesize({ preset: "llama-3.1-8b", quant: "Q8_0", scale: "tiny" }, out);
    const cut = join(d, "cut.gguf");
    copyFileSync(out, cut);
    truncateSync(cut, Math.floor(statSync(out).size / 2));
    await expect(readGguf(cut)).rejects.toThrow(/cut\.gguf: truncated GGUF/);
  });

  it("an unwritable place fails with one line and leaves no file behind", async () => {
    const d = tmp();
    if (process.getuid?.() === 0) {
      // root ignores permissions: a path whose parent is a regular file cannot be written by anyone
      writeFileSync(join(d, "file"), "x");
      await expect(
        synthesize({ preset: "llama-3.1-8b", quant: "Q8_0", scale: "tiny" }, join(d, "file", "x.gguf")),
      ).rejects.toThrow(/cannot write .*file\/x\.gguf: not a folder \(ENOTDIR\)/);
      expect(readdirSync(d)).toEqual(["file"]);
      return;
    }
    mkdirSync(join(d, "ro"));
    chmodSync(join(d, "ro"), 0o500);
    await expect(
      synthesize({ preset: "llama-3.1-8b", quant: "Q8_0", scale: "tiny" }, join(d, "ro", "x.gguf")),
    ).rejects.toThrow(/cannot write .*x\.gguf: permission denied \(EACCES\)/);
    expect(readdirSync(join(d, "ro"))).toEqual([]);
  });

  it("half-precision encoding of small scales is finite and close", () => {
    for (const v of [0.00002, 0.0001, 0.003, -0.04, 1]) {
      const h = toHalf(v);
      const exp = (h >> 10) & 0x1f;
      expect(exp).not.toBe(31);
      const sign = h & 0x8000 ? -1 : 1;
      const mant = h & 0x3ff;
      const back = exp === 0 ? sign * mant * 2 ** -24 : sign * (1 + mant / 1024) * 2 ** (exp - 15);
      expect(Math.abs(back - v) / Math.abs(v)).toBeLessThan(0.05);
    }
  });
});
