/**
 * npm run bench:fidelity — does moebench measure what llama-bench measures?
 *
 * llama-bench (built once from the llama.cpp source node-llama-cpp ships) runs on node-llama-cpp's own
 * libraries (libllama, libggml, libggml-base and the CPU variant ggml picks), so every side runs the same
 * machine code and only the driver differs. For each model × thread count, `--repeats` interleaved rounds each
 * run three sides, in an order that turns with every round: llama-bench (pp512 and tg128), `moebench run` (the
 * same two tests), and a control, a bare C++ loop of llama-bench's pp and tg code on the same libraries
 * (scripts/fidelity/bench-loop.cpp, compiled here with $CXX or c++; like llama-bench it gives each test its own
 * context and threadpool). Settings: `--reps` repetitions, batch = ubatch = 512, flash attention off, weights
 * memory-mapped on all sides (llama-bench -lm mmap; node-llama-cpp's default). llama-bench warms tg up with one
 * token only and its first repetition runs cold, so it runs one repetition more and its first is dropped;
 * moebench and the loop warm up with a whole repetition: all sides are compared in steady state. Each side's
 * rate is the median of its steady repetitions (`--stat mean`: their mean, the statistic of llama-bench's
 * avg_ts): a stalled repetition drags a mean of 5 by several %; every side gets the same statistic, and the
 * JSON keeps every repetition's rate. Below all the CPUs this process may use, every side of a round is pinned
 * to the same ones (taskset; `--pin off` leaves placement to the scheduler), a different block each round;
 * moebench's own Node threads then share that block with its compute thread.
 *
 * Printed per row: the median and range over the rounds of moebench ÷ llama-bench for pp and tg; the same for
 * the control (two C++ drivers making the same calls: how far apart this machine puts two processes when the
 * driver does not matter, the yardstick for moebench's ratio); the per-token overhead from the rates
 * (1/tg_moebench − 1/tg_llama-bench); two direct figures from llama.cpp's own decode clock (llama_perf_context):
 * moebench's harness µs/token (its records' tg.harnessUsPerToken) and the loop's, the floor any caller pays,
 * whose difference ("excess") is what moebench adds per token beyond llama-bench's own loop; and how busy the
 * round's CPUs were with other work (numbers taken under load are worthless).
 *
 * Options: --threads 1,2  --repeats 6 (rounds)  --reps 5  --models small,wide  --only <label text>
 *          --stat median|mean  --pin on|off  --paths c-api,native-batch,app
 *          --moebench-env KEY=VALUE (extra environment for the moebench side only, e.g. an LD_PRELOAD experiment)
 *          --json out.json (every round: each side's repetitions, order, CPUs)
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
/** The CPUs this process may run on (a container's cpuset, not every online CPU). */
function allowedCpus(): number[] {
  const list = /^Cpus_allowed_list:\s*(\S+)/m.exec(readFileSync("/proc/self/status", "utf8"))?.[1];
  if (!list) return cpus().map((_, i) => i);
  return list.split(",").flatMap((range) => {
    const [a, b = a] = range.split("-").map(Number) as [number, number?];
    return Array.from({ length: b - a + 1 }, (_, i) => a + i);
  });
}
const allowed = allowedCpus();
/** `text`, the value of option `name`, as a whole number ≥ 1, or a one-line error naming the option */
const wholeNumber = (name: string, text: string): number => {
  const n = Number(text);
  if (!Number.isInteger(n) || n < 1) throw new Error(`${name}: ${text} is not a whole number ≥ 1`);
  return n;
};
const threadsList = opt("--threads", [...new Set([1, allowed.length])].join(","))
  .split(",")
  .map((t) => wholeNumber("--threads", t));
const rounds = wholeNumber("--repeats", opt("--repeats", "6"));
const reps = wholeNumber("--reps", opt("--reps", "5"));
const sets = opt("--models", "small,wide").split(",");
const only = opt("--only", "");
const PATHS = ["c-api", "native-batch", "app"] as const;
type Path = (typeof PATHS)[number];
const paths = opt("--paths", "c-api").split(",") as Path[];
for (const p of paths) if (!PATHS.includes(p)) throw new Error(`--paths: unknown path ${p} (${PATHS.join(", ")})`);
const moebenchEnv = opt("--moebench-env", "");
const pin = opt("--pin", "on") !== "off";
if (pin && threadsList.some((t) => t < allowed.length)) {
  const probe = spawnSync("taskset", ["-c", String(allowed[0]), "true"]);
  if (probe.error || probe.status !== 0)
    throw new Error(
      "--pin: taskset (util-linux) is missing or may not set CPU affinity here: install it or pass --pin off",
    );
}
const stat = opt("--stat", "median");
if (stat !== "median" && stat !== "mean") throw new Error(`--stat: ${stat} is not median or mean`);
const median = (xs: number[]): number => percentiles(xs, [0.5])[0]!;
/** One side's rate from its steady repetitions: every side gets the same statistic. */
const sideStat = (xs: number[]): number => (stat === "median" ? median(xs) : mean(xs));
const extraEnv = moebenchEnv ? { [moebenchEnv.split("=")[0]!]: moebenchEnv.slice(moebenchEnv.indexOf("=") + 1) } : {};

