import { Command } from "commander";
import { existsSync, writeFileSync } from "node:fs";
import { resolve } from "node:path";
import { readJsonl } from "../results/jsonl.js";
import { runPaths } from "../results/runDir.js";
import type { ResultRecord } from "../results/schema.js";
import { compare, compareExitCode } from "../analysis/compare.js";
import { IDENTITY_FIELDS, type IdentityField } from "../analysis/identity.js";
import { compareHtml, compareJson, compareMarkdown, ratioChart } from "../export/compareReport.js";
import { renderSvg } from "../export/render.js";
import { MoebenchError, unknownChoice } from "../util/errors.js";
import { withFs } from "../util/fsErrors.js";

interface CompareCliOptions {
  threshold: string;
  alpha: string;
  format: string;
  ignore?: string;
  out?: string;
  allowPartial?: boolean;
  pool?: boolean;
}

/** A side's records; a torn last line (a run killed mid-write) is a warning, not an error. */
function load(p: string): ResultRecord[] {
  const f = runPaths(p).results;
  if (!existsSync(f)) throw new MoebenchError(`${p}: no results.jsonl`, "pass a run folder or a results.jsonl file");
  return readJsonl(f, { tolerateTornTail: true, onWarning: (w) => process.stderr.write(`warning: ${w}\n`) });
}

function parseOptions(o: CompareCliOptions): { threshold: number; alpha: number; ignore: IdentityField[] } {
  const threshold = Number(o.threshold.replace("%", "")) / (o.threshold.includes("%") ? 100 : 1);
  const alpha = Number(o.alpha);
  if (!Number.isFinite(threshold) || threshold < 0 || threshold >= 1)
    throw new MoebenchError(`--threshold ${o.threshold}: expected e.g. 3% or 0.03`);
  if (!(alpha > 0 && alpha < 1)) throw new MoebenchError(`--alpha ${o.alpha}: expected a number between 0 and 1`);
  if (!["md", "json", "html"].includes(o.format)) throw unknownChoice("--format", o.format, ["md", "json", "html"]);
  const ignore = (o.ignore
    ?.split(",")
    .map((s) => s.trim())
    .filter(Boolean) ?? []) as IdentityField[];
  for (const f of ignore)
    if (!(IDENTITY_FIELDS as readonly string[]).includes(f)) throw unknownChoice("--ignore field", f, IDENTITY_FIELDS);
  return { threshold, alpha, ignore };
}

export function compareCommand(): Command {
  return new Command("compare")
    .description(
      "did the new llama.cpp build get slower? Per instance (joined on its full identity): " +
        "each side's mean (95% CI), " +
        "the ratio with its 95% CI and Welch's t-test. Exit 0: no regression and the whole baseline compared; " +
        "1: a regression or a candidate failure; 2: usage error; 4: incomplete (nothing or only part of the " +
        "baseline compared, or duplicate instances on a side)",
    )
    .argument("<baseline>", "run folder or results.jsonl")
    .argument("<candidate>", "run folder or results.jsonl")
    .option("--threshold <pct>", "smallest change that counts", "3%")
    .option("--alpha <a>", "significance level", "0.05")
    .option("--format <f>", "md, json or html", "md")
    .option(
      "--ignore <fields>",
      `identity fields left out of the join (${IDENTITY_FIELDS.join(", ")}); ` +
        "ctx is ignored automatically against llama-bench imports",
    )
    .option("--allow-partial", "exit 0 even when the candidate lacks part of the baseline (or shares nothing with it)")
    .option("--pool", "pool duplicate instances on a side (their repetitions together) instead of refusing them")
    .option("--out <file>", "write the report to a file instead of stdout")
    .action(async (bPath: string, cPath: string, o: CompareCliOptions) => {
      const { threshold, alpha, ignore } = parseOptions(o);
      const base = load(resolve(bPath));
      const cand = load(resolve(cPath));
      const imported = (rs: ResultRecord[]) => rs.some((r) => r.extra?.source === "llama-bench");
      if (imported(base) !== imported(cand) && !ignore.includes("ctx")) ignore.push("ctx");
      const c = compare(base, cand, { threshold, alpha, ignore, pool: o.pool });
      const text = { threshold, alpha };
      let out: string;
      if (o.format === "json") out = compareJson(c, text);
      else if (o.format === "md") out = compareMarkdown(c, text);
      else {
        const hasChart = c.rows.some((r) => r.ratio !== null && r.ciLow !== null && Number.isFinite(r.ciLow));
        out = compareHtml(c, text, hasChart ? await renderSvg(ratioChart(c, threshold)) : null);
      }
      if (o.out) {
        const file = o.out;
        withFs(file, "write", () => writeFileSync(file, out));
      } else process.stdout.write(out);
      const code = compareExitCode(c, { allowPartial: o.allowPartial });
      if (code === 4)
        process.stderr.write(
          `moebench: incomplete comparison: ${c.matched} of ${c.baselineInstances} baseline instance(s) found in ` +
            "the candidate (pass --allow-partial to accept a partial candidate)\n",
        );
      process.exitCode = code;
    });
}
