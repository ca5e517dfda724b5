/**
 * Which llama.cpp library files node-llama-cpp loaded into this process. The C-API timing path must call
 * exactly these (the same build, the same backend registry), so it reads them from the process's own memory
 * map instead of guessing a folder: node-llama-cpp may have picked a CUDA, Vulkan or local build.
 */

export interface LlamaLibraryFiles {
  /** libllama (node-llama-cpp's prebuilt names it libllama.v<release>.so) */
  llama: string;
  /** libggml: the backend registry and loader */
  ggml: string;
  /** libggml-base: tensors, graphs, threadpool parameters */
  ggmlBase: string;
}

/**
 * node-llama-cpp names them lib<name>.<variant>.so, the variant being the GPU, the release and, for local builds, a
 * hash of the CMake options: libllama.v0.5.0.so (CPU prebuilt), libllama.cuda.v0.5.0.so, libllama.vulkan.v0.5.0.so,
 * libggml.v0.5.0.i6c4p145.so (a local build); a plain cmake build, libllama.so.0.5.0. Backend libraries
 * (libggml-cuda.so, libggml-cpu-*.so) and libllama-common.so have a hyphen and never match.
 */
const PATTERNS: Record<keyof LlamaLibraryFiles, RegExp> = {
  llama: /^libllama(\.[a-z0-9]+)*\.so(\.\d+)*$/,
  ggml: /^libggml(\.[a-z0-9]+)*\.so(\.\d+)*$/,
  ggmlBase: /^libggml-base(\.[a-z0-9]+)*\.so(\.\d+)*$/,
};

/** Mapped file paths in a /proc/<pid>/maps text (the sixth column, where present), without duplicates. */
function mappedFiles(maps: string): string[] {
  const files = new Set<string>();
  for (const line of maps.split("\n")) {
    const path = line.trim().split(/\s+/).slice(5).join(" ");
    if (path.startsWith("/")) files.add(path);
  }
  return [...files];
}

/**
 * The libllama / libggml / libggml-base files mapped in a process, from its /proc/<pid>/maps text; or a
 * sentence saying why they cannot be told (one missing, or two different copies of one loaded).
 */
export function loadedLlamaLibraries(maps: string): LlamaLibraryFiles | string {
  const files = mappedFiles(maps);
  const found: Partial<LlamaLibraryFiles> = {};
  for (const key of Object.keys(PATTERNS) as (keyof LlamaLibraryFiles)[]) {
    const matches = files.filter((f) => PATTERNS[key].test(f.slice(f.lastIndexOf("/") + 1)));
    if (matches.length === 0) return `no ${key} library is loaded in this process`;
    if (matches.length > 1) return `two ${key} libraries are loaded (${matches.join(", ")})`;
    found[key] = matches[0]!;
  }
  return found as LlamaLibraryFiles;
}