// ------------------------------------------------------------------ how busy the machine is with other work

interface CpuSnapshot {
  /** busy jiffies per CPU id */
  busy: Map<number, number>;
  own: number;
  wallMs: number;
}

/** Busy jiffies of each CPU and of this process with its waited-for children (all the sides of a round). */
function cpuSnapshot(): CpuSnapshot {
  const busy = new Map<number, number>();
  for (const line of readFileSync("/proc/stat", "utf8").split("\n")) {
    const m = /^cpu(\d+)\s+(.*)$/.exec(line);
    if (!m) continue;
    const fields = m[2]!.trim().split(/\s+/).map(Number);
    const total = fields.slice(0, 8).reduce((a, b) => a + b, 0);
    busy.set(Number(m[1]), total - fields[3]! - fields[4]!);
  }
  const stat = readFileSync("/proc/self/stat", "utf8");
  const own = stat
    .slice(stat.lastIndexOf(")") + 2)
    .split(" ")
    .slice(11, 15)
    .map(Number)
    .reduce((a, b) => a + b, 0);
  return { busy, own, wallMs: performance.now() };
}

/**
 * Share of `over` (the CPUs a round was pinned to, else every CPU it may use) that other processes used between
 * two snapshots: 0 = quiet, 1 = those CPUs busy with other work all the time.
 */
