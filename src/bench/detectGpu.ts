/**
 * Which backend will run, decided once in the parent before anything is planned for a GPU: node-llama-cpp
 * is asked what it can load here (no model), and its answer is judged. A software or CPU-type device
 * (Mesa's llvmpipe/lavapipe, SwiftShader) is not a GPU for `backend: auto` — it runs at a fraction of the
 * CPU backend's speed — but it can still be chosen explicitly (`--backend vulkan`). An explicit backend
 * that node-llama-cpp cannot provide here is a one-line error, never a silent CPU run.
 */
import { MoebenchError } from "../util/errors.js";

export type GpuKind = "cuda" | "vulkan" | "metal";

/** What node-llama-cpp reported: the GPU backend it loaded (or false), its devices' names, total VRAM. */
export interface ReportedDevices {
  gpu: GpuKind | false;
  names: string[];
  vramBytes: number | null;
}

export interface Device {
  /** the backend the workers will ask node-llama-cpp for: a GPU kind, or "cpu" */
  backend: GpuKind | "cpu";
  gpu: GpuKind | false;
  names: string[];
  vramBytes: number | null;
  /** why a GPU that node-llama-cpp offered is not used (for the header), if so */
  note?: string;
}

const SOFTWARE_DEVICE = /llvmpipe|lavapipe|softpipe|swiftshader|software rasterizer|microsoft basic render/i;

/** A device name of a software rasterizer or CPU-type Vulkan device. */
export function isSoftwareDevice(name: string): boolean {
  return SOFTWARE_DEVICE.test(name);
}

const CPU: Device = { backend: "cpu", gpu: false, names: [], vramBytes: null };

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
        `backend ${requested}: node-llama-cpp found no ${requested} device here (it offers ${reported.gpu || "CPU only"})`,
        "use backend: auto or cpu (suite or --backend), or install the driver",
      );
    return { backend: requested, gpu: requested, names: reported.names, vramBytes: reported.vramBytes };
  }
  if (!reported.gpu) return CPU;
  const hardware = reported.names.filter((n) => !isSoftwareDevice(n));
  if (hardware.length && (reported.vramBytes ?? 0) > 0)
    return { backend: reported.gpu, gpu: reported.gpu, names: hardware, vramBytes: reported.vramBytes };
  const what = reported.names.length ? `only a software device: ${reported.names.join(", ")}` : "no device";
  return { ...CPU, note: `${reported.gpu} offers ${what}; not a GPU (choose it with --backend ${reported.gpu})` };
}

/** Ask node-llama-cpp (loads the binding once in the parent; no model). */
async function probe(requested: string): Promise<ReportedDevices | { error: string }> {
  try {
    const { getLlama, LlamaLogLevel } = await import("node-llama-cpp");
    const llama = await getLlama({
      gpu: requested === "auto" ? "auto" : (requested as GpuKind),
      build: "never",
      logLevel: LlamaLogLevel.error,
      // its "prebuilt binary is not compatible" notice: our one line says it
      progressLogs: false,
    });
    try {
      if (!llama.gpu) return { gpu: false, names: [], vramBytes: null };
      const vram = await llama.getVramState();
      return { gpu: llama.gpu, names: await llama.getGpuDeviceNames(), vramBytes: vram.total };
    } finally {
      await llama.dispose();
    }
  } catch (e) {
    return { error: (e instanceof Error ? e.message : String(e)).split("\n")[0]! };
  }
}

export async function detectDevice(requested: string): Promise<Device> {
  if (requested === "cpu" || requested === "mock") return CPU;
  return chooseDevice(requested, await probe(requested));
}
