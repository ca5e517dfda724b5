/**
 * Bad inputs to plan, run, import and telemetry: each is one line on stderr and exit code 2, never a stack
 * trace, and none makes the CLI allocate much: every command runs with a 256 MB V8 heap
 * (`node --max-old-space-size=256`), where a runaway allocation dies with a heap error (exit 134) instead.
 */
import { describe, expect, it } from "vitest";
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { CLI, ROOT, tmp } from "../helpers.js";

const d = tmp();
const env = { ...process.env, CI: "1", MOEBENCH_CACHE: join(d, "cache") };

function small(args: string[], cwd = d) {
  return spawnSync(process.execPath, ["--max-old-space-size=256", CLI, ...args], {
    cwd,
    env,
    encoding: "utf8",
    timeout: 120_000,
  });
}

function file(name: string, text: string): string {
  const f = join(d, name);
  writeFileSync(f, text);
  return f;
}

const M = "models: [synth:llama-3.1-8b:Q4_K_M:tiny]\n";
const hundred = `[${Array.from({ length: 100 }, (_, i) => i + 1).join(", ")}]`;
const bomb = (() => {
  const lines = ['a: &a ["x","x","x","x","x","x","x","x","x"]'];
  let prev = "a";
  for (const n of "bcdefghijk") {
    lines.push(`${n}: &${n} [${Array(9).fill(`*${prev}`).join(",")}]`);
    prev = n;
  }
  return `${lines.join("\n")}\n${M}`;
})();
const row = (o: Record<string, unknown> = {}) =>
  JSON.stringify({ model_filename: "m.gguf", n_prompt: 64, n_gen: 0, avg_ns: 1000, ...o });
const lb = join(ROOT, "test/fixtures/llama-bench");
const a100 = join(ROOT, "test/fixtures/nvidia-smi/a100_lms5_draw_instant.csv");
const powerLog = (w: string) =>
  file(
    `power-${w}.csv`,
    [
      "timestamp, power.draw [W]",
      "2024/01/01 00:00:00.000, 100",
      `2024/01/01 00:00:00.500, ${w}`,
      "2024/01/01 00:00:01.000, 100",
    ].join("\n"),
  );
mkdirSync(join(d, "folder.yaml"));
const aFile = file("plain.txt", "x");

