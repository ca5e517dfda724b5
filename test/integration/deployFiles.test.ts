/**
 * The shipped job files in deploy/, played locally on the mock executor: the Kubernetes Indexed Job's
 * container command once per completion index (with the variables Kubernetes sets) and the merge Job's
 * script; the GitHub Actions matrix's shard steps once per matrix entry and the merge job's steps. The
 * numbers that must agree across a file (completions vs MOEBENCH_SHARD_COUNT, matrix length vs SHARDS, job
 * names) are checked first. The Slurm files run on a real Slurm in slurm.test.ts.
 */
import { spawnSync } from "node:child_process";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { readJsonl } from "../../src/results/jsonl.js";
import { CLI, ROOT, tmp } from "../helpers.js";

const d = tmp("moebench-deploy-");
const suite = join(d, "tiny.yaml");
writeFileSync(
  suite,
  [
    "name: deployed",
    "models:",
    "  - synth:lfm2-8b-a1b:Q4_K_M:tiny",
    "  - synth:llama-3.1-8b:Q4_K_M:tiny",
    "  - synth:qwen3-8b:Q4_K_M:tiny",
    "tests: [tg16]",
    "repetitions: {min: 2, max: 2}",
  ].join("\n"),
);
const moebench = `${process.execPath} ${CLI}`;
const baseEnv = { ...process.env, CI: "1", MOEBENCH_CACHE: join(d, "cache") };

/** Run a shell command line in the scratch folder, with moebench's path put where the job files expect it. */
function sh(line: string, env: Record<string, string> = {}): { status: number | null; out: string } {
  const r = spawnSync("bash", ["-c", line], { cwd: d, encoding: "utf8", env: { ...baseEnv, ...env } });
  return { status: r.status, out: `${r.stdout}${r.stderr}` };
}

const read = (p: string): string => readFileSync(join(ROOT, "deploy", p), "utf8");
const keys = (dir: string): string[] =>
  readJsonl(join(dir, "results.jsonl"))
    .map((r) => r.key)
    .sort();

interface Container {
  command: string[];
  env: { name: string; value?: string; valueFrom?: { fieldRef: { fieldPath: string } } }[];
}

describe("deploy/kubernetes", () => {
  const job = parse(read("kubernetes/moebench-indexed-job.yaml"));
  const mergeJob = parse(read("kubernetes/moebench-merge-job.yaml"));
  const shardC: Container = job.spec.template.spec.containers[0];
  const mergeC: Container = mergeJob.spec.template.spec.containers[0];
  const envOf = (c: Container, name: string) => c.env.find((e) => e.name === name);

  it("the manifests agree: Indexed mode, shard count = completions, run id = the Job's name", () => {
    expect(job.spec.completionMode).toBe("Indexed");
    expect(envOf(shardC, "MOEBENCH_SHARD_COUNT")?.value).toBe(String(job.spec.completions));
    expect(envOf(shardC, "MOEBENCH_RUN_ID")?.valueFrom?.fieldRef.fieldPath).toBe(
      "metadata.labels['batch.kubernetes.io/job-name']",
    );
    expect(envOf(mergeC, "RUN_ID")?.value).toBe(job.metadata.name);
    expect(read("kubernetes/run.sh")).toContain(`job=${job.metadata.name}`);
  });

  it("each index's pod, then the merge Job's script: one merged run and its report", () => {
    const n = job.spec.completions as number;
    const command = shardC.command
      .map((a) => (a === "/opt/moebench/suites/moe-vs-dense.yaml" ? suite : a))
      .join(" ")
      .replace("node /opt/moebench/dist/cli.js", moebench);
    for (let index = 0; index < n; index++) {
      const r = sh(`${command} --executor mock`, {
        JOB_COMPLETION_INDEX: String(index),
        MOEBENCH_SHARD_COUNT: envOf(shardC, "MOEBENCH_SHARD_COUNT")!.value!,
        MOEBENCH_RUN_ID: job.metadata.name,
      });
      expect(r.status, r.out).toBe(0);
    }
    const script = mergeC.command[2]!.replace("node /opt/moebench/dist/cli.js", moebench);
    const m = sh(script, { RUN_ID: envOf(mergeC, "RUN_ID")!.value! });
    expect(m.status, m.out).toBe(0);
    expect(m.out).toMatch(/3 of 3 planned instances recorded/);
    const run = join(d, "results", "deployed", job.metadata.name);
    expect(keys(run)).toHaveLength(3);
    expect(existsSync(join(d, "reports", "deployed", job.metadata.name, "index.html"))).toBe(true);
  });
});

describe("deploy/github-actions", () => {
  const wf = parse(read("github-actions/moebench-matrix.yml"));
  const shardSteps: { run?: string }[] = wf.jobs.shard.steps;
  const mergeSteps: { run?: string }[] = wf.jobs.merge.steps;

  it("SHARDS equals the matrix's length; the merge job waits for every shard, even a failed one", () => {
    expect(wf.jobs.shard.strategy.matrix.shard).toEqual(Array.from({ length: Number(wf.env.SHARDS) }, (_, i) => i + 1));
    expect(wf.jobs.merge.needs).toBe("shard");
    expect(wf.jobs.merge.if).toBe("always()");
  });

  it("the matrix's run step per entry, then the merge job's steps: one merged run and its report", () => {
    const runId = "gh-1234-1";
    const env = { SUITE: suite, SHARDS: String(wf.env.SHARDS), RUN_ID: runId };
    const runLine = shardSteps.map((s) => s.run).find((r) => r?.includes("--shard"))!;
    for (const shard of wf.jobs.shard.strategy.matrix.shard as number[]) {
      const line = runLine.replace(/\$\{\{ matrix\.shard \}\}/, String(shard)).replace("node dist/cli.js", moebench);
      const r = sh(`${line} --executor mock`, env);
      expect(r.status, r.out).toBe(0);
    }
    const merging = mergeSteps
      .map((s) => s.run)
      .filter((r): r is string => !!r && r.includes("dist/cli.js"))
      .map((r) => r.replaceAll("node dist/cli.js", moebench));
    expect(merging).toHaveLength(2);
    for (const line of merging) {
      const r = sh(line, env);
      expect(r.status, r.out).toBe(0);
    }
    expect(keys(join(d, "results", "deployed", runId))).toHaveLength(3);
    expect(readFileSync(join(d, "report", "summary.md"), "utf8")).toMatch(new RegExp(`run \`?${runId}\`? \\(suite`));
  });
});
