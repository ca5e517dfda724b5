/** compare and import through the real CLI. */
import { describe, it, expect } from "vitest";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { cli, tmp, ROOT } from "../helpers.js";
import { readJsonl } from "../../src/results/jsonl.js";
import { synthesize } from "../../src/gguf/synth/synthesize.js";

describe("moebench compare (exit codes for CI)", () => {
  const d = tmp();
  const f = join(d, "s.yaml");
  writeFileSync(
    f,
    "name: cmp\nmodels: [synth:lfm2-8b-a1b:Q4_K_M:tiny, synth:llama-3.1-8b:Q4_K_M:tiny]\n" +
      "tests: [pp64, tg32]\nrepetitions: {min: 6, max: 6}\n",
  );
  const env = { MOEBENCH_CACHE: join(d, "c") };

  it("self: exit 0; a 10% slowdown: exit 1; bad usage: exit 2", () => {
    expect(cli(["run", f, "--executor", "mock", "--out", join(d, "base")], { env }).status).toBe(0);
    expect(
      cli(["run", f, "--executor", "mock", "--out", join(d, "slow")], {
        env: { ...env, MOEBENCH_MOCK_SLOWDOWN: "1.1" },
      }).status,
    ).toBe(0);
    let r = cli(["compare", join(d, "base"), join(d, "base")]);
    expect(r.status, r.stdout + r.stderr).toBe(0);
    expect(r.stdout).toContain("No significant regression.");
    r = cli(["compare", join(d, "base"), join(d, "slow"), "--format", "json"]);
    expect(r.status).toBe(1);
    const j = JSON.parse(r.stdout) as { rows: { verdict: string; ratio: number }[]; regressions: number };
    expect(j.regressions).toBe(4);
    for (const row of j.rows) {
      expect(row.verdict).toBe("slower");
      expect(row.ratio).toBeCloseTo(1 / 1.1, 1);
    }
    r = cli(["compare", join(d, "base"), join(d, "slow"), "--threshold", "15%"]);
    expect(r.status).toBe(0);
    r = cli(["compare", join(d, "base"), join(d, "nope")]);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/nope: no results\.jsonl/);
    r = cli(["compare", join(d, "base"), join(d, "slow"), "--format", "html", "--out", join(d, "cmp.html")]);
    expect(r.status).toBe(1);
    const html = readFileSync(join(d, "cmp.html"), "utf8");
    expect(html).toContain('<table id="compare">');
    expect(html).not.toContain("<pre>");
    expect(html).not.toContain("**");
    // never two columns headed "model"
    const headers = [...html.matchAll(/<th[^>]*>([^<]*)<\/th>/g)].map((m) => m[1]);
    expect(headers.filter((h) => h === "model")).toHaveLength(1);
  });

  it("incomplete candidates exit 4 (empty, half-finished, disjoint) unless --allow-partial; duplicates exit 4", () => {
    const base = join(d, "base");
    const lines = readFileSync(join(base, "results.jsonl"), "utf8").trim().split("\n");
    const write = (name: string, ls: string[]): string => {
      mkdirSync(join(d, name), { recursive: true });
      writeFileSync(join(d, name, "results.jsonl"), ls.length ? `${ls.join("\n")}\n` : "");
      return join(d, name);
    };
    let r = cli(["compare", base, write("empty", [])]);
    expect(r.status, r.stderr).toBe(4);
    expect(r.stderr).toMatch(/incomplete comparison: 0 of 4 baseline instance\(s\)/);
    r = cli(["compare", base, write("half", lines.slice(0, 2))]);
    expect(r.status, r.stderr).toBe(4);
    expect(r.stdout).toMatch(/Compared 2 of 4 baseline instance/);
    expect(cli(["compare", base, join(d, "half"), "--allow-partial"]).status).toBe(0);
    // a torn last line (a run killed mid-write) is a warning, not an error
    writeFileSync(join(d, "half", "results.jsonl"), `${lines.slice(0, 2).join("\n")}\n${lines[2]!.slice(0, 40)}`);
    r = cli(["compare", base, join(d, "half"), "--allow-partial"]);
    expect(r.status).toBe(0);
    expect(r.stderr).toMatch(/warning: .*incomplete record on line 3.*skipped/);
    r = cli(["compare", base, write("dup", [...lines, lines[0]!])]);
    expect(r.status).toBe(4);
    expect(r.stderr.trim().split("\n")).toHaveLength(1);
    expect(r.stderr).toMatch(/candidate has 1 duplicate instance\(s\).*--pool/);
    expect(cli(["compare", base, join(d, "dup"), "--pool"]).status).toBe(0);
  });
});

