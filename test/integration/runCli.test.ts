/** The real CLI on tiny synthetic models on CPU (node-llama-cpp), and on the MockExecutor for failure paths. */
import { describe, it, expect } from "vitest";
import { spawn } from "node:child_process";
import { copyFileSync, readFileSync, statSync, truncateSync, writeFileSync, existsSync } from "node:fs";
import { join } from "node:path";
import { cpus } from "node:os";
import { cli, tmp, CLI, ROOT } from "../helpers.js";
import { readJsonl } from "../../src/results/jsonl.js";
import { synthesize } from "../../src/gguf/synth/synthesize.js";

const lines = (p: string): string[] => readFileSync(p, "utf8").split("\n").filter(Boolean);

describe("moebench run (node-llama-cpp, CPU, tiny models)", () => {
  const d = tmp();
  const out = join(d, "run");
  const suite = join(d, "tiny.yaml");

  it("measures, records a truncated model as an error and goes on, and writes a valid JSONL", async () => {
    const good = join(d, "good.gguf");
    await synthesize({ preset: "llama-3.1-8b", quant: "Q4_K_M", scale: "tiny" }, good);
    const bad = join(d, "bad.gguf");
    copyFileSync(good, bad);
    truncateSync(bad, Math.floor(statSync(good).size * 0.6));
    writeFileSync(
      suite,
      [
        "name: tiny",
        "models:",
        "  - synth:lfm2-8b-a1b:Q4_K_M:tiny",
        "  - path: bad.gguf",
        "  - path: good.gguf",
        "tests: [pp64, tg16, {pp: 32, tg: 8}]",
        "repetitions: {min: 2, max: 3, targetCi: 0.5}",
        "warmup: 1",
        "threads: [1]",
        "backend: cpu",
      ].join("\n"),
    );
    const r = cli(["run", suite, "--out", out], { env: { MOEBENCH_CACHE: join(d, "cache") } });
    // the truncated model's 3 error records fail the run (exit 1) unless the user allows them
    expect(r.status, r.stderr).toBe(1);
    expect(r.stdout.trim().split("\n").pop()).toBe("6 ok, 3 failed (error 3)");
    const recs = readJsonl(join(out, "results.jsonl"));
    expect(recs).toHaveLength(9);
    const byModel = (l: string) => recs.filter((x) => x.model.label === l);
    expect(byModel("bad").every((x) => x.status === "error" && /truncated/.test(x.error!.message))).toBe(true);
    const ok = recs.filter((x) => x.status === "ok");
    expect(ok).toHaveLength(6);
    for (const x of ok) {
      expect(x.env.backend).toBe("cpu");
      expect(x.env.llamaCppRelease).toMatch(/^v?\d|^b\d/);
      expect(x.params.threads).toBe(1);
      expect(x.model.headerSha256).toMatch(/^[0-9a-f]{64}$/);
    }
    const pp = ok.find((x) => x.testId === "pp64")!;
    expect(pp.pp!.samplesMs.length).toBeGreaterThanOrEqual(2);
    expect(pp.tg).toBeNull();
    const tg = ok.find((x) => x.testId === "tg16")!;
    expect(tg.tg!.itlMs!.p50).toBeGreaterThan(0);
    const both = ok.find((x) => x.testId === "pp32+tg8")!;
    expect(both.pp!.samplesMs.length).toBe(both.tg!.samplesMs.length);
    expect(byModel("lfm2-8b-a1b-tiny Q4_K_M")[0]!.model.isMoe).toBe(true);
    expect(r.stdout).toContain("| model");
    expect(existsSync(join(out, "env.json"))).toBe(true);
  });

  it("--resume redoes nothing", () => {
    const before = lines(join(out, "results.jsonl")).length;
    const r = cli(["run", suite, "--out", out, "--resume", "--allow-failures", "error"], {
      env: { MOEBENCH_CACHE: join(d, "cache") },
    });
    expect(r.status, r.stderr).toBe(0);
    expect(lines(join(out, "results.jsonl")).length).toBe(before);
    expect(r.stderr).toMatch(/9 instance\(s\) already recorded, 0 to run/);
  });
});

