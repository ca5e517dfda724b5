/**
 * npm run bench:fidelity — does moebench measure what llama-bench measures?
 *
 * llama-bench (built once from the llama.cpp source node-llama-cpp ships) runs on node-llama-cpp's own
 * libraries (libllama, libggml, libggml-base and the CPU variant ggml picks), so both sides run the same
 * machine code and only the driver differs. For each model × thread count, `--repeats` interleaved pairs each
 * run three sides, in an order that turns with every pair: llama-bench (pp512 and tg128), `moebench run` (the
 * same two tests), and a control, a bare C++ loop of llama-bench's pp and tg code on the same libraries
 * (scripts/fidelity/tg-loop.cpp, compiled here with $CXX or c++). Settings: `--reps` repetitions, batch =
 * ubatch = 512, flash attention off, weights memory-mapped on all sides (llama-bench -lm mmap; node-llama-cpp's
 * default). llama-bench warms tg up with one token only and its first repetition runs cold, so it runs one
 * repetition more and its first is dropped; moebench and the loop warm up with a whole repetition: all sides
 * are compared in steady state. Each side's rate is the median of its steady repetitions (`--stat mean` for
 * the mean, llama-bench's own avg_ts): a stalled repetition drags a mean of 5 by several %; every side gets the
 * same statistic, and the JSON keeps every repetition's rate. Below all cores, every side of a pair is pinned
 * to the same CPUs (taskset; `--pin off` to leave placement to the scheduler), a different block each pair.
 *
 * Printed per row: the median and range over the pairs of moebench ÷ llama-bench for pp and tg; the control's
 * pp and tg ÷ llama-bench (two C++ drivers making the same calls: how far apart this machine puts two processes when
 * the driver does not matter; a moebench ratio inside the control's spread says nothing against moebench);
 * the per-token overhead from the rates (1/tg_moebench − 1/tg_llama-bench); and two direct figures from
 * llama.cpp's own decode clock (llama_perf_context), moebench's harness µs/token (its records'
 * tg.harnessUsPerToken) and the loop's, whose difference is what moebench adds per token beyond what
 * llama-bench's own loop pays; and how busy the machine was with other work (numbers taken under load are
 * worthless).
 *
 * Options: --threads 1,2  --repeats 5  --reps 5  --models small,wide  --only <label text>  --stat median|mean
 *          --pin on|off  --paths c-api,native-batch,app
 *          --moebench-env KEY=VALUE (extra environment for the moebench side only, e.g. an LD_PRELOAD experiment)
 *          --json out.json
 * Target (issue 21): tg and pp ratios within 0.98–1.02 and overhead ≤ 10 µs/token on the c-api path.
 */
