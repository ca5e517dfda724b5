/**
 * The identity of a measured instance: every parameter that changes the measurement, as display strings.
 * compare joins on all of it; reports group by it (a quant matrix or a MoE/dense pair only mixes records
 * whose configuration is the same) and show the parts that vary.
 */
import type { ResultRecord } from "../results/schema.js";

export const IDENTITY_FIELDS = [
  "model",
  "quant",
  "test",
  "ctx",
  "kv",
  "fa",
  "threads",
  "ngl",
  "batch",
  "ubatch",
  "tgMode",
  "args",
  "gpu",
] as const;
export type IdentityField = (typeof IDENTITY_FIELDS)[number];
/** The fields that describe how an instance ran (all but model, quant and test). */
export const CONFIG_FIELDS: readonly IdentityField[] = IDENTITY_FIELDS.slice(3);
export type Identity = Record<IdentityField, string>;

/** Column headers for identity fields (never two columns headed "model"). */
export const IDENTITY_HEADERS: Record<IdentityField, string> = {
  model: "model file",
  quant: "quant",
  test: "test",
  ctx: "ctx",
  kv: "KV K/V",
  fa: "FA",
  threads: "threads",
  ngl: "GPU layers",
  batch: "batch",
  ubatch: "ubatch",
  tgMode: "tg mode",
  args: "executor args",
  gpu: "GPU",
};

const CPU_BACKENDS = new Set(["cpu", "mock"]);
const str = (v: unknown): string => (v === null || v === undefined ? "—" : String(v));

function onOff(v: boolean | null | undefined): string {
  if (v === null || v === undefined) return "—";
  return v ? "on" : "off";
}

function gpuLayers(r: ResultRecord): string {
  const p = r.params;
  const cpu = CPU_BACKENDS.has(r.env.backend) || r.env.gpus.length === 0;
  if (cpu) return "cpu";
  if (p.gpuLayers === "max" || (typeof p.gpuLayers === "number" && p.gpuLayers >= 99)) return "all";
  return str(p.gpuLayers);
}

function modelIdentity(r: ResultRecord): string {
  if (r.model.headerSha256) return `sha:${r.model.headerSha256.slice(0, 16)}`;
  return `file:${(r.model.path ?? r.model.ref).split(/[\\/]/).pop()}`;
}

export function identityOf(r: ResultRecord): Identity {
  const p = r.params;
  const args = r.extra?.llamaBenchArgs;
  return {
    model: modelIdentity(r),
    quant: r.model.quant ?? r.model.fileType ?? "?",
    test: r.testId,
    ctx: str(p.ctx),
    kv: `${str(p.kvK)}/${str(p.kvV)}`,
    fa: onOff(p.flashAttention),
    threads: str(p.threads),
    ngl: gpuLayers(r),
    batch: str(p.batch),
    ubatch: str(p.ubatch),
    tgMode: str(p.tgMode),
    args: typeof args === "string" && args.trim() ? args.trim() : "none",
    gpu: r.telemetry.gpu?.name ?? r.env.gpus[0]?.name ?? "none",
  };
}

/** A stable key over the given fields. */
export function identityKey(id: Identity, fields: readonly IdentityField[]): string {
  return fields.map((f) => `${f}=${id[f]}`).join("|");
}

/** Fields (among `fields`) whose value differs between identities. */
export function varyingFields(ids: readonly Identity[], fields: readonly IdentityField[]): IdentityField[] {
  return fields.filter((f) => new Set(ids.map((i) => i[f])).size > 1);
}

/** "ctx 8192 · KV f16/f16 · FA off · 1 thread": the configuration fields, for headings and captions. */
export function configText(id: Identity, fields: readonly IdentityField[]): string {
  const part: Record<IdentityField, (v: string) => string> = {
    model: (v) => v,
    quant: (v) => v,
    test: (v) => v,
    ctx: (v) => `ctx ${v}`,
    kv: (v) => `KV ${v}`,
    fa: (v) => `FA ${v}`,
    threads: (v) => `${v} thread${v === "1" ? "" : "s"}`,
    ngl: (v) => (v === "cpu" ? "CPU" : `GPU layers ${v}`),
    batch: (v) => `batch ${v}`,
    ubatch: (v) => `ubatch ${v}`,
    tgMode: (v) => `tg ${v}`,
    args: (v) => (v === "none" ? "" : `args "${v}"`),
    gpu: (v) => (v === "none" ? "" : v),
  };
  return fields
    .map((f) => part[f](id[f]))
    .filter(Boolean)
    .join(" · ");
}
