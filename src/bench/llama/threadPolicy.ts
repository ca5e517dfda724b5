/**
 * How many threads a context gets, and the warning a record carries when the setting distorts generation.
 */

/** Threads to ask node-llama-cpp for: the suite's number, or for "auto" (0) on the CPU all cores but one. */
export function resolveThreads(requested: number, onGpu: boolean, cpuMathCores: number): number {
  if (requested > 0) return requested;
  if (onGpu) return 0;
  // "auto" threads on the CPU: all cores but one. node-llama-cpp decodes on a libuv thread with a fresh
  // ggml threadpool per decode; using every core leaves none for the JS and libuv threads, and ggml's
  // barriers then spin through whole scheduler slices (measured: tg at 0.06× llama-bench with 2 threads on
  // 2 cores, 1.0× with 1 thread; see npm run bench:fidelity).
  return Math.max(1, cpuMathCores - 1);
}

/** The warning for a CPU context that uses every core (empty when the setting is fine). */
export function threadWarnings(threads: number, onGpu: boolean, cpuMathCores: number): string[] {
  if (onGpu || cpuMathCores <= 0 || threads < cpuMathCores) return [];
  return [
    `threads=${threads} uses every core (${cpuMathCores}) on the CPU backend: node-llama-cpp's generation speed ` +
      "is badly understated in this setting (measured 0.06× of llama-bench at 2/2 threads); use threads: " +
      `[${Math.max(1, cpuMathCores - 1)}] or auto`,
  ];
}
