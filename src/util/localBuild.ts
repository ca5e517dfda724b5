/**
 * The llama.cpp build `moebench setup` made, recorded beside it so that every later moebench command uses it.
 *
 * node-llama-cpp finds a local build by a folder name it derives from the custom CMake options in force when
 * `getLlama` runs (`llama/localBuilds/linux-x64-cuda-<hash of the options>`), and it reads those options from
 * `NODE_LLAMA_CPP_CMAKE_OPTION_<NAME>` environment variables. A build made with `GGML_NATIVE=OFF` and
 * `CMAKE_CUDA_ARCHITECTURES=90` is therefore invisible to a process that does not set the same variables: it
 * would fall back to the prebuilt binaries (or to none). The record lives in node-llama-cpp's own localBuilds
 * folder, so `node-llama-cpp source clear` or a fresh `npm ci` removes it together with the build.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { z } from "zod";
import { MoebenchError } from "./errors.js";
import { withFs } from "./fsErrors.js";
import { nodeLlamaCppRoot } from "./llamaCppBuild.js";

export const CMAKE_OPTION_PREFIX = "NODE_LLAMA_CPP_CMAKE_OPTION_";

const RecordedBuild = z.object({
  schemaVersion: z.literal(1),
  /** the GPU backend the build is for, or cpu (the prebuilt CPU binary, nothing built) */
  backend: z.enum(["cuda", "cpu"]),
  /** every custom CMake option of the build, as node-llama-cpp saw them (name → value) */
  cmakeOptions: z.record(z.string(), z.string()),
  /** node-llama-cpp's folder name for the build (under llama/localBuilds), null for cpu */
  folder: z.string().nullable(),
  nodeLlamaCpp: z.string(),
  builtAt: z.string(),
  buildSeconds: z.number().nonnegative().nullable(),
  /** `setup --llama-bench`: llama-bench linked against this very build's libraries (same kernels, same options) */
  llamaBench: z.string().nullable().optional(),
});
export type RecordedBuild = z.infer<typeof RecordedBuild>;

/** Where the record of the setup build lives (beside node-llama-cpp's local builds). */
export function recordedBuildPath(root = nodeLlamaCppRoot()): string {
  return join(root, "llama", "localBuilds", "moebench-build.json");
}

/** The recorded build, or null when `moebench setup` has not recorded one for this node-llama-cpp. */
export function readRecordedBuild(path = recordedBuildPath()): RecordedBuild | null {
  if (!existsSync(path)) return null;
  const text = withFs(path, "read the recorded llama.cpp build", () => readFileSync(path, "utf8"));
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    parsed = undefined;
  }
  const r = RecordedBuild.safeParse(parsed);
  if (!r.success)
    throw new MoebenchError(
      `${path}: not a valid record of a moebench setup build`,
      "run `moebench setup` again, or delete the file to use node-llama-cpp's prebuilt binaries",
    );
  return r.data;
}

export function writeRecordedBuild(build: RecordedBuild, path = recordedBuildPath()): void {
  withFs(path, "record the llama.cpp build in", () => {
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, `${JSON.stringify(build, null, 2)}\n`);
  });
}

/** The environment variables that make node-llama-cpp use a build made with these CMake options. */
export function cmakeOptionEnv(options: Readonly<Record<string, string>>): Record<string, string> {
  return Object.fromEntries(Object.entries(options).map(([k, v]) => [`${CMAKE_OPTION_PREFIX}${k}`, v]));
}

/** The custom CMake options an environment gives node-llama-cpp (its NODE_LLAMA_CPP_CMAKE_OPTION_* variables). */
export function cmakeOptionsOf(env: NodeJS.ProcessEnv): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(env)) {
    if (k.startsWith(CMAKE_OPTION_PREFIX) && k.length > CMAKE_OPTION_PREFIX.length && v !== undefined)
      out[k.slice(CMAKE_OPTION_PREFIX.length)] = v;
  }
  return out;
}

/** The variables applyRecordedBuild put into this process's environment (setup builds anew without them). */
const appliedHere: string[] = [];
export function appliedFromRecord(): readonly string[] {
  return appliedHere;
}

/**
 * Put the recorded build's options into `env` (workers inherit them), leaving variables the user set alone.
 * Returns the names it set. Called once when the CLI starts; without node-llama-cpp or a record it does nothing.
 */
export function applyRecordedBuild(env: NodeJS.ProcessEnv = process.env, path?: string): string[] {
  let build: RecordedBuild | null;
  try {
    build = readRecordedBuild(path ?? recordedBuildPath());
  } catch (e) {
    if (e instanceof MoebenchError) throw e;
    return []; // node-llama-cpp is not installed: nothing to apply
  }
  if (!build) return [];
  const set: string[] = [];
  for (const [name, value] of Object.entries(cmakeOptionEnv(build.cmakeOptions))) {
    if (env[name] !== undefined) continue;
    env[name] = value;
    set.push(name);
  }
  if (env === process.env) appliedHere.push(...set);
  return set;
}
