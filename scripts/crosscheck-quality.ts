/**
 * moebench quality vs llama.cpp's llama-perplexity --kl-divergence on the same files and text.
 * Usage: npx tsx scripts/crosscheck-quality.ts [--ctx 128] [ref.gguf quant.gguf…] (default: the micro fixtures)
 * llama-perplexity scores the second half of each n_ctx chunk; moebench scores every position of one
 * context of --tokens: the positions differ, so agreement within ~10% is the expectation, not equality.
 */
import { execFileSync } from "node:child_process";
import { join } from "node:path";
import { tmpdir } from "node:os";
import { ensureLlamaTools, llamaBenchOnBindingCpu } from "../src/util/llamaCppBuild.js";
import { measureQuality, DEFAULT_TEXT } from "../src/commands/quality.js";
import { mdTable } from "../src/export/markdown.js";

const args = process.argv.slice(2);
const ctxI = args.indexOf("--ctx");
const ctx = ctxI >= 0 ? args.splice(ctxI, 2)[1]! : "128";
const files = args.length
  ? args
  : ["F16", "Q8_0", "Q6_K", "Q4_K_M", "Q2_K"].map((q) => join("test/fixtures/quality", `micro-${q}.gguf`));
const [ref, ...quants] = files as [string, ...string[]];
const bin = ensureLlamaTools(["llama-bench", "llama-perplexity"]);
const binding = llamaBenchOnBindingCpu(bin);
const exe = binding ? join(binding.exe, "..", "llama-perplexity") : join(bin, "llama-perplexity");
const env = binding?.env ?? process.env;
const base = join(tmpdir(), `moebench-kld-${process.pid}.bin`);
execFileSync(exe, ["-m", ref, "-f", DEFAULT_TEXT, "-c", ctx, "-b", ctx, "-t", "1", "--kl-divergence-base", base], {
  env,
  stdio: "ignore",
});
const ours = await measureQuality(quants, ref, { text: DEFAULT_TEXT, tokens: 512, threads: 1 });
const rows = quants.map((q, i) => {
  const out = execFileSync(
    exe,
    ["-m", q, "--kl-divergence-base", base, "--kl-divergence", "-c", ctx, "-b", ctx, "-t", "1"],
    { env, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] },
  );
  const theirs = Number(/Mean\s+KLD:\s+([\d.e-]+)/.exec(out)?.[1]);
  const mine = ours.rows[i]!.meanKld;
  return [q, theirs.toExponential(3), mine.toExponential(3), (mine / theirs).toFixed(3)];
});
console.log(mdTable(["model", "llama-perplexity mean KLD", "moebench mean KLD", "ratio"], rows));
