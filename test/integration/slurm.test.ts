/**
 * The shipped Slurm files on a real single-node Slurm (Debian's slurm-wlm + munge, slurmctld and slurmd on
 * 127.0.0.1; `scripts/slurm-local.sh start` sets it up): deploy/slurm/submit.sh queues a 3-task array of a
 * tiny mock suite and the dependent merge + report job; the merged run must hold exactly the unsharded
 * run's instances and the report must exist. Opt-in: MOEBENCH_SLURM_TEST=1 with SLURM_CONF pointing at the
 * cluster (`.ci/run` does both; `scripts/slurm-local.sh test` too).
 */
import { execFileSync, spawnSync } from "node:child_process";
import { existsSync, readFileSync, readdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { readEnvFile } from "../../src/results/envFile.js";
import { readJsonl } from "../../src/results/jsonl.js";
import { CLI, cli, ROOT, tmp } from "../helpers.js";

const enabled = process.env.MOEBENCH_SLURM_TEST === "1";
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

describe.skipIf(!enabled)("deploy/slurm on a real single-node Slurm", () => {
  it("array of 3 shards → merge + report job; merged = the unsharded instance set", async () => {
    const d = tmp("moebench-slurm-");
    const suite = join(d, "tiny.yaml");
    writeFileSync(
      suite,
      [
        "name: slurmy",
        "models:",
        "  - synth:lfm2-8b-a1b:Q4_K_M:tiny",
        "  - synth:llama-3.1-8b:Q4_K_M:tiny",
        "  - synth:qwen3-8b:Q4_K_M:tiny",
        "tests: [pp64, tg16]",
        "repetitions: {min: 2, max: 2}",
      ].join("\n"),
    );
    const env = { MOEBENCH_CACHE: join(d, "cache"), MOEBENCH: `${process.execPath} ${CLI}` };
    const whole = cli(["run", suite, "--executor", "mock", "--out", join(d, "whole")], { cwd: d, env });
    expect(whole.status, whole.stderr).toBe(0);
    const submit = spawnSync("bash", [join(ROOT, "deploy", "slurm", "submit.sh"), suite, "3", "--executor", "mock"], {
      cwd: d,
      encoding: "utf8",
      env: { ...process.env, ...env },
    });
    expect(submit.status, submit.stderr).toBe(0);
    const [, array, merge] = /array job (\d+) .* merge \+ report job (\d+)/.exec(submit.stdout) ?? [];
    expect(array, submit.stdout).toBeDefined();
    // wait for the merge job to leave the queue (it starts after every array task ended)
    const deadline = Date.now() + 240_000;
    while (Date.now() < deadline) {
      const q = execFileSync("squeue", ["-h", "-j", `${array},${merge}`], { encoding: "utf8", env: process.env });
      if (q.trim() === "") break;
      await sleep(1000);
    }
    const log = join(d, `moebench-merge-${merge}.out`);
    const mergeLog = existsSync(log) ? readFileSync(log, "utf8") : "(no merge log)";
    const runDir = join(d, "results", "slurmy", `slurm-${array}`);
    expect(
      readdirSync(runDir)
        .filter((n) => n.startsWith("shard-"))
        .sort(),
      mergeLog,
    ).toEqual(["shard-1-of-3", "shard-2-of-3", "shard-3-of-3"]);
    const merged = readJsonl(join(runDir, "results.jsonl"));
    const expected = readJsonl(join(d, "whole", "results.jsonl")).map((r) => r.key);
    expect(merged.map((r) => r.key).sort(), mergeLog).toEqual([...expected].sort());
    expect(merged.every((r) => r.runId === `slurm-${array}` && r.shard?.count === 3)).toBe(true);
    expect(readEnvFile(runDir)!.merged!.shards).toHaveLength(3);
    expect(mergeLog).toMatch(/6 of 6 planned instances recorded/);
    expect(existsSync(join(d, "reports", "slurmy", `slurm-${array}`, "summary.md")), mergeLog).toBe(true);
  }, 300_000);
});
