/**
 * llama-bench's flags on `run` and `bench` (the mapping itself is in suite/commandLine.ts): the commander
 * options, their help with the mapping, and `-o` (llama-bench's output formats on stdout).
 */
import { type Command, Option } from "commander";
import { LLAMA_BENCH_FORMATS, type LlamaBenchFormat } from "../export/llamaBenchTable.js";
import type { SuiteFlags } from "../suite/commandLine.js";

const collect = (value: string, previous: string[] = []): string[] => [...previous, value];

/** [flags, value, what it sets]: llama-bench's names; multi-letter short flags are rewritten (cli.ts). */
const FLAGS: [string, string, string][] = [
  ["-m, --model", "<ref>", "models: a .gguf path, hf:<user>/<repo>:<quant> or synth:<preset>:<quant>[:<scale>]"],
  ["-p, --n-prompt", "<n>", "tests ppN (0 = none; 512 when only -n/-pg are given, as llama-bench)"],
  ["-n, --n-gen", "<n>", "tests tgN (0 = none; 128 when only -p/-pg are given, as llama-bench)"],
  ["--pg", "<pp,tg>", "tests ppN+tgM (llama-bench's -pg)"],
  ["-d, --n-depth", "<n>", "depths"],
  ["-b, --batch-size", "<n>", "batch"],
  ["--ubatch-size", "<n>", "ubatch (llama-bench's -ub)"],
  ["-t, --threads", "<n>", "threads"],
  ["--n-gpu-layers", "<n>", "gpuLayers (llama-bench's -ngl; -1 = all)"],
  ["--flash-attn", "<on|off>", "flashAttention (llama-bench's -fa; 1/0 too)"],
  ["--cache-type-k", "<type>", "kv: K types (llama-bench's -ctk)"],
  ["--cache-type-v", "<type>", "kv: V types (llama-bench's -ctv)"],
  ["--parallel", "<n>", "parallel sequences (generation tests)"],
];

export const LLAMA_BENCH_HELP = `
llama-bench's flags (a llama-bench command line works with moebench in place of llama-bench):
  -m, -p, -n, -pg, -d, -b, -ub, -t, -ngl, -fa, -ctk, -ctv, -r take comma lists and ranges
  (first-last, first-last+step, first-last*mult) and may be repeated, as in llama-bench; each sets a suite
  key (see the options above), replacing the suite file's value when a suite is given too. Flags not given
  keep the suite's values, else moebench's defaults (batch 512, threads auto, fa off, 3–10 adaptive
  repetitions). -o prints llama-bench's md, csv, json or jsonl on stdout (t/s as mean with 95% CI); the
  run folder is written as always.
  e.g. moebench run -m synth:lfm2-8b-a1b:Q4_K_M:tiny -m synth:llama-3.1-8b:Q4_K_M:tiny -p 64 -n 16 -r 2 -o md`;

export function addLlamaBenchOptions(cmd: Command): Command {
  for (const [flags, value, what] of FLAGS) cmd.option(`${flags} ${value}`, what, collect);
  cmd.option("-r, --repetitions <n>", "repetitions: exactly n (min = max = n)");
  cmd.addOption(
    new Option("-o, --output <format>", "print llama-bench's output format on stdout").choices(LLAMA_BENCH_FORMATS),
  );
  cmd.option("--quality", "quality: true (KL divergence of each quant against its F16 file)");
  return cmd.addHelpText("after", LLAMA_BENCH_HELP);
}

/** The suite flags (suite/commandLine.ts) plus llama-bench's output format. */
export interface LlamaBenchCliOptions extends SuiteFlags {
  output?: LlamaBenchFormat;
}

const SUITE_FLAG_KEYS: (keyof SuiteFlags)[] = [
  "model",
  "nPrompt",
  "nGen",
  "pg",
  "nDepth",
  "batchSize",
  "ubatchSize",
  "threads",
  "nGpuLayers",
  "flashAttn",
  "cacheTypeK",
  "cacheTypeV",
  "parallel",
  "repetitions",
  "quality",
];

/** The suite flags that were given (of a command's options), or undefined when none was. */
export function suiteFlagsOf(o: LlamaBenchCliOptions): SuiteFlags | undefined {
  const given = SUITE_FLAG_KEYS.filter((k) => o[k] !== undefined && o[k] !== false);
  return given.length ? (Object.fromEntries(given.map((k) => [k, o[k]])) as SuiteFlags) : undefined;
}
