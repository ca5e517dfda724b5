/**
 * scripts/gpu-smoke.sh, the one command for a GPU machine, run here on a replayed nvidia-smi (a real capture
 * played back) and the mock executor: one archive with the results, env, the raw nvidia-smi log, moebench's
 * log and the report, and the run's exit code.
 */
import { spawnSync } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { ROOT, tmp } from "../helpers.js";

describe("scripts/gpu-smoke.sh", () => {
  it("runs a suite and packs results, env, the raw nvidia-smi log and the report into one archive", () => {
    const d = tmp("moebench-gpu-smoke-");
    const suite = join(d, "tiny.yaml");
    writeFileSync(
      suite,
      ["name: tiny", "models: [synth:llama-3.1-8b:Q4_K_M:tiny]", "tests: [pp32, tg8]", "backend: cpu"].join("\n"),
    );
    const replay = join(ROOT, "test", "fixtures", "nvidia-smi", "replay-nvidia-smi.mjs");
    const out = join(d, "smoke");
    const r = spawnSync(
      join(ROOT, "scripts", "gpu-smoke.sh"),
      ["--suite", suite, "--out", out, "--executor", "mock", "--idle-baseline", "0"],
      {
        cwd: d,
        encoding: "utf8",
        env: { ...process.env, MOEBENCH_NVIDIA_SMI: replay, MOEBENCH_CACHE: join(d, "cache") },
        timeout: 300_000,
      },
    );
    expect(r.status, `${r.stdout}\n${r.stderr}`).toBe(0);
    expect(r.stdout).toMatch(/gpu-smoke: .*smoke\.tar\.xz \(.*\), moebench run exit 0/);
    const list = spawnSync("tar", ["-tJf", `${out}.tar.xz`], { encoding: "utf8" }).stdout.split("\n");
    for (const f of ["run/results.jsonl", "run/env.json", "nvidia-smi.csv", "nvidia-smi-help-query-gpu.txt"])
      expect(list, f).toContain(`smoke/${f}`);
    expect(list.some((f) => f.endsWith("report/index.html"))).toBe(true);
    // the raw log: nvidia-smi's own CSV, header then rows (the replay plays an A100 capture)
    const csv = readFileSync(join(out, "nvidia-smi.csv"), "utf8").trim().split("\n");
    expect(csv[0]).toMatch(/^timestamp, index, uuid, name, driver_version, memory\.total, /);
    expect(csv[0]).toContain("power.draw.instant [W]");
    expect(csv.length).toBeGreaterThan(2);
    expect(csv[1]).toContain("NVIDIA A100-SXM4-40GB");
    expect(readFileSync(join(out, "moebench.log"), "utf8")).toMatch(/2 ok, 0 failed/);
  });
});