describe("moebench run failure paths (MockExecutor)", () => {
  const mkSuite = (d: string, extra: string[] = []): string => {
    const f = join(d, "mock.yaml");
    writeFileSync(
      f,
      [
        "name: mock",
        "models:",
        "  - synth:lfm2-8b-a1b:Q4_K_M:tiny",
        "  - synth:llama-3.1-8b:Q4_K_M:tiny",
        "  - synth:qwen3-8b:Q4_K_M:tiny",
        "tests: [pp64, tg16]",
        "repetitions: {min: 3, max: 3}",
        ...extra,
      ].join("\n"),
    );
    return f;
  };

  it("a crash and a timeout are records, and the next model still runs", () => {
    const d = tmp();
    const f = mkSuite(d, ["timeoutSec: 3"]);
    const r = cli(["run", f, "--executor", "mock", "--out", join(d, "o")], {
      env: { MOEBENCH_CACHE: join(d, "c"), MOEBENCH_MOCK_CRASH: "lfm2", MOEBENCH_MOCK_HANG: "llama-3.1" },
    });
    expect(r.status, r.stderr).toBe(1);
    expect(r.stdout.trim().split("\n").pop()).toBe("2 ok, 4 failed (timeout 2, crash 2)");
    const recs = readJsonl(join(d, "o", "results.jsonl"));
    expect(recs.map((x) => `${x.model.ref.split(":")[1]} ${x.testId} ${x.status}`)).toEqual([
      "lfm2-8b-a1b pp64 crash",
      "lfm2-8b-a1b tg16 crash",
      "llama-3.1-8b pp64 timeout",
      "llama-3.1-8b tg16 timeout",
      "qwen3-8b pp64 ok",
      "qwen3-8b tg16 ok",
    ]);
    // a crash is retried once with a fresh worker, and the record says so; a timeout is not retried
    expect(recs.map((x) => x.error?.attempts ?? null)).toEqual([2, 2, 1, 1, null, null]);
  });

  it("a load failure is an error record per instance", () => {
    const d = tmp();
    const r = cli(["run", mkSuite(d), "--executor", "mock", "--out", join(d, "o"), "--allow-failures", "error"], {
      env: { MOEBENCH_CACHE: join(d, "c"), MOEBENCH_MOCK_FAIL: "qwen3" },
    });
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout.trim().split("\n").pop()).toBe("4 ok, 2 failed (error 2)");
    const recs = readJsonl(join(d, "o", "results.jsonl"));
    expect(recs.filter((x) => x.status === "error").map((x) => x.testId)).toEqual(["pp64", "tg16"]);
    expect(recs.find((x) => x.status === "error")!.error!.message).toMatch(/model load failed: mock: failed to load/);
  });

  it("mock runs are deterministic", () => {
    const d = tmp();
    const f = mkSuite(d);
    const env = { MOEBENCH_CACHE: join(d, "c") };
    cli(["run", f, "--executor", "mock", "--out", join(d, "a")], { env });
    cli(["run", f, "--executor", "mock", "--out", join(d, "b")], { env });
    const a = readJsonl(join(d, "a", "results.jsonl")).map((x) => [x.pp?.samplesMs, x.tg?.samplesMs]);
    const b = readJsonl(join(d, "b", "results.jsonl")).map((x) => [x.pp?.samplesMs, x.tg?.samplesMs]);
    expect(a).toEqual(b);
  });

  it("a run killed mid-way leaves a readable file that --resume completes", async () => {
    const d = tmp();
    const f = mkSuite(d, ["timeoutSec: 600"]);
    const out = join(d, "o");
    const env = { ...process.env, CI: "1", MOEBENCH_CACHE: join(d, "c"), MOEBENCH_MOCK_HANG: "qwen3" };
    const child = spawn(process.execPath, [CLI, "run", f, "--executor", "mock", "--out", out], {
      cwd: ROOT,
      env,
      stdio: ["ignore", "ignore", "pipe"],
    });
    let err = "";
    let sent = false;
    await new Promise<void>((resolve) => {
      child.stderr!.on("data", (b: Buffer) => {
        err += b.toString();
        if (!sent && /\[4\/6\]/.test(err)) {
          sent = true;
          child.kill("SIGINT");
          resolve();
        }
      });
    });
    const code = await new Promise<string>((resolve) => child.on("exit", (c, sig) => resolve(`${c}/${sig}`)));
    expect(code, err).toBe("130/null");
    expect(readJsonl(join(out, "results.jsonl")), err).toHaveLength(4);
    const r = cli(["run", f, "--executor", "mock", "--out", out, "--resume"], {
      env: { MOEBENCH_CACHE: join(d, "c") },
    });
    expect(r.status, `${err}\n--- resume:\n${r.stderr}`).toBe(0);
    expect(readJsonl(join(out, "results.jsonl")), r.stderr).toHaveLength(6);
  });
});

describe("what the records say about how they were made", () => {
  it("loadMs is the load alone, not the idle-power baseline after it; mock runs say so", () => {
    const d = tmp();
    const f = join(d, "s.yaml");
    writeFileSync(
      f,
      "name: s\nmodels: [synth:llama-3.1-8b:Q4_K_M:tiny]\ntests: [pp16]\nrepetitions: {min: 2, max: 2}\n",
    );
    const replay = join(ROOT, "test/fixtures/nvidia-smi/replay-nvidia-smi.mjs");
    const args = ["run", f, "--executor", "mock", "--out", join(d, "o"), "--nvidia-smi", replay];
    // the mock's load takes 300 ms, then 2 s of loaded-idle power are measured
    const r = cli([...args, "--idle-baseline", "2"], {
      env: { MOEBENCH_CACHE: join(d, "c"), MOEBENCH_MOCK_LOAD_MS: "300" },
    });
    expect(r.status, r.stderr).toBe(0);
    const [rec] = readJsonl(join(d, "o", "results.jsonl"));
    expect(rec!.telemetry.idleWatts).toBeGreaterThan(0);
    expect(rec!.loadMs).toBeGreaterThanOrEqual(300);
    expect(rec!.loadMs).toBeLessThan(2000);
    expect(rec!.executor).toBe("mock");
    const env = JSON.parse(readFileSync(join(d, "o", "env.json"), "utf8"));
    expect(env).toMatchObject({ schemaVersion: 2, executor: "mock", suite: "s", runId: "o" });
    expect(r.stderr).toMatch(/instances on MOCK executor/);
  });

  it("the llama-bench executor records the threads that ran (threads: auto is not 0)", () => {
    const d = tmp();
    const f = join(d, "s.yaml");
    writeFileSync(f, "name: s\nmodels: [synth:llama-3.1-8b:Q4_K_M:tiny]\ntests: [pp16]\nthreads: [auto]\n");
    const fake = join(ROOT, "test/fixtures/llama-bench/fake-llama-bench.mjs");
    const r = cli(["run", f, "--llama-bench", fake, "--out", join(d, "o")], { env: { MOEBENCH_CACHE: join(d, "c") } });
    expect(r.status, r.stderr).toBe(0);
    const [rec] = readJsonl(join(d, "o", "results.jsonl"));
    // auto on the CPU: all cores but one (the fake reports the -t it was given as n_threads)
    expect(rec!.params.threads).toBe(Math.max(1, cpus().length - 1));
    expect(rec!.executor).toBe("llama-bench");
  });
});
