/**
 * Turn sampler rows into a record's telemetry: energy per repetition of each phase (gross J), the
 * loaded-idle baseline, VRAM before/after load, after context creation and peak, and throttling flags.
 */
import type { Phase, Telemetry } from "../results/schema.js";
import { integrateWindow, sampleInterval } from "./energy.js";
import type { NvidiaSmiSampler, SampleRow } from "./nvidiaSmi/sampler.js";
import { spawnSync } from "node:child_process";
import { parseQueryCsv } from "./nvidiaSmi/parseCsv.js";

/** One process's VRAM (MiB) from `nvidia-smi --query-compute-apps`, or null. */
export function processVramMiB(bin: string, pid: number | undefined): number | null {
  if (!pid) return null;
  const r = spawnSync(bin, ["--query-compute-apps=pid,used_memory", "--format=csv,noheader,nounits"], {
    encoding: "utf8",
    timeout: 5000,
  });
  if (r.status !== 0 || !r.stdout) return null;
  const row = parseQueryCsv(r.stdout, { fields: ["pid", "used_memory"] }).rows.find((x) => x.pid === pid);
  return row && typeof row.used_memory === "number" ? row.used_memory : null;
}

export interface InstanceEvents {
  pid?: number;
  loadStart?: number;
  loadEnd?: number;
  idleStart?: number;
  idleEnd?: number;
  contextCreated?: number;
  start: number;
  end: number;
}

const THROTTLE_FIELDS: Record<string, string> = {
  "clocks_event_reasons.sw_power_cap": "power cap (SW)",
  "clocks_event_reasons.hw_slowdown": "HW slowdown",
  "clocks_event_reasons.sw_thermal_slowdown": "thermal (SW)",
  "clocks_event_reasons.hw_thermal_slowdown": "thermal (HW)",
};

export function throttleSeen(rows: readonly SampleRow[]): string[] {
  const out = new Set<string>();
  for (const r of rows)
    for (const [f, label] of Object.entries(THROTTLE_FIELDS)) if (r.v[f] === "Active") out.add(label);
  return [...out];
}

export function withEnergy(p: Phase | null, sampler: NvidiaSmiSampler | undefined, gpu = 0): Phase | null {
  const q = withRepEnergy(p, sampler, gpu);
  if (!q?.energyPass) return q;
  // the energy pass: NVML where every reading is there, else the trapezoid over its windows
  const pass = q.energyPass;
  let joules: number | null = null;
  if (pass.nvmlJoules?.length && pass.nvmlJoules.every((j) => j !== null && j > 0))
    joules = pass.nvmlJoules.reduce<number>((s, j) => s + (j ?? 0), 0);
  else if (sampler) {
    const { samples } = sampler.power(gpu);
    const each = pass.windowsEpochMs.map(([a, b]) => integrateWindow(samples, a, b, sampleInterval(samples)).joules);
    joules = each.every(Number.isFinite) ? each.reduce((s, j) => s + j, 0) : null;
  }
  const notes = (q.energyNotes ?? []).filter((n) => !/under 1 s|< 1 s/.test(n));
  return {
    ...q,
    energyPass: { ...pass, joules },
    energyNotes: [
      ...notes,
      `tokens per joule from ${pass.windowsEpochMs.length} back-to-back repetitions (${pass.tokens} tokens) ` +
        "covering ≥ 1 s",
    ],
  };
}

function withRepEnergy(p: Phase | null, sampler: NvidiaSmiSampler | undefined, gpu = 0): Phase | null {
  if (p?.nvmlJoules?.length && p.nvmlJoules.every((j) => j !== null && j > 0)) {
    // NVML's counter (mJ resolution, read at the window's edges) beats integrating samples
    const total = (p.windowsEpochMs ?? []).reduce((s, [a, b]) => s + (b - a), 0);
    return {
      ...p,
      joules: p.nvmlJoules,
      energyNotes: [
        "NVML total-energy counter",
        ...(total > 0 && total < 1000
          ? [
              `all repetitions together cover ${total.toFixed(0)} ms (< 1 s): ` +
                "the counter's update rate limits precision",
            ]
          : []),
      ],
    };
  }
  if (!p?.windowsEpochMs?.length || !sampler) return p;
  const { samples, field } = sampler.power(gpu);
  if (!field) return { ...p, joules: null, energyNotes: ["no power samples"] };
  const interval = sampleInterval(samples);
  const notes = new Set<string>();
  if (field === "power.draw")
    notes.add(
      "power.draw is a ~1 s average on Ampere and newer (power.draw.instant unavailable): short phases are smeared",
    );
  const joules = p.windowsEpochMs.map(([a, b]) => {
    const e = integrateWindow(samples, a, b, interval);
    for (const r of e.reasons) notes.add(r.replace(/window of \d+ ms/, "a repetition's window"));
    return Number.isFinite(e.joules) ? e.joules : null;
  });
  const total = p.windowsEpochMs.reduce((s, [a, b]) => s + (b - a), 0);
  if (total < 1000) notes.add(`all repetitions together cover ${total.toFixed(0)} ms (< 1 s): low confidence`);
  return { ...p, joules, energyNotes: [...notes] };
}

