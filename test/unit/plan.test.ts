/** expandSuite, countInstances, auto context and its cap, testId, --filter: expectations worked out by hand. */
import { describe, expect, it } from "vitest";
import { SuiteSchema, MAX_TOKENS } from "../../src/suite/schema.js";
import {
  autoContext,
  contextCap,
  countInstances,
  expandSuite,
  parseTest,
  planWarnings,
} from "../../src/plan/expandSuite.js";
import { parseFilter } from "../../src/plan/filter.js";
import { planSuite } from "../../src/plan/planSuite.js";
import type { ModelRef } from "../../src/plan/types.js";
import { testId } from "../../src/util/testId.js";
import { MoebenchError } from "../../src/util/errors.js";

const suiteOf = (raw: Record<string, unknown>) => SuiteSchema.parse({ models: ["synth:llama-3.1-8b:Q4_K_M"], ...raw });
const synth = (preset: string, quant = "Q4_K_M"): ModelRef => ({
  kind: "synth",
  ref: `synth:${preset}:${quant}:tiny`,
  label: `${preset}-tiny ${quant}`,
  preset,
  quant,
  scale: "tiny",
});
const A = synth("llama-3.1-8b");
const B = synth("lfm2-8b-a1b");

describe("testId", () => {
  it.each([
    [{ pp: 512, tg: 0, depth: 0, parallel: 1 }, "pp512"],
    [{ pp: 0, tg: 128, depth: 0, parallel: 1 }, "tg128"],
    [{ pp: 512, tg: 128, depth: 0, parallel: 1 }, "pp512+tg128"],
    [{ pp: 512, tg: 0, depth: 4096, parallel: 1 }, "pp512@d4096"],
    [{ pp: 0, tg: 128, depth: 0, parallel: 4 }, "tg128×4seq"],
    [{ pp: 0, tg: 32, depth: 1024, parallel: 2 }, "tg32@d1024×2seq"],
  ])("%j → %s", (t, id) => {
    expect(testId(t)).toBe(id);
  });
});

describe("parseTest and autoContext", () => {
  it("reads both test forms", () => {
    expect(parseTest("pp512")).toEqual({ pp: 512, tg: 0 });
    expect(parseTest("tg128")).toEqual({ pp: 0, tg: 128 });
    expect(parseTest("pp64+tg16")).toEqual({ pp: 64, tg: 16 });
    expect(parseTest({ tg: 7 })).toEqual({ pp: 0, tg: 7 });
  });
  it.each([
    // 0 + 64 + 16 + 8 = 88 → at least 512
    [0, 64, 16, 512],
    // 0 + 512 + 128 + 8 = 648 → ⌈648/256⌉ = 3 → 768
    [0, 512, 128, 768],
    // 4096 + 512 + 0 + 8 = 4616 → ⌈4616/256⌉ = 19 → 4864
    [4096, 512, 0, 4864],
    // 504 + 0 + 0 + 8 = 512 exactly → 512
    [504, 0, 0, 512],
    // 505 + 8 = 513 → 768
    [505, 0, 0, 768],
  ])("depth %i, pp %i, tg %i → %i", (d, pp, tg, ctx) => {
    expect(autoContext(d, pp, tg)).toBe(ctx);
  });
  it("caps at the trained context unless the suite says otherwise", () => {
    expect(contextCap({ beyondTrainedContext: false }, { ctxTrain: 32768 })).toBe(32768);
    expect(contextCap({ beyondTrainedContext: true }, { ctxTrain: 32768 })).toBe(MAX_TOKENS);
    expect(contextCap({ beyondTrainedContext: false }, { ctxTrain: null })).toBe(MAX_TOKENS);
    expect(contextCap({ beyondTrainedContext: false }, { ctxTrain: 1e12 })).toBe(MAX_TOKENS);
  });
});

