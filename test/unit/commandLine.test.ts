/** llama-bench's command line → a suite: the same instances as the YAML suite that says the same. */
import { describe, expect, it } from "vitest";
import { Command } from "commander";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { flagsToSuite, intList, normalizeLlamaBenchArgv, suiteFromCommandLine } from "../../src/suite/commandLine.js";
import { parseSuite } from "../../src/suite/loadSuite.js";
import { planSuite } from "../../src/plan/planSuite.js";
import { addLlamaBenchOptions, type LlamaBenchCliOptions, suiteFlagsOf } from "../../src/commands/llamaBenchOptions.js";
import { MoebenchError } from "../../src/util/errors.js";
import { tmp } from "../helpers.js";

/** Parse a command line the way `moebench run` does (the same options, the same argv rewrite). */
function parseRun(args: string[]): LlamaBenchCliOptions & { suite?: string } {
  let got: LlamaBenchCliOptions & { suite?: string } = {};
  const cmd = addLlamaBenchOptions(new Command("run").argument("[suite]").exitOverride()).action(
    (suite: string | undefined, o: LlamaBenchCliOptions) => {
      got = { ...o, suite };
    },
  );
  const program = new Command("moebench").exitOverride().addCommand(cmd);
  program.parse(normalizeLlamaBenchArgv(["node", "moebench", "run", ...args]));
  return got;
}

function errorLine(f: () => unknown): string {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(MoebenchError);
    return (e as MoebenchError).line();
  }
  throw new Error("expected a MoebenchError");
}

describe("llama-bench's lists and ranges", () => {
  it.each([
    ["512", [512]],
    ["0,512", [0, 512]],
    ["128-1024*2", [128, 256, 512, 1024]],
    ["0-10+5", [0, 5, 10]],
    ["1-3", [1, 2, 3]],
    ["64,64,128", [64, 128]],
  ])("%s", (v, list) => {
    expect(intList("-p", [v], { min: 0 })).toEqual(list);
  });
  it("repeated flags add up", () => {
    expect(intList("-d", ["0", "4096"], { min: 0 })).toEqual([0, 4096]);
  });
  it.each([
    ["abc", "-p abc: expected whole numbers or ranges"],
    ["1-1000000000", "-p 1-1000000000: more than 1000 values (sweep fewer values)"],
    ["4-8*1", "-p 4-8*1: the range does not advance"],
    ["-5", "-p -5: expected whole numbers or ranges"],
  ])("%s is refused", (v, line) => {
    expect(errorLine(() => intList("-p", [v], { min: 0 }))).toContain(line);
  });
});

describe("flags → suite keys", () => {
  it("maps every llama-bench flag", () => {
    const raw = flagsToSuite({
      model: ["a.gguf,synth:qwen3-8b:Q8_0", "hf:u/r:Q4_K_M"],
      nPrompt: ["0,512"],
      nGen: ["128"],
      pg: ["512,128", "64,16"],
      nDepth: ["0,4096"],
      batchSize: ["2048"],
      ubatchSize: ["512,256"],
      threads: ["8"],
      nGpuLayers: ["-1,10"],
      flashAttn: ["0,1"],
      cacheTypeK: ["f16,q8_0"],
      cacheTypeV: ["q8_0"],
      repetitions: "5",
      parallel: ["1,4"],
      quality: true,
    });
    expect(raw).toEqual({
      models: ["a.gguf", "synth:qwen3-8b:Q8_0", "hf:u/r:Q4_K_M"],
      // -p 0 is llama-bench's "no prompt test"
      tests: ["pp512", "tg128", "pp512+tg128", "pp64+tg16"],
      depths: [0, 4096],
      batch: [2048],
      ubatch: [512, 256],
      threads: [8],
      gpuLayers: ["max", 10],
      flashAttention: [false, true],
      // every K type with every V type
      kv: [{ k: "f16", v: "q8_0" }, "q8_0"],
      repetitions: { min: 5, max: 5 },
      parallel: [1, 4],
      quality: true,
    });
  });
  it("llama-bench's defaults fill -p and -n when only one is given", () => {
    expect(flagsToSuite({ nPrompt: ["64"] }).tests).toEqual(["pp64", "tg128"]);
    expect(flagsToSuite({ nGen: ["16"] }).tests).toEqual(["pp512", "tg16"]);
    expect(flagsToSuite({ pg: ["32,8"] }).tests).toEqual(["pp512", "tg128", "pp32+tg8"]);
    expect(flagsToSuite({ nPrompt: ["64"], nGen: ["0"] }).tests).toEqual(["pp64"]);
  });
  it("-r keeps the suite's targetCi", () => {
    expect(flagsToSuite({ repetitions: "2" }, { repetitions: { targetCi: 0.05 } }).repetitions).toEqual({
      targetCi: 0.05,
      min: 2,
      max: 2,
    });
  });
  it.each([
    [{ flashAttn: ["auto"] }, "-fa auto: moebench needs on or off (1 or 0)"],
    [{ cacheTypeK: ["q3_k"] }, "-ctk q3_k: not a KV cache type"],
    [{ pg: ["512"] }, "-pg 512: expected <pp>,<tg> with both ≥ 1"],
    [{ pg: ["0,128"] }, "-pg 0,128: expected <pp>,<tg> with both ≥ 1"],
    [{ nPrompt: ["0"], nGen: ["0"] }, "-p/-n/-pg: no test left (0 means none)"],
    [{ threads: ["0"] }, "-t 0: 0 is below the smallest allowed value 1"],
    [{ nGpuLayers: ["-2"] }, "-ngl -2: -2 is below the smallest allowed value 0"],
    [{ repetitions: "0" }, "-r 0: expected a number of repetitions from 1 to 1000"],
  ])("%j is refused in one line", (flags, line) => {
    expect(errorLine(() => flagsToSuite(flags))).toContain(line);
  });
  it("needs a suite or a model", () => {
    expect(errorLine(() => suiteFromCommandLine(undefined, { nPrompt: ["64"] }))).toMatch(
      /^give a suite file or at least one -m <model>/,
    );
  });
});

