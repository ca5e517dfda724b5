/** run/bench refuse what they cannot do honestly, in one line, before anything runs (exit 2). */
import { spawnSync } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { synthesize } from "../../src/gguf/synth/synthesize.js";
import { cli, tmp } from "../helpers.js";

const oneLine = (stderr: string): string => {
  const lines = stderr.trim().split("\n");
  expect(lines).toHaveLength(1);
  return lines[0]!;
};

function mockSuite(d: string, models = ["synth:llama-3.1-8b:Q4_K_M:tiny"]): string {
  const f = join(d, "s.yaml");
  writeFileSync(f, ["name: s", "models:", ...models.map((m) => `  - ${m}`), "tests: [pp16]"].join("\n"));
  return f;
}

describe("run: one-line refusals", () => {
  it("an explicit backend that node-llama-cpp cannot provide here (cuda on a CPU machine)", () => {
    const d = tmp();
    const r = cli(["run", mockSuite(d), "--backend", "cuda", "--out", join(d, "o")]);
    expect(r.status).toBe(2);
    expect(oneLine(r.stderr)).toMatch(/^moebench: backend cuda: node-llama-cpp cannot use cuda on this machine/);
  });

  it("a sparse synthetic file in a speed run", async () => {
    const d = tmp();
    await synthesize({ preset: "llama-3.1-8b", quant: "Q4_K_M", scale: "tiny", sparse: true }, join(d, "sp.gguf"));
    const r = cli(["run", mockSuite(d, ["path: sp.gguf"]), "--executor", "mock", "--out", join(d, "o")]);
    expect(r.status).toBe(2);
    expect(oneLine(r.stderr)).toMatch(
      /sp\.gguf: a sparse synthetic file .*its speed means nothing \(synthesize it without/,
    );
  });

  it("a folder as the suite, an --out under a file, a folder as results.jsonl", () => {
    const d = tmp();
    const suite = mockSuite(d);
    let r = cli(["run", d, "--executor", "mock"]);
    expect(r.status).toBe(2);
    expect(oneLine(r.stderr)).toMatch(/^moebench: .*: is a folder/);
    writeFileSync(join(d, "file"), "");
    r = cli(["run", suite, "--executor", "mock", "--out", join(d, "file", "o")]);
    expect(r.status).toBe(2);
    expect(oneLine(r.stderr)).toMatch(/^moebench: cannot create the run folder .*: not a folder \(ENOTDIR\)/);
    mkdirSync(join(d, "o", "results.jsonl"), { recursive: true });
    for (const extra of [[], ["--resume"]]) {
      r = cli(["run", suite, "--executor", "mock", "--out", join(d, "o"), ...extra]);
      expect(r.status).toBe(2);
      expect(oneLine(r.stderr)).toMatch(/results\.jsonl: is a folder \(EISDIR\)/);
    }
  });

  it("an unwritable --out (a read-only file system: root can write anywhere else)", () => {
    const d = tmp();
    const ro = join(d, "ro");
    mkdirSync(ro);
    // a read-only tmpfs where the test may mount one, else /sys (read-only for mkdir even for root)
    const mounted = spawnSync("mount", ["-t", "tmpfs", "-o", "ro,size=4k", "tmpfs", ro]).status === 0;
    try {
      const out = mounted ? join(ro, "run") : "/sys/moebench-run";
      const r = cli(["run", mockSuite(d), "--executor", "mock", "--out", out]);
      expect(r.status).toBe(2);
      const why = /(read-only file system \(EROFS\)|operation not permitted \(EPERM\))/.source;
      expect(oneLine(r.stderr)).toMatch(new RegExp(`^moebench: cannot create the run folder .*: ${why}`));
    } finally {
      if (mounted) spawnSync("umount", [ro]);
    }
  });

  it("bench has --backend and --allow-failures too", () => {
    const r = cli(["bench", "--help"]);
    expect(r.stdout).toMatch(/--backend <b>/);
    expect(r.stdout).toMatch(/--allow-failures <statuses>/);
  });
});
