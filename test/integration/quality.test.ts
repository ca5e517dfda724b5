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
    kld.forEach((k, i) => expect(Math.abs(k - llamaPerplexity[i]!) / llamaPerplexity[i]!).toBeLessThan(0.15));
    expect(j.rows.every((x) => x.synthetic)).toBe(true);
  });

  it("a suite with quality: true fills the report's quality column", () => {
    const d = tmp();
    const f = join(d, "q.yaml");
    writeFileSync(
      f,
      `name: q\nmodels:\n${["F16", "Q8_0", "Q2_K"].map((q) => `  - ${join(Q, `micro-${q}.gguf`)}`).join("\n")}\ntests: [tg8]\nthreads: [1]\nrepetitions: {min: 2, max: 2}\nquality: true\nbackend: cpu\n`,
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
