/**
 * Ask node-llama-cpp which GPU backend it loads here and which devices llama.cpp uses (no model). Run as
 * a script (node dist/bench/deviceProbe.js [backend]) it prints the answer as JSON: detectGpu.ts asks again
 * in a child process when the question depends on environment read once at the binding's start.
 */
import { fileURLToPath } from "node:url";

export type GpuKind = "cuda" | "vulkan" | "metal";

/** What node-llama-cpp reported: the GPU backend it loaded (or false), its devices' names, total VRAM. */
export interface ReportedDevices {
  gpu: GpuKind | false;
  names: string[];
  vramBytes: number | null;
}

export async function probeDevices(requested: string): Promise<ReportedDevices | { error: string }> {
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

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  process.stdout.write(JSON.stringify(await probeDevices(process.argv[2] ?? "vulkan")));
}