const cases: [string, () => string[], RegExp][] = [
  [
    "a suite that expands to 10^8 instances (plan)",
    () => [
      "plan",
      file(
        "huge.yaml",
        `${M}tests: [pp8]\ndepths: ${hundred}\nbatch: ${hundred}\nubatch: ${hundred}\nthreads: ${hundred}\n`,
      ),
    ],
    /huge\.yaml: the suite expands to 100,000,000 instances, more than the limit of 10,000 \(sweep fewer/,
  ],
  [
    "the same suite (run)",
    () => ["run", join(d, "huge.yaml"), "--executor", "mock", "--out", join(d, "o-huge")],
    /the suite expands to 100,000,000 instances/,
  ],
  [
    "a suite with more than --max-instances",
    () => ["plan", file("few.yaml", `${M}tests: [pp8, tg8]\n`), "--max-instances", "1"],
    /expands to 2 instances, more than the limit of 1/,
  ],
  [
    "tests: [pp0]",
    () => ["plan", file("pp0.yaml", `${M}tests: [pp0]\n`)],
    /pp0\.yaml: tests\[0\]: a test is pp<N>, tg<N> or pp<N>\+tg<M> with N, M ≥ 1/,
  ],
  [
    "tests: [{tg: 0}]",
    () => ["plan", file("tg0.yaml", `${M}tests: [{tg: 0}]\n`)],
    /tg0\.yaml: tests\[0\]\.tg: Too small/,
  ],
  [
    "depths: [1000000000]",
    () => ["plan", file("deep.yaml", `${M}depths: [1000000000]\n`)],
    /deep\.yaml: depths\[0\]: Too big: expected number to be <=16777216/,
  ],
  [
    "a depth beyond the model's trained context (131072)",
    () => ["plan", file("ctx.yaml", `${M}tests: [pp512]\ndepths: [200000]\n`)],
    /ctx\.yaml: no instance fits its model's trained context/,
  ],
  ["a YAML alias bomb", () => ["plan", file("bomb.yaml", bomb)], /bomb\.yaml: YAML aliases expand too far/],
  ["run with neither a suite nor -m", () => ["run"], /give a suite file or at least one -m <model>/],
  [
    "-fa auto (llama-bench's default)",
    () => ["run", "-m", "synth:qwen3-8b:Q4_K_M:tiny", "-fa", "auto"],
    /-fa auto: moebench needs on or off/,
  ],
  [
    "a llama-bench range of 10^9 values",
    () => ["run", "-m", "synth:qwen3-8b:Q4_K_M:tiny", "-d", "0-1000000000"],
    /-d 0-1000000000: more than 1000 values/,
  ],
  ["a folder as a suite", () => ["plan", join(d, "folder.yaml")], /folder\.yaml: is a folder, not a suite file/],
  [
    "a missing suite",
    () => ["run", join(d, "nope.yaml")],
    /cannot read suite .*nope\.yaml: no such file or folder \(ENOENT\)/,
  ],
  ["import: a folder", () => ["import", "llama-bench", d], /: is a folder \(give the file llama-bench wrote/],
  [
    "import: a missing file",
    () => ["import", "llama-bench", join(d, "nope.json")],
    /cannot read .*nope\.json: no such file/,
  ],
  [
    "import: llama-bench's Markdown",
    () => ["import", "llama-bench", join(lb, "lfm2-tiny-q4km.md"), "--out", join(d, "i-md")],
    /Markdown table .* \(re-run llama-bench with -o json/,
  ],
  [
    "import: JSON that is not llama-bench's",
    () => ["import", "llama-bench", file("other.json", '[{"name": "x", "score": 3}]')],
    /other\.json:1: not llama-bench output/,
  ],
  [
    "import: CSV that is not llama-bench's",
    () => ["import", "llama-bench", file("other.csv", "name,score\nx,3\n")],
    /other\.csv:1: not llama-bench output/,
  ],
  [
    "import: truncated JSON",
    () => ["import", "llama-bench", file("cut.json", `[${row()},\n{"model_file`)],
    /cut\.json:2: not valid JSON/,
  ],
  [
    "import: a bad row after good ones",
    () => [
      "import",
      "llama-bench",
      file("bad3.jsonl", `${row()}\n${row()}\n${row({ n_gen: "x" })}\n`),
      "--out",
      join(d, "i-bad"),
    ],
    /bad3\.jsonl:3: result 3: field n_gen: Invalid input/,
  ],
  [
    "import: an --out that cannot be created",
    () => ["import", "llama-bench", join(lb, "lfm2-tiny-q4km.json"), "--out", join(aFile, "run")],
    /cannot create the folder .*plain\.txt\/run: not a folder \(ENOTDIR\)/,
  ],
  [
    "telemetry parse: a folder",
    () => ["telemetry", "parse", d],
    /: is a folder \(pass an nvidia-smi --query-gpu log file\)/,
  ],
  [
    "telemetry energy: a missing log",
    () => ["telemetry", "energy", join(d, "nope.csv")],
    /cannot read .*nope\.csv: no such file/,
  ],
  [
    "telemetry energy: a window past the log's end",
    () => ["telemetry", "energy", a100, "--from", "100", "--to", "200"],
    /the window 100\.000–200\.000 s is not inside the log \(it spans 0–0\.394 s\)/,
  ],
  [
    "telemetry energy: 1e308 W",
    () => ["telemetry", "energy", powerLog("1e308")],
    /row 2 \(2024\/01\/01 00:00:00\.500\): power\.draw 1e\+308 W is not a plausible reading/,
  ],
  [
    "telemetry energy: -1e308 W",
    () => ["telemetry", "energy", powerLog("-1e308")],
    /power\.draw -1e\+308 W is not a plausible reading/,
  ],
];

describe("bad input: one line, exit 2, a small heap", () => {
  it.each(cases)("%s", (_, args, message) => {
    const r = small(args());
    expect(r.status, r.stderr).toBe(2);
    const lines = r.stderr.trim().split("\n");
    expect(lines, r.stderr).toHaveLength(1);
    expect(lines[0]).toMatch(/^moebench: /);
    expect(lines[0]).toMatch(message);
  });

  it("a failed import leaves no results.jsonl behind", () => {
    expect(existsSync(join(d, "i-bad", "results.jsonl"))).toBe(false);
    expect(existsSync(join(d, "i-md"))).toBe(false);
  });

  it("a suite file called ...yaml writes its results under results/suite, not outside results/", () => {
    const w = tmp();
    writeFileSync(join(w, "...yaml"), `${M}tests: [pp8]\nrepetitions: {min: 1, max: 1}\n`);
    const r = spawnSync(process.execPath, [CLI, "run", "...yaml", "--executor", "mock"], {
      cwd: w,
      env,
      encoding: "utf8",
    });
    expect(r.status, r.stderr).toBe(0);
    expect(readdirSync(w).sort()).toEqual(["...yaml", "results"]);
    expect(readdirSync(join(w, "results"))).toEqual(["suite"]);
  });
});
