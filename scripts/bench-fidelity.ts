/**
 * npm run bench:fidelity — does moebench measure what llama-bench measures?
 * Builds llama-bench once (CPU, as node-llama-cpp's prebuilt binaries) from the llama.cpp source that
 * node-llama-cpp ships, then runs llama-bench and moebench on the same synthetic models with the same
 * threads, batch = ubatch, flash attention and context: pp512 and tg128, 5 repetitions each. Prints both,
 * their ratio, and the binding's per-token overhead in µs (1/tg_ours − 1/tg_llama-bench).
 * Target: within ±5% on pp and tg. Options: --threads 1,2  --reps 5  --models small,wide  --json out.json
 */
import { execFileSync, spawnSync } from "node:child_process";
import { mkdtempSync, writeFileSync, mkdirSync, existsSync } from "node:fs";
import { tmpdir, cpus } from "node:os";
import { join, resolve } from "node:path";
import { ensureLlamaTools, cacheDir, llamaBenchOnBindingCpu } from "../src/util/llamaCppBuild.js";
import { synthesize } from "../src/gguf/synth/synthesize.js";
import { readJsonl } from "../src/results/jsonl.js";
import { summarize } from "../src/util/stats.js";
import { mdTable } from "../src/export/markdown.js";

const args = process.argv.slice(2);
const opt = (k: string, d: string): string => {
  const i = args.indexOf(k);
  return i >= 0 ? args[i + 1]! : d;
};
const threadsList = opt("--threads", [1, cpus().length].filter((v, i, a) => a.indexOf(v) === i).join(","))
  .split(",")
  .map(Number);
const reps = Number(opt("--reps", "5"));
const sets = opt("--models", "small,wide").split(",");

interface M {
  label: string;
  path: string;
}
const dir = join(cacheDir(), "fidelity");
mkdirSync(dir, { recursive: true });
const models: M[] = [];
const make = async (
  label: string,
  preset: string,
  quant: string,
  scale: "small" | "full",
  set?: Record<string, number | number[]>,
): Promise<void> => {
  const path = join(dir, `${label}.gguf`);
  if (!existsSync(path)) await synthesize({ preset, quant, scale, set }, path);
  models.push({ label, path });
};
if (sets.includes("small")) {
  await make("lfm2-8b-a1b-small-Q4_K_M", "lfm2-8b-a1b", "Q4_K_M", "small");
  await make("llama-3.1-8b-small-Q4_K_M", "llama-3.1-8b", "Q4_K_M", "small");
}
if (sets.includes("wide")) {
  // full width (real n_embd, experts, vocab), few layers: the per-token work of the real model, layer for layer
  await make("lfm2-8b-a1b-wide4-Q4_K_M", "lfm2-8b-a1b", "Q4_K_M", "full", { nLayer: 4, attnLayers: [2] });
  await make("llama-3.1-8b-wide2-Q4_K_M", "llama-3.1-8b", "Q4_K_M", "full", { nLayer: 2 });
}

const bin = ensureLlamaTools(["llama-bench"]);
const onBinding = llamaBenchOnBindingCpu(bin);
const lbExe = onBinding?.exe ?? join(bin, "llama-bench");
const lbEnv = onBinding?.env ?? process.env;
process.stderr.write(
  onBinding
    ? `llama-bench runs on node-llama-cpp's own CPU backend (libggml-cpu-${onBinding.variant})\n`
    : "llama-bench runs on its own CPU backend build\n",
);
const work = mkdtempSync(join(tmpdir(), "moebench-fidelity-"));
const cli = resolve("dist/cli.js");
const rows: (string | number)[][] = [];
const json: unknown[] = [];
for (const m of models) {
  for (const t of threadsList) {
    const lb = JSON.parse(
      execFileSync(
        lbExe,
        [
          "-m",
          m.path,
          "-p",
          "512",
          "-n",
          "128",
          "-t",
          String(t),
          "-b",
          "512",
          "-ub",
          "512",
          "-fa",
          "0",
          "-r",
          String(reps),
          "-o",
          "json",
        ],
        { encoding: "utf8", stdio: ["ignore", "pipe", "ignore"], maxBuffer: 64 << 20, env: lbEnv },
      ),
    ) as { n_prompt: number; n_gen: number; avg_ts: number; stddev_ts: number }[];
    const lbPp = lb.find((r) => r.n_prompt > 0 && r.n_gen === 0)!;
    const lbTg = lb.find((r) => r.n_gen > 0 && r.n_prompt === 0)!;
    const suite = join(work, `s-${m.label}-${t}.yaml`);
    writeFileSync(
      suite,
      [
        `name: fidelity`,
        `models: [{path: ${JSON.stringify(m.path)}, label: ${m.label}}]`,
        `tests: [pp512, tg128]`,
        `threads: [${t}]`,
        `batch: [512]`,
        `ubatch: [512]`,
        `flashAttention: [false]`,
        `contexts: [1024]`,
        `repetitions: {min: ${reps}, max: ${reps}}`,
        `warmup: 1`,
        `backend: cpu`,
      ].join("\n"),
    );
    const out = join(work, `o-${m.label}-${t}`);
    const r = spawnSync(process.execPath, [cli, "run", suite, "--out", out], {
      encoding: "utf8",
      env: { ...process.env, CI: "1" },
    });
    if (r.status !== 0) throw new Error(`moebench run failed: ${r.stderr}`);
    const recs = readJsonl(join(out, "results.jsonl"));
    const rate = (p: { tokens: number; samplesMs: number[] } | null): number =>
      summarize(p!.samplesMs.map((ms) => p!.tokens / (ms / 1000))).mean;
    const ourPp = rate(recs.find((x) => x.testId === "pp512")!.pp);
    const ourTg = rate(recs.find((x) => x.testId === "tg128")!.tg);
    const overheadUs = (1 / ourTg - 1 / lbTg.avg_ts) * 1e6;
    rows.push([
      m.label,
      t,
      lbPp.avg_ts.toFixed(1),
      ourPp.toFixed(1),
      (ourPp / lbPp.avg_ts).toFixed(3),
      lbTg.avg_ts.toFixed(1),
      ourTg.toFixed(1),
      (ourTg / lbTg.avg_ts).toFixed(3),
      overheadUs.toFixed(0),
    ]);
    json.push({
      model: m.label,
      threads: t,
      llamaBench: { pp: lbPp.avg_ts, tg: lbTg.avg_ts },
      moebench: { pp: ourPp, tg: ourTg },
      overheadUs,
    });
    process.stderr.write(
      `${m.label} t=${t}: pp ${(ourPp / lbPp.avg_ts).toFixed(3)}×, tg ${(ourTg / lbTg.avg_ts).toFixed(3)}×\n`,
    );
  }
}
console.log(
  mdTable(
    [
      "model",
      "threads",
      "pp512 llama-bench",
      "pp512 moebench",
      "pp ratio",
      "tg128 llama-bench",
      "tg128 moebench",
      "tg ratio",
      "overhead µs/token",
    ],
    rows,
  ),
);
const jsonOut = opt("--json", "");
if (jsonOut) writeFileSync(jsonOut, `${JSON.stringify(json, null, 2)}\n`);
