import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { binLinks, bundlePackages, keepLlamaCppPath, keepPackageFile, LINUX_X64 } from "../../src/bundle/contents.js";
import { archOfComputeCap, chooseCudaArchs, parseCudaArchList } from "../../src/bundle/cudaArch.js";
import { parseOffloadLine } from "../../src/bench/llama/offloadLog.js";
import { smokeVerdict } from "../../src/bundle/smoke.js";
import type { ResultRecord } from "../../src/results/schema.js";
import { applyRecordedBuild, cmakeOptionEnv, cmakeOptionsOf } from "../../src/util/localBuild.js";

describe("what the bundle ships", () => {
  // entries shaped as in this repository's package-lock.json (v3)
  const lock = {
    "": { bin: { moebench: "dist/cli.js" } },
    "node_modules/cmake-js": { bin: { "cmake-js": "bin/cmake-js" } },
    "node_modules/typescript": { devOptional: true, bin: { tsc: "bin/tsc" } },
    "node_modules/vitest": { dev: true },
    "node_modules/koffi": { optional: true },
    "node_modules/@koromix/koffi-linux-x64": { optional: true, os: ["linux"], cpu: ["x64"] },
    "node_modules/@koromix/koffi-darwin-arm64": { optional: true, os: ["darwin"], cpu: ["arm64"] },
    "node_modules/@node-llama-cpp/linux-x64": { optional: true, os: ["linux"], cpu: ["x64"] },
    "node_modules/@node-llama-cpp/linux-x64-cuda": { optional: true, os: ["linux"], cpu: ["x64"] },
    "node_modules/@node-llama-cpp/linux-x64-vulkan": { optional: true, os: ["linux"], cpu: ["x64"] },
    "node_modules/@node-llama-cpp/linux-arm64": { optional: true, os: ["linux"], cpu: ["arm64"] },
    "node_modules/cross-spawn/node_modules/which": { bin: { "node-which": "bin/node-which" } },
    "node_modules/fsevents": { optional: true, os: ["!linux", "!win32"] },
  };

  it("production packages for linux-x64, node-llama-cpp's CPU binary and no GPU or foreign binaries", () => {
    expect(bundlePackages(lock, LINUX_X64)).toEqual([
      "node_modules/@koromix/koffi-linux-x64",
      "node_modules/@node-llama-cpp/linux-x64",
      "node_modules/cmake-js",
      "node_modules/cross-spawn/node_modules/which",
      "node_modules/koffi",
    ]);
  });

  it("the .bin links npm would make, nested packages' in their parent's node_modules/.bin", () => {
    const shipped = bundlePackages(lock, LINUX_X64);
    expect(binLinks(lock, shipped)).toEqual([
      { link: "node_modules/.bin/cmake-js", target: "../cmake-js/bin/cmake-js" },
      { link: "node_modules/cross-spawn/node_modules/.bin/node-which", target: "../which/bin/node-which" },
    ]);
  });

  it("inside packages: no source maps; sql.js only with the build Node loads (its package.json's main)", () => {
    expect(keepPackageFile("dist/index.js.map", "node_modules/zod")).toBe(false);
    expect(keepPackageFile("dist/index.js", "node_modules/zod")).toBe(true);
    expect(keepPackageFile("dist/sql-wasm.js", "node_modules/sql.js")).toBe(true);
    expect(keepPackageFile("dist/sql-wasm.wasm", "node_modules/sql.js")).toBe(true);
    expect(keepPackageFile("dist/sql-asm-debug.js", "node_modules/sql.js")).toBe(false);
    expect(keepPackageFile("package.json", "node_modules/sql.js")).toBe(true);
  });

  it.each([
    ["CMakeLists.txt", true],
    ["ggml/src/ggml-cuda/ggml-cuda.cu", true],
    ["tools/llama-bench/llama-bench.cpp", true],
    ["vendor/nlohmann/json.hpp", true],
    ["tools/ui/src/app.ts", false],
    ["tools/mtmd/test-1.jpeg", false],
    ["docs/build.md", false],
    ["models/ggml-vocab-llama-bpe.gguf", false],
    ["README.md", false],
  ])("llama.cpp's %s ships: %s", (path, kept) => expect(keepLlamaCppPath(path)).toBe(kept));
});

describe("CUDA architectures", () => {
  it("nvidia-smi's compute_cap as CMake's architecture", () => {
    expect(archOfComputeCap("9.0")).toBe("90");
    expect(archOfComputeCap(" 8.9 ")).toBe("89");
    expect(archOfComputeCap("12.0")).toBe("120");
    expect(archOfComputeCap("[N/A]")).toBeNull();
  });

  it("--cuda-arch lists, and one-line errors for what is not one", () => {
    expect(parseCudaArchList("90,89")).toEqual(["90", "89"]);
    expect(parseCudaArchList("90;90;120a 86-real")).toEqual(["90", "120a", "86-real"]);
    expect(() => parseCudaArchList("9.0")).toThrow(/^--cuda-arch 9\.0: "9\.0" is not a CUDA architecture$/);
    expect(() => parseCudaArchList(",")).toThrow(/no architecture given/);
  });

  it("the flag, then the bundle's list, then the cards found; a card a list misses is a warning", () => {
    expect(chooseCudaArchs({ detectedCaps: ["9.0", "9.0"] })).toEqual({ archs: ["90"], source: "nvidia-smi" });
    expect(chooseCudaArchs({ bundled: "90", detectedCaps: ["9.0"] })).toEqual({ archs: ["90"], source: "bundle" });
    const miss = chooseCudaArchs({ flag: "89", bundled: "90", detectedCaps: ["9.0"] });
    expect(miss.archs).toEqual(["89"]);
    expect(miss.warning).toMatch(/compute capability 90, which the --cuda-arch list \(89\) does not include/);
    expect(chooseCudaArchs({ flag: "90a-real", detectedCaps: ["9.0"] }).warning).toBeUndefined();
    expect(() => chooseCudaArchs({ detectedCaps: [] })).toThrow(/no CUDA architecture to build for/);
  });
});

