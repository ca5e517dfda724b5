/**
 * Which backend will run, decided once in the parent before anything is planned for a GPU: node-llama-cpp
 * is asked what it can load here (no model), and its answer is judged. A software or CPU-type device
 * (Mesa's llvmpipe/lavapipe, SwiftShader) is not a GPU for `backend: auto` — it runs at a fraction of the
 * CPU backend's speed — but it can still be chosen explicitly (`--backend vulkan`). An explicit backend
 * that node-llama-cpp cannot provide here is a one-line error, never a silent CPU run.
 */
import { spawnSync } from "node:child_process";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { MoebenchError } from "../util/errors.js";
import { probeDevices, type ReportedDevices } from "./deviceProbe.js";

export type { GpuKind } from "./deviceProbe.js";
import type { GpuKind } from "./deviceProbe.js";

export type { ReportedDevices };

const PROBE = join(dirname(fileURLToPath(import.meta.url)), "deviceProbe.js");
const VISIBLE = "GGML_VK_VISIBLE_DEVICES";

export interface Device {
  /** the backend the workers will ask node-llama-cpp for: a GPU kind, or "cpu" */
  backend: GpuKind | "cpu";
  gpu: GpuKind | false;
  names: string[];
  vramBytes: number | null;
  /** why a GPU that node-llama-cpp offered is not used, or what the chosen device is (for the header) */
  note?: string;
  /** a software or CPU-type device chosen explicitly: runs the CPU plan (not the suite's gpu: models) */
  cpuType?: boolean;
}

const SOFTWARE_DEVICE = /llvmpipe|lavapipe|softpipe|swiftshader|software rasterizer|microsoft basic render/i;

/** A device name of a software rasterizer or CPU-type Vulkan device. */
export function isSoftwareDevice(name: string): boolean {
  return SOFTWARE_DEVICE.test(name);
}

const CPU: Device = { backend: "cpu", gpu: false, names: [], vramBytes: null };

/**
 * A GPU backend that loads but sees no device would put every layer on the CPU while the records say the
 * backend's name. ggml's Vulkan backend hides CPU-type devices (Mesa's lavapipe) unless GGML_VK_VISIBLE_DEVICES
 * names them.
 */
function noDevice(requested: string): MoebenchError {
  const vulkan = "ggml hides CPU-type Vulkan devices such as Mesa's lavapipe: GGML_VK_VISIBLE_DEVICES=0 shows one";
  return new MoebenchError(
    `backend ${requested}: node-llama-cpp's ${requested} backend loads but sees no device`,
    requested === "vulkan" ? vulkan : "check the driver (nvidia-smi) and that the device is visible here",
  );
}

/** The decision, from what node-llama-cpp reported (pure; unit-tested on reported device names). */
export function chooseDevice(requested: string, reported: ReportedDevices | { error: string }): Device {
  if (requested === "cpu" || requested === "mock") return CPU;
  if ("error" in reported) {
    if (requested === "auto") return { ...CPU, note: `no GPU backend loads here (${reported.error})` };
    throw new MoebenchError(
      `backend ${requested}: node-llama-cpp cannot use ${requested} on this machine (${reported.error})`,
      "use backend: auto or cpu (suite or --backend), or install the driver",
    );
  }
  if (requested !== "auto") {
    if (reported.gpu !== requested)
      throw new MoebenchError(
        `backend ${requested}: node-llama-cpp found no ${requested} device here ` +
          `(it offers ${reported.gpu || "CPU only"})`,
        "use backend: auto or cpu (suite or --backend), or install the driver",
      );
    if (reported.names.length === 0) throw noDevice(requested);
    const cpuType = reported.names.length > 0 && reported.names.every(isSoftwareDevice);
    return {
      backend: requested,
      gpu: requested,
      names: reported.names,
      vramBytes: reported.vramBytes,
      ...(cpuType ? { cpuType, note: "a software device, chosen explicitly" } : {}),
    };
  }
  if (!reported.gpu) return CPU;
  const hardware = reported.names.filter((n) => !isSoftwareDevice(n));
  if (hardware.length && (reported.vramBytes ?? 0) > 0)
    return { backend: reported.gpu, gpu: reported.gpu, names: hardware, vramBytes: reported.vramBytes };
  const what = reported.names.length ? `only a software device: ${reported.names.join(", ")}` : "no device";
  return { ...CPU, note: `${reported.gpu} offers ${what}; not a GPU (choose it with --backend ${reported.gpu})` };
}

/** One more question, in a child process: which device would llama.cpp use with CPU-type devices allowed? */
function probeCpuTypeDevices(): ReportedDevices | { error: string } {
  const r = spawnSync(process.execPath, [PROBE], {
    env: { ...process.env, [VISIBLE]: "0" },
    encoding: "utf8",
    timeout: 120_000,
  });
  try {
    return JSON.parse(r.stdout) as ReportedDevices | { error: string };
  } catch {
    return { error: r.stderr.trim().split("\n").pop() ?? `exit ${r.status}` };
  }
}

/**
 * An explicit `--backend vulkan` where llama.cpp's Vulkan build skips every device (it skips CPU-type ones,
 * such as lavapipe, unless GGML_VK_VISIBLE_DEVICES names them): select device 0 for the workers, which
 * inherit our environment, and say so.
 */
function vulkanCpuType(): Device {
  const again = probeCpuTypeDevices();
  if ("error" in again || !again.names.length)
    throw new MoebenchError(
      "backend vulkan: node-llama-cpp's Vulkan build finds no device here",
      "install a Vulkan driver, or use backend: auto or cpu",
    );
  process.env[VISIBLE] = "0";
  return {
    backend: "vulkan",
    gpu: "vulkan",
    names: again.names,
    vramBytes: again.vramBytes,
    note: `a CPU-type Vulkan device, selected with ${VISIBLE}=0`,
    cpuType: true,
  };
}

export async function detectDevice(requested: string): Promise<Device> {
  if (requested === "cpu" || requested === "mock") return CPU;
  const reported = await probeDevices(requested);
  const device = chooseDevice(requested, reported);
  if (requested === "vulkan" && !device.names.length && process.env[VISIBLE] === undefined) return vulkanCpuType();
  return device;
}
