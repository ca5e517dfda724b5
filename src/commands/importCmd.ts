import { Command } from "commander";
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from "node:fs";
import { join, resolve, basename, dirname, isAbsolute } from "node:path";
import { parseLlamaBench, type LlamaBenchRow } from "../results/parseLlamaBench.js";
import { llamaBenchToRecords, type ModelIdentityGuess } from "../results/importLlamaBench.js";
import { EnvFile, ResultRecord, SCHEMA_VERSION } from "../results/schema.js";
import { ENV_FILE } from "../results/envFile.js";
import { hostEnv } from "../bench/hostEnv.js";
import { identify } from "../bench/prepareModel.js";
import { MoebenchError } from "../util/errors.js";
import { withFs } from "../util/fsErrors.js";
import { newRunId } from "../results/runDir.js";

/** llama-bench writes kilobytes; a file this large is the wrong file (and would take GBs to parse). */
const MAX_IMPORT_BYTES = 32 << 20;

function readImportFile(file: string): string {
  const st = withFs(file, "read", () => statSync(file));
  if (st.isDirectory())
    throw new MoebenchError(`${file}: is a folder`, "give the file llama-bench wrote (-o json, jsonl, csv or sql)");
  if (st.size > MAX_IMPORT_BYTES)
    throw new MoebenchError(
      `${file}: ${st.size} bytes is too large for llama-bench output (at most ${MAX_IMPORT_BYTES})`,
      "is it the right file?",
    );
  return withFs(file, "read", () => readFileSync(file, "utf8"));
}

/** The model files the rows name, identified by header hash where they can be found (so compare can join). */
async function identities(
  rows: readonly LlamaBenchRow[],
  file: string,
  modelDir: string | undefined,
  warn: (msg: string) => void,
): Promise<Map<string, ModelIdentityGuess | null>> {
  const ids = new Map<string, ModelIdentityGuess | null>();
  for (const r of rows) {
    const fn = r.model_filename;
    if (ids.has(fn)) continue;
    const candidates = [
      isAbsolute(fn) ? fn : resolve(dirname(file), fn),
      ...(modelDir ? [join(modelDir, basename(fn))] : []),
    ];
    const p = candidates.find((c) => existsSync(c) && statSync(c).isFile());
    let id: ModelIdentityGuess | null = null;
    if (p) {
      try {
        id = (await identify({ kind: "path", ref: p, label: basename(p, ".gguf"), path: p }, p)).identity;
      } catch (e) {
        warn(`${p}: ${(e as Error).message.split("\n")[0]}; joined by file name only`);
      }
    }
    ids.set(fn, id);
  }
  return ids;
}

/**
 * Write a run folder's files under temporary names and rename them into place only when all are written:
 * a failure leaves no results.jsonl that looks complete.
 */
function writeRunFolder(runDir: string, files: Record<string, string>): void {
  withFs(runDir, "create the folder", () => mkdirSync(runDir, { recursive: true }));
  const entries = Object.entries(files).map(([name, text]) => ({
    name,
    text,
    tmp: join(runDir, `.${name}.tmp-${process.pid}`),
  }));
  try {
    for (const f of entries) withFs(f.tmp, "write", () => writeFileSync(f.tmp, f.text));
    for (const f of entries) withFs(join(runDir, f.name), "write", () => renameSync(f.tmp, join(runDir, f.name)));
  } finally {
    for (const f of entries) rmSync(f.tmp, { force: true });
  }
}

export async function importLlamaBenchCli(file: string, o: { out?: string; modelDir?: string }): Promise<string> {
  const { rows, format } = parseLlamaBench(readImportFile(file), file);
  const runDir = resolve(o.out ?? join("results", "llama-bench-import", newRunId()));
  if (existsSync(join(runDir, "results.jsonl")))
    throw new MoebenchError(`--out ${runDir} already holds a results.jsonl`, "import into a new folder");
  const ids = await identities(rows, file, o.modelDir, (m) => process.stderr.write(`warning: ${m}\n`));
  const host = hostEnv();
  const recs = llamaBenchToRecords(rows, {
    file,
    runId: basename(runDir),
    host,
    modelIdentity: (fn) => ids.get(fn) ?? null,
  });
  // every record is checked before anything is written
  const lines = recs.map((r, i) => {
    const v = ResultRecord.safeParse(r);
    if (v.success) return JSON.stringify(v.data);
    const iss = v.error.issues[0]!;
    throw new MoebenchError(
      `${file}: result ${i + 1}: record field ${iss.path.join(".")}: ${iss.message}`,
      "is it llama-bench output?",
    );
  });
  const envFile = EnvFile.parse({
    schemaVersion: SCHEMA_VERSION,
    runId: basename(runDir),
    suite: "llama-bench-import",
    executor: "import",
    env: host,
    startedAt: new Date().toISOString(),
    argv: process.argv.slice(2),
    import: { source: "llama-bench", file: resolve(file), format },
  });
  writeRunFolder(runDir, {
    [ENV_FILE]: `${JSON.stringify(envFile, null, 2)}\n`,
    "results.jsonl": `${lines.join("\n")}\n`,
  });
  process.stdout.write(
    `imported ${recs.length} llama-bench result(s) (${format}) → ${join(runDir, "results.jsonl")}\n`,
  );
  const unidentified = [...ids.entries()].filter(([, v]) => !v).map(([k]) => k);
  if (unidentified.length)
    process.stderr.write(
      `warning: model file(s) not found, joined by file name only: ${unidentified.join(", ")} (use --model-dir)\n`,
    );
  return runDir;
}

export function importCommand(): Command {
  const cmd = new Command("import").description("bring other tools' results into moebench records");
  cmd
    .command("llama-bench")
    .description(
      "convert llama-bench output (-o json, jsonl, csv or sql; recognised by content) into a moebench run " +
        "folder (unknown fields kept under extra)",
    )
    .argument("<file>")
    .option("--out <dir>", "run folder to write (default results/llama-bench-import/<runId>)")
    .option(
      "--model-dir <dir>",
      "where the model files named in the output live (to identify them by header hash, so compare can join " +
        "with moebench runs)",
    )
    .action(async (file: string, o: { out?: string; modelDir?: string }) => {
      await importLlamaBenchCli(file, o);
    });
  return cmd;
}
