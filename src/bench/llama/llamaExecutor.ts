/**
 * The executor that drives llama.cpp through node-llama-cpp: one Llama instance per worker, the suite's
 * backend, node-llama-cpp's prebuilt binaries unless MOEBENCH_LLAMA_BUILD says otherwise.
 */
import type { Llama } from "node-llama-cpp";
import type { Env } from "../../results/schema.js";
import type { Executor, LoadedModel } from "../executor.js";
import { createLlamaBenchContext } from "./llamaBenchContext.js";

type GpuOption = "auto" | false | "cuda" | "vulkan" | "metal";

/** node-llama-cpp's `gpu` option for a suite's backend. */
function gpuOption(backend: string): GpuOption {
  if (backend === "auto") return "auto";
  if (backend === "cpu") return false;
  return backend as GpuOption;
}

export class LlamaExecutor implements Executor {
  private llama?: Llama;
  constructor(private readonly backend: string) {}

  private async get(): Promise<Llama> {
    if (this.llama) return this.llama;
    const { getLlama, LlamaLogLevel } = await import("node-llama-cpp");
    this.llama = await getLlama({
      gpu: gpuOption(this.backend),
      build: (process.env.MOEBENCH_LLAMA_BUILD as "never" | "auto" | undefined) ?? "never",
      logLevel: LlamaLogLevel.warn,
      logger: (_level, message) => process.stderr.write(message.endsWith("\n") ? message : `${message}\n`),
      // no cap: the suite's threads setting decides (node-llama-cpp caps CPU threads otherwise)
      maxThreads: 0,
    });
    return this.llama;
  }

  async env(): Promise<Partial<Env>> {
    const llama = await this.get();
    const names = llama.gpu ? await llama.getGpuDeviceNames() : [];
    const vram = llama.gpu ? await llama.getVramState() : undefined;
    return {
      llamaCppRelease: llama.llamaCppRelease.release,
      backend: llama.gpu || "cpu",
      gpus: names.map((name) => ({ name, uuid: null, driver: null, vramBytes: vram?.total ?? null })),
    };
  }

  async load(path: string, gpuLayers: number | "max"): Promise<LoadedModel> {
    const llama = await this.get();
    const model = await llama.loadModel({ modelPath: path, gpuLayers: llama.gpu ? gpuLayers : 0 });
    return {
      dispose: () => model.dispose(),
      createContext: (cfg) => createLlamaBenchContext(llama, model, cfg),
    };
  }
}