describe("a llama-bench command line gives the instances its YAML suite gives", () => {
  const models = "synth:lfm2-8b-a1b:Q4_K_M:tiny,synth:llama-3.1-8b:Q4_K_M:tiny";
  const yaml = [
    "name: cli",
    "models: [synth:lfm2-8b-a1b:Q4_K_M:tiny, synth:llama-3.1-8b:Q4_K_M:tiny]",
    "tests: [pp64, pp128, tg16, pp32+tg8]",
    "depths: [0, 256]",
    "flashAttention: [false, true]",
    "kv: [f16, {k: q8_0, v: f16}]",
    "batch: [256]",
    "ubatch: [128]",
    "threads: [1, 2]",
    "gpuLayers: [max]",
    "repetitions: {min: 2, max: 2}",
  ].join("\n");
  it("through the real option parser (multi-letter flags, repeats, comma lists)", async () => {
    const o = parseRun([
      "-m",
      models,
      "-p",
      "64,128",
      "-n",
      "16",
      "-pg",
      "32,8",
      "-d",
      "0,256",
      "-fa",
      "0,1",
      "-ctk",
      "f16,q8_0",
      "-b",
      "256",
      "-ub",
      "128",
      "-t",
      "1",
      "-t",
      "2",
      "-ngl",
      "-1",
      "-r",
      "2",
      "-o",
      "md",
    ]);
    expect(o.output).toBe("md");
    const fromFlags = await planSuite(suiteFromCommandLine(undefined, suiteFlagsOf(o)!), {
      gpu: false,
      executor: "llama",
    });
    const fromYaml = await planSuite(
      { suite: parseSuite(yaml, "cli.yaml"), origin: "cli.yaml", baseDir: "." },
      { gpu: false, executor: "llama" },
    );
    // 2 models × 2 fa × 2 kv × 2 threads × 2 depths × 4 tests = 128
    expect(fromFlags.instances).toHaveLength(128);
    expect(fromFlags.instances.map((i) => i.key)).toEqual(fromYaml.instances.map((i) => i.key));
    expect(fromFlags.suite.repetitions).toEqual(fromYaml.suite.repetitions);
    expect(fromFlags.suite.name).toBe("cli");
  });

  it("a suite file and flags combine, the flags winning", async () => {
    const d = tmp();
    const f = join(d, "base.yaml");
    writeFileSync(f, `${yaml.replace("name: cli\n", "")}\n`);
    const o = parseRun([f, "-p", "64", "-n", "0", "-t", "3"]);
    const src = suiteFromCommandLine(o.suite, suiteFlagsOf(o)!);
    expect(src.origin).toBe(`${f} + command line`);
    expect(src.suite.name).toBe("base");
    expect(src.suite.tests).toEqual(["pp64"]);
    expect(src.suite.threads).toEqual([3]);
    // untouched keys come from the file
    expect(src.suite.depths).toEqual([0, 256]);
    expect(src.suite.models).toHaveLength(2);
  });

  it("-m paths are relative to the current folder", () => {
    const src = suiteFromCommandLine(undefined, { model: ["m.gguf"] });
    expect(src.baseDir).toBe(process.cwd());
    expect(src.suite.models).toEqual(["m.gguf"]);
  });

  it("only run and bench get the multi-letter rewrite", () => {
    expect(normalizeLlamaBenchArgv(["n", "m", "run", "-fa", "1", "-ngl", "99"])).toEqual([
      "n",
      "m",
      "run",
      "--flash-attn",
      "1",
      "--n-gpu-layers",
      "99",
    ]);
    expect(normalizeLlamaBenchArgv(["n", "m", "fit", "-fa", "on"])).toEqual(["n", "m", "fit", "-fa", "on"]);
  });
});
