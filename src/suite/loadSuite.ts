import { readFileSync, statSync } from "node:fs";
import { basename, extname } from "node:path";
import { parseDocument } from "yaml";
import { SuiteSchema, type Suite } from "./schema.js";
import { MoebenchError, didYouMean } from "../util/errors.js";
import { withFs } from "../util/fsErrors.js";
import { safePathComponent } from "../util/safeName.js";

/** A suite is a few kB of YAML; anything this large is the wrong file. */
const MAX_SUITE_BYTES = 1 << 20;
/** YAML alias expansions allowed while reading (the yaml library's own default; an alias bomb exceeds it). */
const MAX_ALIAS_COUNT = 100;

export type NamedSuite = Suite & { name: string };

/** Render a zod issue path like models[2].quant */
export function issuePath(path: readonly PropertyKey[]): string {
  return path.map((p, i) => (typeof p === "number" ? `[${p}]` : `${i ? "." : ""}${String(p)}`)).join("");
}

/** The suite's raw YAML value (before validation), with YAML errors and alias bombs as one-line errors. */
export function parseSuiteYaml(text: string, file: string): Record<string, unknown> {
  const doc = parseDocument(text, { prettyErrors: true });
  if (doc.errors.length) {
    const e = doc.errors[0]!;
    const pos = e.linePos?.[0];
    throw new MoebenchError(
      `${file}${pos ? `:${pos.line}:${pos.col}` : ""}: YAML syntax error: ${e.message.split("\n")[0]}`,
      "fix the YAML",
    );
  }
  let raw: unknown;
  try {
    raw = doc.toJS({ maxAliasCount: MAX_ALIAS_COUNT });
  } catch (e) {
    // the yaml library refuses alias expansions beyond maxAliasCount with a ReferenceError
    throw new MoebenchError(
      `${file}: YAML aliases expand too far (${(e as Error).message})`,
      `write the values out: a suite may expand at most ${MAX_ALIAS_COUNT} aliases`,
    );
  }
  if (raw === null || typeof raw !== "object" || Array.isArray(raw))
    throw new MoebenchError(
      `${file}: a suite is a YAML mapping with at least a models: list`,
      "see suites/default.yaml",
    );
  return raw as Record<string, unknown>;
}

interface Issue {
  code: string;
  path: PropertyKey[];
  message: string;
  errors?: Issue[][];
  keys?: string[];
}

/**
 * The most specific problem: inside a union (a test is a string or an object), the branch that got
 * furthest into the value (the longest path), preferring a wrong value over a wrong type.
 */
export function specificIssue(iss: Issue): Issue {
  if (iss.code !== "invalid_union" || !iss.errors?.length) return iss;
  const inner = iss.errors.flat().map((i) => specificIssue({ ...i, path: [...iss.path, ...i.path] }));
  const score = (i: Issue): number => i.path.length * 2 + (i.code === "invalid_type" ? 0 : 1);
  return inner.reduce((best, i) => (score(i) > score(best) ? i : best), inner[0]!);
}

/**
 * Validate a raw suite object (from YAML, from command-line flags, or both merged). The first problem is
 * one line naming `origin` and the field; the name defaults to `defaultName`, made safe as a folder name.
 */
export function validateSuite(raw: unknown, origin: string, defaultName: string): NamedSuite {
  const r = SuiteSchema.safeParse(raw);
  if (!r.success) {
    const iss = specificIssue(r.error.issues[0] as Issue);
    let hint: string | undefined;
    if (iss.code === "unrecognized_keys") {
      const keys = iss.keys ?? [];
      const known = Object.keys(SuiteSchema.shape);
      const d = keys[0] ? didYouMean(keys[0], known) : undefined;
      hint = d ? `did you mean ${d}?` : `known keys: ${known.join(", ")}`;
    }
    const at = issuePath(iss.path);
    throw new MoebenchError(`${origin}: ${at ? `${at}: ` : ""}${iss.message}`, hint);
  }
  return { ...r.data, name: r.data.name ?? safePathComponent(defaultName, "suite") };
}

/** The default suite name: the file's name without its extension, safe as a folder name. */
export function suiteNameOf(file: string): string {
  return safePathComponent(basename(file, extname(file)), "suite");
}

export function parseSuite(text: string, file: string): NamedSuite {
  return validateSuite(parseSuiteYaml(text, file), file, suiteNameOf(file));
}

/** Read a suite file: a folder, an unreadable or oversized file is a one-line error. */
export function readSuiteText(file: string): string {
  const st = withFs(file, "read suite", () => statSync(file));
  if (st.isDirectory())
    throw new MoebenchError(`${file}: is a folder, not a suite file`, "pass a .yaml suite, e.g. suites/default.yaml");
  if (st.size > MAX_SUITE_BYTES)
    throw new MoebenchError(
      `${file}: ${st.size} bytes is too large for a suite (at most ${MAX_SUITE_BYTES})`,
      "is it the right file? A suite is a short YAML file",
    );
  return withFs(file, "read suite", () => readFileSync(file, "utf8"));
}

export function loadSuite(file: string): NamedSuite {
  return parseSuite(readSuiteText(file), file);
}