import { execFileSync, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { cpus, tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { synthesize } from "../src/gguf/synth/synthesize.js";
import { readJsonl } from "../src/results/jsonl.js";
import { mean, percentiles, tokPerSec } from "../src/util/stats.js";
import { mdTable } from "../src/export/markdown.js";
import { bundledLlamaCpp, cacheDir, ensureLlamaTools, llamaBenchOnBindingCpu } from "../src/util/llamaCppBuild.js";

const args = process.argv.slice(2);
const opt = (k: string, d: string): string => {
  const i = args.indexOf(k);
  return i >= 0 ? args[i + 1]! : d;
};
const threadsList = opt("--threads", [...new Set([1, cpus().length])].join(","))
  .split(",")
  .map(Number);
const repeats = Math.max(1, Number(opt("--repeats", "5")));
const reps = Number(opt("--reps", "5"));
const sets = opt("--models", "small,wide").split(",");
const only = opt("--only", "");
const PATHS = ["c-api", "native-batch", "app"] as const;
type Path = (typeof PATHS)[number];
const paths = opt("--paths", "c-api").split(",") as Path[];
for (const p of paths) if (!PATHS.includes(p)) throw new Error(`--paths: unknown path ${p} (${PATHS.join(", ")})`);
const moebenchEnv = opt("--moebench-env", "");
const pin = opt("--pin", "on") !== "off";
const stat = opt("--stat", "median");
if (stat !== "median" && stat !== "mean") throw new Error(`--stat: ${stat} is not median or mean`);
const median = (xs: number[]): number => percentiles(xs, [0.5])[0]!;
/** One side's rate from its steady repetitions: both sides always use the same statistic. */
const sideStat = (xs: number[]): number => (stat === "median" ? median(xs) : mean(xs));
const extraEnv = moebenchEnv ? { [moebenchEnv.split("=")[0]!]: moebenchEnv.slice(moebenchEnv.indexOf("=") + 1) } : {};

// ------------------------------------------------------------------ how busy the machine is with other work

interface CpuSnapshot {
  busy: number;
  own: number;
  wallMs: number;
}

/** Busy jiffies of the whole machine and of this process with its waited-for children (llama-bench, moebench). */
function cpuSnapshot(): CpuSnapshot {
  const fields = readFileSync("/proc/stat", "utf8").split("\n")[0]!.trim().split(/\s+/).slice(1).map(Number);
  const total = fields.slice(0, 8).reduce((a, b) => a + b, 0);
  const idle = fields[3]! + fields[4]!;
  const stat = readFileSync("/proc/self/stat", "utf8");
  const own = stat
    .slice(stat.lastIndexOf(")") + 2)
    .split(" ")
    .slice(11, 15)
    .map(Number)
    .reduce((a, b) => a + b, 0);
  return { busy: total - idle, own, wallMs: performance.now() };
}

/** Share of all cores used by other processes between two snapshots (0 = quiet, 1 = every core busy). */
function foreignShare(a: CpuSnapshot, b: CpuSnapshot): number {
  const jiffiesPerMs = 100 / 1000; // USER_HZ = 100 on Linux
  const capacity = (b.wallMs - a.wallMs) * jiffiesPerMs * cpus().length || 1;
  return Math.max(0, b.busy - a.busy - (b.own - a.own)) / capacity;
}

const loadavg1 = (): number => Number(readFileSync("/proc/loadavg", "utf8").split(" ")[0]);

function busiestProcesses(): string {
  const ps = spawnSync("ps", ["-eo", "pcpu,args", "--sort=-pcpu"], { encoding: "utf8" });
  return ps.stdout
    .split("\n")
    .slice(0, 6)
    .map((l) => `  ${l.slice(0, 110)}`)
    .join("\n");
}

// ------------------------------------------------------------------ models

interface Model {
  label: string;
  path: string;
}

async function fidelityModels(): Promise<Model[]> {
  const dir = join(cacheDir(), "fidelity");
  mkdirSync(dir, { recursive: true });
  const models: Model[] = [];
  const make = async (label: string, spec: Parameters<typeof synthesize>[0]): Promise<void> => {
    const path = join(dir, `${label}.gguf`);
    if (!existsSync(path)) await synthesize(spec, path);
    models.push({ label, path });
  };
  if (sets.includes("small")) {
    await make("lfm2-8b-a1b-small-Q4_K_M", { preset: "lfm2-8b-a1b", quant: "Q4_K_M", scale: "small" });
    await make("llama-3.1-8b-small-Q4_K_M", { preset: "llama-3.1-8b", quant: "Q4_K_M", scale: "small" });
  }
  if (sets.includes("wide")) {
    // full width (real n_embd, experts, vocab), few layers: the per-token work of the real model, layer for layer
    const lfm2 = { preset: "lfm2-8b-a1b", quant: "Q4_K_M", scale: "full" as const };
    await make("lfm2-8b-a1b-wide4-Q4_K_M", { ...lfm2, set: { nLayer: 4, attnLayers: [2] } });
    await make("llama-3.1-8b-wide2-Q4_K_M", {
      preset: "llama-3.1-8b",
      quant: "Q4_K_M",
      scale: "full",
      set: { nLayer: 2 },
    });
  }
  return models.filter((m) => m.label.includes(only));
}

// ------------------------------------------------------------------ one measurement of each side

interface Rates {
  pp: number;
  tg: number;
  /** the steady repetitions' rates behind pp and tg (tokens/s), kept for the JSON */
  ppSamples: number[];
  tgSamples: number[];
  /** moebench only: its tg records' harness µs/token (median over repetitions) */
  harnessUs?: number;
}

interface Tools {
  exe: string;
  env: NodeJS.ProcessEnv;
}

function llamaBench(tools: Tools, model: Model, threads: number, cpus: string | null): Rates {
  const flags = ["-p", "512", "-n", "128", "-t", String(threads), "-b", "512", "-ub", "512", "-fa", "0"];
  const args = ["-m", model.path, ...flags, "-lm", "mmap", "-r", String(reps + 1), "-o", "json"];
  const out = execFileSync(...pinned(cpus, tools.exe, args), {
    encoding: "utf8",
    stdio: ["ignore", "pipe", "ignore"],
    maxBuffer: 64 << 20,
    env: tools.env,
  });
  const rows = JSON.parse(out) as { n_prompt: number; n_gen: number; samples_ts: number[] }[];
  // the per-repetition rates after the first (llama-bench's own avg_ts is the mean over all of them)
  const pp = rows.find((r) => r.n_prompt > 0 && r.n_gen === 0)!.samples_ts.slice(1);
  const tg = rows.find((r) => r.n_gen > 0 && r.n_prompt === 0)!.samples_ts.slice(1);
  return { pp: sideStat(pp), tg: sideStat(tg), ppSamples: pp, tgSamples: tg };
}

// ------------------------------------------------------------------ the bare C++ loop (the floor)

/** Compile scripts/fidelity/tg-loop.cpp against the llama.cpp headers and node-llama-cpp's libraries. */
function compileLoop(bindingDir: string): string {
  const src = join(cacheDir(), `llama.cpp-${bundledLlamaCpp().tag}`);
  const exe = join(work, "tg-loop");
  const libs = ["libllama.so.0", "libggml.so.0", "libggml-base.so.0"].map((f) => join(bindingDir, f));
  const include = ["include", "ggml/include"].flatMap((d) => ["-I", join(src, d)]);
  const compiler = process.env.CXX || "c++";
  execFileSync(compiler, ["-O2", "-std=c++17", "scripts/fidelity/tg-loop.cpp", ...include, ...libs, "-o", exe], {
    stdio: ["ignore", "ignore", "inherit"],
  });
  return exe;
}

interface LoopRun {
  /** pp512 and tg128 tokens/s (the side statistic over `--reps` repetitions after one warm-up) */
  pp: number;
  tg: number;
  ppSamples: number[];
  tgSamples: number[];
  /** µs per token outside llama.cpp's decode clock (median over the repetitions) */
  outsideUs: number;
}

/** The bare C++ loop: the control arm of each pair (the same tg code as llama-bench, another process). */
function loopRun(exe: string, tools: Tools, model: Model, threads: number, cpus: string | null): LoopRun {
  const env = { ...tools.env, BACKEND_DIR: dirname(tools.exe) };
  const args = [model.path, String(threads), "128", String(reps), "512"];
  const out = execFileSync(...pinned(cpus, exe, args), { encoding: "utf8", env });
  const rows = out
    .trim()
    .split("\n")
    .map((l) => JSON.parse(l) as { tokPerSec: number; outsideUsPerToken: number; ppTokPerSec: number });
  const pp = rows.map((r) => r.ppTokPerSec);
  const tg = rows.map((r) => r.tokPerSec);
  const outsideUs = median(rows.map((r) => r.outsideUsPerToken));
  return { pp: sideStat(pp), tg: sideStat(tg), ppSamples: pp, tgSamples: tg, outsideUs };
}

/**
 * Below all cores, every side of a pair runs on the same CPUs (taskset), a different block each pair: the vCPUs
 * of a VM need not be equally fast (this one's two differed by 2–6% for weeks of measurements), and a side must
 * not win by where the scheduler put it. null: unpinned (all cores, `--pin off`, or no taskset).
 */
function cpuBlock(threads: number, pair: number): string | null {
  const cores = cpus().length;
  if (!pin || threads >= cores) return null;
  const blocks = Math.floor(cores / threads);
  const first = (pair % blocks) * threads;
  return threads === 1 ? String(first) : `${first}-${first + threads - 1}`;
}

function pinned(cpuList: string | null, exe: string, args: string[]): [string, string[]] {
  return cpuList ? ["taskset", ["-c", cpuList, exe, ...args]] : [exe, args];
}

const work = mkdtempSync(join(tmpdir(), "moebench-fidelity-"));
const cli = resolve("dist/cli.js");

function moebench(model: Model, threads: number, path: Path, cpus: string | null): Rates {
  const suite = join(work, `s-${model.label}-${threads}-${path}.yaml`);
  writeFileSync(
    suite,
    [
      "name: fidelity",
      `models: [{path: ${JSON.stringify(model.path)}, label: ${model.label}}]`,
      "tests: [pp512, tg128]",
      `threads: [${threads}]`,
      "batch: [512]",
      "ubatch: [512]",
      "flashAttention: [false]",
      "contexts: [512]",
      `repetitions: {min: ${reps}, max: ${reps}}`,
      "warmup: 1",
      "backend: cpu",
      `tgMode: ${path === "app" ? "app" : "decode"}`,
    ].join("\n"),
  );
  const out = join(work, `o-${model.label}-${threads}-${path}-${Date.now()}`);
  const timingPath = path === "native-batch" ? "native-batch" : "";
  const env = { ...process.env, CI: "1", MOEBENCH_TIMING_PATH: timingPath, ...extraEnv };
  const run = spawnSync(...pinned(cpus, process.execPath, [cli, "run", suite, "--out", out]), {
    encoding: "utf8",
    env,
  });
  if (run.status !== 0) throw new Error(`moebench run failed: ${run.stderr}`);
  const records = readJsonl(join(out, "results.jsonl"));
  const timing = records[0]?.env.timing;
  const expected = path === "app" ? "evaluate" : path;
  if (timing?.path !== expected) throw new Error(`moebench timed through ${timing?.path}, not ${expected}`);
  const rates = (testId: string, phase: "pp" | "tg"): number[] => {
    const p = records.find((r) => r.testId === testId)?.[phase];
    if (!p) throw new Error(`moebench recorded no ${testId}`);
    return tokPerSec(p.tokens, p.samplesMs);
  };
  const harness = records.find((r) => r.testId === "tg128")?.tg?.harnessUsPerToken;
  if (path === "c-api" && !harness) throw new Error("moebench's c-api tg record has no harnessUsPerToken");
  const pp = rates("pp512", "pp");
  const tg = rates("tg128", "tg");
  return {
    pp: sideStat(pp),
    tg: sideStat(tg),
    ppSamples: pp,
    tgSamples: tg,
    ...(harness ? { harnessUs: median(harness) } : {}),
  };
}

// ------------------------------------------------------------------ interleaved pairs

interface Pair {
  llamaBench: Rates;
  moebench: Rates;
  /** the control arm: llama-bench's tg code in a bare C++ process (its ratio to llama-bench is this machine's floor) */
  loop: LoopRun;
  /** the CPUs every side of the pair was pinned to, or null */
  cpus: string | null;
  /** the order the sides ran in */
  order: Side[];
  /** share of all cores other processes used during the pair */
  foreign: number;
  loadBefore: number;
  loadAfter: number;
}

type Side = "llama-bench" | "moebench" | "loop";
/** every order of the three sides, taken in turn by the pairs, so that no side always runs first or last */
const ORDERS: Side[][] = [
  ["llama-bench", "moebench", "loop"],
  ["moebench", "loop", "llama-bench"],
  ["loop", "llama-bench", "moebench"],
  ["llama-bench", "loop", "moebench"],
  ["moebench", "llama-bench", "loop"],
  ["loop", "moebench", "llama-bench"],
];

/** The three drivers: llama-bench and its libraries, and the compiled C++ loop. */
interface Drivers {
  tools: Tools;
  loopExe: string;
}

function measurePair({ tools, loopExe }: Drivers, model: Model, threads: number, path: Path, k: number): Pair {
  const loadBefore = loadavg1();
  const a = cpuSnapshot();
  const cpuList = cpuBlock(threads, k);
  const order = ORDERS[k % ORDERS.length]!;
  let lb: Rates | undefined;
  let mb: Rates | undefined;
  let loop: LoopRun | undefined;
  for (const side of order) {
    if (side === "llama-bench") lb = llamaBench(tools, model, threads, cpuList);
    else if (side === "moebench") mb = moebench(model, threads, path, cpuList);
    else loop = loopRun(loopExe, tools, model, threads, cpuList);
  }
  const foreign = foreignShare(a, cpuSnapshot());
  return {
    llamaBench: lb!,
    moebench: mb!,
    loop: loop!,
    cpus: cpuList,
    order,
    foreign,
    loadBefore,
    loadAfter: loadavg1(),
  };
}

const spread = (xs: number[], digits: number): string =>
  `${median(xs).toFixed(digits)} [${Math.min(...xs).toFixed(digits)}–${Math.max(...xs).toFixed(digits)}]`;

function summaryRow(model: Model, threads: number, path: Path, pairs: Pair[]): (string | number)[] {
  const ratio = (k: "pp" | "tg"): number[] => pairs.map((p) => p.moebench[k] / p.llamaBench[k]);
  const loopUs = median(pairs.map((p) => p.loop.outsideUs));
  const overheadUs = pairs.map((p) => (1 / p.moebench.tg - 1 / p.llamaBench.tg) * 1e6);
  const harness = pairs.flatMap((p) => (p.moebench.harnessUs === undefined ? [] : [p.moebench.harnessUs]));
  const loads = pairs.flatMap((p) => [p.loadBefore, p.loadAfter]);
  return [
    model.label,
    moebenchEnv ? `${path} (${moebenchEnv})` : path,
    threads,
    median(pairs.map((p) => p.llamaBench.pp)).toFixed(1),
    median(pairs.map((p) => p.moebench.pp)).toFixed(1),
    spread(ratio("pp"), 3),
    spread(
      pairs.map((p) => p.loop.pp / p.llamaBench.pp),
      3,
    ),
    median(pairs.map((p) => p.llamaBench.tg)).toFixed(1),
    median(pairs.map((p) => p.moebench.tg)).toFixed(1),
    spread(ratio("tg"), 3),
    spread(
      pairs.map((p) => p.loop.tg / p.llamaBench.tg),
      3,
    ),
    spread(overheadUs, 0),
    harness.length ? spread(harness, 1) : "–",
    loopUs.toFixed(1),
    harness.length ? (median(harness) - loopUs).toFixed(1) : "–",
    `${(Math.max(...pairs.map((p) => p.foreign)) * 100).toFixed(0)}%`,
    `${Math.min(...loads).toFixed(2)}–${Math.max(...loads).toFixed(2)}`,
  ];
}

const HEADERS = [
  "model",
  "moebench path",
  "threads",
  "pp512 llama-bench",
  "pp512 moebench",
  "pp ratio median [range]",
  "control: C++ loop ÷ llama-bench, pp",
  "tg128 llama-bench",
  "tg128 moebench",
  "tg ratio median [range]",
  "control: C++ loop ÷ llama-bench, tg",
  "overhead µs/token from rates median [range]",
  "moebench harness µs/token",
  "C++ loop µs/token",
  "excess µs/token",
  "other work (max)",
  "load 1-min",
];

// ------------------------------------------------------------------ main

const models = await fidelityModels();
const bin = ensureLlamaTools(["llama-bench"]);
const binding = llamaBenchOnBindingCpu(bin);
if (!binding) throw new Error("node-llama-cpp's prebuilt CPU libraries were not found: run npm ci");
process.stderr.write(`llama-bench runs on node-llama-cpp's own libraries (CPU variant ${binding.variant})\n`);
const loopExe = compileLoop(dirname(binding.exe));
process.stderr.write(
  `load ${readFileSync("/proc/loadavg", "utf8").trim()}; busiest processes:\n${busiestProcesses()}\n`,
);
const rows: (string | number)[][] = [];
const json: unknown[] = [];
for (const model of models) {
  for (const threads of threadsList) {
    for (const path of paths) {
      const pairs: Pair[] = [];
      for (let k = 0; k < repeats; k++) {
        const pair = measurePair({ tools: binding, loopExe }, model, threads, path, k);
        pairs.push(pair);
        const x = (a: number, b: number): string => `${(a / b).toFixed(3)}×`;
        process.stderr.write(
          `${model.label} ${path} t=${threads} pair ${k + 1}/${repeats}` +
            `${pair.cpus === null ? "" : ` (cpus ${pair.cpus})`}: pp ${x(pair.moebench.pp, pair.llamaBench.pp)}, ` +
            `tg ${x(pair.moebench.tg, pair.llamaBench.tg)}; control pp ${x(pair.loop.pp, pair.llamaBench.pp)}, ` +
            `tg ${x(pair.loop.tg, pair.llamaBench.tg)} ` +
            `(other work ${(pair.foreign * 100).toFixed(0)}%, load ${pair.loadBefore}→${pair.loadAfter})\n`,
        );
      }
      rows.push(summaryRow(model, threads, path, pairs));
      json.push({ model: model.label, path, threads, pairs });
    }
  }
}
process.stderr.write(
  `load ${readFileSync("/proc/loadavg", "utf8").trim()}; busiest processes:\n${busiestProcesses()}\n`,
);
console.log(mdTable(HEADERS, rows));
console.log(
  `\n${repeats} interleaved pairs per row, ${reps} repetitions per side (each side's rate: the ${stat} of its ` +
    `repetitions); "other work": the largest share of all ` +
    "cores that other processes used during a pair (anything above a few % makes the row unreliable). " +
    "Control: a bare C++ loop of llama-bench's pp and tg code in its own process, run in every pair; its ratio to " +
    "llama-bench is what this machine shows when the driver does not change (two C++ drivers, the same calls). " +
    "Harness and C++ loop: µs per token outside llama.cpp's own decode clock; excess = moebench's less the loop's.",
);
const jsonOut = opt("--json", "");
if (jsonOut) writeFileSync(jsonOut, `${JSON.stringify(json, null, 2)}\n`);
