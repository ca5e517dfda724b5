/**
 * One nvidia-smi sampler for a whole run, or the reason there is none (then records say
 * `telemetry: unavailable` with that reason and the run goes on).
 */
import { nvidiaSmiPath, probeFields } from "./nvidiaSmi/probeFields.js";
import { NvidiaSmiSampler } from "./nvidiaSmi/sampler.js";

export interface TelemetryOptions {
  /** nvidia-smi path (else MOEBENCH_NVIDIA_SMI, else PATH) */
  nvidiaSmi?: string;
  intervalMs?: number;
  /** seconds of loaded-idle power measured after each load */
  idleBaselineSec?: number;
  disabled?: boolean;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

export async function startTelemetry(
  o: TelemetryOptions | undefined,
  note: (line: string) => void,
): Promise<{ sampler: NvidiaSmiSampler | undefined; reason: string }> {
  if (o?.disabled) return { sampler: undefined, reason: "disabled (--no-telemetry)" };
  const probe = probeFields(nvidiaSmiPath(o?.nvidiaSmi));
  if (!probe.ok) return { sampler: undefined, reason: probe.reason };
  const intervalMs = o?.intervalMs ?? 50;
  const sampler = new NvidiaSmiSampler(probe.bin, probe.fields, intervalMs).start();
  await sleep(300);
  if (!sampler.rows.length) await sleep(1000);
  if (!sampler.rows.length) {
    sampler.stop();
    return { sampler: undefined, reason: `${probe.bin} produced no samples` };
  }
  const unsupported = probe.missing.length ? `; unsupported here: ${probe.missing.join(", ")}` : "";
  note(`telemetry: ${probe.bin} every ${intervalMs} ms (${probe.fields.length} fields${unsupported})`);
  return { sampler, reason: "" };
}
