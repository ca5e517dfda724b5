/** `moebench run` with llama-bench's command line: a table on stdout like llama-bench's, and a run folder. */
import { describe, expect, it } from "vitest";
import { readdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { cli, tmp } from "../helpers.js";
import { readJsonl } from "../../src/results/jsonl.js";
import { readEnvFile } from "../../src/results/envFile.js";

describe("moebench run -m … -p … -n … -r … -o …", () => {
  it("prints a llama-bench-like Markdown table and writes the run folder (node-llama-cpp, CPU, tiny models)", () => {
    const d = tmp();
    const r = cli(
      [
        "run",
        "-m",
        "synth:lfm2-8b-a1b:Q4_K_M:tiny",
        "-m",
        "synth:llama-3.1-8b:Q4_K_M:tiny",
        "-p",
        "64",
        "-n",
        "16",
        "-r",
        "2",
        "-o",
        "md",
      ],
      { cwd: d, env: { MOEBENCH_CACHE: join(d, "cache") } },
    );
    expect(r.status, r.stderr).toBe(0);
    const lines = r.stdout.trim().split("\n");
    const cells = (line: string) =>
      line
        .split("|")
        .slice(1, -1)
        .map((c) => c.trim());
    // stdout is the table alone (the run's own lines went to stderr), as llama-bench prints it
    expect(cells(lines[0]!)).toEqual([
      "model",
      "size",
      "params",
      "backend",
      "threads",
      "fa",
      "test",
      "t/s mean (95% CI)",
    ]);
    const rows = lines.slice(2, 6).map(cells);
    expect(rows.map((c) => [c[0], c[6]])).toEqual([
      ["lfm2-8b-a1b-tiny Q4_K_M", "pp64"],
      ["lfm2-8b-a1b-tiny Q4_K_M", "tg16"],
      ["llama-3.1-8b-tiny Q4_K_M", "pp64"],
      ["llama-3.1-8b-tiny Q4_K_M", "tg16"],
    ]);
    for (const c of rows) expect(c[7]).toMatch(/^\d+\.\d\d \(\d+\.\d\d–\d+\.\d\d\)( noisy)?$/);
    expect(lines[lines.length - 1]).toMatch(/^build: \S+ \(\S+\)$/);
    expect(r.stderr).toMatch(/4 ok, 0 failed\s*$/);
    // the run folder: results/cli/<runId>/results.jsonl with two repetitions per phase
    const [runId] = readdirSync(join(d, "results", "cli"));
    const recs = readJsonl(join(d, "results", "cli", runId!, "results.jsonl"));
    expect(recs.map((x) => `${x.model.label} ${x.testId} ${x.status}`)).toEqual([
      "lfm2-8b-a1b-tiny Q4_K_M pp64 ok",
      "lfm2-8b-a1b-tiny Q4_K_M tg16 ok",
      "llama-3.1-8b-tiny Q4_K_M pp64 ok",
      "llama-3.1-8b-tiny Q4_K_M tg16 ok",
    ]);
    for (const x of recs) expect((x.pp ?? x.tg)!.samplesMs).toHaveLength(2);
  });

  it("-o json reads back with import llama-bench", () => {
    const d = tmp();
    const env = { MOEBENCH_CACHE: join(d, "cache") };
    const r = cli(
      ["run", "-m", "synth:qwen3-8b:Q4_K_M:tiny", "-p", "32", "-n", "0", "-d", "0,64", "-r", "3"].concat([
        "--executor",
        "mock",
        "--out",
        join(d, "run"),
        "-o",
        "json",
      ]),
      { cwd: d, env },
    );
    expect(r.status, r.stderr).toBe(0);
    const rows = JSON.parse(r.stdout) as { n_prompt: number; n_depth: number; samples_ns: number[] }[];
    expect(rows.map((x) => [x.n_prompt, x.n_depth, x.samples_ns.length])).toEqual([
      [32, 0, 3],
      [32, 64, 3],
    ]);
    const f = join(d, "out.json");
    writeFileSync(f, r.stdout);
    const imp = cli(["import", "llama-bench", f, "--out", join(d, "imported")], { cwd: d });
    expect(imp.status, imp.stderr).toBe(0);
    const back = readJsonl(join(d, "imported", "results.jsonl"));
    expect(readEnvFile(join(d, "imported"))).toMatchObject({ schemaVersion: 2, executor: "import", runId: "imported" });
    expect(back.every((x) => x.executor === "import")).toBe(true);
    const ran = readJsonl(join(d, "run", "results.jsonl"));
    expect(back.map((x) => x.testId)).toEqual(["pp32", "pp32@d64"]);
    // the same samples, to the nanosecond llama-bench's format keeps
    for (const [i, x] of back.entries())
      for (const [j, ms] of x.pp!.samplesMs.entries()) expect(ms).toBeCloseTo(ran[i]!.pp!.samplesMs[j]!, 5);
  });

  it("without -o: the summary, then the MoE-vs-dense answer and the claims (mock: 'no evidence')", () => {
    const d = tmp();
    const args = ["run", "-m", "synth:lfm2.5-8b-a1b:Q4_K_M:tiny", "-m", "synth:llama-3.1-8b:Q4_K_M:tiny"];
    const r = cli([...args, "-p", "64", "-n", "16", "-r", "2", "--executor", "mock"], {
      cwd: d,
      env: { MOEBENCH_CACHE: join(d, "cache") },
    });
    expect(r.status, r.stderr).toBe(0);
    const tg = r.stdout.indexOf("### MoE vs dense: generation (tg)");
    const claims = r.stdout.indexOf("### Claims checked");
    expect(tg).toBeGreaterThan(r.stdout.indexOf("| model"));
    expect(claims).toBeGreaterThan(tg);
    const row = r.stdout.split("\n").find((l) => l.startsWith("| Q4_K_M | tg16 | lfm2.5-8b-a1b-tiny Q4_K_M"));
    expect(row).toMatch(/\| \d+\.\d{3}× \(\d+\.\d{3}–\d+\.\d{3}\)( noisy)? \|$/);
    const gen = r.stdout.split("\n").find((l) => l.startsWith("| MoE generation is 1.4–1.6×"));
    expect(gen).toContain("| no evidence (mock or tiny run) |");
    // a run of one model has no pairs: no MoE section
    const one = cli(["run", "-m", "synth:qwen3-8b:Q4_K_M:tiny", "-p", "32", "-n", "0", "--executor", "mock"], {
      cwd: d,
      env: { MOEBENCH_CACHE: join(d, "cache") },
    });
    expect(one.status, one.stderr).toBe(0);
    expect(one.stdout).not.toContain("MoE vs dense");
  });

  it("run --help shows the mapping", () => {
    const r = cli(["run", "--help"]);
    expect(r.status).toBe(0);
    expect(r.stdout).toContain("-m, --model <ref>");
    expect(r.stdout).toContain("a llama-bench command line works with moebench in place of llama-bench");
    expect(r.stdout).toContain("-ngl, -fa, -ctk, -ctv");
  });
});
