/**
 * moebench quality on committed micro fixtures (a synthetic F16 and its real llama-quantize quants, see
 * test/fixtures/quality/SOURCES.md). Cross-checked against llama-perplexity --kl-divergence (README: quality).
 */
import { describe, it, expect } from "vitest";
import { join } from "node:path";
import { writeFileSync } from "node:fs";
import { cli, tmp, ROOT } from "../helpers.js";

const Q = join(ROOT, "test/fixtures/quality");

describe("moebench quality", () => {
  it("orders quants as expected: Q8_0 < Q6_K < Q4_K_M < Q2_K in mean KLD", () => {
    const r = cli([
      "quality",
      ...["Q8_0", "Q6_K", "Q4_K_M", "Q2_K"].map((q) => join(Q, `micro-${q}.gguf`)),
      "--reference",
      join(Q, "micro-F16.gguf"),
      "--json",
    ]);
    expect(r.status, r.stderr).toBe(0);
    const j = JSON.parse(r.stdout) as {
      tokens: number;
      rows: { fileType: string; meanKld: number; top1Agreement: number; synthetic: boolean }[];
    };
    expect(j.tokens).toBe(512);
    const kld = j.rows.map((x) => x.meanKld);
    expect(kld[0]!).toBeLessThan(kld[1]!);
    expect(kld[1]!).toBeLessThan(kld[2]!);
    expect(kld[2]!).toBeLessThan(kld[3]!);
    // llama-perplexity --kl-divergence on these files (-c 128): 0.000014, 0.000096, 0.000474, 0.006080
    const llamaPerplexity = [0.000014, 0.000096, 0.000474, 0.00608];
    for (const [i, k] of kld.entries())
      expect(Math.abs(k - llamaPerplexity[i]!) / llamaPerplexity[i]!).toBeLessThan(0.15);
    expect(j.rows.every((x) => x.synthetic)).toBe(true);
  });

  it("a suite with quality: true fills the report's quality column", () => {
    const d = tmp();
    const f = join(d, "q.yaml");
    writeFileSync(
      f,
      [
        "name: q",
        "models:",
        ...["F16", "Q8_0", "Q2_K"].map((q) => `  - ${join(Q, `micro-${q}.gguf`)}`),
        "tests: [tg8]",
        "threads: [1]",
        "repetitions: {min: 2, max: 2}",
        "quality: true",
        "backend: cpu",
        "",
      ].join("\n"),
    );
    let r = cli(["run", f, "--out", join(d, "run")]);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/quality: 2 model\(s\) against their F16/);
    r = cli(["report", join(d, "run"), "--format", "md", "--out", join(d, "rep")]);
    expect(r.status, r.stderr).toBe(0);
    const md = require("node:fs").readFileSync(join(d, "rep", "summary.md"), "utf8") as string;
    expect(md).toMatch(
      /\| Q8_0 .*KLD \d\.\d\de-\d, top-1 \d+\.\d% vs micro-F16 \(random-weight model: quantization noise only\)/,
    );
    expect(md).toMatch(/\| F16 .*\| reference/);
  });

  it("the text and --json agree: full distributions, not truncated; the random-weight label", () => {
    const args = ["quality", join(Q, "micro-Q8_0.gguf"), "--reference", join(Q, "micro-F16.gguf"), "--tokens", "32"];
    const text = cli(args);
    expect(text.status, text.stderr).toBe(0);
    expect(text.stdout).toMatch(/full distributions \(every token of the vocabulary, no top-k truncation\)/);
    expect(text.stdout).toMatch(/Random-weight model: quantization noise, not language quality/);
    const j = JSON.parse(cli([...args, "--json"]).stdout) as { note: string; rows: { truncated: boolean }[] };
    expect(j.rows.map((r) => r.truncated)).toEqual([false]);
    expect(j.note).toBe("random-weight model: quantization noise, not language quality");
  });

  it("refuses two independently synthesized files (different weights), saying how to make comparable ones", () => {
    const d = tmp();
    for (const q of ["F16", "Q4_K_M"]) {
      const r = cli(["synth", "llama-3.1-8b", "-q", q, "--scale", "tiny", "-o", join(d, `${q}.gguf`)]);
      expect(r.status, r.stderr).toBe(0);
    }
    const r = cli(["quality", join(d, "Q4_K_M.gguf"), "--reference", join(d, "F16.gguf")]);
    expect(r.status).toBe(2);
    expect(r.stderr.trim().split("\n")).toHaveLength(1);
    expect(r.stderr).toMatch(/has its own random weights, not the reference's .*--from <reference F16\.gguf>/);
  });

  it("synth --from quantizes the F16 with llama-quantize; quality accepts that quant", () => {
    const d = tmp();
    const f16 = join(d, "ref.gguf");
    expect(cli(["synth", "llama-3.1-8b", "-q", "F16", "--scale", "tiny", "-o", f16]).status).toBe(0);
    const q = cli(["synth", "llama-3.1-8b", "-q", "Q4_K_M", "--from", f16, "-o", join(d, "q4.gguf")], {
      timeout: 1_800_000,
    });
    expect(q.status, q.stderr).toBe(0);
    const info = JSON.parse(cli(["inspect", join(d, "q4.gguf"), "--json"]).stdout) as { fileType: string };
    expect(info.fileType).toBe("Q4_K_M");
    const r = cli(["quality", join(d, "q4.gguf"), "--reference", f16, "--tokens", "32", "--json"]);
    expect(r.status, r.stderr).toBe(0);
    const j = JSON.parse(r.stdout) as { rows: { meanKld: number; top1Agreement: number; synthetic: boolean }[] };
    // the same weights quantized to ~4.5 bits: small divergence, mostly the same top token (not 0% as two
    // unrelated models give)
    expect(j.rows[0]!.synthetic).toBe(true);
    expect(j.rows[0]!.meanKld).toBeLessThan(0.05);
    expect(j.rows[0]!.top1Agreement).toBeGreaterThan(0.5);
  });

  it("refuses mismatched models with one line", () => {
    const r = cli([
      "quality",
      join(ROOT, "test/fixtures/quality/micro-Q8_0.gguf"),
      "--reference",
      join(ROOT, "test/fixtures/nope.gguf"),
    ]);
    expect(r.status).toBe(2);
    expect(r.stderr.trim().split("\n")).toHaveLength(1);
  });
});
