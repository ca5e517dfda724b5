/**
 * The C-API timing path finds the libraries of GPU builds too. File names are those node-llama-cpp 3.22.1
 * installs or builds (ls of @node-llama-cpp/linux-x64-cuda and linux-x64-vulkan, and of a local
 * `source build` with GGML_NATIVE=OFF on this project's machine): a pattern that misses them makes every GPU
 * run fall back to the batch API.
 */
import { describe, expect, it } from "vitest";
import { loadedLlamaLibraries } from "../../src/bench/llama/capi/loadedLibraries.js";

const line = (path: string): string => `7f58282a8000-7f5828524000 r-xp 00000000 fe:00 5522933    ${path}`;
const maps = (dir: string, names: string[]): string => names.map((n) => line(`${dir}/${n}`)).join("\n");

describe("loadedLlamaLibraries on GPU builds", () => {
  it.each([
    [
      "prebuilt CUDA",
      "/m/node_modules/@node-llama-cpp/linux-x64-cuda/bins/linux-x64-cuda",
      ["libggml-base.so", "libggml-cuda.so", "libggml.cuda.v0.5.0.so", "libllama-common.so", "libllama.cuda.v0.5.0.so"],
      ["libllama.cuda.v0.5.0.so", "libggml.cuda.v0.5.0.so", "libggml-base.so"],
    ],
    [
      "prebuilt Vulkan",
      "/m/node_modules/@node-llama-cpp/linux-x64-vulkan/bins/linux-x64-vulkan",
      [
        "libggml-cpu-haswell.so",
        "libggml-vulkan.so",
        "libggml.vulkan.v0.5.0.so",
        "libllama.vulkan.v0.5.0.so",
        "libggml-base.so",
      ],
      ["libllama.vulkan.v0.5.0.so", "libggml.vulkan.v0.5.0.so", "libggml-base.so"],
    ],
    [
      "local build (options hash in the name)",
      "/m/node_modules/node-llama-cpp/llama/localBuilds/linux-x64-i6c4p14524q1u1236375r5j3w1qa1sn3a2441/Release",
      ["libggml-base.so", "libggml-cpu.so", "libggml.v0.5.0.i6c4p145.so", "libllama.v0.5.0.i6c4p145.so"],
      ["libllama.v0.5.0.i6c4p145.so", "libggml.v0.5.0.i6c4p145.so", "libggml-base.so"],
    ],
  ])("%s", (_what, dir, loaded, [llama, ggml, ggmlBase]) => {
    expect(loadedLlamaLibraries(maps(dir, loaded))).toEqual({
      llama: `${dir}/${llama}`,
      ggml: `${dir}/${ggml}`,
      ggmlBase: `${dir}/${ggmlBase}`,
    });
  });
});
