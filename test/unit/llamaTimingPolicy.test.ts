/**
 * The pure parts of the llama executor's timing path: which library files it binds (read from a process's
 * memory map) and the thread policy per path. Maps lines are copied from a real node-llama-cpp 3.22.1 worker.
 */
import { describe, it, expect } from "vitest";
import { loadedLlamaLibraries } from "../../src/bench/llama/capi/loadedLibraries.js";
import { resolveThreads, threadWarnings } from "../../src/bench/llama/threadPolicy.js";

const BINS = "/app/node_modules/@node-llama-cpp/linux-x64/bins/linux-x64";
const line = (addr: string, path: string): string => `${addr} r-xp 00016000 fe:00 5522933                    ${path}`;
const PREBUILT_MAPS = [
  "3ece0000-3f2d1000 rw-p 00000000 00:00 0                                  [heap]",
  line("7f5802616000-7f580274e000", `${BINS}/libggml-cpu-sapphirerapids.so`),
  line("7f5802aab000-7f5802de5000", `${BINS}/libllama-common.so`),
  line("7f5828147000-7f58281d8000", `${BINS}/libggml-base.so`),
  line("7f5828131000-7f5828147000", `${BINS}/libggml-base.so`),
  line("7f58282a8000-7f5828524000", `${BINS}/libllama.v0.5.0.so`),
  line("7f582865a000-7f58286b4000", `${BINS}/llama-addon.node`),
  line("7f582bf64000-7f582c0ba000", "/usr/lib/x86_64-linux-gnu/libc.so.6"),
  line("7f582c43b000-7f582c441000", `${BINS}/libggml.v0.5.0.so`),
  "",
].join("\n");

describe("loadedLlamaLibraries", () => {
  it("finds node-llama-cpp's prebuilt libllama, libggml and libggml-base (not -common, -cpu-*, the addon)", () => {
    expect(loadedLlamaLibraries(PREBUILT_MAPS)).toEqual({
      llama: `${BINS}/libllama.v0.5.0.so`,
      ggml: `${BINS}/libggml.v0.5.0.so`,
      ggmlBase: `${BINS}/libggml-base.so`,
    });
  });

  it("finds a CUDA build's and a local cmake build's names too, never a backend library", () => {
    const cuda = "/app/node_modules/@node-llama-cpp/linux-x64-cuda/bins/linux-x64-cuda";
    const local = "/app/node_modules/node-llama-cpp/llama/localBuilds/linux-x64/Release";
    const maps = [
      line("1000-2000", `${cuda}/libggml-cuda.so`),
      line("2000-3000", `${cuda}/libggml.v0.5.0.so`),
      line("3000-4000", `${local}/libllama.so.0.5.0`),
      line("4000-5000", `${local}/libggml-base.so.0`),
    ].join("\n");
    expect(loadedLlamaLibraries(maps)).toEqual({
      llama: `${local}/libllama.so.0.5.0`,
      ggml: `${cuda}/libggml.v0.5.0.so`,
      ggmlBase: `${local}/libggml-base.so.0`,
    });
  });

  it("says why when a library is missing or two copies are loaded", () => {
    const withoutBase = PREBUILT_MAPS.split("\n")
      .filter((l) => !l.includes("libggml-base"))
      .join("\n");
    expect(loadedLlamaLibraries(withoutBase)).toBe("no ggmlBase library is loaded in this process");
    const twoCopies = `${PREBUILT_MAPS}${line("9000-a000", "/opt/llama/libllama.so.0")}\n`;
    expect(loadedLlamaLibraries(twoCopies)).toBe(
      `two llama libraries are loaded (${BINS}/libllama.v0.5.0.so, /opt/llama/libllama.so.0)`,
    );
  });
});

describe("thread policy", () => {
  it("auto is every physical core on the C-API path, CPU or GPU", () => {
    expect(resolveThreads(0, "c-api", false, 2)).toBe(2);
    expect(resolveThreads(0, "c-api", true, 16)).toBe(16);
    expect(threadWarnings(2, "c-api", false, 2)).toEqual([]);
  });

  it("auto is all cores but one through node-llama-cpp on the CPU (2 cores → 1), its own default on a GPU", () => {
    expect(resolveThreads(0, "native-batch", false, 2)).toBe(1);
    expect(resolveThreads(0, "evaluate", false, 1)).toBe(1);
    expect(resolveThreads(0, "native-batch", true, 8)).toBe(0);
  });

  it("a number is used as given, and warned about only through node-llama-cpp on every CPU core", () => {
    expect(resolveThreads(3, "native-batch", false, 2)).toBe(3);
    expect(threadWarnings(1, "native-batch", false, 2)).toEqual([]);
    expect(threadWarnings(2, "native-batch", true, 2)).toEqual([]);
    const [warning] = threadWarnings(2, "native-batch", false, 2);
    expect(warning).toMatch(/^threads=2 uses every core \(2\) through node-llama-cpp/);
    expect(warning).toMatch(/threads: \[1\]$/);
  });
});
