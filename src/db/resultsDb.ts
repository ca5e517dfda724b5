/**
 * The results database: many runs (hosts, cards, llama.cpp builds) in one SQLite file, through sql.js
 * (SQLite compiled to WebAssembly: nothing to compile or download at install). The database lives in
 * memory here: open it from the file's bytes, change it, export the bytes (commands/db.ts reads and writes
 * the file, under a lock). Every record is stored whole (its JSON line) beside the columns queries need.
 *
 * Adding is idempotent: a record's identity is its run id, instance key, host and timestamp, so adding the
 * same run twice (or its shards and then its merge) adds nothing the second time.
 */
import initSqlJs, { type Database, type SqlJsStatic } from "sql.js";
import { validationMessage } from "../results/record.js";
import { type EnvFile, ResultRecord } from "../results/schema.js";
import { MoebenchError } from "../util/errors.js";

/** The database's own schema version (meta table); bump on an incompatible change. */
const DB_VERSION = "1";

const SCHEMA = `
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS runs (
  run_id TEXT PRIMARY KEY,
  suite TEXT NOT NULL,
  executor TEXT,
  started_at TEXT,
  added_at TEXT NOT NULL,
  source TEXT NOT NULL,
  env_json TEXT
);
CREATE TABLE IF NOT EXISTS records (
  run_id TEXT NOT NULL,
  key TEXT NOT NULL,
  host TEXT NOT NULL,
  timestamp TEXT NOT NULL,
  status TEXT NOT NULL,
  test_id TEXT NOT NULL,
  model TEXT NOT NULL,
  quant TEXT,
  llama_cpp_release TEXT,
  llama_cpp_commit TEXT,
  backend TEXT,
  gpu TEXT,
  shard INTEGER,
  record_json TEXT NOT NULL,
  PRIMARY KEY (run_id, key, host, timestamp)
);
CREATE INDEX IF NOT EXISTS records_build ON records (llama_cpp_commit, llama_cpp_release);
`;

let sqlJs: Promise<SqlJsStatic> | undefined;
const sqlite = (): Promise<SqlJsStatic> => {
  sqlJs ??= initSqlJs();
  return sqlJs;
};

export interface RunToAdd {
  runId: string;
  suite: string;
  /** where it was added from (a run folder) */
  source: string;
  env: EnvFile | null;
  records: readonly ResultRecord[];
}

export interface AddResult {
  added: number;
  /** already in the database (same run id, key, host and timestamp) */
  present: number;
}

export interface RunRow {
  runId: string;
  suite: string;
  records: number;
  builds: string[];
  hosts: string[];
}

export class ResultsDb {
  private constructor(
    private readonly db: Database,
    readonly name: string,
  ) {}

  /** A database from a file's bytes, or a new one; `name` is the file, for messages. */
  static async open(bytes: Uint8Array | null, name: string): Promise<ResultsDb> {
    const SQL = await sqlite();
    let db: Database;
    try {
      db = new SQL.Database(bytes ?? undefined);
      db.exec("SELECT count(*) FROM sqlite_master");
    } catch {
      throw new MoebenchError(
        `${name}: not an SQLite database`,
        "give a moebench results database (db add creates one)",
      );
    }
    const tables = db.exec("SELECT name FROM sqlite_master WHERE type = 'table'")[0]?.values.flat() ?? [];
    if (tables.length && !tables.includes("records"))
      throw new MoebenchError(
        `${name}: an SQLite file without moebench's tables (${tables.join(", ")})`,
        "give a moebench results database; llama-bench's own files are read by `moebench import llama-bench`",
      );
    db.exec(SCHEMA);
    const version = db.exec("SELECT value FROM meta WHERE key = 'version'")[0]?.values[0]?.[0];
    if (version === undefined) db.run("INSERT INTO meta (key, value) VALUES ('version', ?)", [DB_VERSION]);
    else if (version !== DB_VERSION)
      throw new MoebenchError(
        `${name}: results database version ${String(version)}, this moebench reads ${DB_VERSION}`,
        "use the moebench that wrote it",
      );
    return new ResultsDb(db, name);
  }

