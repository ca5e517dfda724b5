import { Command } from "commander";
import { existsSync, readFileSync, mkdirSync } from "node:fs";
import { join, resolve, basename, dirname, isAbsolute } from "node:path";
import { parseLlamaBench, llamaBenchToRecords } from "../results/importLlamaBench.js";
import { appendJsonl } from "../results/jsonl.js";
import { hostEnv } from "../bench/hostEnv.js";
import { identify } from "../bench/prepareModel.js";
import { MoebenchError } from "../util/errors.js";
import { newRunId } from "./run.js";
import { writeFileSync } from "node:fs";
import type { ResultRecord } from "../results/schema.js";

export function importCommand(): Command {
  const cmd = new Command("import").description("bring other tools' results into moebench records");
  cmd
    .command("llama-bench")
    .description(
      "convert llama-bench output (-o json, jsonl, csv or sql) into a moebench run folder (unknown fields kept under extra)",
    )
    .argument("<file>")
    .option("--out <dir>", "run folder to write (default results/llama-bench-import/<runId>)")
    .option(
      "--model-dir <dir>",
      "where the model files named in the output live (to identify them by header hash, so compare can join with moebench runs)",
    )
    .action(async (file: string, o: { out?: string; modelDir?: string }) => {
      if (!existsSync(file)) throw new MoebenchError(`${file}: no such file`);
      const { rows, format } = parseLlamaBench(readFileSync(file, "utf8"), file);
      if (!rows.length) throw new MoebenchError(`${file}: no results found (${format})`);
      const ids = new Map<string, Awaited<ReturnType<typeof identify>>["identity"] | null>();
      for (const r of rows) {
        const fn = String(r.model_filename ?? "");
        if (!fn || ids.has(fn)) continue;
        const candidates = [
          isAbsolute(fn) ? fn : resolve(dirname(file), fn),
          ...(o.modelDir ? [join(o.modelDir, basename(fn))] : []),
        ];
        const p = candidates.find((c) => existsSync(c));
        ids.set(
          fn,
          p ? (await identify({ kind: "path", ref: p, label: basename(p, ".gguf"), path: p }, p)).identity : null,
        );
      }
      const runDir = resolve(o.out ?? join("results", "llama-bench-import", newRunId()));
      mkdirSync(runDir, { recursive: true });
      const recs: ResultRecord[] = llamaBenchToRecords(rows, {
        file,
        runId: basename(runDir),
        host: hostEnv(),
        modelIdentity: (fn) => ids.get(fn) ?? null,
      });
      writeFileSync(
        join(runDir, "env.json"),
        `${JSON.stringify(
          { source: "llama-bench", file: resolve(file), format, importedAt: new Date().toISOString() },
          null,
          2,
        )}\n`,
      );
      for (const r of recs) appendJsonl(join(runDir, "results.jsonl"), r);
      const unidentified = [...ids.entries()].filter(([, v]) => !v).map(([k]) => k);
      process.stdout.write(
        `imported ${recs.length} llama-bench result(s) (${format}) → ${join(runDir, "results.jsonl")}\n`,
      );
      if (unidentified.length)
        process.stderr.write(
          `warning: model file(s) not found, joined by file name only: ${unidentified.join(", ")} (use --model-dir)\n`,
        );
    });
  return cmd;
}
