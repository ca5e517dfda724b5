/**
 * Wall-clock time in epoch ms with sub-ms precision, comparable across processes (the worker's windows, the
 * sampler's rows).
 */
export const epochNow = (): number => performance.timeOrigin + performance.now();
