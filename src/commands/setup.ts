/**
 * `moebench setup`: make this install ready for this machine's GPU, offline. With an NVIDIA GPU: build
 * node-llama-cpp's llama.cpp for CUDA, for this card's architecture only (GGML_NATIVE=OFF: a native CPU build
 * can die with SIGILL), from the source node-llama-cpp ships; record the CMake options beside the build so every
 * later moebench command finds it (util/localBuild.ts); run a smoke test through a fresh `moebench run`.
 * Without one (or --backend cpu): node-llama-cpp's prebuilt CPU binary, and the same smoke test on the CPU.
 */
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { availableParallelism, tmpdir } from "node:os";
import { join } from "node:path";
import { Command, Option } from "commander";
import { chooseCudaArchs } from "../bundle/cudaArch.js";
import { BUNDLE_MANIFEST, parseBundleManifest } from "../bundle/manifest.js";
import { type SetupBackend, smokeSuite, smokeVerdict } from "../bundle/smoke.js";
import { readJsonl } from "../results/jsonl.js";
import { nvidiaSmiPath } from "../telemetry/nvidiaSmi/probeFields.js";
import { MoebenchError } from "../util/errors.js";
import { bundledLlamaCpp, nodeLlamaCppRoot } from "../util/llamaCppBuild.js";
import {
  appliedFromRecord,
  cmakeOptionEnv,
  cmakeOptionsOf,
  type RecordedBuild,
  readRecordedBuild,
  recordedBuildPath,
  writeRecordedBuild,
} from "../util/localBuild.js";
import { moebenchRoot } from "../util/packageRoot.js";
import { checkBuildTools, type GpuQuery, pathWithNode, queryGpus } from "./setupTools.js";

export interface SetupCliOptions {
  backend: "auto" | SetupBackend;
  cudaArch?: string;
  /** commander's --no-smoke */
  smoke: boolean;
  /** commander's --no-build: keep the recorded build, run only the smoke test */
  build: boolean;
  /** also build llama-bench in the build's own folder (linked against the same libraries) */
  llamaBench?: boolean;
  nvidiaSmi?: string;
}

const note = (line: string): void => {
  process.stderr.write(`setup: ${line}\n`);
};

/** This process's environment without the options a previous setup's record put in it (a new build decides). */
function cleanEnv(): NodeJS.ProcessEnv {
  const env = { ...process.env };
  for (const name of appliedFromRecord()) delete env[name];
  return env;
}

function chooseBackend(requested: SetupCliOptions["backend"], gpus: GpuQuery[] | { reason: string }): SetupBackend {
  if (requested !== "auto") return requested;
  if (Array.isArray(gpus)) return "cuda";
  note(`no NVIDIA GPU (${gpus.reason}): setting up the CPU backend (prebuilt, nothing to build)`);
  return "cpu";
}

/** node-llama-cpp's llama.cpp source: shipped in a bundle; in a checkout, unpacked from its git bundle (offline). */
function ensureSource(nlc: string, env: NodeJS.ProcessEnv): void {
  if (existsSync(join(nlc, "llama", "llama.cpp", "CMakeLists.txt"))) return;
  if (!existsSync(join(nlc, "llama", "gitRelease.bundle")))
    throw new MoebenchError(
      `${join(nlc, "llama", "llama.cpp")}: node-llama-cpp's llama.cpp source is missing`,
      "unpack the moebench bundle again, or run npm ci in a checkout",
    );
  note("unpacking node-llama-cpp's llama.cpp source (its git bundle, patches applied; no network)");
  const cli = join(nlc, "dist", "cli", "cli.js");
  const r = spawnSync(process.execPath, [cli, "source", "download", "--skipBuild", "--noUsageExample"], {
    stdio: "inherit",
    env,
  });
  if (r.status !== 0) throw new MoebenchError("node-llama-cpp source download --skipBuild failed (see above)");
}

/** The newest finished local build for the backend (node-llama-cpp names the folder from its options). */
function newestBuild(nlc: string, backend: string): string | null {
  const dir = join(nlc, "llama", "localBuilds");
  if (!existsSync(dir)) return null;
  const done = readdirSync(dir)
    .filter((d) => d.startsWith(`${process.platform}-${process.arch}-${backend}`))
    .map((d) => join(dir, d, "buildDone.status"))
    .filter((f) => existsSync(f))
    .sort((a, b) => statSync(b).mtimeMs - statSync(a).mtimeMs);
  return done[0] ? (done[0].split("/").at(-2) ?? null) : null;
}

