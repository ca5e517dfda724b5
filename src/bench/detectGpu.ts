/** Does node-llama-cpp find a GPU here? (Loads the binding once in the parent; no model.) */
export async function detectGpu(
  backend: string,
): Promise<{ gpu: string | false; vramBytes: number | null; names: string[] }> {
  if (backend === "cpu" || backend === "mock") return { gpu: false, vramBytes: null, names: [] };
  try {
    const { getLlama, LlamaLogLevel } = await import("node-llama-cpp");
    const llama = await getLlama({
      gpu: backend === "auto" ? "auto" : (backend as "cuda"),
      build: "never",
      logLevel: LlamaLogLevel.error,
    });
    if (!llama.gpu) {
      await llama.dispose();
      return { gpu: false, vramBytes: null, names: [] };
    }
    const v = await llama.getVramState();
    const names = await llama.getGpuDeviceNames();
    await llama.dispose();
    return { gpu: llama.gpu, vramBytes: v.total, names };
  } catch {
    return { gpu: false, vramBytes: null, names: [] };
  }
}
