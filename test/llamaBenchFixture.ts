/** Shared by the llama-bench import/export tests: a captured llama-bench output and a bare host description. */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { ROOT } from "./helpers.js";

/** llama-bench's own output for a tiny LFM2 Q4_K_M model, in the format `ext` (json, jsonl, csv, sql, md). */
export const llamaBenchFixture = (ext: string): string =>
  readFileSync(join(ROOT, "test/fixtures/llama-bench", `lfm2-tiny-q4km.${ext}`), "utf8");

export { BARE_HOST } from "./recordFixture.js";
