/** planSuite end to end on small suites (synthetic models, a synthesized GGUF file, a broken one), and the time estimate. */
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { planSuite, type SuiteSource } from "../../src/plan/planSuite.js";
import { estimateSeconds, type ModelSize } from "../../src/plan/estimate.js";
import type { Instance } from "../../src/plan/types.js";
import { SuiteSchema } from "../../src/suite/schema.js";
import { synthesize } from "../../src/gguf/synth/synthesize.js";
import { MoebenchError } from "../../src/util/errors.js";
import { tmp } from "../helpers.js";

const over = (label: string, cap: number) =>
  `${label}: 1 instance(s) need more context than its trained ${cap} tokens ` +
  // 200000 + 512 + 8
  "(e.g. pp512@d200000 needs 200520) and are left out; set beyondTrainedContext: true, " +
  "or give contexts: [N] explicitly, to run them anyway";

describe("planSuite from a suite file", () => {
  let dir = "";
  let file = "";
  beforeAll(async () => {
    dir = tmp("moebench-plansuite-");
    writeFileSync(join(dir, "bad.gguf"), "not a GGUF file");
    await synthesize({ preset: "llama-3.1-8b", quant: "Q8_0", scale: "tiny" }, join(dir, "good.gguf"));
    file = join(dir, "s.yaml");
    writeFileSync(
      file,
      [
        "models:",
        "  - synth:mistral-7b-v0.3:Q4_K_M:tiny",
        "  - synth:llama-3.1-8b:Q8_0:tiny",
        "  - bad.gguf",
        "  - good.gguf",
        "tests: [pp512]",
        "depths: [0, 200000]",
        "",
      ].join("\n"),
    );
  }, 60_000);

  it("sizes and trained contexts from synth plans and GGUF headers; a broken file is a warning", async () => {
    const p = await planSuite(file, { gpu: false, executor: "mock" });
    expect(p.gpu).toBe(false);
    expect(p.models.map((m) => m.ref)).toEqual([
      "synth:mistral-7b-v0.3:Q4_K_M:tiny",
      "synth:llama-3.1-8b:Q8_0:tiny",
      join(dir, "bad.gguf"),
      join(dir, "good.gguf"),
    ]);
    // mistral (32768) and both llamas (131072) leave out depth 200000; bad.gguf has no known limit
    expect(p.instances.map((i) => `${i.model.label} ${i.testId}`)).toEqual([
      "mistral-7b-v0.3-tiny Q4_K_M pp512",
      "llama-3.1-8b-tiny Q8_0 pp512",
      "bad pp512",
      "bad pp512@d200000",
      "good pp512",
    ]);
    expect(p.instances.map((i) => i.index)).toEqual([0, 1, 2, 3, 4]);
    expect(p.warnings).toHaveLength(4);
    expect(p.warnings.slice(0, 3)).toEqual([
      over("mistral-7b-v0.3-tiny Q4_K_M", 32768),
      over("llama-3.1-8b-tiny Q8_0", 131072),
      over("good", 131072),
    ]);
    expect(p.warnings[3]).toMatch(/^bad: .+; its instances will be error records$/);
    expect([...p.sizes.keys()]).toEqual([
      "synth:mistral-7b-v0.3:Q4_K_M:tiny",
      "synth:llama-3.1-8b:Q8_0:tiny",
      join(dir, "good.gguf"),
    ]);
    const synthSize = p.sizes.get("synth:llama-3.1-8b:Q8_0:tiny")!;
    // the file is that synth model: its header gives the same sizes as the synth plan
    expect(p.sizes.get(join(dir, "good.gguf"))).toEqual(synthSize);
    expect(synthSize.bytes).toBeGreaterThan(0);
    // a dense model: every parameter is active
    expect(synthSize.activeParams).toBe(synthSize.params);
    expect(synthSize.params).toBeGreaterThan(0);
  });

  it("names the file when --filter matches nothing", async () => {
    const e = await planSuite(file, { gpu: false, executor: "mock", filter: "test=tg1" }).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(MoebenchError);
    expect((e as MoebenchError).line()).toBe(
      `--filter "test=tg1" matches no instance of ${file} (run \`moebench plan\` to see the instance keys)`,
    );
  });
});

const source = (raw: Record<string, unknown>): SuiteSource => ({
  suite: { ...SuiteSchema.parse({ models: ["synth:llama-3.1-8b:Q4_K_M:tiny"], ...raw }), name: "t" },
  origin: "t.yaml",
  baseDir: ".",
});
const UBATCH =
  "node-llama-cpp sets ubatch = batch: the suite's ubatch values are recorded as the batch size actually " +
  "used (run through --llama-bench to sweep ubatch)";

