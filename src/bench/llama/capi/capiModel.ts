/**
 * A model loaded through llama.cpp's C API with the parameters node-llama-cpp 3.22 uses for the same options
 * (AddonModel.cpp: mmap, lazy loading off, every other field at llama.cpp's default).
 */
import type { ContextConfig } from "../../executor.js";
import { CApiBenchContext, type CApiContextOptions } from "./capiBenchContext.js";
import type { LlamaCApi, NativePointer } from "./llamaCApi.js";

const LOAD_MODE_MMAP = 1;
const LAZY_MODE_OFF = 0;

export class CApiModel {
  readonly vocab: number;

  private constructor(
    private readonly api: LlamaCApi,
    private readonly model: NativePointer,
  ) {
    this.vocab = api.vocabSize(model);
  }

  /** Load `path`; gpuLayers "max" is every layer (llama.cpp's −1), and nothing is offloaded without a GPU. */
  static load(api: LlamaCApi, path: string, gpuLayers: number | "max", onGpu: boolean): CApiModel {
    const params = api.modelDefaultParams();
    params.n_gpu_layers = 0;
    if (onGpu) params.n_gpu_layers = gpuLayers === "max" ? -1 : gpuLayers;
    params.load_mode = LOAD_MODE_MMAP;
    params.lazy_mode = LAZY_MODE_OFF;
    const model = api.loadModel(path, params);
    if (!model) throw new Error(`llama_model_load_from_file failed for ${path}: see stderr`);
    return new CApiModel(api, model);
  }

  createContext(cfg: ContextConfig, options: CApiContextOptions): CApiBenchContext {
    return CApiBenchContext.create(this.api, { pointer: this.model, vocab: this.vocab }, cfg, options);
  }

  dispose(): void {
    this.api.freeModel(this.model);
  }
}
