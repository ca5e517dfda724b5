/**
 * env.json, the run folder's description (who ran what, where, with which executor): one schema
 * (EnvFile in schema.ts), one writer, one validated reader. Version-1 files are upgraded when read.
 */
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { MoebenchError } from "../util/errors.js";
import { withFs } from "../util/fsErrors.js";
import { readJsonFile } from "../util/jsonFile.js";
import { validationMessage } from "./record.js";
import { EnvFile, type ExecutorKind, SCHEMA_VERSION } from "./schema.js";

export const ENV_FILE = "env.json";

/** Write `<runDir>/env.json` (validated: a wrong field is a bug, reported before anything runs). */
export function writeEnvFile(runDir: string, content: Omit<EnvFile, "schemaVersion">): EnvFile {
  const file = EnvFile.parse({ schemaVersion: SCHEMA_VERSION, ...content });
  const path = join(runDir, ENV_FILE);
  withFs(path, "write", () => writeFileSync(path, `${JSON.stringify(file, null, 2)}\n`));
  return file;
}

function executorOfBackend(backend: unknown): ExecutorKind {
  if (backend === "mock") return "mock";
  if (typeof backend === "string" && backend.startsWith("llama-bench")) return "llama-bench";
  return "llama";
}

/** A version-1 env.json (a run's, or an import's `{source, file, format, importedAt}`) in today's shape. */
function upgradeV1(obj: Record<string, unknown>, runDir: string): unknown {
  const runId = runDir.split(/[\\/]/).pop() ?? "";
  if (typeof obj.source === "string" && obj.env === undefined)
    return {
      schemaVersion: 1,
      runId,
      suite: `${obj.source}-import`,
      executor: "import",
      env: null,
      startedAt: obj.importedAt ?? "",
      argv: [],
      import: { source: obj.source, file: obj.file ?? "", format: obj.format ?? "" },
    };
  const env = obj.env as { backend?: unknown } | undefined;
  return { schemaVersion: 1, executor: executorOfBackend(env?.backend), argv: [], ...obj };
}

/** Read `<runDir>/env.json`: null when there is none; a one-line error naming the field when it is wrong. */
export function readEnvFile(runDir: string): EnvFile | null {
  const path = join(runDir, ENV_FILE);
  const obj = readJsonFile(path, "restore it from the run, or delete it (reports then lack it)");
  if (obj === undefined) return null;
  if (obj === null || typeof obj !== "object" || Array.isArray(obj))
    throw new MoebenchError(`${path}: field (file): expected a JSON object`, "restore or delete it");
  const version = (obj as { schemaVersion?: unknown }).schemaVersion;
  const upgraded = version === undefined || version === 1 ? upgradeV1(obj as Record<string, unknown>, runDir) : obj;
  const parsed = EnvFile.safeParse(upgraded);
  if (!parsed.success)
    throw new MoebenchError(`${path}: ${validationMessage(parsed.error)}`, "restore it from the run, or delete it");
  return parsed.data;
}