const diff = (a: number | null, b: number | null): number | null => (a !== null && b !== null ? a - b : null);

/**
 * What loading put on the card (weights: after load − before load) and what the context added (KV cache
 * and compute buffers: after context creation − after load), MiB, from the device's memory.used readings.
 */
export function vramGrowth(v: {
  beforeLoadMiB: number | null;
  afterLoadMiB: number | null;
  afterContextMiB: number | null;
}): { weightsMiB: number | null; contextMiB: number | null } {
  return { weightsMiB: diff(v.afterLoadMiB, v.beforeLoadMiB), contextMiB: diff(v.afterContextMiB, v.afterLoadMiB) };
}

/** nvidia-smi's driver_version cell: "595.71.05" (text) or, for a short version, a number. */
function driverOf(cell: unknown): string | null {
  if (typeof cell === "string") return cell;
  return typeof cell === "number" ? String(cell) : null;
}

export function instanceTelemetry(
  sampler: NvidiaSmiSampler,
  ev: InstanceEvents,
  gpu = 0,
): {
  idleWatts: number | null;
  source: "power.draw.instant" | "power.draw" | null;
  throttle: string[];
  vram: {
    beforeLoadMiB: number | null;
    afterLoadMiB: number | null;
    afterContextMiB: number | null;
    peakMiB: number | null;
    weightsMiB: number | null;
    contextMiB: number | null;
  };
  gpuInfo: { name: string | null; uuid: string | null; driver: string | null; memoryTotalMiB: number | null } | null;
} {
  const { samples, field } = sampler.power(gpu);
  let idleWatts: number | null = null;
  if (field && ev.idleStart !== undefined && ev.idleEnd !== undefined) {
    const e = integrateWindow(samples, ev.idleStart + 500, ev.idleEnd, sampleInterval(samples));
    idleWatts = Number.isFinite(e.meanW) ? e.meanW : null;
  }
  const mem = (t: number | undefined, before = false): number | null => {
    if (t === undefined) return null;
    const rows = sampler.rows.filter(
      (r) => r.gpu === gpu && typeof r.v["memory.used"] === "number" && (before ? r.t <= t : r.t >= t),
    );
    const r = before ? rows[rows.length - 1] : rows[0];
    return r ? (r.v["memory.used"] as number) : null;
  };
  const during = sampler.between(ev.start, ev.end, gpu);
  const used = during.map((r) => r.v["memory.used"]).filter((x): x is number => typeof x === "number");
  const any = sampler.nearest(ev.start, gpu);
  const readings = {
    beforeLoadMiB: mem(ev.loadStart, true),
    afterLoadMiB: mem(ev.loadEnd),
    afterContextMiB: mem(ev.contextCreated),
  };
  return {
    idleWatts,
    source: field,
    throttle: throttleSeen(during),
    vram: { ...readings, peakMiB: used.length ? Math.max(...used) : null, ...vramGrowth(readings) },
    gpuInfo: any
      ? {
          name: typeof any.v.name === "string" ? any.v.name : null,
          uuid: typeof any.v.uuid === "string" ? any.v.uuid : null,
          driver: driverOf(any.v.driver_version),
          memoryTotalMiB: typeof any.v["memory.total"] === "number" ? any.v["memory.total"] : null,
        }
      : null,
  };
}

export interface MeasuredPhases {
  pp: Phase | null;
  tg: Phase | null;
  parallelTg: Phase | null;
}

/**
 * An ok record's phases with their energy, and its telemetry block: from the run's nvidia-smi sampler
 * where there is one, from NVML's counter alone where only that was read, else "unavailable" and why.
 */
export function recordTelemetry(
  sampler: NvidiaSmiSampler | undefined,
  unavailableReason: string,
  measured: MeasuredPhases,
  ev: InstanceEvents,
): { phases: MeasuredPhases; telemetry: Telemetry } {
  const phases = {
    pp: withEnergy(measured.pp, sampler),
    tg: withEnergy(measured.tg, sampler),
    parallelTg: withEnergy(measured.parallelTg, sampler),
  };
  const nvml = [phases.pp, phases.tg, phases.parallelTg].some((p) =>
    p?.energyNotes?.includes("NVML total-energy counter"),
  );
  if (sampler) {
    const t = instanceTelemetry(sampler, ev);
    const telemetry: Telemetry = {
      status: "ok",
      reason: null,
      source: nvml ? "nvml" : t.source,
      idleWatts: t.idleWatts,
      vram: { ...t.vram, processMiB: processVramMiB(sampler.bin, ev.pid) },
      throttle: t.throttle,
      samplerRestarts: sampler.restarts,
      gpu: t.gpuInfo,
    };
    return { phases, telemetry };
  }
  if (nvml)
    return {
      phases,
      telemetry: { status: "ok", reason: "energy from NVML only (no nvidia-smi samples)", source: "nvml" },
    };
  return { phases, telemetry: { status: "unavailable", reason: unavailableReason } };
}
