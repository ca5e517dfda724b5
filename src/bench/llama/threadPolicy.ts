/**
 * How many threads a context gets, and the warning a record carries when the setting distorts generation.
 *
 * node-llama-cpp attaches no ggml threadpool to its contexts, so every llama_decode it runs creates n−1 fresh
 * threads, spins ggml's barriers across them and joins them (ggml-cpu.c, the `threadpool == NULL` path). A
 * fresh thread that starts on its creator's core makes each barrier wait for a scheduler migration: with
 * every core busy that costs ~15 ms per token (measured: tg at 0.04–0.06× of llama-bench with 2 threads on
 * 2 cores). The C-API path attaches one persistent threadpool per context, as llama-bench does, and has no
 * such collapse: there, auto means every physical core.
 */
import type { TimingIdentity } from "./timingPath.js";

type Path = TimingIdentity["path"];

/** Threads for a context: the suite's number, or for auto (0) a choice that does not distort the path. */
export function resolveThreads(requested: number, path: Path, onGpu: boolean, cpuMathCores: number): number {
  if (requested > 0) return requested;
  if (path === "c-api") return Math.max(1, cpuMathCores);
  if (onGpu) return 0; // node-llama-cpp's own default
  // through node-llama-cpp on the CPU: all cores but one (see above)
  return Math.max(1, cpuMathCores - 1);
}

/** The warning for a CPU context timed through node-llama-cpp that uses every core (empty when fine). */
export function threadWarnings(threads: number, path: Path, onGpu: boolean, cpuMathCores: number): string[] {
  if (path === "c-api" || onGpu || cpuMathCores <= 0 || threads < cpuMathCores) return [];
  return [
    `threads=${threads} uses every core (${cpuMathCores}) through node-llama-cpp, which starts ggml's threads on ` +
      "every decode: generation is badly understated (measured 0.04–0.06× of llama-bench at 2/2 threads); use " +
      `tgMode decode on the C-API path, or threads: [${Math.max(1, cpuMathCores - 1)}]`,
  ];
}
