import type { Instance } from "./types.js";

export interface ModelSize {
  bytes: number;
  params: number;
  activeParams: number;
}

/**
 * A rough time estimate (seconds) for planning only: prefill at an assumed compute rate, generation at
 * an assumed memory bandwidth over the active weights. Real numbers are what `run` measures.
 */
export function estimateSeconds(
  instances: readonly Instance[],
  sizes: ReadonlyMap<string, ModelSize>,
  gpu: boolean,
  reps: number,
  warmup: number,
): number | null {
  const flops = gpu ? 60e12 : 80e9;
  const bw = gpu ? 400e9 : 8e9;
  let total = 0;
  const loaded = new Set<string>();
  for (const i of instances) {
    const s = sizes.get(i.model.ref);
    if (!s) return null;
    const activeBytes = s.bytes * (s.activeParams / s.params);
    const pp = ((i.params.pp + i.params.depth) * (2 * s.activeParams)) / flops;
    const tg = i.params.tg * (activeBytes / bw) * (i.params.parallel > 1 ? 1 + 0.2 * i.params.parallel : 1);
    total += (reps + warmup) * (pp + tg);
    if (!loaded.has(i.group)) {
      loaded.add(i.group);
      total += 1 + s.bytes / (gpu ? 2e9 : 1e9);
    }
  }
  return total;
}