describe("planSuite options", () => {
  it("--filter keeps the matching instances, renumbered", async () => {
    const p = await planSuite(source({ tests: ["pp64", "tg16"], depths: [0, 512] }), {
      gpu: false,
      executor: "mock",
      filter: "test~^tg",
    });
    expect(p.instances.map((i) => [i.index, i.testId])).toEqual([
      [0, "tg16"],
      [1, "tg16@d512"],
    ]);
  });
  it.each([
    ["llama", [256, 512], [512], true],
    ["mock", [256, 512], [512], false],
    ["llama", [512], [512, 1024], false],
    ["llama", [512], [512], false],
  ] as const)("executor %s, ubatch %j, batch %j: ubatch warning %j", async (executor, ubatch, batch, warned) => {
    const p = await planSuite(source({ tests: ["pp64"], ubatch, batch }), { gpu: false, executor });
    expect(p.warnings).toEqual(warned ? [UBATCH] : []);
  });
  it("the GPU model list on a GPU", async () => {
    const src = source({ tests: ["pp64"], gpu: { models: ["synth:mistral-7b-v0.3:Q4_K_M:tiny"] } });
    const g = await planSuite(src, { gpu: true, executor: "mock" });
    expect(g.gpu).toBe(true);
    expect(g.models.map((m) => m.ref)).toEqual(["synth:mistral-7b-v0.3:Q4_K_M:tiny"]);
    expect(g.instances.map((i) => i.model.ref)).toEqual(["synth:mistral-7b-v0.3:Q4_K_M:tiny"]);
    const c = await planSuite(src, { gpu: false, executor: "mock" });
    expect(c.models.map((m) => m.ref)).toEqual(["synth:llama-3.1-8b:Q4_K_M:tiny"]);
  });
  it("a serving-only suite has no instances, and that is fine", async () => {
    const src = source({ models: [], endpoints: [{ kind: "llama-server", url: "http://127.0.0.1:8080" }] });
    const p = await planSuite(src, { gpu: false, executor: "mock" });
    expect(p.instances).toEqual([]);
    expect(p.models).toEqual([]);
  });
  it("an hf: model has no size before it is downloaded", async () => {
    const p = await planSuite(source({ models: ["hf:u/r:Q4_K_M"], tests: ["pp64"] }), { gpu: false, executor: "mock" });
    expect(p.instances).toHaveLength(1);
    expect(p.sizes.size).toBe(0);
    expect(p.warnings).toEqual([]);
  });
  it("counts beyond 2^53 are written in exponent form", async () => {
    const k = Array.from({ length: 100 }, (_, i) => i);
    const src = source({
      tests: k.map((i) => `pp${i + 1}`),
      gpuLayers: k,
      contexts: k.map((i) => 1024 + i),
      threads: k.map((i) => i + 1),
      batch: k.map((i) => i + 1),
      ubatch: k.map((i) => i + 1),
      llamaBenchArgs: k.map((i) => `-x ${i}`),
      depths: k,
    });
    // 100^8 = 1e16
    const e = await planSuite(src, { gpu: false, executor: "mock" }).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(MoebenchError);
    expect((e as MoebenchError).line()).toBe(
      "t.yaml: the suite expands to 1.00e+16 instances, more than the limit of 10,000 " +
        "(sweep fewer values, or raise maxInstances (suite) / --max-instances if you mean it)",
    );
  });
});

describe("estimateSeconds", () => {
  type Spec = [group: string, ref: string, pp: number, tg: number, depth: number, parallel: number];
  const inst = ([group, ref, pp, tg, depth, parallel]: Spec) =>
    ({ group, model: { ref }, params: { pp, tg, depth, parallel } }) as unknown as Instance;
  // 8 GB of weights, a quarter of the parameters active: 2 GB read per generated token
  const sizes = new Map<string, ModelSize>([["m", { bytes: 8e9, params: 8e9, activeParams: 2e9 }]]);
  it.each([
    // CPU: prefill (1024 + 512) · 2 · 2e9 / 80e9 = 76.8 s, × (3 + 1) = 307.2; load 1 + 8e9/1e9 = 9
    [[inst(["g1", "m", 512, 0, 1024, 1])], 316.2],
    // + 100 tokens × 2e9/8e9 × (1 + 0.2·4) = 45 s, × 4 = 180; same group, no second load
    [[inst(["g1", "m", 512, 0, 1024, 1]), inst(["g1", "m", 0, 100, 0, 4])], 496.2],
    // + 10 × 0.25 = 2.5 s × 4 = 10, a new group: load 9
    [[inst(["g1", "m", 512, 0, 1024, 1]), inst(["g1", "m", 0, 100, 0, 4]), inst(["g2", "m", 0, 10, 0, 1])], 515.2],
    // parallel 2: 10 × 0.25 × 1.4 = 3.5 s × 4 = 14, + 9
    [[inst(["g2", "m", 0, 10, 0, 2])], 23],
  ])("CPU, 3 reps + 1 warmup: %#", (instances, seconds) => {
    expect(estimateSeconds(instances, sizes, false, 3, 1)).toBeCloseTo(seconds, 6);
  });
  it("GPU", () => {
    // prefill 512 · 2 · 2e9 / 60e12 = 0.0341333 s; generation 100 × 2e9/400e9 = 0.5 s; load 1 + 8e9/2e9 = 5
    expect(estimateSeconds([inst(["g", "m", 512, 100, 0, 1])], sizes, true, 1, 0)).toBeCloseTo(5.5341333, 6);
  });
  it("no size known: no estimate; nothing to run: 0", () => {
    expect(estimateSeconds([inst(["g", "other", 1, 0, 0, 1])], sizes, false, 1, 0)).toBeNull();
    expect(estimateSeconds([], sizes, false, 1, 0)).toBe(0);
  });
});
