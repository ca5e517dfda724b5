/**
 * The results database end to end: one mock run recorded as three llama.cpp builds (the second build's qwen3
 * generation planted 30% slower), `db add` (twice: nothing added the second time), `history` (its chart, and
 * the planted regression named, nothing else), and `db export --llama-bench-sql` read by llama.cpp's own
 * scripts/compare-llama-bench.py (python3 with GitPython and tabulate: Debian's python3-git, python3-tabulate).
 */
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { homedir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import type { ResultRecord } from "../../src/results/schema.js";
import { cli, tmp } from "../helpers.js";

const d = tmp("moebench-db-");
const db = join(d, "results.sqlite");
const BUILDS = [
  { commit: "aaaaaaa11111", release: "b5000", day: "2026-01-01", slow: 1 },
  { commit: "bbbbbbb22222", release: "b5001", day: "2026-01-02", slow: 1.3 },
  { commit: "ccccccc33333", release: "b5002", day: "2026-01-03", slow: 1 },
];

const COMPARE_SCRIPT = join(
  process.env.MOEBENCH_LLAMA_CPP_SRC ?? join(homedir(), ".cache", "moebench", "llama.cpp-v0.5.0"),
  "scripts",
  "compare-llama-bench.py",
);

/** A python3 that has what compare-llama-bench.py imports (Debian's packages go with /usr/bin/python3). */
function pythonWithDeps(): string | null {
  for (const py of ["/usr/bin/python3", "python3"]) {
    const r = spawnSync(py, ["-c", "import git, tabulate"], { encoding: "utf8" });
    if (r.status === 0) return py;
  }
  return null;
}
const python = pythonWithDeps();
const skipPython = !python || !existsSync(COMPARE_SCRIPT);
if (skipPython)
  console.warn(
    `SKIPPED compare-llama-bench.py test: ${existsSync(COMPARE_SCRIPT) ? "" : `${COMPARE_SCRIPT} not found; `}` +
      `${python ? "" : "no python3 with GitPython and tabulate (apt-get install python3-git python3-tabulate)"}`,
  );

describe("db add → history, db export → compare-llama-bench.py", () => {
  it("one mock run, recorded as three builds with a planted regression", () => {
    const suite = join(d, "s.yaml");
    writeFileSync(
      suite,
      [
        "name: dbsuite",
        "models: [synth:lfm2-8b-a1b:Q4_K_M:tiny, synth:qwen3-8b:Q4_K_M:tiny]",
        "tests: [pp64, tg16]",
        "repetitions: {min: 3, max: 3}",
      ].join("\n"),
    );
    const r = cli(["run", suite, "--executor", "mock", "--out", join(d, "mock")], {
      cwd: d,
      env: { MOEBENCH_CACHE: join(d, "cache") },
    });
    expect(r.status, r.stderr).toBe(0);
    const base = readFileSync(join(d, "mock", "results.jsonl"), "utf8")
      .trim()
      .split("\n");
    for (const b of BUILDS) {
      const lines = base.map((line) => {
        const x = JSON.parse(line) as ResultRecord;
        x.runId = b.release;
        x.timestamp = `${b.day}T10:00:00.000Z`;
        x.env.llamaCppCommit = b.commit;
        x.env.llamaCppRelease = b.release;
        // the planted regression: this build's qwen3 generation takes 1.3× as long per repetition
        if (x.tg && x.model.label.startsWith("qwen3")) x.tg.samplesMs = x.tg.samplesMs.map((ms) => ms * b.slow);
        return JSON.stringify(x);
      });
      mkdirSync(join(d, b.release));
      writeFileSync(join(d, b.release, "results.jsonl"), `${lines.join("\n")}\n`);
    }
  });

  it("db add appends each run once", () => {
    const first = cli(["db", "add", ...BUILDS.map((b) => join(d, b.release)), "--db", db], { cwd: d });
    expect(first.status, first.stderr).toBe(0);
    expect(first.stderr.match(/4 record\(s\) added, 0 already/g)).toHaveLength(3);
    const again = cli(["db", "add", join(d, "b5001"), "--db", db], { cwd: d });
    expect(again.status, again.stderr).toBe(0);
    expect(again.stderr).toContain("b5001: 0 record(s) added, 4 already");
    const list = cli(["db", "list", "--db", db], { cwd: d });
    expect(list.stdout).toMatch(/\| b5001 +\| dbsuite +\| +4 \| bbbbbbb22222/);
  });

  it("history draws the chart and names the planted regression, only it", () => {
    const chart = join(d, "history.svg");
    const h = cli(["history", "--db", db, "--out", chart], { cwd: d });
    expect(h.status, h.stderr).toBe(0);
    expect(h.stdout).toContain("1 regression(s):");
    const named = h.stdout.split("\n").filter((l) => l.startsWith("- "));
    // rates ÷ 1.3: the ratio of means is 1 / 1.3 = 0.769
    expect(named).toHaveLength(1);
    expect(named[0]).toMatch(
      /^- qwen3-8b-tiny Q4_K_M tg16: tg tok\/s 0\.769\u00d7 .* from b5000 aaaaaaa \(2026-01-01\) to b5001 bbbbbbb/,
    );
    const svg = readFileSync(chart, "utf8");
    expect(svg).toMatch(/^<svg/);
    expect(svg).toContain("-23.1%");
    // the newest build did not regress: --fail-on-regression still exits 0
    expect(cli(["history", "--db", db, "--out", chart, "--fail-on-regression"], { cwd: d }).status).toBe(0);
  });

  it.skipIf(skipPython)("llama.cpp's compare-llama-bench.py reads db export --llama-bench-sql", () => {
    const lb = join(d, "llama-bench.sqlite");
    const e = cli(["db", "export", "--llama-bench-sql", "--db", db, "--out", lb], { cwd: d });
    expect(e.status, e.stderr).toBe(0);
    expect(e.stderr).toContain("llama-bench sql: 12 row(s)");
    const py = spawnSync(python!, [COMPARE_SCRIPT, "-i", lb, "-b", "aaaaaaa", "-c", "bbbbbbb"], {
      cwd: d,
      encoding: "utf8",
    });
    expect(py.status, py.stderr).toBe(0);
    const rows = py.stdout.split("\n").filter((l) => l.startsWith("| "));
    // header + 4 rows (2 models × pp64, tg16)
    expect(rows[0]).toMatch(/\| Model .*\| Test .*\| +t\/s aaaaaaa \| +t\/s bbbbbbb \| +Speedup \|/);
    const qwenTg = rows.find((l) => /qwen3 .*\| tg16 /.test(l));
    expect(qwenTg, py.stdout).toMatch(/\| +0\.77 \|$/);
    const lfmTg = rows.find((l) => /lfm2moe .*\| tg16 /.test(l));
    expect(lfmTg, py.stdout).toMatch(/\| +1\.00 \|$/);
  });
});
