/** moebench report through the real CLI: output paths, file-system errors, prices, multi-run reports. */
import { describe, it, expect } from "vitest";
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { cli, tmp } from "../helpers.js";
import { makeRecord, phase } from "../unit/makeRecord.js";
import type { ResultRecord } from "../../src/results/schema.js";

function runDir(root: string, name: string, records: ResultRecord[]): string {
  const d = join(root, name);
  mkdirSync(d, { recursive: true });
  writeFileSync(join(d, "results.jsonl"), `${records.map((r) => JSON.stringify(r)).join("\n")}\n`);
  return d;
}

describe("moebench report (CLI)", () => {
  it("a record's suite name cannot make the report write outside reports/", () => {
    const d = tmp();
    const rec = { ...makeRecord({ tgPhase: phase(128, [100, 100, 100]) }), suite: "../../escape", runId: "../r" };
    const run = runDir(d, "run", [rec]);
    const r = cli(["report", run, "--format", "md"], { cwd: d });
    expect(r.status, r.stderr).toBe(0);
    expect(readdirSync(join(d, "reports"))).toEqual(["_.._escape"]);
    expect(existsSync(join(d, "reports", "_.._escape", "_r", "summary.md"))).toBe(true);
    expect(existsSync(join(d, "escape"))).toBe(false);
  });

  it("the quant matrix's VRAM estimates equal `moebench fit` for the same configuration", () => {
    const d = tmp();
    const syn = { model: "llama-3.1-8b", preset: "llama-3.1-8b", scale: "small" } as const;
    const run = runDir(d, "run", [makeRecord({ ...syn }), makeRecord({ ...syn, quant: "Q8_0" })]);
    let r = cli(["report", run, "--format", "json", "--out", join(d, "rep")]);
    expect(r.status, r.stderr).toBe(0);
    const rep = JSON.parse(readFileSync(join(d, "rep", "report.json"), "utf8")) as {
      quantMatrices: {
        contexts: number[];
        rows: { quant: string; weights: { bytes: number }; totals: { bytes: number }[] }[];
      }[];
    };
    const qm = rep.quantMatrices[0]!;
    expect(qm.contexts).toEqual([8192, 16384]);
    for (const quant of ["Q8_0", "Q4_K_M"]) {
      r = cli([
        "fit",
        `synth:llama-3.1-8b:${quant}`,
        "--ctx",
        "8k,16k",
        "--kv",
        "f16",
        "--fa",
        "off",
        "--overhead",
        "0",
        "--json",
      ]);
      expect(r.status, r.stderr).toBe(0);
      const fit = JSON.parse(r.stdout) as { rows: { ctx: number; total: number; weights: { device: number } }[] };
      const row = qm.rows.find((x) => x.quant === quant)!;
      expect(row.weights.bytes, quant).toBe(fit.rows[0]!.weights.device);
      expect(
        row.totals.map((t) => t.bytes),
        quant,
      ).toEqual(fit.rows.map((x) => x.total));
    }
  });

  it("an --out that cannot be created is one line naming the path (exit 2)", () => {
    const d = tmp();
    const run = runDir(d, "run", [makeRecord()]);
    writeFileSync(join(d, "file"), "x");
    const r = cli(["report", run, "--out", join(d, "file", "sub")]);
    expect(r.status).toBe(2);
    expect(r.stderr.trim().split("\n")).toHaveLength(1);
    expect(r.stderr).toMatch(/cannot create the report folder .*file\/sub: not a folder \(ENOTDIR\)/);
  });

  it("a CPU run shows cost only with --cpu-price (labelled as given); --gpu-price does not apply to it", () => {
    const d = tmp();
    // 128 tokens in 1000 ms: 128 tok/s
    const run = runDir(d, "run", [makeRecord({ tgPhase: phase(128, [1000, 1000, 1000]) })]);
    let r = cli(["report", run, "--format", "md,csv", "--out", join(d, "a"), "--gpu-price", "300"]);
    expect(r.status, r.stderr).toBe(0);
    let md = readFileSync(join(d, "a", "summary.md"), "utf8");
    expect(md).not.toMatch(/\| tg tok\/s per \$ \|/);
    expect(md).toContain("no price applies");
    r = cli(["report", run, "--format", "md", "--out", join(d, "b"), "--cpu-price", "400"]);
    expect(r.status, r.stderr).toBe(0);
    md = readFileSync(join(d, "b", "summary.md"), "utf8");
    // 128 tok/s ÷ $400 = 0.320
    expect(md).toMatch(/tg tok\/s per \$/);
    expect(md).toMatch(/\| +0\.320 \|/);
    expect(md).toContain("CPU price given by the user");
  });

  it("several runs: a run column in every table, pairs and summaries per run; --price-basis is checked", () => {
    const d = tmp();
    const runA = runDir(d, "a", [
      makeRecord({ runId: "A", model: "moe", moe: true, tg: 100, tgPhase: phase(100, [500, 500, 500]) }),
      makeRecord({ runId: "A", model: "dense", tg: 100, tgPhase: phase(100, [1000, 1000, 1000]) }),
    ]);
    const runB = runDir(d, "b", [
      makeRecord({ runId: "B", model: "moe", moe: true, tg: 100, tgPhase: phase(100, [250, 250, 250]) }),
      makeRecord({ runId: "B", model: "dense", tg: 100, tgPhase: phase(100, [1000, 1000, 1000]) }),
    ]);
    const r = cli(["report", runA, runB, "--format", "md", "--out", join(d, "rep")]);
    expect(r.status, r.stderr).toBe(0);
    const md = readFileSync(join(d, "rep", "summary.md"), "utf8");
    // MoE ÷ dense per run: 200/100 = 2 in A, 400/100 = 4 in B (never across runs)
    expect(md).toMatch(/\| A +\| Q4_K_M \| tg100 .*\| 2\.000×/);
    expect(md).toMatch(/\| B +\| Q4_K_M \| tg100 .*\| 4\.000×/);
    expect(md).toContain("## Claims checked: run A");
    // every table has a run column, except the claims, which come one table per run
    const tables = md.split("\n## ").filter((s) => s.includes("| :--") && !s.startsWith("Claims checked: run"));
    expect(tables.length).toBe(3); // MoE vs dense (tg), models, all instances
    for (const section of tables) expect(section).toMatch(/\| run +\|/);
    const bad = cli(["report", runA, "--price-basis", "cheap"]);
    expect(bad.status).toBe(2);
    expect(bad.stderr).toMatch(/unknown --price-basis "cheap"/);
  });
});
