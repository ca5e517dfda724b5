import { spawnSync } from "node:child_process";
import { parseHelpQuery } from "./parseCsv.js";

/**
 * The fields moebench samples, in preference order; only those this nvidia-smi supports are queried (one
 * unknown field fails the whole query).
 */
export const WANTED_FIELDS = [
  "timestamp",
  "index",
  "uuid",
  "name",
  "driver_version",
  "memory.total",
  "memory.used",
  "power.draw.instant",
  "power.draw",
  "power.limit",
  "temperature.gpu",
  "clocks.sm",
  "clocks.mem",
  "pstate",
  "utilization.gpu",
  "clocks_event_reasons.active",
  "clocks_event_reasons.sw_power_cap",
  "clocks_event_reasons.hw_slowdown",
  "clocks_event_reasons.sw_thermal_slowdown",
  "clocks_event_reasons.hw_thermal_slowdown",
];

/** Which nvidia-smi to run: --nvidia-smi, else MOEBENCH_NVIDIA_SMI, else `nvidia-smi` on PATH. */
export function nvidiaSmiPath(explicit?: string): string {
  return explicit ?? process.env.MOEBENCH_NVIDIA_SMI ?? "nvidia-smi";
}

export type Probe =
  | { ok: true; bin: string; fields: string[]; missing: string[] }
  | { ok: false; bin: string; reason: string };

/** Probe once with --help-query-gpu. */
export function probeFields(bin: string, wanted = WANTED_FIELDS): Probe {
  const r = spawnSync(bin, ["--help-query-gpu"], { encoding: "utf8", timeout: 10_000 });
  if (r.error)
    return {
      ok: false,
      bin,
      reason: (r.error as NodeJS.ErrnoException).code === "ENOENT" ? `${bin} not found` : r.error.message,
    };
  if (r.status !== 0)
    return {
      ok: false,
      bin,
      reason: `${bin} --help-query-gpu exited ${r.status}: ${(r.stderr || r.stdout).trim().split("\n")[0]}`,
    };
  const supported = new Set(parseHelpQuery(r.stdout));
  if (supported.size === 0) return { ok: false, bin, reason: `${bin} --help-query-gpu listed no fields` };
  return {
    ok: true,
    bin,
    fields: wanted.filter((f) => supported.has(f)),
    missing: wanted.filter((f) => !supported.has(f)),
  };
}
