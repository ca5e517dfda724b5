/**
 * llama-bench's command line → a moebench suite, so that a llama-bench command works after replacing the
 * program name: `moebench run -m a.gguf -m b.gguf -p 512 -n 128 -fa 0,1 -d 0,4096`. Flags take comma lists
 * and llama-bench's ranges (first-last, first-last+step, first-last*mult) and may be repeated; a suite
 * file and flags combine, flags replacing the suite's values. The mapping (llama-bench → suite key):
 *
 *   -m, --model            models          (repeatable; paths, hf: and synth: refs)
 *   -p, --n-prompt         tests: ppN      (0 = none; with -n/-pg, llama-bench's default 512 when absent)
 *   -n, --n-gen            tests: tgN      (0 = none; default 128 when absent, as in llama-bench)
 *   -pg <pp,tg>            tests: ppN+tgM  (repeatable)
 *   -d, --n-depth          depths
 *   -b, --batch-size       batch           -ub, --ubatch-size  ubatch
 *   -t, --threads          threads         -ngl, --n-gpu-layers gpuLayers (-1 = all)
 *   -fa, --flash-attn      flashAttention  (on|off|1|0)
 *   -ctk, -ctv             kv              (every K type with every V type)
 *   -r, --repetitions      repetitions     (exactly N: min = max = N)
 *   --parallel             parallel        --quality  quality: true
 */
import { resolve } from "node:path";
import { MoebenchError } from "../util/errors.js";
import { readSuiteText, parseSuiteYaml, suiteNameOf, validateSuite, type NamedSuite } from "./loadSuite.js";
import { KV_TYPES } from "./schema.js";

/** The flags as commander collects them: every repeatable flag is a list of its occurrences. */
export interface SuiteFlags {
  model?: string[];
  nPrompt?: string[];
  nGen?: string[];
  pg?: string[];
  nDepth?: string[];
  batchSize?: string[];
  ubatchSize?: string[];
  threads?: string[];
  nGpuLayers?: string[];
  flashAttn?: string[];
  cacheTypeK?: string[];
  cacheTypeV?: string[];
  repetitions?: string;
  parallel?: string[];
  quality?: boolean;
}

/** llama-bench's flags of more than one letter after a single dash, and the long names commander knows. */
export const MULTI_LETTER_FLAGS: Readonly<Record<string, string>> = {
  "-pg": "--pg",
  "-ub": "--ubatch-size",
  "-ngl": "--n-gpu-layers",
  "-fa": "--flash-attn",
  "-ctk": "--cache-type-k",
  "-ctv": "--cache-type-v",
};

/**
 * commander reads `-pg` as `-p g`: rewrite llama-bench's multi-letter single-dash flags to their long names,
 * only after the subcommands that take them.
 */
export function normalizeLlamaBenchArgv(argv: readonly string[], commands = ["run", "bench"]): string[] {
  const at = argv.findIndex((a, i) => i >= 2 && commands.includes(a));
  if (at < 0) return [...argv];
  return argv.map((a, i) => (i > at ? (MULTI_LETTER_FLAGS[a] ?? a) : a));
}

/** A sweep can be long, but a range that expands to more values than this is a typo. */
const MAX_LIST = 1000;

function expandRange(flag: string, part: string, allowNegative: boolean): number[] {
  const m = (allowNegative ? /^(-?\d+)(?:-(\d+)(?:([+*])(\d+))?)?$/ : /^(\d+)(?:-(\d+)(?:([+*])(\d+))?)?$/).exec(part);
  if (!m)
    throw new MoebenchError(
      `${flag} ${part}: expected whole numbers or ranges`,
      "comma-separated, e.g. 0,512 or 128-1024*2 (first-last, first-last+step, first-last*mult)",
    );
  const first = Number(m[1]);
  const last = m[2] === undefined ? first : Number(m[2]);
  const step = Number(m[4] ?? 1);
  const out: number[] = [];
  for (let v = first; v <= last; v = m[3] === "*" ? v * step : v + step) {
    if (out.length >= MAX_LIST)
      throw new MoebenchError(`${flag} ${part}: more than ${MAX_LIST} values`, "sweep fewer values");
    const next = m[3] === "*" ? v * step : v + step;
    out.push(v);
    if (next <= v)
      throw new MoebenchError(`${flag} ${part}: the range does not advance`, "use a step ≥ 1 (×2 or more)");
  }
  return out;
}

/** All values of a repeatable flag with comma lists and ranges, in order, each once. */
export function intList(flag: string, values: readonly string[] | undefined, o: { min: number; negative?: boolean }) {
  if (!values) return undefined;
  const out: number[] = [];
  for (const v of values)
    for (const part of v.split(",").map((s) => s.trim()))
      for (const n of expandRange(flag, part, o.negative === true)) {
        if (n < o.min && !(o.negative && n === -1))
          throw new MoebenchError(`${flag} ${v}: ${n} is below the smallest allowed value ${o.min}`);
        if (!out.includes(n)) out.push(n);
      }
  return out;
}

function stringList(values: readonly string[] | undefined): string[] | undefined {
  if (!values) return undefined;
  const out = values.flatMap((v) => v.split(",").map((s) => s.trim())).filter(Boolean);
  return [...new Set(out)];
}

