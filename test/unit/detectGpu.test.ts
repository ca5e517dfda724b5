import { describe, expect, it } from "vitest";
import { chooseDevice, isSoftwareDevice } from "../../src/bench/detectGpu.js";

const GiB = 2 ** 30;

describe("GPU detection for backend: auto", () => {
  it.each([
    "llvmpipe (LLVM 15.0.6, 256 bits)",
    "lavapipe",
    "SwiftShader Device (Subzero)",
    "SwiftShader Device (LLVM 10.0.0)",
    "Microsoft Basic Render Driver",
  ])("%s is a software device", (name) => expect(isSoftwareDevice(name)).toBe(true));

  it.each(["NVIDIA GeForce RTX 3060", "AMD Radeon RX 7900 XTX (RADV NAVI31)", "Intel(R) Arc(tm) A770 Graphics (DG2)"])(
    "%s is a GPU",
    (name) => expect(isSoftwareDevice(name)).toBe(false),
  );

  it("Mesa's lavapipe through the Vulkan build: auto runs on the CPU and says why", () => {
    const d = chooseDevice("auto", { gpu: "vulkan", names: ["llvmpipe (LLVM 15.0.6, 256 bits)"], vramBytes: 24 * GiB });
    expect(d.backend).toBe("cpu");
    expect(d.gpu).toBe(false);
    expect(d.note).toMatch(/only a software device: llvmpipe .*--backend vulkan/);
  });

  it("a Vulkan build with no device at all is not a GPU either", () => {
    expect(chooseDevice("auto", { gpu: "vulkan", names: [], vramBytes: 0 }).backend).toBe("cpu");
  });

  it("a real card is picked by auto, software devices beside it are left out", () => {
    const d = chooseDevice("auto", {
      gpu: "vulkan",
      names: ["llvmpipe (LLVM 15.0.6, 256 bits)", "NVIDIA GeForce RTX 3060"],
      vramBytes: 12 * GiB,
    });
    expect(d).toEqual({ backend: "vulkan", gpu: "vulkan", names: ["NVIDIA GeForce RTX 3060"], vramBytes: 12 * GiB });
  });

  it("--backend vulkan still chooses the software device explicitly", () => {
    const d = chooseDevice("vulkan", { gpu: "vulkan", names: ["llvmpipe (LLVM 15.0.6, 256 bits)"], vramBytes: GiB });
    expect(d.backend).toBe("vulkan");
    expect(d.names).toEqual(["llvmpipe (LLVM 15.0.6, 256 bits)"]);
    expect(d.cpuType).toBe(true);
  });

  it("an explicit backend node-llama-cpp cannot provide is a one-line error, never a CPU run", () => {
    expect(() => chooseDevice("cuda", { error: "NoBinaryFoundError: no binary found" })).toThrow(
      /^backend cuda: node-llama-cpp cannot use cuda on this machine \(NoBinaryFoundError/,
    );
    expect(() => chooseDevice("cuda", { gpu: false, names: [], vramBytes: null })).toThrow(
      /backend cuda: node-llama-cpp found no cuda device here \(it offers CPU only\)/,
    );
    expect(chooseDevice("auto", { error: "x" }).backend).toBe("cpu");
    // the Vulkan build without GGML_VK_VISIBLE_DEVICES on a machine with only lavapipe: no device at all
    expect(() => chooseDevice("vulkan", { gpu: "vulkan", names: [], vramBytes: 0 })).toThrow(
      /^backend vulkan: node-llama-cpp's vulkan backend loads but sees no device$/,
    );
    expect(chooseDevice("cpu", { gpu: "cuda", names: ["NVIDIA H100"], vramBytes: 80 * GiB }).backend).toBe("cpu");
  });
});
