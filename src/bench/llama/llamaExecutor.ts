/**
 * The executor that drives llama.cpp: node-llama-cpp chooses and loads the binaries and backends (its prebuilt
 * ones unless MOEBENCH_LLAMA_BUILD says otherwise); timing then goes through the path chosen in timingPath.ts
 * (llama.cpp's C API on those same libraries by default, node-llama-cpp itself for tgMode app or as fallback).
 */
import type { Llama, LlamaModel } from "node-llama-cpp";
import type { Env } from "../../results/schema.js";
import type { BenchContext, ContextConfig, Executor, LoadedModel } from "../executor.js";
import { CApiModel } from "./capi/capiModel.js";
import { createLlamaBenchContext } from "./llamaBenchContext.js";
import { resolveThreads } from "./threadPolicy.js";
import { isSoftwareDevice } from "../detectGpu.js";
import { type Offload, OffloadWatch } from "./offloadLog.js";
import { chooseTimingPath, type TimingChoice } from "./timingPath.js";

type GpuOption = "auto" | false | "cuda" | "vulkan" | "metal";
type TgMode = ContextConfig["tgMode"];

/** node-llama-cpp's `gpu` option for a suite's backend. */
function gpuOption(backend: string): GpuOption {
  if (backend === "auto") return "auto";
  if (backend === "cpu") return false;
  return backend as GpuOption;
}

/** ggml type id of a KV cache type name (f16, q8_0, …), from node-llama-cpp's GgmlType table. */
async function kvTypeResolver(): Promise<(name: string) => number> {
  const { GgmlType } = await import("node-llama-cpp");
  const table = GgmlType as unknown as Record<string, number | undefined>;
  return (name) => {
    const id = table[name.toUpperCase()];
    if (id === undefined) throw new Error(`unknown KV cache type "${name}"`);
    return id;
  };
}

export class LlamaExecutor implements Executor {
  private llama?: Llama;
  private timing?: TimingChoice;
  private offloadWatch?: OffloadWatch;

  /** `tgMode`: the suite's (decides the timing path; a worker runs one suite's instances) */
  constructor(
    private readonly backend: string,
    private readonly options: { tgMode?: TgMode } = {},
  ) {}

  private async get(): Promise<Llama> {
    if (this.llama) return this.llama;
    const { getLlama, LlamaLogLevel } = await import("node-llama-cpp");
    const loud = new Set<string>([LlamaLogLevel.warn, LlamaLogLevel.error, LlamaLogLevel.fatal]);
    this.llama = await getLlama({
      gpu: gpuOption(this.backend),
      build: (process.env.MOEBENCH_LLAMA_BUILD as "never" | "auto" | undefined) ?? "never",
      logLevel: LlamaLogLevel.warn,
      // info lines reach here only while a model loads (load()), for llama.cpp's "offloaded N/M layers"
      logger: (level, message) => {
        this.offloadWatch?.see(message);
        if (loud.has(level)) process.stderr.write(message.endsWith("\n") ? message : `${message}\n`);
      },
      // no cap: the suite's threads setting decides (node-llama-cpp caps CPU threads otherwise)
      maxThreads: 0,
    });
    return this.llama;
  }

  private async timingChoice(): Promise<TimingChoice> {
    await this.get();
    this.timing ??= await chooseTimingPath(this.options.tgMode ?? "decode");
    return this.timing;
  }

  async env(): Promise<Partial<Env>> {
    const llama = await this.get();
    const names = llama.gpu ? await llama.getGpuDeviceNames() : [];
    const vram = llama.gpu ? await llama.getVramState() : undefined;
    return {
      llamaCppRelease: llama.llamaCppRelease.release,
      backend: llama.gpu || "cpu",
      gpus: names.map((name) => ({
        name,
        uuid: null,
        driver: null,
        vramBytes: vram?.total ?? null,
        software: isSoftwareDevice(name),
      })),
      timing: (await this.timingChoice()).identity,
    };
  }

  /** Load with llama.cpp's info log on, watching for its offload line (GPU backends only). */
  async load(path: string, gpuLayers: number | "max"): Promise<LoadedModel> {
    const llama = await this.get();
    if (!llama.gpu) return this.loadModel(path, gpuLayers);
    const { LlamaLogLevel } = await import("node-llama-cpp");
    const watch = new OffloadWatch();
    this.offloadWatch = watch;
    llama.logLevel = LlamaLogLevel.info;
    const restore = async (): Promise<void> => {
      await watch.result();
      llama.logLevel = LlamaLogLevel.warn;
      this.offloadWatch = undefined;
    };
    try {
      const loaded = await this.loadModel(path, gpuLayers);
      const offload = async (): Promise<Offload | null> => {
        await restore();
        return watch.result(0);
      };
      return { ...loaded, offload };
    } catch (e) {
      llama.logLevel = LlamaLogLevel.warn;
      this.offloadWatch = undefined;
      throw e;
    }
  }

  private async loadModel(path: string, gpuLayers: number | "max"): Promise<LoadedModel> {
    const llama = await this.get();
    const timing = await this.timingChoice();
    const onGpu = llama.gpu !== false;
    if (!timing.api) {
      const model = await llama.loadModel({ modelPath: path, gpuLayers: onGpu ? gpuLayers : 0 });
      return {
        dispose: () => model.dispose(),
        createContext: (cfg) => createLlamaBenchContext(llama, model, cfg, timing.identity),
      };
    }
    const api = timing.api;
    const native = CApiModel.load(api, path, gpuLayers, onGpu);
    const kvType = await kvTypeResolver();
    // tgMode app in a C-API worker (not produced by one suite, whose tgMode is one value): node-llama-cpp's
    // own model, loaded the first time it is needed
    let app: LlamaModel | undefined;
    const appIdentity = { ...timing.identity, path: "evaluate" as const, threadpool: "per-decode" as const };
    return {
      dispose: async () => {
        native.dispose();
        await app?.dispose();
      },
      createContext: async (cfg): Promise<BenchContext> => {
        if (cfg.tgMode === "decode") {
          const threads = resolveThreads(cfg.threads, "c-api", onGpu, llama.cpuMathCores);
          return native.createContext(cfg, { threads, kvType, llama });
        }
        app ??= await llama.loadModel({ modelPath: path, gpuLayers: onGpu ? gpuLayers : 0 });
        return createLlamaBenchContext(llama, app, cfg, appIdentity);
      },
    };
  }
}
