import { execFileSync, spawnSync } from "node:child_process";
import {
  chmodSync,
  copyFileSync,
  existsSync,
  mkdirSync,
  readFileSync,
  readdirSync,
  rmSync,
  symlinkSync,
} from "node:fs";
import { homedir } from "node:os";
import { basename, join, dirname } from "node:path";
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
    `building ${missing.join(", ")} (CPU, as node-llama-cpp's prebuilt binaries: GGML_OPENMP=OFF, ` +
      `GGML_BACKEND_DL with all CPU variants) in ${build}; this takes several minutes once`,
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

/** node-llama-cpp's prebuilt CPU binaries folder for this platform (where npm put it), or undefined. */
export function bindingCpuBins(): string | undefined {
  const plat = `${process.platform}-${process.arch}`;
  const nlcRoot = nodeLlamaCppRoot();
  return [
    join(nlcRoot, "..", "@node-llama-cpp", plat, "bins", plat),
    join(nlcRoot, "node_modules", "@node-llama-cpp", plat, "bins", plat),
  ].find((d) => existsSync(join(d, "llama-addon.node")));
}

/** Our tools' names for the libraries the binding ships under other names (node-llama-cpp renames libllama). */
const SONAME_ALIASES: [RegExp, string][] = [
  [/^libllama(\.v[\d.]+)?\.so$/, "libllama.so.0"],
  [/^libggml(\.v[\d.]+)?\.so$/, "libggml.so.0"],
  [/^libggml-base\.so$/, "libggml-base.so.0"],
];
/** Libraries of our build that the binding's replace (everything else of ours, e.g. libllama-common, stays). */
const REPLACED = /^lib(llama|ggml|ggml-base)\.so(\.\d+)*$|^libggml-cpu-/;

/** Make `link` a symlink to `target` (replacing whatever is there). */
function linkTo(target: string, link: string): void {
  rmSync(link, { force: true });
  symlinkSync(target, link);
}

/**
 * llama.cpp's tools (llama-bench, llama-perplexity, llama-server) running on node-llama-cpp's own libraries:
 * libllama, libggml, libggml-base and the backends of `bindingBins` (default: its prebuilt CPU folder), so both
 * sides of a comparison run the same machine code and only the driver differs. A folder next to `bin` holds
 * copies of our executables (ggml looks for backends next to the resolved executable), the binding's libraries
 * under our tools' sonames, and links to the rest of our build; LD_LIBRARY_PATH makes the loader prefer it.
 * Same release (v0.5.0), so the same ABI. ggml picks the CPU variant by the same scoring node-llama-cpp's
 * loader uses. Returns undefined where the binding folder is missing (then use the plain build).
 */
export function llamaBenchOnBindingCpu(
  bin: string,
  bindingBins: string | undefined = bindingCpuBins(),
): { exe: string; env: NodeJS.ProcessEnv; variant: string } | undefined {
  if (!bindingBins || !existsSync(bindingBins)) return undefined;
  const dir = join(bin, "..", `bin-binding-${basename(bindingBins)}`);
  mkdirSync(dir, { recursive: true });
  for (const f of readdirSync(bin)) {
    if (REPLACED.test(f)) continue;
    const dst = join(dir, f);
    if (f.startsWith("llama-") && !f.endsWith(".so")) {
      rmSync(dst, { force: true });
      copyFileSync(join(bin, f), dst);
      chmodSync(dst, 0o755);
    } else linkTo(join(bin, f), dst);
  }
  for (const f of readdirSync(bindingBins)) {
    if (!f.endsWith(".so")) continue;
    linkTo(join(bindingBins, f), join(dir, f));
    const alias = SONAME_ALIASES.find(([re]) => re.test(f));
    if (alias) linkTo(join(bindingBins, f), join(dir, alias[1]));
  }
  const env = { ...process.env, LD_LIBRARY_PATH: [dir, process.env.LD_LIBRARY_PATH].filter(Boolean).join(":") };
  const exe = join(dir, "llama-bench");
  const probe = spawnSync(exe, ["--list-devices"], { encoding: "utf8", env });
  const variant = /libggml-cpu-([\w-]+)\.so/.exec(`${probe.stdout}${probe.stderr}`)?.[1];
  return variant ? { exe, env, variant } : undefined;
}