describe("expandSuite", () => {
  it("orders by model, then the sweep in llama-bench's nesting, skipping parallel non-generation tests", () => {
    const s = suiteOf({ tests: ["pp64", "tg16"], depths: [0, 256], parallel: [1, 2], kv: ["f16", "q8_0"] });
    const { instances } = expandSuite(s, [A, B]);
    // per model: kv 2 × parallel {1: 2 tests, 2: tg16 only} × depths 2 = 2 × (2 + 1) × 2 = 12; two models: 24
    expect(instances).toHaveLength(24);
    expect(countInstances(s, 2)).toBe(24);
    expect(instances.map((i) => i.index)).toEqual([...Array(24).keys()]);
    expect(instances.slice(0, 6).map((i) => `${i.params.kvK} ${i.testId}`)).toEqual([
      "f16 pp64",
      "f16 tg16",
      "f16 pp64@d256",
      "f16 tg16@d256",
      "f16 tg16×2seq",
      "f16 tg16@d256×2seq",
    ]);
    expect(instances.slice(0, 12).every((i) => i.model === A)).toBe(true);
    expect(new Set(instances.map((i) => i.group))).toEqual(new Set([`${A.ref}|ngl=max`, `${B.ref}|ngl=max`]));
    // one auto context for the whole suite: 256 + 64 + 16 + 8 = 344 → 512
    expect(new Set(instances.map((i) => i.params.ctx))).toEqual(new Set([512]));
  });

  it("fills every parameter of an instance and its key", () => {
    const s = suiteOf({
      tests: [{ pp: 32, tg: 8 }],
      kv: [{ k: "q8_0", v: "q4_0" }],
      flashAttention: [true],
      threads: [3],
      batch: [256],
      ubatch: [512],
      gpuLayers: [10],
      contexts: [2048],
    });
    const [i] = expandSuite(s, [A]).instances;
    expect(i!.params).toEqual({
      pp: 32,
      tg: 8,
      depth: 0,
      parallel: 1,
      ctx: 2048,
      kvK: "q8_0",
      kvV: "q4_0",
      flashAttention: true,
      gpuLayers: 10,
      threads: 3,
      batch: 256,
      // ubatch is at most batch
      ubatch: 256,
      backend: "auto",
      tgMode: "decode",
    });
    expect(i!.testId).toBe("pp32+tg8");
    expect(i!.key).toBe(`${A.ref}|pp32+tg8|ctx=2048|kv=q8_0/q4_0|fa=1|ngl=10|t=3|b=256|ub=256|be=auto|tgm=decode`);
    expect(i!.threadsAuto).toBe(false);
  });

  it("plans a repeated sweep value once (countInstances counts it twice: an upper bound)", () => {
    const s = suiteOf({ tests: ["tg16"], depths: [0, 0, 128] });
    expect(expandSuite(s, [A]).instances.map((i) => i.testId)).toEqual(["tg16", "tg16@d128"]);
    expect(countInstances(s, 1)).toBe(3);
  });

  it("counts 10^8 instances without materialising them", () => {
    const hundred = Array.from({ length: 100 }, (_, k) => k + 1);
    const s = suiteOf({ tests: ["pp8"], depths: hundred, batch: hundred, ubatch: hundred, threads: hundred });
    // 1 model × 1 test × 100 depths × 100 batch × 100 ubatch × 100 threads = 10^8
    expect(countInstances(s, 1)).toBe(1e8);
  });

  it("leaves out tests that need more than a model's trained context, and says which", () => {
    // mistral-7b-v0.3 trains to 32768 tokens, llama-3.1-8b to 131072
    const M = synth("mistral-7b-v0.3");
    const s = suiteOf({ tests: ["pp512"], depths: [0, 65536] });
    const limits = new Map([
      [A.ref, { ctxTrain: 131072 }],
      [M.ref, { ctxTrain: 32768 }],
    ]);
    const { instances, overTrained } = expandSuite(s, [A, M], limits);
    // llama: both depths, auto = ⌈(65536 + 512 + 8)/256⌉·256 = 66304; mistral: only depth 0, at its cap 32768
    expect(instances.map((i) => `${i.model.label} ${i.testId} ${i.params.ctx}`)).toEqual([
      "llama-3.1-8b-tiny Q4_K_M pp512 66304",
      "llama-3.1-8b-tiny Q4_K_M pp512@d65536 66304",
      "mistral-7b-v0.3-tiny Q4_K_M pp512 32768",
    ]);
    expect(overTrained).toEqual([{ model: M, count: 1, example: "pp512@d65536", needed: 66056, cap: 32768 }]);
    // explicit contexts are the suite's own choice: not capped
    const explicit = expandSuite(suiteOf({ tests: ["pp512"], contexts: [65536] }), [M], limits);
    expect(explicit.instances.map((i) => i.params.ctx)).toEqual([65536]);
    // beyondTrainedContext lifts the cap
    const beyond = expandSuite(suiteOf({ tests: ["pp512"], depths: [65536], beyondTrainedContext: true }), [M], limits);
    expect(beyond.instances.map((i) => i.params.ctx)).toEqual([66304]);
  });

  it("warns about a quantized V cache without flash attention", () => {
    const s = suiteOf({ tests: ["pp8"], kv: ["f16", "q4_0"], flashAttention: [false, true] });
    const w = planWarnings(expandSuite(s, [A]).instances);
    expect(w).toHaveLength(1);
    expect(w[0]).toMatch(/^1 instance\(s\) use a quantized V cache \(q4_0\) with flash attention off/);
  });
});

