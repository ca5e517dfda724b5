/**
 * A tiny suite sharded 3 ways (--shard flags, Slurm array variables, Kubernetes Indexed Job variables), each
 * shard a separate `moebench run` process on the mock executor; merged, the records must be exactly the
 * unsharded run's instances: none missing, none twice.
 */
import { spawn } from "node:child_process";
import { existsSync, readdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { readEnvFile } from "../../src/results/envFile.js";
import { readJsonl } from "../../src/results/jsonl.js";
import { CLI, cli, ROOT, tmp } from "../helpers.js";

const d = tmp();
const suite = join(d, "shard.yaml");
writeFileSync(
  suite,
  [
    "name: shardy",
    "models:",
    "  - synth:lfm2-8b-a1b:Q4_K_M:tiny",
    "  - synth:llama-3.1-8b:Q4_K_M:tiny",
    "  - synth:qwen3-8b:Q4_K_M:tiny",
    "  - synth:llama-3.2-3b:Q4_K_M:tiny",
    "tests: [pp64, tg16]",
    "repetitions: {min: 2, max: 2}",
  ].join("\n"),
);
const env = { MOEBENCH_CACHE: join(d, "cache") };

/** One `moebench run` process; resolves with its exit code and stderr. */
function runAsync(args: string[], extraEnv: Record<string, string>): Promise<{ code: number | null; stderr: string }> {
  return new Promise((done) => {
    const child = spawn(process.execPath, [CLI, "run", suite, "--executor", "mock", ...args], {
      cwd: d,
      env: { ...process.env, CI: "1", ...env, ...extraEnv },
      stdio: ["ignore", "ignore", "pipe"],
    });
    let stderr = "";
    child.stderr.on("data", (b: Buffer) => {
      stderr += b.toString();
    });
    child.on("close", (code) => done({ code, stderr }));
  });
}

const keysOf = (dir: string): string[] => readJsonl(join(dir, "results.jsonl")).map((r) => r.key);

describe("run --shard / Slurm / Kubernetes → merge", () => {
  let unsharded: string[] = [];

  it("the unsharded run (the reference instance set)", () => {
    const r = cli(["run", suite, "--executor", "mock", "--out", join(d, "whole")], { cwd: d, env });
    expect(r.status, r.stderr).toBe(0);
    unsharded = keysOf(join(d, "whole"));
    expect(unsharded).toHaveLength(8);
  });

  const ways: [string, (k: number) => { args: string[]; env: Record<string, string> }, string][] = [
    ["flags", (k) => ({ args: ["--shard", `${k}/3`, "--run-id", "flags-1"], env: {} }), "flags-1"],
    [
      "Slurm array variables",
      (k) => ({
        args: [],
        env: {
          SLURM_ARRAY_JOB_ID: "4242",
          SLURM_ARRAY_TASK_ID: String(k - 1),
          SLURM_ARRAY_TASK_MIN: "0",
          SLURM_ARRAY_TASK_MAX: "2",
        },
      }),
      "slurm-4242",
    ],
    [
      "Kubernetes Indexed Job variables",
      (k) => ({
        args: [],
        env: { JOB_COMPLETION_INDEX: String(k - 1), MOEBENCH_SHARD_COUNT: "3", MOEBENCH_RUN_ID: "k8s-job" },
      }),
      "k8s-job",
    ],
  ];

  const partitions: string[][][] = [];
  it.each(ways)("sharded by %s: 3 processes, merged = the unsharded instance set", async (_way, how, runId) => {
    const results = await Promise.all([1, 2, 3].map((k) => runAsync(how(k).args, how(k).env)));
    for (const r of results) expect(r.code, r.stderr).toBe(0);
    const runDir = join(d, "results", "shardy", runId);
    expect(readdirSync(runDir).sort()).toEqual(["shard-1-of-3", "shard-2-of-3", "shard-3-of-3"]);
    const parts = [1, 2, 3].map((k) => keysOf(join(runDir, `shard-${k}-of-3`)));
    partitions.push(parts);
    // each shard holds whole model groups: one model load per shard here (4 models, 3 shards: one holds two)
    for (const [k, part] of parts.entries()) {
      const recs = readJsonl(join(runDir, `shard-${k + 1}-of-3`, "results.jsonl"));
      expect(recs.every((x) => x.shard?.index === k + 1 && x.shard.count === 3 && x.runId === runId)).toBe(true);
      expect(recs.every((x) => x.env.host.length > 0)).toBe(true);
      expect(part.length).toBeGreaterThan(0);
    }
    const m = cli(["merge", ...[1, 2, 3].map((k) => join(runDir, `shard-${k}-of-3`))], { cwd: d });
    expect(m.status, m.stderr).toBe(0);
    expect(m.stderr).toMatch(/8 of 8 planned instances recorded/);
    const merged = keysOf(runDir);
    expect(merged).toHaveLength(unsharded.length);
    expect(new Set(merged).size).toBe(merged.length);
    expect([...merged].sort()).toEqual([...unsharded].sort());
    const envFile = readEnvFile(runDir)!;
    expect(envFile.runId).toBe(runId);
    expect(envFile.merged!.shards.map((s) => s.index).sort()).toEqual([1, 2, 3]);
    expect(envFile.merged!.shards.every((s) => s.host && s.env?.host === s.host)).toBe(true);
  });

  it("the three ways give the same partition", () => {
    expect(partitions).toHaveLength(3);
    expect(partitions[1]).toEqual(partitions[0]);
    expect(partitions[2]).toEqual(partitions[0]);
  });

  it("report and compare read the merged run like any other", () => {
    const runDir = join(d, "results", "shardy", "flags-1");
    const rep = cli(["report", runDir, "--format", "md", "--out", join(d, "rep")], { cwd: d });
    expect(rep.status, rep.stderr).toBe(0);
    expect(existsSync(join(d, "rep", "summary.md"))).toBe(true);
    const cmp = cli(["compare", join(d, "whole"), runDir], { cwd: d });
    // the mock is deterministic: every instance matches and none is slower
    expect(cmp.status, cmp.stdout + cmp.stderr).toBe(0);
  });

  it("a missing shard is named (exit 4); a duplicated one writes nothing (exit 4)", () => {
    const runDir = join(d, "results", "shardy", "flags-1");
    const miss = cli(["merge", join(runDir, "shard-1-of-3"), join(runDir, "shard-2-of-3"), "--out", join(d, "p")], {
      cwd: d,
    });
    expect(miss.status, miss.stderr).toBe(4);
    expect(miss.stderr).toMatch(/shard\(s\) with no folder given: 3\/3/);
    expect(miss.stderr).toMatch(/missing: \d+ planned instance\(s\)/);
    const dup = cli(["merge", join(runDir, "shard-1-of-3"), join(runDir, "shard-1-of-3"), "--out", join(d, "q")], {
      cwd: d,
    });
    expect(dup.status).toBe(4);
    expect(dup.stderr).toMatch(/duplicated: \d+ instance\(s\) recorded more than once/);
    expect(existsSync(join(d, "q", "results.jsonl"))).toBe(false);
  });

  it("shards of different plans are refused in one line (exit 2)", async () => {
    const other = await runAsync(["--shard", "1/3", "--run-id", "other", "--filter", "test=pp64"], {});
    expect(other.code, other.stderr).toBe(0);
    const a = join(d, "results", "shardy", "flags-1", "shard-2-of-3");
    const b = join(d, "results", "shardy", "other", "shard-1-of-3");
    const r = cli(["merge", a, b, "--out", join(d, "mixed")], { cwd: ROOT });
    expect(r.status).toBe(2);
    const lines = r.stderr.trim().split("\n");
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^moebench: .* come from different plans \([0-9a-f]{16} vs [0-9a-f]{16}\)/);
  });
});