/** The CUDA build: tools checked first, architectures chosen, node-llama-cpp's own `source build` run. */
function buildCuda(o: SetupCliOptions, gpus: GpuQuery[] | { reason: string }, bundled?: string): RecordedBuild {
  const env = cleanEnv();
  const path = pathWithNode(env);
  const tools = checkBuildTools(path, env);
  for (const [tool, version] of Object.entries(tools.found)) note(`${tool}: ${version}`);
  const caps = Array.isArray(gpus) ? gpus.map((g) => g.computeCap) : [];
  const archs = chooseCudaArchs({ flag: o.cudaArch, bundled, detectedCaps: caps });
  if (archs.warning) note(`warning: ${archs.warning}`);
  const nlc = nodeLlamaCppRoot();
  ensureSource(nlc, { ...env, PATH: path });
  const cmakeOptions = { ...cmakeOptionsOf(env), GGML_NATIVE: "OFF", CMAKE_CUDA_ARCHITECTURES: archs.archs.join(";") };
  const buildEnv: NodeJS.ProcessEnv = { ...env, ...cmakeOptionEnv(cmakeOptions), PATH: path };
  if (!buildEnv.CUDACXX && tools.nvcc) buildEnv.CUDACXX = tools.nvcc;
  const described = Object.entries(cmakeOptions).map(([k, v]) => `${k}=${v}`);
  note(`building llama.cpp for CUDA ${archs.archs.join(",")} (from ${archs.source}): ${described.join(" ")}`);
  const t0 = performance.now();
  const cli = join(nlc, "dist", "cli", "cli.js");
  const r = spawnSync(process.execPath, [cli, "source", "build", "--gpu", "cuda", "--noUsageExample"], {
    stdio: "inherit",
    env: buildEnv,
  });
  const buildSeconds = (performance.now() - t0) / 1000;
  if (r.status !== 0)
    throw new MoebenchError(
      `setup: the CUDA build failed after ${buildSeconds.toFixed(0)} s (node-llama-cpp source build exit ${r.status})`,
      "see its output above; nothing was recorded, later commands keep what they used before",
      1,
    );
  note(`built in ${buildSeconds.toFixed(0)} s`);
  return {
    schemaVersion: 1,
    backend: "cuda",
    cmakeOptions,
    folder: newestBuild(nlc, "cuda"),
    nodeLlamaCpp: bundledLlamaCpp().nodeLlamaCppVersion,
    builtAt: new Date().toISOString(),
    buildSeconds,
  };
}

/**
 * llama-bench in node-llama-cpp's own build folder: the folder is a CMake build of llama.cpp with the tools left
 * out; switching them on and building the one target compiles llama-bench.cpp and links it against the libllama
 * and libggml just built (4 build steps, seconds), so it runs the very kernels moebench runs.
 */
function buildLlamaBench(folder: string): string {
  const dir = join(nodeLlamaCppRoot(), "llama", "localBuilds", folder);
  const env = { ...cleanEnv(), PATH: pathWithNode() }; // its CMakeLists asks node for node-addon-api's headers
  const tools = ["-DLLAMA_BUILD_TOOLS=ON", "-DLLAMA_BUILD_SERVER=OFF", "-DLLAMA_BUILD_TESTS=OFF"];
  const steps = [
    ["cmake", [".", ...tools, "-DLLAMA_BUILD_EXAMPLES=OFF"]],
    ["cmake", ["--build", ".", "--target", "llama-bench", "-j", String(availableParallelism())]],
  ] as const;
  for (const [cmd, args] of steps) {
    const r = spawnSync(cmd, args, { cwd: dir, env, stdio: ["ignore", "ignore", "inherit"] });
    if (r.status !== 0)
      throw new MoebenchError(
        `setup --llama-bench: ${cmd} ${args.join(" ")} failed in ${dir} (exit ${r.status})`,
        "the llama.cpp build is recorded and usable; build llama-bench by hand (README: air-gapped GPU servers)",
        1,
      );
  }
  const exe = join(dir, "bin", "llama-bench");
  note(`llama-bench on the same libraries: ${exe}`);
  return exe;
}

function cpuRecord(): RecordedBuild {
  return {
    schemaVersion: 1,
    backend: "cpu",
    cmakeOptions: {},
    folder: null,
    nodeLlamaCpp: bundledLlamaCpp().nodeLlamaCppVersion,
    builtAt: new Date().toISOString(),
    buildSeconds: null,
  };
}

