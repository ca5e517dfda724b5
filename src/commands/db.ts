/**
 * `moebench db`: one SQLite file for many runs (db/resultsDb.ts).
 *   db add <run…> [--db file]                 append runs (idempotent: a record already there is not added again)
 *   db list [--db file]                       the runs stored, with their builds and hosts
 *   db export --llama-bench-sql [--out file]  what `llama-bench -o sql` writes, for llama.cpp's compare-llama-bench.py
 */
import { Command } from "commander";
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { ResultsDb, sqliteFileOf } from "../db/resultsDb.js";
import { llamaBenchSql } from "../export/llamaBenchSql.js";
import { mdTable } from "../export/markdown.js";
import { readEnvFile } from "../results/envFile.js";
import { readJsonl } from "../results/jsonl.js";
import { runPaths } from "../results/runDir.js";
import { lockFile } from "../results/runLock.js";
import type { ResultRecord } from "../results/schema.js";
import { MoebenchError } from "../util/errors.js";
import { withFs } from "../util/fsErrors.js";

export const DEFAULT_DB = "results/moebench.sqlite";

const say = (line: string): void => {
  process.stderr.write(`${line}\n`);
};

/** Open the database file (read-only use: nothing is written back). */
export async function openDb(file: string, mustExist: boolean): Promise<ResultsDb> {
  const path = resolve(file);
  if (!existsSync(path)) {
    const hint = "add runs to it first: moebench db add <run folders>";
    if (mustExist) throw new MoebenchError(`${file}: no such database`, hint);
    return ResultsDb.open(null, file);
  }
  return ResultsDb.open(
    withFs(path, "read", () => readFileSync(path)),
    file,
  );
}

/** Change the database under its lock, then replace the file whole (a temporary file, then rename). */
async function changeDb(file: string, change: (db: ResultsDb) => void): Promise<void> {
  const path = resolve(file);
  withFs(dirname(path), "create the folder of", () => mkdirSync(dirname(path), { recursive: true }));
  const lock = lockFile(`${path}.lock`, path);
  try {
    const db = await openDb(file, false);
    try {
      change(db);
      const tmp = `${path}.tmp-${process.pid}`;
      withFs(tmp, "write", () => writeFileSync(tmp, db.bytes()));
      withFs(path, "replace", () => renameSync(tmp, path));
    } finally {
      db.close();
    }
  } finally {
    lock.release();
  }
}

interface RunFolder {
  dir: string;
  records: ResultRecord[];
  env: ReturnType<typeof readEnvFile>;
}

function readRun(arg: string): RunFolder {
  const { dir, results } = runPaths(arg);
  if (!existsSync(results))
    throw new MoebenchError(
      `${arg}: no results.jsonl there`,
      "pass a run folder; a sharded run's shards are merged first (moebench merge)",
    );
  return { dir, records: readJsonl(results), env: readEnvFile(dir) };
}

async function dbAdd(runs: string[], o: { db: string }): Promise<void> {
  const folders = runs.map(readRun);
  await changeDb(o.db, (db) => {
    for (const f of folders) {
      const byRun = new Map<string, ResultRecord[]>();
      for (const r of f.records) byRun.set(r.runId, [...(byRun.get(r.runId) ?? []), r]);
      for (const [runId, records] of byRun) {
        const env = f.env?.runId === runId ? f.env : null;
        const r = db.add({ runId, suite: records[0]!.suite, source: f.dir, env, records });
        say(`${runId}: ${r.added} record(s) added, ${r.present} already in ${o.db}`);
      }
    }
  });
}

async function dbList(o: { db: string }): Promise<void> {
  const db = await openDb(o.db, true);
  try {
    const rows = db.runs().map((r) => [r.runId, r.suite, String(r.records), r.builds.join(", "), r.hosts.join(", ")]);
    process.stdout.write(`${mdTable(["run", "suite", "records", "llama.cpp builds", "hosts"], rows)}\n`);
  } finally {
    db.close();
  }
}

interface ExportOptions {
  db: string;
  llamaBenchSql?: boolean;
  out?: string;
  run?: string[];
}

async function dbExport(o: ExportOptions): Promise<void> {
  if (!o.llamaBenchSql)
    throw new MoebenchError("db export: say which format", "--llama-bench-sql (llama-bench's -o sql schema)");
  const db = await openDb(o.db, true);
  let records: ResultRecord[];
  try {
    records = db.records(o.run ?? []);
  } finally {
    db.close();
  }
  const out = llamaBenchSql(records);
  const skipped = Object.entries(out.skipped).map(([why, n]) => `${n} ${why}`);
  say(
    `llama-bench sql: ${out.rows} row(s)` +
      (skipped.length ? `; left out (llama-bench has no row for them): ${skipped.join(", ")}` : ""),
  );
  if (!o.out) {
    process.stdout.write(out.sql);
    return;
  }
  const path = resolve(o.out);
  const bytes = /\.(sqlite3?|db)$/i.test(path) ? await sqliteFileOf(out.sql) : out.sql;
  withFs(path, "write", () => writeFileSync(path, bytes));
  say(`→ ${path}`);
}

export function dbCommand(): Command {
  const dbOption = ["--db <file>", "the results database (SQLite)", DEFAULT_DB] as const;
  const db = new Command("db").description("a results database: many runs, hosts, cards and builds in one SQLite file");
  db.command("add")
    .description("append runs to the database (a record already there is not added again)")
    .argument("<runDirs...>", "run folders (results/<suite>/<runId>) or results.jsonl files")
    .option(...dbOption)
    .action((runs: string[], o: { db: string }) => dbAdd(runs, o));
  db.command("list")
    .description("the runs in the database, with their llama.cpp builds and hosts")
    .option(...dbOption)
    .action((o: { db: string }) => dbList(o));
  db.command("export")
    .description("write the database's records in another tool's format")
    .option("--llama-bench-sql", "llama-bench's -o sql (table llama_bench), for llama.cpp's compare-llama-bench.py")
    .option(...dbOption)
    .option("--out <file>", "write here (.sqlite/.db: an SQLite database; else SQL text); default: SQL on stdout")
    .option("--run <runId...>", "only these runs")
    .action((o: ExportOptions) => dbExport(o));
  for (const c of db.commands) c.showHelpAfterError("(run with --help for usage)").exitOverride();
  return db;
}
