/**
 * Which way the llama executor times prefill and generation, decided once per worker after node-llama-cpp has
 * loaded its libraries:
 * - c-api (tgMode decode, the default): llama.cpp's C API through koffi on the very files node-llama-cpp
 *   loaded, synchronous, one persistent ggml threadpool per context: llama-bench's loop.
 * - native-batch: node-llama-cpp's batch API (one async hop per decode, ggml threads started per decode); the
 *   fallback where the C API cannot be used (no koffi, not Linux, another llama.cpp release), with the reason.
 * - evaluate (tgMode app): node-llama-cpp's evaluate() with greedy sampling, what an application sees.
 * MOEBENCH_TIMING_PATH=native-batch forces the fallback (to compare the two).
 */
import { readFileSync } from "node:fs";
import type { Env } from "../../results/schema.js";
import type { ContextConfig } from "../executor.js";
import { type LlamaLibraryFiles, loadedLlamaLibraries } from "./capi/loadedLibraries.js";
import { type LlamaCApi, openLlamaCApi } from "./capi/llamaCApi.js";

export type TimingIdentity = NonNullable<Env["timing"]>;

export interface TimingChoice {
  identity: TimingIdentity;
  /** the C API, where the path is c-api */
  api?: LlamaCApi;
}

function libraryFiles(): LlamaLibraryFiles | string {
  if (process.platform !== "linux")
    return "the C-API path finds node-llama-cpp's libraries in /proc/self/maps, which only Linux has";
  return loadedLlamaLibraries(readFileSync("/proc/self/maps", "utf8"));
}

async function importKoffi(): Promise<typeof import("koffi") | string> {
  try {
    return (await import("koffi")).default as unknown as typeof import("koffi");
  } catch {
    return "koffi (an optional dependency) is not installed";
  }
}

async function openCApi(files: LlamaLibraryFiles | string): Promise<LlamaCApi | string> {
  if (process.env.MOEBENCH_TIMING_PATH === "native-batch") return "MOEBENCH_TIMING_PATH=native-batch";
  if (typeof files === "string") return files;
  const koffi = await importKoffi();
  if (typeof koffi === "string") return koffi;
  try {
    return openLlamaCApi(koffi, files);
  } catch (e) {
    return `opening llama.cpp's C API failed: ${(e as Error).message}`;
  }
}

/** Choose the path for `tgMode`; call after node-llama-cpp's getLlama (its libraries must be loaded). */
export async function chooseTimingPath(tgMode: ContextConfig["tgMode"]): Promise<TimingChoice> {
  const files = libraryFiles();
  const libraries = typeof files === "string" ? [] : [files.llama, files.ggml, files.ggmlBase];
  const viaNodeLlamaCpp = { libraries, llamaVersion: null, ggmlVersion: null, ggmlCommit: null };
  if (tgMode !== "decode") {
    return { identity: { path: "evaluate", ...viaNodeLlamaCpp, threadpool: "per-decode", fallback: null } };
  }
  const api = await openCApi(files);
  if (typeof api === "string") {
    return { identity: { path: "native-batch", ...viaNodeLlamaCpp, threadpool: "per-decode", fallback: api } };
  }
  const { llama, ggml, ggmlCommit } = api.versions;
  const identity: TimingIdentity = {
    path: "c-api",
    libraries,
    llamaVersion: llama,
    ggmlVersion: ggml,
    ggmlCommit,
    threadpool: "persistent",
    fallback: null,
  };
  return { identity, api };
}

/** The warning a record carries when the C-API path was wanted and not used. */
export function fallbackWarning(identity: TimingIdentity): string[] {
  if (identity.fallback === null) return [];
  return [
    `llama.cpp's C API could not be used (${identity.fallback}): timed through node-llama-cpp's batch API ` +
      "instead, which adds ~0.1 ms per token and starts ggml's threads on every decode",
  ];
}