/** -p/-n/-pg → tests, as llama-bench builds them: pp tests, then tg tests, then pp+tg pairs. */
function testsOf(f: SuiteFlags): string[] | undefined {
  if (!f.nPrompt && !f.nGen && !f.pg) return undefined;
  const pp = intList("-p", f.nPrompt ?? ["512"], { min: 0 })!;
  const tg = intList("-n", f.nGen ?? ["128"], { min: 0 })!;
  const pairs = (f.pg ?? []).map((v) => {
    const [p, n, ...rest] = v.split(",").map((s) => s.trim());
    if (!p || !n || rest.length || !/^\d+$/.test(p) || !/^\d+$/.test(n) || Number(p) < 1 || Number(n) < 1)
      throw new MoebenchError(`-pg ${v}: expected <pp>,<tg> with both ≥ 1`, "e.g. -pg 512,128 (repeat -pg for more)");
    return `pp${Number(p)}+tg${Number(n)}`;
  });
  const tests = [...pp.filter((n) => n > 0).map((n) => `pp${n}`), ...tg.filter((n) => n > 0).map((n) => `tg${n}`)];
  const all = [...new Set([...tests, ...pairs])];
  if (!all.length)
    throw new MoebenchError("-p/-n/-pg: no test left (0 means none)", "give at least one -p, -n or -pg > 0");
  return all;
}

function flashAttentionOf(values: readonly string[] | undefined): boolean[] | undefined {
  const list = stringList(values);
  if (!list) return undefined;
  return [
    ...new Set(
      list.map((v) => {
        if (["1", "on", "true"].includes(v)) return true;
        if (["0", "off", "false"].includes(v)) return false;
        throw new MoebenchError(
          `-fa ${v}: moebench needs on or off (1 or 0)`,
          "llama-bench's auto lets llama.cpp choose; sweep -fa 0,1 to measure both",
        );
      }),
    ),
  ];
}

function kvTypes(flag: string, values: readonly string[] | undefined): string[] | undefined {
  const list = stringList(values);
  for (const t of list ?? [])
    if (!(KV_TYPES as readonly string[]).includes(t))
      throw new MoebenchError(`${flag} ${t}: not a KV cache type`, `valid: ${KV_TYPES.join(", ")}`);
  return list;
}

/** Every K type with every V type (llama-bench sweeps -ctk and -ctv independently); f16 where one is absent. */
function kvOf(f: SuiteFlags): (string | { k: string; v: string })[] | undefined {
  const ks = kvTypes("-ctk", f.cacheTypeK);
  const vs = kvTypes("-ctv", f.cacheTypeV);
  if (!ks && !vs) return undefined;
  return (ks ?? ["f16"]).flatMap((k) => (vs ?? ["f16"]).map((v) => (k === v ? k : { k, v })));
}

function gpuLayersOf(values: readonly string[] | undefined): (number | "max")[] | undefined {
  const list = stringList(values);
  if (!list) return undefined;
  const numbers = intList(
    "-ngl",
    list.filter((v) => v !== "max" && v !== "all"),
    { min: 0, negative: true },
  )!;
  const all = list.some((v) => v === "max" || v === "all") || numbers.includes(-1);
  return [...(all ? ["max" as const] : []), ...numbers.filter((n) => n >= 0)];
}

function repetitionsOf(value: string | undefined, suite: Record<string, unknown>): unknown {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > 1000)
    throw new MoebenchError(`-r ${value}: expected a number of repetitions from 1 to 1000`);
  const base = (suite.repetitions as Record<string, unknown> | undefined) ?? {};
  return { ...base, min: n, max: n };
}

/** The suite keys the flags set (absent flags leave the suite's value, or moebench's default). */
export function flagsToSuite(f: SuiteFlags, suite: Record<string, unknown> = {}): Record<string, unknown> {
  const keys: Record<string, unknown> = {
    models: stringList(f.model),
    tests: testsOf(f),
    depths: intList("-d", f.nDepth, { min: 0 }),
    batch: intList("-b", f.batchSize, { min: 1 }),
    ubatch: intList("-ub", f.ubatchSize, { min: 1 }),
    threads: intList("-t", f.threads, { min: 1 }),
    gpuLayers: gpuLayersOf(f.nGpuLayers),
    flashAttention: flashAttentionOf(f.flashAttn),
    kv: kvOf(f),
    repetitions: repetitionsOf(f.repetitions, suite),
    parallel: intList("--parallel", f.parallel, { min: 1 }),
    quality: f.quality ? true : undefined,
  };
  return Object.fromEntries(Object.entries(keys).filter(([, v]) => v !== undefined));
}

function commandLineOrigin(file: string | undefined, flags: boolean): string {
  if (!file) return "command line";
  return flags ? `${file} + command line` : file;
}

export interface CommandLineSuite {
  suite: NamedSuite;
  /** names the suite in messages: the file, or "command line" */
  origin: string;
  /** where relative model paths start: the suite's folder, or the current folder for -m */
  baseDir: string;
}

/**
 * The suite to run: a file, flags, or both (flags win). With -m the models are the command line's (paths
 * relative to the current folder) on every machine: the file's gpu: list no longer applies.
 */
export function suiteFromCommandLine(file: string | undefined, flags: SuiteFlags): CommandLineSuite {
  if (!file && !flags.model?.length)
    throw new MoebenchError(
      "give a suite file or at least one -m <model>",
      "e.g. moebench run -m synth:lfm2-8b-a1b:Q4_K_M:tiny",
    );
  const fromFile = file ? parseSuiteYaml(readSuiteText(file), file) : {};
  const overrides = flagsToSuite(flags, fromFile);
  const raw: Record<string, unknown> = { ...fromFile, ...overrides };
  if (overrides.models) delete raw.gpu;
  const origin = commandLineOrigin(file, Object.keys(overrides).length > 0);
  const suite = validateSuite(raw, origin, file ? suiteNameOf(file) : "cli");
  const baseDir = overrides.models || !file ? process.cwd() : resolve(file, "..");
  return { suite, origin, baseDir };
}
