import { readFileSync, existsSync } from "node:fs";
import { basename, extname } from "node:path";
import { parseDocument } from "yaml";
import { SuiteSchema, type Suite } from "./schema.js";
import { MoebenchError, didYouMean } from "../util/errors.js";

/** Render a zod issue path like models[2].quant */
export function issuePath(path: readonly PropertyKey[]): string {
  return path.map((p, i) => (typeof p === "number" ? `[${p}]` : `${i ? "." : ""}${String(p)}`)).join("");
}

export function parseSuite(text: string, file: string): Suite & { name: string } {
  const doc = parseDocument(text, { prettyErrors: true });
  if (doc.errors.length) {
    const e = doc.errors[0]!;
    const pos = e.linePos?.[0];
    throw new MoebenchError(
      `${file}${pos ? `:${pos.line}:${pos.col}` : ""}: YAML syntax error: ${e.message.split("\n")[0]}`,
      "fix the YAML",
    );
  }
  const raw = doc.toJS() as unknown;
  if (raw === null || typeof raw !== "object")
    throw new MoebenchError(
      `${file}: a suite is a YAML mapping with at least a models: list`,
      "see suites/default.yaml",
    );
  const r = SuiteSchema.safeParse(raw);
  if (!r.success) {
    const iss = r.error.issues[0]!;
    let hint: string | undefined;
    if (iss.code === "unrecognized_keys") {
      const keys = (iss as { keys: string[] }).keys;
      const known = Object.keys(SuiteSchema.shape);
      const d = keys[0] ? didYouMean(keys[0], known) : undefined;
      hint = d ? `did you mean ${d}?` : `known keys: ${known.join(", ")}`;
    }
    const at = issuePath(iss.path);
    throw new MoebenchError(`${file}: ${at ? `${at}: ` : ""}${iss.message}`, hint);
  }
  return { ...r.data, name: r.data.name ?? basename(file, extname(file)) };
}

export function loadSuite(file: string): Suite & { name: string } {
  if (!existsSync(file))
    throw new MoebenchError(`${file}: no such suite file`, "pass a path to a .yaml suite, e.g. suites/default.yaml");
  return parseSuite(readFileSync(file, "utf8"), file);
}
