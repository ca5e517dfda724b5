import { FILE_TYPES, fileType, type GgmlType } from "../ggmlTypes.js";
import { writeGguf, type WriteResult, type TensorToWrite } from "../write.js";
import { tensorBytes } from "../ggmlTypes.js";
import { MoebenchError, unknownChoice } from "../../util/errors.js";
import { PRESETS, PRESET_ALIASES, SCALES, scaleHparams, type Hparams, type Scale } from "./presets.js";
import { planTensors, paramCount } from "./tensorPlan.js";
import { assignTypes, type TypedTensor } from "./quantMix.js";
import { buildMetadata } from "./metadata.js";
import { makeBlockPool, Rng } from "./blockPool.js";

export interface SynthRequest {
  preset: string;
  quant: string;
  scale?: Scale;
  /** hyperparameter overrides, e.g. { nLayer: 4 } */
  set?: Record<string, number | boolean | number[]>;
  seed?: number;
  sparse?: boolean;
}

export interface SynthPlan {
  preset: string;
  quant: string;
  scale: Scale;
  hparams: Hparams;
  params: number;
  tensorBytes: number;
  tensors: TypedTensor[];
}

export const QUANT_NAMES = FILE_TYPES.map((f) => f.name);
export const PRESET_NAMES = Object.keys(PRESETS);

export function resolvePreset(name: string): string {
  const k = name.toLowerCase();
  if (PRESETS[k]) return k;
  const alias = PRESET_ALIASES[k];
  if (alias) return alias;
  throw unknownChoice("preset", name, [...PRESET_NAMES, ...Object.keys(PRESET_ALIASES)]);
}

export function resolveQuant(name: string): string {
  const up = name.toUpperCase();
  if (fileType(up)) return up;
  if (up === "FP16") return "F16";
  throw unknownChoice("quant", name, QUANT_NAMES);
}

/** Apply `--set key=value` overrides with validation (keys are Hparams fields). */
export function applySets(h: Hparams, set: Record<string, number | boolean | number[]> = {}): Hparams {
  const out: Hparams = { ...h };
  for (const [k, v] of Object.entries(set)) {
    if (!(k in h) || k === "arch" || k === "name" || k === "note") {
      throw unknownChoice(
        "hyperparameter",
        k,
        Object.keys(h).filter((x) => !["arch", "name", "note"].includes(x)),
      );
    }
    const cur = (h as unknown as Record<string, unknown>)[k];
    if (typeof cur === "number" && (typeof v !== "number" || !Number.isFinite(v) || v <= 0))
      throw new MoebenchError(`--set ${k}=${String(v)}: expected a positive number`);
    if (typeof cur === "boolean" && typeof v !== "boolean")
      throw new MoebenchError(`--set ${k}=${String(v)}: expected true or false`);
    if (Array.isArray(cur) && !Array.isArray(v))
      throw new MoebenchError(`--set ${k}=${String(v)}: expected a comma-separated list of numbers`);
    (out as unknown as Record<string, unknown>)[k] = v;
  }
  if (out.nEmbd % out.headDim !== 0 && out.arch !== "llama")
    throw new MoebenchError(`--set: nEmbd ${out.nEmbd} is not a multiple of headDim ${out.headDim}`);
  if (out.nHead % out.nHeadKv !== 0)
    throw new MoebenchError(`--set: nHead ${out.nHead} is not a multiple of nHeadKv ${out.nHeadKv}`);
  if (out.attnLayers?.some((i) => i >= out.nLayer)) out.attnLayers = out.attnLayers.filter((i) => i < out.nLayer);
  return out;
}

export function planSynth(req: SynthRequest): SynthPlan {
  const preset = resolvePreset(req.preset);
  const quant = resolveQuant(req.quant);
  const scale = req.scale ?? "full";
  if (!SCALES.includes(scale)) throw unknownChoice("scale", scale, SCALES);
  const h = applySets(scaleHparams(PRESETS[preset]!, scale), req.set);
  const ft = fileType(quant)!;
  const tensors = assignTypes(h, ft, planTensors(h));
  return {
    preset,
    quant,
    scale,
    hparams: h,
    params: paramCount(tensors),
    tensorBytes: tensors.reduce((s, t) => s + tensorBytes(t.type, t.shape), 0),
    tensors,
  };
}

function hashName(s: string): number {
  let h = 2166136261;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 16777619);
  }
  return h >>> 0;
}

/** F32 tensors: norms are 1, biases 0, routers and conv kernels small random values. */
function f32Tensor(t: TensorToWrite, bytes: number, rng: Rng): Buffer {
  const n = bytes / 4;
  const b = Buffer.alloc(bytes);
  if (t.name.endsWith("_norm.weight")) {
    for (let i = 0; i < n; i++) b.writeFloatLE(1, i * 4);
    return b;
  }
  if (t.name.endsWith(".bias")) return b;
  if (t.name === "rope_freqs.weight") {
    for (let i = 0; i < n; i++) b.writeFloatLE(1, i * 4);
    return b;
  }
  const w = new Uint32Array(n);
  rng.fill(w);
  for (let i = 0; i < n; i++) b.writeFloatLE((w[i]! / 4294967296 - 0.5) * 0.1, i * 4);
  return b;
}

export async function synthesize(
  req: SynthRequest,
  out: string,
  onProgress?: (done: number, total: number) => void,
): Promise<SynthPlan & WriteResult> {
  const plan = planSynth(req);
  const seed = req.seed ?? 42;
  const rng = new Rng(seed);
  const pools = new Map<string, Buffer>();
  const pool = (type: GgmlType): Buffer => {
    let p = pools.get(type.name);
    if (!p) {
      p = makeBlockPool(type, rng);
      pools.set(type.name, p);
    }
    return p;
  };
  const kv = buildMetadata(plan.hparams, fileType(plan.quant)!, {
    preset: plan.preset,
    scale: plan.scale,
    seed,
    sparse: !!req.sparse,
  });
  const data = function* (t: TensorToWrite, bytes: number): Iterable<Uint8Array> {
    if (t.type.name === "F32") {
      yield f32Tensor(t, bytes, rng);
      return;
    }
    const p = pool(t.type);
    const nBlocks = p.length / t.type.typeSize;
    let off = (hashName(t.name) % nBlocks) * t.type.typeSize;
    let left = bytes;
    while (left > 0) {
      const n = Math.min(left, p.length - off);
      yield p.subarray(off, off + n);
      left -= n;
      off = 0;
    }
  };
  const res = await writeGguf(out, kv, plan.tensors, data, { sparse: req.sparse, onProgress });
  return { ...plan, ...res };
}
