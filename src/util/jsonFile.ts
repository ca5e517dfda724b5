/** Reading a JSON file that may be absent: the one place that says "not valid JSON" in one line. */
import { existsSync, readFileSync } from "node:fs";
import { MoebenchError } from "./errors.js";
import { withFs } from "./fsErrors.js";

/** The file's parsed value; undefined when there is no file; a one-line error (with `fix`) when it is not JSON. */
export function readJsonFile(path: string, fix: string): unknown {
  if (!existsSync(path)) return undefined;
  const text = withFs(path, "read", () => readFileSync(path, "utf8"));
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw new MoebenchError(`${path}: not valid JSON`, fix);
  }
}
