import { describe, it, expect } from "vitest";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { cli, tmp } from "../helpers.js";

describe("bad input: one clear line, exit 2", () => {
  it("unknown quant suggests the right one", () => {
    const r = cli(["synth", "lfm2-8b-a1b", "-q", "Q4KM", "--dry-run"]);
    expect(r.status).toBe(2);
    expect(r.stderr.trim().split("\n")).toHaveLength(1);
    expect(r.stderr).toMatch(/unknown quant "Q4KM".*Q2_K.*did you mean Q4_K_M\?/);
  });
  it("unknown preset lists the valid ones", () => {
    const r = cli(["synth", "lama-3.1-8b", "-q", "Q4_K_M", "--dry-run"]);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/unknown preset "lama-3.1-8b"; valid: lfm2-8b-a1b.*did you mean llama-3.1-8b\?/);
  });
  it("--dry-run --json prints the plan in the agreed shape", () => {
    const r = cli(["synth", "lfm2-8b-a1b", "-q", "Q4_K_M", "--dry-run", "--json"]);
    expect(r.status).toBe(0);
    const j = JSON.parse(r.stdout) as {
      preset: string;
      quant: string;
      params: number;
      tensorBytes: number;
      tensors: { name: string; type: string; shape: number[]; bytes: number }[];
    };
    // the agreed keys, in order; later keys (vocab, activeParams, source, …) were added after them
    expect(Object.keys(j).filter((k) => ["preset", "quant", "params", "tensorBytes", "tensors"].includes(k))).toEqual([
      "preset",
      "quant",
      "params",
      "tensorBytes",
      "tensors",
    ]);
    expect(j.tensorBytes).toBe(5_042_386_688);
    expect(j.tensors[0]).toEqual({ name: "token_embd.weight", type: "Q6_K", shape: [2048, 65536], bytes: 110_100_480 });
  });
  it("a suite error names the file, the path and a hint", () => {
    const d = tmp();
    const f = join(d, "bad.yaml");
    writeFileSync(f, "models:\n  - synth:lfm2-8b-a1b:Q4_K_M:tiny\n  - synth:llama-3.1-8b:Q4KM:tiny\n");
    const r = cli(["plan", f]);
    expect(r.status).toBe(2);
    expect(r.stderr).toContain(`${f}: models[1]: unknown quant "Q4KM"`);
    expect(r.stderr).toContain("did you mean Q4_K_M?");
  });
  it("a misspelt suite key gets a did-you-mean", () => {
    const d = tmp();
    const f = join(d, "bad.yaml");
    writeFileSync(f, "models: [synth:lfm2-8b-a1b:Q4_K_M:tiny]\nrepetitons: {min: 2}\n");
    const r = cli(["plan", f]);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/did you mean repetitions\?/);
  });
  it("a missing model file and a malformed hf: URI fail before anything runs", () => {
    const d = tmp();
    const f = join(d, "s.yaml");
    writeFileSync(f, "models:\n  - ./nope.gguf\n");
    let r = cli(["run", f, "--out", join(d, "out")]);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/models\[0\]: model file \.\/nope\.gguf does not exist/);
    writeFileSync(f, "models:\n  - hf:not a uri\n");
    r = cli(["run", f, "--out", join(d, "out")]);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/models\[0\]: malformed hf: URI/);
  });
});
