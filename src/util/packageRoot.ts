import { dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";

/** The moebench package folder (package.json, dist/, node_modules/; in a bundle, also BUNDLE.json and bin/). */
export function moebenchRoot(): string {
  return resolve(dirname(fileURLToPath(import.meta.url)), "..", "..");
}
