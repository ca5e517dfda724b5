/** Suite model entries → model refs: synth presets and quants, hf: URIs, files; every refusal in one line. */
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { parseHfUri, resolveModels, suiteModels } from "../../src/plan/resolveModels.js";
import { SuiteSchema, type ModelEntry } from "../../src/suite/schema.js";
import { MoebenchError } from "../../src/util/errors.js";
import { tmp } from "../helpers.js";

const src = { origin: "s.yaml", baseDir: "/nowhere" };
const resolve1 = (e: ModelEntry) => resolveModels([e], src);

function errorOf(f: () => unknown): MoebenchError {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(MoebenchError);
    return e as MoebenchError;
  }
  throw new Error("expected a MoebenchError");
}
const lineOf = (e: ModelEntry, field?: string) => errorOf(() => resolveModels([e], src, field)).line();

describe("synth:<preset>:<quant>[:<scale>]", () => {
  it.each([
    [
      "synth:lfm2-8b-a1b:Q4_K_M",
      {
        ref: "synth:lfm2-8b-a1b:Q4_K_M:full",
        label: "lfm2-8b-a1b Q4_K_M",
        preset: "lfm2-8b-a1b",
        quant: "Q4_K_M",
        scale: "full",
      },
    ],
    [
      "synth:lfm2-8b-a1b:Q4_K_M:small",
      {
        ref: "synth:lfm2-8b-a1b:Q4_K_M:small",
        label: "lfm2-8b-a1b-small Q4_K_M",
        preset: "lfm2-8b-a1b",
        quant: "Q4_K_M",
        scale: "small",
      },
    ],
    // an alias, lower-case quant, fp16
    [
      "synth:LFM2-8B:q8_0:tiny",
      {
        ref: "synth:lfm2-8b-a1b:Q8_0:tiny",
        label: "lfm2-8b-a1b-tiny Q8_0",
        preset: "lfm2-8b-a1b",
        quant: "Q8_0",
        scale: "tiny",
      },
    ],
    [
      "synth:llama-3.1-8b:fp16",
      {
        ref: "synth:llama-3.1-8b:F16:full",
        label: "llama-3.1-8b F16",
        preset: "llama-3.1-8b",
        quant: "F16",
        scale: "full",
      },
    ],
  ])("%s", (e, ref) => {
    expect(resolve1(e)).toEqual([{ kind: "synth", ...ref }]);
  });

  it.each([
    ["synth:lfm2-8b-a1b", '"synth:lfm2-8b-a1b" must be'],
    ["synth::Q4_K_M", '"synth::Q4_K_M" must be'],
    ["synth:lfm2-8b-a1b:", '"synth:lfm2-8b-a1b:" must be'],
    ["synth:lfm2-8b-a1b:Q4_K_M:small:x", '"synth:lfm2-8b-a1b:Q4_K_M:small:x" must be'],
  ])("%s is refused", (e, what) => {
    expect(lineOf(e)).toBe(
      `s.yaml: models[0]: ${what} synth:<preset>:<quant>[:<scale>] (e.g. synth:lfm2-8b-a1b:Q4_K_M:small)`,
    );
  });
  it("an unknown preset, quant or scale names the entry", () => {
    const p = errorOf(() => resolve1("synth:lfm2-8b-a1c:Q4_K_M"));
    expect(p.message).toMatch(/^s\.yaml: models\[0\]: unknown preset "lfm2-8b-a1c"; valid: .*lfm2-8b-a1b/);
    expect(p.hint).toBe("did you mean lfm2-8b-a1b?");
    const q = errorOf(() => resolve1("synth:lfm2-8b-a1b:Q4_K_N"));
    expect(q.message).toMatch(/^s\.yaml: models\[0\]: unknown quant "Q4_K_N"; valid: .*Q4_K_M/);
    expect(q.hint).toBe("did you mean Q4_K_M?");
    expect(lineOf("synth:lfm2-8b-a1b:Q4_K_M:huge")).toBe(
      's.yaml: models[0]: scale "huge" is not one of full, small, tiny',
    );
  });

  it("an entry object: quants swept at a scale, or one model with a label", () => {
    expect(resolve1({ synth: "lfm2-8b-a1b", quants: ["Q4_K_M", "q8_0"], scale: "tiny" })).toEqual([
      {
        kind: "synth",
        ref: "synth:lfm2-8b-a1b:Q4_K_M:tiny",
        label: "lfm2-8b-a1b-tiny Q4_K_M",
        preset: "lfm2-8b-a1b",
        quant: "Q4_K_M",
        scale: "tiny",
      },
      {
        kind: "synth",
        ref: "synth:lfm2-8b-a1b:Q8_0:tiny",
        label: "lfm2-8b-a1b-tiny Q8_0",
        preset: "lfm2-8b-a1b",
        quant: "Q8_0",
        scale: "tiny",
      },
    ]);
    expect(resolve1({ synth: "lfm2-8b-a1b:Q4_K_M:full", scale: "small", label: "mine" })).toEqual([
      {
        kind: "synth",
        ref: "synth:lfm2-8b-a1b:Q4_K_M:small",
        label: "mine",
        preset: "lfm2-8b-a1b",
        quant: "Q4_K_M",
        scale: "small",
      },
    ]);
    expect(resolve1({ synth: "lfm2-8b-a1b:Q4_K_M", quants: [] }).map((m) => m.ref)).toEqual([
      "synth:lfm2-8b-a1b:Q4_K_M:full",
    ]);
    expect(lineOf({ synth: "lfm2-8b-a1b", quants: ["Q4_K_M", "Q9_X"] })).toMatch(
      /^s\.yaml: models\[0\]\.quants\[1\]: unknown quant "Q9_X"/,
    );
    expect(lineOf({ synth: "lfm2-8b-a1b" })).toMatch(/^s\.yaml: models\[0\]: "synth:lfm2-8b-a1b" must be/);
  });
});