/** The smoke suite through a fresh `moebench run` (it must find the recorded build by itself). */
function runSmoke(backend: SetupBackend, o: SetupCliOptions): boolean {
  const dir = mkdtempSync(join(tmpdir(), "moebench-setup-smoke-"));
  const suite = join(dir, "smoke.yaml");
  writeFileSync(suite, smokeSuite(backend));
  const out = join(dir, "run");
  const args = [join(moebenchRoot(), "dist", "cli.js"), "run", suite, "--out", out, "--idle-baseline", "0"];
  if (o.nvidiaSmi) args.push("--nvidia-smi", o.nvidiaSmi);
  const where = backend === "cpu" ? "on the CPU" : `on ${backend}, every layer on the GPU`;
  note(`smoke test: a tiny synthetic MoE ${where}, pp64 and tg16, through a fresh moebench run`);
  const r = spawnSync(process.execPath, args, { encoding: "utf8", env: cleanEnv(), timeout: 600_000 });
  const results = join(out, "results.jsonl");
  const verdict = smokeVerdict(existsSync(results) ? readJsonl(results) : [], backend);
  for (const line of verdict.lines) process.stdout.write(`${line}\n`);
  if (!verdict.ok) {
    process.stderr.write(`${r.stderr ?? ""}`.split("\n").slice(-30).join("\n"));
    process.stderr.write(`\nsetup: the smoke run is kept in ${dir}\n`);
  } else rmSync(dir, { recursive: true, force: true });
  return verdict.ok;
}

/** The CUDA architectures the bundle was made for (BUNDLE.json), where setup runs from a bundle. */
function bundledArchs(): string | undefined {
  const path = join(moebenchRoot(), BUNDLE_MANIFEST);
  if (!existsSync(path)) return undefined;
  return parseBundleManifest(readFileSync(path, "utf8"))?.cudaArchitectures ?? undefined;
}

/** --no-build: the backend of the build a previous setup recorded. */
function recordedBackend(): SetupBackend {
  const recorded = readRecordedBuild();
  if (!recorded)
    throw new MoebenchError(
      `--no-build: no build is recorded in ${recordedBuildPath()}`,
      "run `moebench setup` without --no-build first",
    );
  note(`using the recorded ${recorded.backend} build (${recorded.folder ?? "prebuilt"}, ${recorded.builtAt})`);
  return recorded.backend;
}

export function setupCli(o: SetupCliOptions): number {
  const t0 = performance.now();
  const gpus = queryGpus(nvidiaSmiPath(o.nvidiaSmi));
  if (Array.isArray(gpus))
    for (const g of gpus)
      note(`GPU: ${g.name}, compute capability ${g.computeCap}, driver ${g.driver}, ${g.memoryTotal}`);
  let backend: SetupBackend;
  if (o.build) {
    backend = chooseBackend(o.backend, gpus);
    const build = backend === "cuda" ? buildCuda(o, gpus, bundledArchs()) : cpuRecord();
    writeRecordedBuild(build);
    note(`recorded in ${recordedBuildPath()}: every moebench command now uses this ${backend} build`);
    if (o.llamaBench && build.folder) writeRecordedBuild({ ...build, llamaBench: buildLlamaBench(build.folder) });
    else if (o.llamaBench) note("--llama-bench: only with a build made here (--backend cuda); nothing built");
  } else backend = recordedBackend();
  const ok = o.smoke ? runSmoke(backend, o) : true;
  note(`done in ${((performance.now() - t0) / 1000).toFixed(0)} s`);
  return ok ? 0 : 1;
}

export function setupCommand(): Command {
  return new Command("setup")
    .description(
      "get this machine ready, offline: with an NVIDIA GPU, build llama.cpp for CUDA for its architecture and " +
        "record the build so every moebench command uses it; then a smoke test (tiny model, all layers on the GPU)",
    )
    .addOption(
      new Option("--backend <b>", "cuda builds from source; cpu uses the prebuilt CPU binary; auto: cuda if nvidia-smi")
        .choices(["auto", "cuda", "cpu"])
        .default("auto"),
    )
    .option("--cuda-arch <list>", "CUDA architectures to build for, e.g. 90 or 90,89 (default: this card's)")
    .option("--no-smoke", "skip the smoke test")
    .option("--no-build", "keep the build a previous setup recorded; only run the smoke test")
    .option("--llama-bench", "also build llama-bench against the same libraries (for --llama-bench fidelity runs)")
    .option("--nvidia-smi <path>", "nvidia-smi to ask (default: MOEBENCH_NVIDIA_SMI, else nvidia-smi on PATH)")
    .action((o: SetupCliOptions) => {
      process.exitCode = setupCli(o);
    });
}
