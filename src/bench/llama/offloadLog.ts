/**
 * How many layers llama.cpp actually put on the GPU, as llama.cpp itself says when it loads a model
 * (llama-model.cpp, load_tensors: "offloaded 25/25 layers to GPU", at info level). The requested gpuLayers is
 * not the answer: a backend without a usable device (ggml's Vulkan skips CPU-type devices unless
 * GGML_VK_VISIBLE_DEVICES is set) loads everything on the CPU while node-llama-cpp still says "vulkan".
 */

export interface Offload {
  /** layers placed on a GPU device (the output layer counts as one, as llama.cpp counts it) */
  layers: number;
  /** layers the model has, as llama.cpp counts them */
  of: number;
}

const OFFLOADED = /offloaded (\d+)\/(\d+) layers to GPU/;

/** The offload count of a llama.cpp log line, or null for any other line. */
export function parseOffloadLine(line: string): Offload | null {
  const m = OFFLOADED.exec(line);
  return m ? { layers: Number(m[1]), of: Number(m[2]) } : null;
}

/** Watches log lines during one model load for llama.cpp's offload line. */
export class OffloadWatch {
  private seen: Offload | null = null;

  see(line: string): void {
    this.seen = parseOffloadLine(line) ?? this.seen;
  }

  /**
   * The offload line of the load, once its log has reached JavaScript (node-llama-cpp delivers llama.cpp's log
   * asynchronously); null if it has not after `waitMs`.
   */
  async result(waitMs = 1000): Promise<Offload | null> {
    const until = performance.now() + waitMs;
    while (!this.seen && performance.now() < until) await new Promise((r) => setTimeout(r, 10));
    return this.seen;
  }
}
