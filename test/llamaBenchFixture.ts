/** Shared by the llama-bench import/export tests: a captured llama-bench output and a bare host description. */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import type { Env } from "../src/results/schema.js";
import { ROOT } from "./helpers.js";

/** llama-bench's own output for a tiny LFM2 Q4_K_M model, in the format `ext` (json, jsonl, csv, sql, md). */
export const llamaBenchFixture = (ext: string): string =>
  readFileSync(join(ROOT, "test/fixtures/llama-bench", `lfm2-tiny-q4km.${ext}`), "utf8");

/** The importing machine, with nothing known about llama.cpp. */
export const BARE_HOST: Env = {
  llamaCppRelease: null,
  llamaCppCommit: null,
  nodeLlamaCpp: null,
  backend: "cpu",
  gpus: [],
  host: "h",
  os: "linux",
  cpu: "c",
  cpuCores: 2,
  node: "v20",
  moebench: "0",
};