describe("the recorded build", () => {
  it("CMake options as node-llama-cpp's environment variables and back", () => {
    const opts = { GGML_NATIVE: "OFF", CMAKE_CUDA_ARCHITECTURES: "90;89" };
    const env = cmakeOptionEnv(opts);
    expect(env).toEqual({
      NODE_LLAMA_CPP_CMAKE_OPTION_GGML_NATIVE: "OFF",
      NODE_LLAMA_CPP_CMAKE_OPTION_CMAKE_CUDA_ARCHITECTURES: "90;89",
    });
    expect(cmakeOptionsOf({ ...env, PATH: "/bin", NODE_LLAMA_CPP_CMAKE_OPTION_: "x" })).toEqual(opts);
  });

  it("is applied to an environment, leaving what the user set alone", () => {
    const path = join(mkdtempSync(join(tmpdir(), "moebench-record-")), "moebench-build.json");
    const record = {
      schemaVersion: 1,
      backend: "cuda",
      cmakeOptions: { GGML_NATIVE: "OFF", CMAKE_CUDA_ARCHITECTURES: "90" },
      folder: "linux-x64-cuda-abc",
      nodeLlamaCpp: "3.22.1",
      builtAt: "2026-01-01T00:00:00Z",
      buildSeconds: 300,
    };
    writeFileSync(path, JSON.stringify(record));
    const env: NodeJS.ProcessEnv = { NODE_LLAMA_CPP_CMAKE_OPTION_CMAKE_CUDA_ARCHITECTURES: "89" };
    expect(applyRecordedBuild(env, path)).toEqual(["NODE_LLAMA_CPP_CMAKE_OPTION_GGML_NATIVE"]);
    expect(env).toEqual({
      NODE_LLAMA_CPP_CMAKE_OPTION_CMAKE_CUDA_ARCHITECTURES: "89",
      NODE_LLAMA_CPP_CMAKE_OPTION_GGML_NATIVE: "OFF",
    });
    expect(applyRecordedBuild({}, join(path, "..", "absent.json"))).toEqual([]);
    writeFileSync(path, "{not json");
    expect(() => applyRecordedBuild({}, path)).toThrow(/moebench-build\.json: not a valid record of a moebench setup/);
  });
});

describe("llama.cpp's offload line", () => {
  it("is read from its load log (llama-model.cpp load_tensors), other lines are not", () => {
    expect(parseOffloadLine("load_tensors: offloaded 25/25 layers to GPU")).toEqual({ layers: 25, of: 25 });
    expect(parseOffloadLine("load_tensors: offloaded 2/5 layers to GPU\n")).toEqual({ layers: 2, of: 5 });
    expect(parseOffloadLine("load_tensors: offloading 3 repeating layers to GPU")).toBeNull();
  });
});

describe("setup's smoke verdict", () => {
  const rec = (over: { backend: string; offload?: { layers: number; of: number } | null; status?: string }) =>
    ({
      testId: "tg16",
      status: over.status ?? "ok",
      model: { label: "lfm2-8b-a1b-tiny Q4_K_M" },
      env: { backend: over.backend, gpus: [{ name: "NVIDIA H100 80GB HBM3" }], offload: over.offload },
      // 16 tokens in 40 ms and 60 ms: 16 / 0.05 s = 320 tok/s
      tg: { tokens: 16, samplesMs: [40, 60] },
      pp: null,
      telemetry: { status: "ok", reason: null },
      error: null,
    }) as unknown as ResultRecord;

  it("cuda: every layer offloaded, on cuda, all ok", () => {
    const v = smokeVerdict([rec({ backend: "cuda", offload: { layers: 25, of: 25 } })], "cuda");
    expect(v.ok).toBe(true);
    expect(v.lines).toEqual([
      "smoke: lfm2-8b-a1b-tiny Q4_K_M on cuda (NVIDIA H100 80GB HBM3), 25/25 layers offloaded",
      "smoke: tg16: 320 tok/s",
      "smoke: nvidia-smi telemetry ok",
      "smoke: ok",
    ]);
  });

  it.each([
    [{ backend: "cuda", offload: { layers: 20, of: 25 } }, "only 20 of 25 layers were offloaded"],
    [{ backend: "cuda", offload: null }, "llama.cpp did not say how many layers it offloaded"],
    [{ backend: "cpu" }, "it ran on cpu, not cuda"],
    [{ backend: "cuda", offload: { layers: 25, of: 25 }, status: "crash" }, "1 of 1 instance(s) failed"],
  ])("%j fails: %s", (over, why) => {
    const v = smokeVerdict([rec(over)], "cuda");
    expect(v.ok).toBe(false);
    expect(v.lines).toContain(`smoke: FAILED: ${why}`);
  });

  it("nothing recorded is a failure", () => {
    expect(smokeVerdict([], "cpu")).toEqual({ ok: false, lines: ["smoke: FAILED: the smoke run recorded nothing"] });
  });
});
