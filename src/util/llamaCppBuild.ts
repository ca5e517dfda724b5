import { execFileSync, spawnSync } from "node:child_process";
import {
  chmodSync,
  copyFileSync,
  existsSync,
  lstatSync,
  mkdirSync,
  readFileSync,
  readdirSync,
  rmSync,
  symlinkSync,
} from "node:fs";
import { homedir } from "node:os";
import { join, dirname } from "node:path";
import { createRequire } from "node:module";
import { MoebenchError } from "./errors.js";

/** Where moebench caches synthesized models and llama.cpp builds (MOEBENCH_CACHE overrides). */
export function cacheDir(): string {
  return process.env.MOEBENCH_CACHE ?? join(homedir(), ".cache", "moebench");
}

/** The installed node-llama-cpp package folder (its package.json is not exported, so walk up from its entry point). */
export function nodeLlamaCppRoot(): string {
  const require = createRequire(import.meta.url);
  let root = dirname(require.resolve("node-llama-cpp"));
  while (!existsSync(join(root, "llama", "llama.cpp.info.json"))) {
    const up = dirname(root);
    if (up === root) throw new MoebenchError("node-llama-cpp's llama.cpp bundle was not found", "run npm ci");
    root = up;
  }
  return root;
}

/** node-llama-cpp's bundled llama.cpp release (tag) and the path of its git bundle. */
export function bundledLlamaCpp(): { tag: string; bundle: string; nodeLlamaCppVersion: string } {
  const root = nodeLlamaCppRoot();
  const pkgPath = join(root, "package.json");
  const info = JSON.parse(readFileSync(join(root, "llama", "llama.cpp.info.json"), "utf8")) as { tag: string };
  const pkg = JSON.parse(readFileSync(pkgPath, "utf8")) as { version: string };
  return { tag: info.tag, bundle: join(root, "llama", "gitRelease.bundle"), nodeLlamaCppVersion: pkg.version };
}

/**
 * CMake flags matching node-llama-cpp's prebuilt CPU binaries: ggml's own threadpool (no OpenMP), CPU
 * backends as loadable variants chosen at run time for this CPU (a -march=native build can pick AMX
 * kernels that this kernel does not permit, and would not match the binding's code paths anyway).
 */
export const LLAMA_CPU_CMAKE_FLAGS = [
  "-DCMAKE_BUILD_TYPE=Release",
  "-DGGML_OPENMP=OFF",
  "-DLLAMA_CURL=OFF",
  "-DLLAMA_BUILD_TESTS=OFF",
  "-DLLAMA_BUILD_EXAMPLES=OFF",
  "-DGGML_NATIVE=OFF",
  "-DGGML_BACKEND_DL=ON",
  "-DGGML_CPU_ALL_VARIANTS=ON",
];

export type LlamaTool = "llama-bench" | "llama-quantize" | "llama-perplexity" | "llama-server";

/**
 * Build llama.cpp's CPU tools once from the source node-llama-cpp ships (its gitRelease.bundle), with
 * ggml's own threadpool (GGML_OPENMP=OFF) like node-llama-cpp's prebuilt binaries, and cache them.
 * Returns the folder holding the binaries.
 */
export function ensureLlamaTools(
  tools: LlamaTool[],
  log: (s: string) => void = (s) => process.stderr.write(`${s}\n`),
): string {
  const { tag, bundle } = bundledLlamaCpp();
  const src = join(cacheDir(), `llama.cpp-${tag}`);
  const build = join(src, "build-cpu");
  const bin = join(build, "bin");
  const missing = tools.filter((t) => !existsSync(join(bin, t)));
  if (missing.length === 0) return bin;
  for (const cmd of ["git", "cmake", "c++"]) {
    if (spawnSync("which", [cmd]).status !== 0)
      throw new MoebenchError(
        `building ${missing.join(", ")} needs ${cmd}, which is not installed`,
        "install git, cmake and a C++ compiler",
      );
  }
  mkdirSync(cacheDir(), { recursive: true });
  if (!existsSync(join(src, "CMakeLists.txt"))) {
    log(`cloning llama.cpp ${tag} from node-llama-cpp's bundle into ${src}`);
    execFileSync("git", ["clone", "-q", bundle, src], { stdio: "inherit" });
  }
  log(
    `building ${missing.join(", ")} (CPU, as node-llama-cpp's prebuilt binaries: GGML_OPENMP=OFF, GGML_BACKEND_DL with all CPU variants) in ${build}; this takes several minutes once`,
  );
  execFileSync("cmake", ["-S", src, "-B", build, ...LLAMA_CPU_CMAKE_FLAGS], { stdio: ["ignore", "ignore", "inherit"] });
  const help = execFileSync("cmake", ["--build", build, "--target", "help"], { encoding: "utf8" });
  const variants = [...new Set(help.match(/ggml-cpu-[a-z0-9_]+/g) ?? [])];
  const jobs = String(Math.max(1, globalThis.navigator?.hardwareConcurrency ?? 2));
  execFileSync("cmake", ["--build", build, "-j", jobs, "--target", ...missing, ...variants], {
    stdio: ["ignore", "ignore", "inherit"],
  });
  return bin;
}

/**
 * A llama-bench that runs on the very CPU kernels node-llama-cpp runs: a copy of our llama-bench in a
 * folder without our CPU variants, with GGML_BACKEND_PATH pointing at the binding's own libggml-cpu-<variant>
 * (the variant ggml's scoring picks on this machine; same llama.cpp commit, so the same ABI). This isolates
 * what the fidelity benchmark is about: the binding's overhead, not two compilers' code.
 * Returns undefined where the binding ships no such library (then use the plain build).
 */
export function llamaBenchOnBindingCpu(
  bin: string,
): { exe: string; env: NodeJS.ProcessEnv; variant: string } | undefined {
  const probe = spawnSync(join(bin, "llama-bench"), ["--list-devices"], { encoding: "utf8" });
  const m = /libggml-cpu-([\w-]+)\.so/.exec(`${probe.stdout}${probe.stderr}`);
  if (!m) return undefined;
  const variant = m[1]!;
  const nlcRoot = nodeLlamaCppRoot();
  const plat = `${process.platform}-${process.arch}`;
  const candidates = [
    join(nlcRoot, "..", "@node-llama-cpp", plat, "bins", plat),
    join(nlcRoot, "node_modules", "@node-llama-cpp", plat, "bins", plat),
  ];
  const lib = candidates.map((d) => join(d, `libggml-cpu-${variant}.so`)).find((p) => existsSync(p));
  if (!lib) return undefined;
  const dir = join(bin, "..", "bin-binding-cpu");
  mkdirSync(dir, { recursive: true });
  for (const f of readdirSync(bin)) {
    if (f.startsWith("libggml-cpu-")) continue;
    const dst = join(dir, f);
    const exe = f.startsWith("llama-") && !f.endsWith(".so");
    if (existsSync(dst) && !(exe && lstatSync(dst).isSymbolicLink())) continue;
    if (exe) rmSync(dst, { force: true });
    if (f.startsWith("llama-") && !f.endsWith(".so"))
      copyFileSync(join(bin, f), dst); // real files: ggml looks for variants next to the resolved executable
    else symlinkSync(join(bin, f), dst);
  }
  if (!existsSync(join(dir, "llama-bench"))) copyFileSync(join(bin, "llama-bench"), join(dir, "llama-bench"));
  chmodSync(join(dir, "llama-bench"), 0o755);
  return { exe: join(dir, "llama-bench"), env: { ...process.env, GGML_BACKEND_PATH: lib }, variant };
}