describe("hf:", () => {
  it.each([
    ["hf:user/repo", true],
    ["hf:user/repo:Q4_K_M", true],
    ["hf:u.s-r/re_po/dir/f.gguf", true],
    ["hf:user", false],
    ["hf:user/repo/f.bin", false],
    ["hf:user/repo:Q4 K", false],
    ["x hf:user/repo", false],
    ["hf:user/repo:Q4_K_M ", false],
  ])("%j parses: %j", (uri, ok) => {
    expect(parseHfUri(uri)).toBe(ok);
  });
  it("resolves strings and entry objects", () => {
    expect(resolve1("hf:user/repo:Q4_K_M")).toEqual([
      { kind: "hf", ref: "hf:user/repo:Q4_K_M", label: "user/repo:Q4_K_M", uri: "hf:user/repo:Q4_K_M" },
    ]);
    expect(resolve1({ hf: "user/repo/f.gguf" })).toEqual([
      { kind: "hf", ref: "hf:user/repo/f.gguf", label: "user/repo/f.gguf", uri: "hf:user/repo/f.gguf" },
    ]);
    expect(resolve1({ hf: "hf:user/repo", label: "L" })).toEqual([
      { kind: "hf", ref: "hf:user/repo", label: "L", uri: "hf:user/repo" },
    ]);
  });
  it("refuses a malformed URI", () => {
    const hint = "(use hf:<user>/<repo>:<quant> or hf:<user>/<repo>/<file>.gguf)";
    expect(lineOf("hf:user")).toBe(`s.yaml: models[0]: malformed hf: URI "hf:user" ${hint}`);
    expect(lineOf({ hf: "user" })).toBe(`s.yaml: models[0].hf: malformed hf: URI "hf:user" ${hint}`);
    expect(lineOf({ hf: "hf:" }, "gpu.models")).toBe(`s.yaml: gpu.models[0].hf: malformed hf: URI "hf:" ${hint}`);
  });
});

describe("files", () => {
  let dir = "";
  beforeAll(() => {
    dir = tmp("moebench-resolve-");
    writeFileSync(join(dir, "m.gguf"), "x");
    mkdirSync(join(dir, "d"));
  });
  const at = () => ({ origin: "s.yaml", baseDir: dir });
  it("a relative path starts at the suite's folder; an absolute one is itself", () => {
    const abs = join(dir, "m.gguf");
    expect(resolveModels(["m.gguf"], at())).toEqual([{ kind: "path", ref: abs, label: "m", path: abs }]);
    expect(resolveModels([abs], src)).toEqual([{ kind: "path", ref: abs, label: "m", path: abs }]);
    expect(resolveModels([{ path: "m.gguf", label: "L" }], at())).toEqual([
      { kind: "path", ref: abs, label: "L", path: abs },
    ]);
    // "hfx" is a file name, not hf:
    expect(() => resolveModels(["hfx"], at())).toThrow("s.yaml: models[0]: model file hfx does not exist");
  });
  it("refuses a missing file and a folder", () => {
    expect(errorOf(() => resolveModels(["x.gguf", "nope.gguf"], at())).line()).toBe(
      `s.yaml: models[0]: model file x.gguf does not exist (looked at ${join(dir, "x.gguf")}) ` +
        "(fix the path, or use synth:<preset>:<quant> / hf:<user>/<repo>:<quant>)",
    );
    expect(errorOf(() => resolveModels(["m.gguf", { path: "d" }], at())).line()).toBe(
      "s.yaml: models[1].path: d is not a file (give a .gguf file)",
    );
  });
});

describe("suiteModels", () => {
  const suite = SuiteSchema.parse({
    models: ["synth:lfm2-8b-a1b:Q4_K_M:tiny"],
    gpu: { models: ["synth:llama-3.1-8b:Q8_0", "hf:u/r"] },
  });
  const plain = SuiteSchema.parse({ models: ["synth:lfm2-8b-a1b:Q4_K_M:tiny"] });
  it("the gpu: models on a GPU, the models otherwise", () => {
    expect(suiteModels(suite, src, true).map((m) => m.ref)).toEqual(["synth:llama-3.1-8b:Q8_0:full", "hf:u/r"]);
    expect(suiteModels(suite, src, false).map((m) => m.ref)).toEqual(["synth:lfm2-8b-a1b:Q4_K_M:tiny"]);
    expect(suiteModels(plain, src, true).map((m) => m.ref)).toEqual(["synth:lfm2-8b-a1b:Q4_K_M:tiny"]);
  });
  it("names gpu.models in errors", () => {
    const bad = SuiteSchema.parse({ models: ["hf:u/r"], gpu: { models: ["hf:u/r", "hf:bad"] } });
    expect(() => suiteModels(bad, src, true)).toThrow('s.yaml: gpu.models[1]: malformed hf: URI "hf:bad"');
  });
  it("an entry with nothing to resolve is no model", () => {
    expect(resolveModels([{} as ModelEntry], src)).toEqual([]);
  });
});