describe("planSuite limits", () => {
  const hundred = Array.from({ length: 100 }, (_, k) => k + 1);
  const source = (raw: Record<string, unknown>) => ({
    suite: { ...suiteOf({ models: ["synth:llama-3.1-8b:Q4_K_M:tiny"], ...raw }), name: "t" },
    origin: "t.yaml",
    baseDir: ".",
  });
  it("refuses a suite above maxInstances with the count, before expanding it", async () => {
    const src = source({ tests: ["pp8"], depths: hundred, batch: hundred, ubatch: hundred, threads: hundred });
    await expect(planSuite(src, { gpu: false, executor: "mock" })).rejects.toThrow(
      "t.yaml: the suite expands to 100,000,000 instances, more than the limit of 10,000",
    );
    const few = source({ tests: ["pp8"], depths: [1, 2, 3] });
    await expect(planSuite(few, { gpu: false, executor: "mock", maxInstances: 2 })).rejects.toThrow(
      "the suite expands to 3 instances, more than the limit of 2",
    );
    expect((await planSuite(few, { gpu: false, executor: "mock", maxInstances: 3 })).instances).toHaveLength(3);
  });
  it("refuses a suite none of whose instances fits the trained context", async () => {
    // llama-3.1-8b's trained context is 131072 tokens
    const src = source({ tests: ["pp512"], depths: [MAX_TOKENS] });
    const e = await planSuite(src, { gpu: false, executor: "mock" }).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(MoebenchError);
    expect((e as MoebenchError).line()).toBe(
      "t.yaml: no instance fits its model's trained context (lower depths/tests, or set beyondTrainedContext: true)",
    );
  });
});

describe("--filter", () => {
  const s = suiteOf({ tests: ["pp64", "tg16"], depths: [0, 512], kv: ["f16", "q8_0"], flashAttention: [false, true] });
  const all = expandSuite(s, [A, B]).instances;
  const pick = (expr: string) => all.filter(parseFilter(expr)).map((i) => i.key);
  it.each([
    // 2 models × 2 kv × 2 fa × 2 depths × 2 tests = 32
    ["", 32],
    ["quant=Q4_K_M", 32],
    ["model=lfm2", 16],
    ["test=pp64", 8],
    ["test~^tg", 16],
    ["depth=512", 16],
    ["kv=q8_0/q8_0", 16],
    ["fa=1", 16],
    // auto: 512 + 64 + 16 + 8 = 600 → ⌈600/256⌉·256 = 768
    ["ctx=768", 32],
    ["ngl=max", 32],
    ["threads=0", 32],
    ["parallel=2", 0],
    // all conditions must hold: 16 lfm2 → 8 fa=1 → 4 tg
    ["model=lfm2, fa=1, test~tg", 4],
    // bare text matches the key
    ["@d512", 16],
    ["|fa=0", 16],
  ])("%j keeps %i", (expr, n) => {
    expect(pick(expr)).toHaveLength(n);
  });
  it("refuses an unknown field and a bad regular expression", () => {
    expect(() => parseFilter("size=3")).toThrow(/--filter: unknown field "size"/);
    expect(() => parseFilter("test~(")).toThrow("--filter: bad regular expression (");
  });
});
