/**
 * Full-size runs that fit the disk: the synthetic-model cache under a budget. Three tiny synthetic models
 * and a budget of two files' bytes (the two largest, sizes taken from files the synthesizer wrote): the
 * cache folder, watched from outside while the run goes, never holds more than two files, and the records
 * (mock executor: deterministic timings from the model file) are those of a run without a budget.
 */
import { spawn } from "node:child_process";
import { mkdirSync, readdirSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { synthesize } from "../../src/gguf/synth/synthesize.js";
import { readJsonl } from "../../src/results/jsonl.js";
import type { ResultRecord } from "../../src/results/schema.js";
import { CLI, cli, tmp } from "../helpers.js";

const MODELS = [
  { preset: "lfm2-8b-a1b", ref: "synth:lfm2-8b-a1b:Q4_K_M:tiny" },
  { preset: "llama-3.1-8b", ref: "synth:llama-3.1-8b:Q4_K_M:tiny" },
  { preset: "qwen3-8b", ref: "synth:qwen3-8b:Q4_K_M:tiny" },
];

/** Everything a record says about the measurement (not when or where it ran). */
function essence(r: ResultRecord) {
  const { path: _path, ...model } = r.model;
  return { key: r.key, status: r.status, model, params: r.params, pp: r.pp?.samplesMs, tg: r.tg?.samplesMs };
}

/** Run the CLI while counting the files in `watch` every 5 ms; resolves with the exit code and the most seen. */
function runWatching(args: string[], env: Record<string, string>, watch: string) {
  return new Promise<{ status: number | null; stderr: string; most: number }>((resolve) => {
    let most = 0;
    const count = (): void => {
      try {
        most = Math.max(most, readdirSync(watch).length);
      } catch {
        /* not made yet */
      }
    };
    const timer = setInterval(count, 5);
    const child = spawn(process.execPath, [CLI, ...args], { env: { ...process.env, CI: "1", ...env } });
    let stderr = "";
    child.stderr.on("data", (b: Buffer) => {
      stderr += b.toString();
    });
    child.on("close", (status) => {
      clearInterval(timer);
      count();
      resolve({ status, stderr, most });
    });
  });
}

describe("the synthetic-model cache under a budget", () => {
  const d = tmp("moebench-cache-");
  const suite = join(d, "three.yaml");
  writeFileSync(
    suite,
    [
      "name: three",
      `models: [${MODELS.map((m) => m.ref).join(", ")}]`,
      "tests: [pp32, tg8]",
      "repetitions: {min: 2, max: 2}",
      "threads: [1]",
      "backend: cpu",
    ].join("\n"),
  );

  it("a budget of two files never holds more than two, and the records are unchanged", async () => {
    // the budget: the two largest files' bytes, from files the synthesizer wrote
    const sizesDir = join(d, "sizes");
    mkdirSync(sizesDir);
    const sizes: number[] = [];
    for (const m of MODELS) {
      const f = join(sizesDir, `${m.preset}.gguf`);
      await synthesize({ preset: m.preset, quant: "Q4_K_M", scale: "tiny" }, f);
      sizes.push(statSync(f).size);
    }
    const sorted = [...sizes].sort((a, b) => b - a);
    const budget = sorted[0]! + sorted[1]!;
    expect(budget).toBeLessThan(sizes[0]! + sizes[1]! + sizes[2]!); // three do not fit

    const free = cli(["run", suite, "--executor", "mock", "--out", join(d, "free")], {
      env: { MOEBENCH_CACHE: join(d, "cacheA") },
    });
    expect(free.status, free.stderr).toBe(0);
    expect(readdirSync(join(d, "cacheA", "models"))).toHaveLength(3);

    const models = join(d, "cacheB", "models");
    const env = { MOEBENCH_CACHE: join(d, "cacheB"), MOEBENCH_MOCK_LOAD_MS: "300" };
    const args = ["run", suite, "--executor", "mock", "--out", join(d, "budget"), "--cache-max", String(budget)];
    const r = await runWatching(args, env, models);
    expect(r.status, r.stderr).toBe(0);
    expect(r.most).toBeLessThanOrEqual(2);
    // the third model's turn evicts the least recently used, which the run does not need again: the first
    expect(r.stderr.match(/cache: evicted/g)).toHaveLength(1);
    expect(r.stderr).toMatch(
      /cache: evicted \S+lfm2-8b-a1b-tiny-Q4_K_M\S+ \(3\.5 MiB\) to make room for qwen3-8b-tiny/,
    );
    expect(readdirSync(models).sort()).toEqual([
      expect.stringMatching(/^llama-3\.1-8b-tiny-Q4_K_M-seed42-/),
      expect.stringMatching(/^qwen3-8b-tiny-Q4_K_M-seed42-/),
    ]);
    const a = readJsonl(join(d, "free", "results.jsonl")).map(essence);
    const b = readJsonl(join(d, "budget", "results.jsonl")).map(essence);
    expect(b).toHaveLength(6);
    expect(b).toEqual(a);

    // again, in the same cache: the evicted model is made again, bit for bit (same header hash, same records)
    const again = await runWatching([...args.slice(0, 4), "--out", join(d, "again"), ...args.slice(6)], env, models);
    expect(again.status, again.stderr).toBe(0);
    expect(again.most).toBeLessThanOrEqual(2);
    expect(readJsonl(join(d, "again", "results.jsonl")).map(essence)).toEqual(a);
  });

  it("plan and run refuse up front, in one line, when the largest model alone exceeds the budget", () => {
    const env = { MOEBENCH_CACHE: join(d, "cacheC") };
    for (const cmd of ["plan", "run"]) {
      const r = cli([cmd, suite, "--executor", "mock", "--cache-max", "3MiB"], { env });
      expect(r.status, r.stderr).toBe(2);
      const lines = r.stderr.trim().split("\n");
      expect(lines).toHaveLength(1);
      expect(lines[0]).toMatch(/^moebench: .*three\.yaml: lfm2-8b-a1b-tiny Q4_K_M needs 3\.5 MiB of disk, more than /);
      expect(lines[0]).toContain("the model cache's budget of 3.0 MiB (--cache-max 3MiB)");
    }
  });
});
