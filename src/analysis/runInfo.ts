/**
 * What ran, per run (pure): the device, the scale of the models, mock or real, threads, and the price that
 * applies. Every label a report prints about "what this is" comes from here.
 */
import type { ResultRecord } from "../results/schema.js";
import { DEFAULT_BASIS_ORDER, gpuPrice, type PriceBasis } from "../data/gpuPrices.js";
import type { Pricing } from "./efficiency.js";

export type Device =
  | { kind: "gpu"; name: string; backend: string }
  | { kind: "cpu"; name: string }
  | { kind: "mock" }
  | { kind: "remote"; name: string };

const GPU_BACKEND = /cuda|vulkan|metal|rocm|hip|sycl|opencl/i;

export function deviceOf(r: ResultRecord): Device {
  if (r.env.backend === "mock") return { kind: "mock" };
  const gpuName = r.telemetry.gpu?.name ?? r.env.gpus[0]?.name ?? null;
  if (r.env.backend.startsWith("http:")) {
    return gpuName ? { kind: "gpu", name: gpuName, backend: r.env.backend } : { kind: "remote", name: r.env.backend };
  }
  const onGpu = GPU_BACKEND.test(r.env.backend) && r.params.gpuLayers !== 0;
  return gpuName && onGpu ? { kind: "gpu", name: gpuName, backend: r.env.backend } : { kind: "cpu", name: r.env.cpu };
}

/** Model scale as run: full, small, tiny (synthetic presets) or "real" (a real file). */
export function scaleOf(r: ResultRecord): string {
  return r.model.synthetic?.scale ?? "real";
}

export interface PriceOptions {
  /** a GPU price the user gave (USD, purchase) */
  gpuPriceUsd?: number;
  /** a CPU price the user gave (USD, purchase); CPU runs have no cost figures without it */
  cpuPriceUsd?: number;
  /** which price of the table to use; default DEFAULT_BASIS_ORDER's first that the card has */
  priceBasis?: PriceBasis;
}

/** The price that applies to a device, or null (then no cost figure is shown). `note` says why not. */
export function pricingFor(device: Device, o: PriceOptions): { pricing: Pricing | null; note: string | null } {
  if (device.kind === "cpu") {
    if (o.cpuPriceUsd === undefined) return { pricing: null, note: null };
    const label = `CPU (${device.name}): $${o.cpuPriceUsd} (CPU price given by the user)`;
    return { pricing: { kind: "purchase", usd: o.cpuPriceUsd, device: "CPU", basis: "given", label }, note: null };
  }
  if (device.kind !== "gpu") return { pricing: null, note: null };
  if (o.gpuPriceUsd !== undefined) {
    const label = `${device.name}: $${o.gpuPriceUsd} (given)`;
    return {
      pricing: { kind: "purchase", usd: o.gpuPriceUsd, device: device.name, basis: "given", label },
      note: null,
    };
  }
  const entry = gpuPrice(device.name);
  const order = o.priceBasis ? [o.priceBasis] : DEFAULT_BASIS_ORDER;
  const basis = order.find((b) => entry?.prices[b]);
  const point = basis ? entry?.prices[basis] : undefined;
  if (!entry || !basis || !point) {
    const what = o.priceBasis ? `no ${o.priceBasis} price` : "no price";
    return { pricing: null, note: `${what} known for ${device.name}: pass --gpu-price (USD) for cost figures` };
  }
  const rental = basis === "rental";
  const amount = rental ? `$${point.usd}/hour` : `$${point.usd}`;
  const label = `${entry.name}: ${amount} (${basis}, ${point.date}; ${point.source})`;
  return {
    pricing: { kind: rental ? "rental" : "purchase", usd: point.usd, device: entry.name, basis, label },
    note: null,
  };
}

export interface RunInfo {
  runId: string;
  suite: string;
  env: ResultRecord["env"];
  records: number;
  failed: number;
  /** failures by status: { oom: 2, error: 1 } */
  failures: Record<string, number>;
  mock: boolean;
  device: Device;
  /** scales of the models in this run: full, small, tiny, real */
  scales: string[];
  synthetic: boolean;
  threads: number[];
  pricing: Pricing | null;
  pricingNote: string | null;
}

export function runInfos(records: readonly ResultRecord[], o: PriceOptions): RunInfo[] {
  const ids = [...new Set(records.map((r) => r.runId))];
  return ids.map((runId) => {
    const rs = records.filter((r) => r.runId === runId);
    const first = rs.find((r) => r.status === "ok") ?? rs[0]!;
    const failures: Record<string, number> = {};
    for (const r of rs) if (r.status !== "ok") failures[r.status] = (failures[r.status] ?? 0) + 1;
    const device = deviceOf(first);
    const { pricing, note } = pricingFor(device, o);
    return {
      runId,
      suite: first.suite,
      env: first.env,
      records: rs.length,
      failed: rs.filter((r) => r.status !== "ok").length,
      failures,
      mock: rs.some((r) => r.env.backend === "mock"),
      device,
      scales: [...new Set(rs.map(scaleOf))],
      synthetic: rs.some((r) => r.model.synthetic !== null),
      threads: [...new Set(rs.flatMap((r) => r.params.threads ?? []))].sort((a, b) => a - b),
      pricing,
      pricingNote: note,
    };
  });
}

/** "CPU (Intel Xeon, 2 cores), 1 thread" / "GPU: NVIDIA GeForce RTX 3060 (cuda)" / "mock executor". */
export function hardwareText(run: RunInfo): string {
  const d = run.device;
  if (d.kind === "mock") return "MOCK executor (synthetic timings, nothing measured)";
  if (d.kind === "remote") return `remote server (${d.name})`;
  if (d.kind === "gpu") return `GPU: ${d.name} (${d.backend})`;
  const t = run.threads.join("/");
  return `CPU: ${d.name} × ${run.env.cpuCores} cores, ${t} thread${t === "1" ? "" : "s"}`;
}

const SCALE_TEXT: Record<string, string> = {
  full: "full-size synthetic models",
  small: "small-scale synthetic models",
  tiny: "tiny-scale synthetic models",
  real: "real model files",
};

/** "small-scale synthetic models" (or a list when a run mixes scales). */
export function scaleText(scales: readonly string[]): string {
  return scales.map((s) => SCALE_TEXT[s] ?? `${s}-scale synthetic models`).join(" + ");
}