function foreignShare(a: CpuSnapshot, b: CpuSnapshot, over: number[]): number {
  const jiffiesPerMs = 100 / 1000; // USER_HZ = 100 on Linux
  const capacity = (b.wallMs - a.wallMs) * jiffiesPerMs * over.length || 1;
  const busy = over.reduce((sum, id) => sum + (b.busy.get(id) ?? 0) - (a.busy.get(id) ?? 0), 0);
  return Math.max(0, busy - (b.own - a.own)) / capacity;
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

/** Run one side to its end: its stdout, or an error naming it, with its command and the end of its stderr. */
function run(side: string, [exe, args]: [string, string[]], env: NodeJS.ProcessEnv): string {
  const r = spawnSync(exe, args, { encoding: "utf8", env, maxBuffer: 64 << 20 });
  if (r.error || r.status !== 0) {
    const why = r.error?.message ?? `exit ${r.status ?? r.signal}`;
    const tail = (r.stderr ?? "").trim().split("\n").slice(-5).join("\n");
    throw new Error(`${side} failed (${why}): ${[exe, ...args].join(" ")}\n${tail}`);
  }
  return r.stdout;
}

function llamaBench(tools: Tools, model: Model, threads: number, cpus: number[] | null): Rates {
  const flags = ["-p", "512", "-n", "128", "-t", String(threads), "-b", "512", "-ub", "512", "-fa", "0"];
  const args = ["-m", model.path, ...flags, "-lm", "mmap", "-r", String(reps + 1), "-o", "json"];
  const out = run("llama-bench", pinned(cpus, tools.exe, args), tools.env);
  const rows = JSON.parse(out) as { n_prompt: number; n_gen: number; samples_ts: number[] }[];
  // the per-repetition rates after the first (llama-bench's own avg_ts is the mean over all of them)
  const pp = rows.find((r) => r.n_prompt > 0 && r.n_gen === 0)!.samples_ts.slice(1);
  const tg = rows.find((r) => r.n_gen > 0 && r.n_prompt === 0)!.samples_ts.slice(1);
  return { pp: sideStat(pp), tg: sideStat(tg), ppSamples: pp, tgSamples: tg };
}

// ------------------------------------------------------------------ the control: a bare C++ loop

/** Compile scripts/fidelity/bench-loop.cpp against the llama.cpp headers and node-llama-cpp's libraries. */
function compileLoop(bindingDir: string): string {
  const src = join(cacheDir(), `llama.cpp-${bundledLlamaCpp().tag}`);
  const exe = join(work, "bench-loop");
  const libs = ["libllama.so.0", "libggml.so.0", "libggml-base.so.0"].map((f) => join(bindingDir, f));
  const include = ["include", "ggml/include"].flatMap((d) => ["-I", join(src, d)]);
  const compiler = process.env.CXX || "c++";
  execFileSync(compiler, ["-O2", "-std=c++17", "scripts/fidelity/bench-loop.cpp", ...include, ...libs, "-o", exe], {
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
  /** µs per generated token outside llama.cpp's decode clock (median over the repetitions): the floor */
  outsideUs: number;
}

/** The control side of a round: llama-bench's pp and tg code in a bare C++ process of its own. */
function loopRun(exe: string, tools: Tools, model: Model, threads: number, cpus: number[] | null): LoopRun {
  const env = { ...tools.env, BACKEND_DIR: dirname(tools.exe) };
  const out = run("the C++ loop", pinned(cpus, exe, [model.path, String(threads), "128", String(reps), "512"]), env);
  const rows = out
    .trim()
    .split("\n")
    .map((l) => JSON.parse(l) as { test: "pp" | "tg"; tokPerSec: number; outsideUsPerToken?: number });
  const pp = rows.filter((r) => r.test === "pp").map((r) => r.tokPerSec);
  const tg = rows.filter((r) => r.test === "tg").map((r) => r.tokPerSec);
  const outsideUs = median(rows.flatMap((r) => (r.outsideUsPerToken === undefined ? [] : [r.outsideUsPerToken])));
  return { pp: sideStat(pp), tg: sideStat(tg), ppSamples: pp, tgSamples: tg, outsideUs };
}

/**
 * Below all the CPUs this process may use, every side of a round runs on the same ones (taskset), a different
 * block each round: the vCPUs of a VM need not be equally fast (this one's two differed by 2–6%), and a side
 * must not win by where the scheduler put it. moebench's own Node threads (its parent, V8's) share the block
 * with its compute thread. null: unpinned (threads ≥ CPUs, or `--pin off`).
 */
function cpuBlock(threads: number, round: number): number[] | null {
  if (!pin || threads >= allowed.length) return null;
  const blocks = Math.floor(allowed.length / threads);
  const first = (round % blocks) * threads;
  return allowed.slice(first, first + threads);
}

function pinned(cpuList: number[] | null, exe: string, args: string[]): [string, string[]] {
  return cpuList ? ["taskset", ["-c", cpuList.join(","), exe, ...args]] : [exe, args];
}

const work = mkdtempSync(join(tmpdir(), "moebench-fidelity-"));
const cli = resolve("dist/cli.js");

function moebench(model: Model, threads: number, path: Path, cpus: number[] | null): Rates {
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
  run("moebench run", pinned(cpus, process.execPath, [cli, "run", suite, "--out", out]), env);
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

// ------------------------------------------------------------------ interleaved rounds

type Side = "llama-bench" | "moebench" | "loop";

interface Round {
  llamaBench: Rates;
  moebench: Rates;
  /** the control: llama-bench's pp and tg code in a bare C++ process */
  loop: LoopRun;
  /** the CPUs every side of the round was pinned to, or null */
  cpus: number[] | null;
  /** the order the sides ran in */
  order: Side[];
  /** share of the round's CPUs (the pinned ones, else all) that other processes used during the round */
  foreign: number;
  loadBefore: number;
  loadAfter: number;
}

/**
 * Every order of the three sides, taken in turn by the rounds: over each 6 rounds every side runs first, second
 * and last twice, and after each other side once.
 */
const ORDERS: Side[][] = [
  ["llama-bench", "moebench", "loop"],
  ["moebench", "loop", "llama-bench"],
  ["loop", "llama-bench", "moebench"],
  ["llama-bench", "loop", "moebench"],
  ["moebench", "llama-bench", "loop"],
  ["loop", "moebench", "llama-bench"],
];

/** The drivers besides moebench: llama-bench on its libraries, and the compiled C++ loop. */
interface Drivers {
  tools: Tools;
  loopExe: string;
}

function measureRound({ tools, loopExe }: Drivers, model: Model, threads: number, path: Path, k: number): Round {
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
  const foreign = foreignShare(a, cpuSnapshot(), cpuList ?? allowed);
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

/** x ÷ llama-bench over the rounds, for moebench or the control, pp or tg */
const ratios = (rounds: Round[], side: "moebench" | "loop", k: "pp" | "tg"): number[] =>
  rounds.map((r) => r[side][k] / r.llamaBench[k]);

function summaryRow(model: Model, threads: number, path: Path, rounds: Round[]): (string | number)[] {
  const loopUs = median(rounds.map((r) => r.loop.outsideUs));
  const overheadUs = rounds.map((r) => (1 / r.moebench.tg - 1 / r.llamaBench.tg) * 1e6);
  const harness = rounds.flatMap((r) => (r.moebench.harnessUs === undefined ? [] : [r.moebench.harnessUs]));
  const loads = rounds.flatMap((r) => [r.loadBefore, r.loadAfter]);
  return [
    model.label,
    moebenchEnv ? `${path} (${moebenchEnv})` : path,
    threads,
    median(rounds.map((r) => r.llamaBench.pp)).toFixed(1),
    median(rounds.map((r) => r.moebench.pp)).toFixed(1),
    spread(ratios(rounds, "moebench", "pp"), 3),
    spread(ratios(rounds, "loop", "pp"), 3),
    median(rounds.map((r) => r.llamaBench.tg)).toFixed(1),
    median(rounds.map((r) => r.moebench.tg)).toFixed(1),
    spread(ratios(rounds, "moebench", "tg"), 3),
    spread(ratios(rounds, "loop", "tg"), 3),
    spread(overheadUs, 0),
    harness.length ? spread(harness, 1) : "–",
    loopUs.toFixed(1),
    harness.length ? (median(harness) - loopUs).toFixed(1) : "–",
    `${(Math.max(...rounds.map((r) => r.foreign)) * 100).toFixed(0)}%`,
    `${Math.min(...loads).toFixed(2)}–${Math.max(...loads).toFixed(2)}`,
  ];
}

const HEADERS = [
  "model",
  "moebench path",
  "threads",
  "pp512 llama-bench tok/s",
  "pp512 moebench tok/s",
  "pp moebench ÷ llama-bench, median [range]",
  "pp control ÷ llama-bench, median [range]",
  "tg128 llama-bench tok/s",
  "tg128 moebench tok/s",
  "tg moebench ÷ llama-bench, median [range]",
  "tg control ÷ llama-bench, median [range]",
  "overhead µs/token from rates, median [range]",
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
      const done: Round[] = [];
      for (let k = 0; k < rounds; k++) {
        const r = measureRound({ tools: binding, loopExe }, model, threads, path, k);
        done.push(r);
        const x = (a: number, b: number): string => `${(a / b).toFixed(3)}×`;
        process.stderr.write(
          `${model.label} ${path} t=${threads} round ${k + 1}/${rounds} (${r.order.join(", ")}` +
            `${r.cpus === null ? "" : `; cpus ${r.cpus.join(",")}`}): moebench pp ${x(r.moebench.pp, r.llamaBench.pp)}, ` +
            `tg ${x(r.moebench.tg, r.llamaBench.tg)}; control pp ${x(r.loop.pp, r.llamaBench.pp)}, ` +
            `tg ${x(r.loop.tg, r.llamaBench.tg)} ` +
            `(other work ${(r.foreign * 100).toFixed(0)}%, load ${r.loadBefore}→${r.loadAfter})\n`,
        );
      }
      rows.push(summaryRow(model, threads, path, done));
      json.push({ model: model.label, path, threads, rounds: done });
    }
  }
}
process.stderr.write(
  `load ${readFileSync("/proc/loadavg", "utf8").trim()}; busiest processes:\n${busiestProcesses()}\n`,
);
console.log(mdTable(HEADERS, rows));
console.log(
  `\n${rounds} interleaved rounds per row (llama-bench, moebench and the control in turning order), ${reps} ` +
    `repetitions per side, each side's rate the ${stat} of its repetitions. Control: a bare C++ loop of ` +
    "llama-bench's pp and tg code in its own process; its ratio to llama-bench is how far apart this machine puts " +
    "two processes when the driver does not matter (two C++ drivers, the same calls), the yardstick for moebench's " +
    "ratio. Harness and C++ loop: µs per generated token outside llama.cpp's own decode clock; excess = moebench's " +
    "less the loop's. \"Other work\": the largest share of the round's CPUs that other processes used (above a few " +
    "% the row is unreliable).",
);
if (rounds % ORDERS.length !== 0)
  process.stderr.write(`note: the side orders are balanced over multiples of ${ORDERS.length} rounds, not ${rounds}\n`);
const jsonOut = opt("--json", "");
if (jsonOut) writeFileSync(jsonOut, `${JSON.stringify(json, null, 2)}\n`);