  /** Append a run's records (one transaction); records already there are left as they are. */
  add(run: RunToAdd): AddResult {
    const db = this.db;
    db.exec("BEGIN");
    try {
      db.run(
        "INSERT OR IGNORE INTO runs (run_id, suite, executor, started_at, added_at, source, env_json) " +
          "VALUES (?, ?, ?, ?, ?, ?, ?)",
        [
          run.runId,
          run.suite,
          run.env?.executor ?? null,
          run.env?.startedAt ?? null,
          new Date().toISOString(),
          run.source,
          run.env ? JSON.stringify(run.env) : null,
        ],
      );
      const insert = db.prepare(
        "INSERT OR IGNORE INTO records (run_id, key, host, timestamp, status, test_id, model, quant, " +
          "llama_cpp_release, llama_cpp_commit, backend, gpu, shard, record_json) " +
          "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
      );
      let added = 0;
      try {
        for (const r of run.records) {
          insert.run([
            r.runId,
            r.key,
            r.env.host,
            r.timestamp,
            r.status,
            r.testId,
            r.model.label,
            r.model.quant,
            r.env.llamaCppRelease,
            r.env.llamaCppCommit,
            r.env.backend,
            r.telemetry.gpu?.name ?? r.env.gpus[0]?.name ?? null,
            r.shard?.index ?? null,
            JSON.stringify(r),
          ]);
          added += db.getRowsModified();
        }
      } finally {
        insert.free();
      }
      db.exec("COMMIT");
      return { added, present: run.records.length - added };
    } catch (e) {
      db.exec("ROLLBACK");
      throw e;
    }
  }

  /** Every stored record (of the given runs, if any), validated against the results schema. */
  records(runIds: readonly string[] = []): ResultRecord[] {
    const where = runIds.length ? `WHERE run_id IN (${runIds.map(() => "?").join(", ")})` : "";
    const stmt = this.db.prepare(`SELECT run_id, key, record_json FROM records ${where} ORDER BY timestamp, rowid`);
    const out: ResultRecord[] = [];
    try {
      stmt.bind([...runIds]);
      while (stmt.step()) {
        const [runId, key, json] = stmt.get() as [string, string, string];
        const parsed = ResultRecord.safeParse(JSON.parse(json));
        if (!parsed.success)
          throw new MoebenchError(
            `${this.name}: record ${key} of run ${runId}: ${validationMessage(parsed.error)}`,
            "the database was changed by hand; remove that row or rebuild the database with db add",
          );
        out.push(parsed.data);
      }
    } finally {
      stmt.free();
    }
    return out;
  }

  /** The runs stored, oldest first, with their record count, builds and hosts. */
  runs(): RunRow[] {
    const res = this.db.exec(
      "SELECT r.run_id, r.suite, count(x.key), " +
        "group_concat(DISTINCT coalesce(x.llama_cpp_commit, x.llama_cpp_release)), group_concat(DISTINCT x.host) " +
        "FROM runs r LEFT JOIN records x ON x.run_id = r.run_id GROUP BY r.run_id ORDER BY r.started_at, r.run_id",
    );
    return (res[0]?.values ?? []).map(([runId, suite, n, builds, hosts]) => ({
      runId: String(runId),
      suite: String(suite),
      records: Number(n),
      builds: builds ? String(builds).split(",") : [],
      hosts: hosts ? String(hosts).split(",") : [],
    }));
  }

  /** The database file's bytes. */
  bytes(): Uint8Array {
    return this.db.export();
  }

  close(): void {
    this.db.close();
  }
}

/** The text of an SQL script (e.g. llama-bench's `-o sql` output) run in a new database: the file's bytes. */
export async function sqliteFileOf(sql: string): Promise<Uint8Array> {
  const SQL = await sqlite();
  const db = new SQL.Database();
  try {
    db.exec(sql);
    return db.export();
  } finally {
    db.close();
  }
}