describe("moebench import llama-bench + compare with moebench's own run", () => {
  it("every llama-bench format imports; a llama-bench JSON joins with a moebench run of the same model", async () => {
    const d = tmp();
    // the fixture was produced on this exact file (seeded synth: same bytes, same header hash)
    await synthesize({ preset: "lfm2-8b-a1b", quant: "Q4_K_M", scale: "tiny" }, join(d, "lfm2-tiny-q4km.gguf"));
    for (const fmt of ["json", "jsonl", "csv", "sql"]) {
      const r = cli([
        "import",
        "llama-bench",
        join(ROOT, `test/fixtures/llama-bench/lfm2-tiny-q4km.${fmt}`),
        "--out",
        join(d, `imp-${fmt}`),
        "--model-dir",
        d,
      ]);
      expect(r.status, r.stderr).toBe(0);
      const recs = readJsonl(join(d, `imp-${fmt}`, "results.jsonl"));
      expect(recs.map((x) => x.testId)).toEqual(["pp64", "tg16"]);
      expect(recs[0]!.model.headerSha256).toMatch(/^[0-9a-f]{64}$/);
      expect(recs[0]!.extra?.build_commit).toBe("de3ff81");
      expect(recs[0]!.extra?.n_threads).toBe(1);
      expect(recs[0]!.pp!.samplesMs.length).toBe(fmt === "json" || fmt === "jsonl" ? 3 : 1);
    }
    writeFileSync(
      join(d, "s.yaml"),
      `name: same\nmodels: [{path: ${JSON.stringify(join(d, "lfm2-tiny-q4km.gguf"))}}]\ntests: [pp64, tg16]\n` +
        "threads: [1]\nrepetitions: {min: 3, max: 3}\nbackend: cpu\n",
    );
    const run = cli(["run", join(d, "s.yaml"), "--out", join(d, "mb")]);
    expect(run.status, run.stderr).toBe(0);
    const r = cli(["compare", join(d, "imp-json"), join(d, "mb"), "--format", "json"]);
    const j = JSON.parse(r.stdout) as {
      rows: { metric: string; ratio: number | null; verdict: string }[];
      identity: { field: string; baseline: string; candidate: string }[];
      ignored: string[];
      matched: number;
      baselineInstances: number;
      regressions: number;
    };
    // both tests joined (the whole baseline compared): the exit code is the verdict's, never "incomplete"
    expect(j.matched).toBe(2);
    expect(j.baselineInstances).toBe(2);
    expect(r.status).toBe(j.regressions > 0 ? 1 : 0);
    expect(j.ignored).toContain("ctx");
    expect(j.rows.map((x) => x.metric).sort()).toEqual(["pp tok/s", "tg tok/s"]);
    for (const row of j.rows) expect(row.ratio).toBeGreaterThan(0);
    expect(j.identity.find((i) => i.field === "llama.cpp commit")!.baseline).toBe("de3ff81");
  });
});

describe("run --llama-bench (external executor)", () => {
  it("maps every instance to llama-bench flags, sweeps llamaBenchArgs, records failures", () => {
    const d = tmp();
    const fake = join(ROOT, "test/fixtures/llama-bench/fake-llama-bench.mjs");
    writeFileSync(
      join(d, "s.yaml"),
      "name: lb\nmodels: [synth:llama-3.1-8b:Q4_K_M:tiny]\ntests: [pp64, tg16, pp32+tg8]\ndepths: [0, 128]\n" +
        "threads: [1]\nrepetitions: {min: 3, max: 3}\nllamaBenchArgs: ['', '--n-cpu-moe 2']\n",
    );
    const env = { MOEBENCH_CACHE: join(d, "c") };
    let r = cli(["run", join(d, "s.yaml"), "--llama-bench", fake, "--out", join(d, "o")], { env });
    expect(r.status, r.stderr).toBe(0);
    const recs = readJsonl(join(d, "o", "results.jsonl"));
    expect(recs).toHaveLength(12);
    const both = recs.find((x) => x.testId === "pp32+tg8@d128" && !(x.extra?.llamaBenchArgs as string))!;
    expect(both.status).toBe("ok");
    expect(both.pp!.samplesMs).toHaveLength(3);
    expect(both.tg!.tokens).toBe(8);
    const argv = String((both.extra!.raw as { argv: string }[])[0]!.argv);
    expect(argv).toMatch(/-d 128/);
    expect(argv).toMatch(/-p 32 -n 8/);
    expect(argv).toMatch(/-t 1 -b 512 -ub 512 -ctk f16 -ctv f16 -fa 0 -ngl 99/);
    const moe = recs.filter((x) => x.extra?.llamaBenchArgs === "--n-cpu-moe 2" && x.testId === "tg16");
    const plain = recs.filter((x) => x.extra?.llamaBenchArgs === "" && x.testId === "tg16");
    expect(moe[0]!.tg!.samplesMs[0]).toBeGreaterThan(plain[0]!.tg!.samplesMs[0]!);
    expect(recs.every((x) => x.env.llamaCppCommit === "fake123")).toBe(true);
    r = cli(["run", join(d, "s.yaml"), "--llama-bench", fake, "--out", join(d, "f")], {
      env: { ...env, FAKE_LLAMA_BENCH_FAIL: "1" },
    });
    // every instance failed: exit 1 (COORDINATION decision 2), the failures are records
    expect(r.status).toBe(1);
    const failed = readJsonl(join(d, "f", "results.jsonl"));
    expect(failed.every((x) => x.status === "error" && /failed to load model/.test(x.error!.message))).toBe(true);
  });
});
