/**
 * NVML's total-energy counter (nvmlDeviceGetTotalEnergyConsumption, mJ since the driver loaded; Volta and
 * newer) through koffi, an optional dependency. Read at phase boundaries in the process that measures.
 * Anything missing (no koffi, no libnvidia-ml, an older GPU) → null, and the trapezoid of power samples is used.
 */
export type EnergyReader = () => bigint | null;

export async function openNvmlEnergy(index = 0): Promise<{ read: EnergyReader } | { unavailable: string }> {
  let koffi: typeof import("koffi");
  try {
    koffi = (await import("koffi")).default as unknown as typeof import("koffi");
  } catch {
    return { unavailable: "koffi (optional dependency) is not installed" };
  }
  let lib: ReturnType<typeof koffi.load> | undefined;
  for (const name of process.platform === "win32" ? ["nvml.dll"] : ["libnvidia-ml.so.1", "libnvidia-ml.so"]) {
    try {
      lib = koffi.load(name);
      break;
    } catch {
      /* try the next name */
    }
  }
  if (!lib) return { unavailable: "libnvidia-ml not found" };
  try {
    const init = lib.func("int nvmlInit_v2()");
    const byIndex = lib.func("int nvmlDeviceGetHandleByIndex_v2(unsigned int index, _Out_ void **device)");
    const energy = lib.func("int nvmlDeviceGetTotalEnergyConsumption(void *device, _Out_ uint64_t *energy)");
    if (init() !== 0) return { unavailable: "nvmlInit failed" };
    const dev: unknown[] = [null];
    if (byIndex(index, dev) !== 0) return { unavailable: `no NVML device ${index}` };
    const probe: (bigint | number)[] = [0n];
    if (energy(dev[0], probe) !== 0)
      return { unavailable: "this GPU has no total-energy counter (Volta and newer have one)" };
    return {
      read: () => {
        const out: (bigint | number)[] = [0n];
        return energy(dev[0], out) === 0 ? BigInt(out[0]!) : null;
      },
    };
  } catch (e) {
    return { unavailable: `NVML call failed: ${(e as Error).message}` };
  }
}
