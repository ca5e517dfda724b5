import { createHash } from "node:crypto";
import { FILE_TYPES, fileType, type GgmlType } from "../ggmlTypes.js";
import { encodeHeader, ggufFileBytes, writeGguf, type WriteResult, type TensorToWrite } from "../write.js";
import { tensorBytes } from "../ggmlTypes.js";
import { MoebenchError, unknownChoice } from "../../util/errors.js";
import { PRESETS, PRESET_ALIASES, SCALES, scaleHparams, type Hparams, type Scale } from "./presets.js";
import { planTensors } from "./tensorPlan.js";
import { weightCounts, type WeightCounts } from "../weightCounts.js";
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

export interface SynthPlan extends WeightCounts {
  preset: string;
  quant: string;
  scale: Scale;
  hparams: Hparams;
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

/**
 * Ranges of the hyperparameters `--set` may change, checked before anything is planned or allocated
 * (llama.cpp's LLAMA_MAX_LAYERS is 512, LLAMA_MAX_EXPERTS 1024; the synthetic tokenizer needs 275 tokens).
 * [min, max, integer?]
 */
export const SET_RANGES: Readonly<Record<string, readonly [number, number, boolean]>> = {
  vocab: [275, 1 << 20, true],
  nEmbd: [32, 1 << 16, true],
  nLayer: [1, 512, true],
  nHead: [1, 1024, true],
  nHeadKv: [1, 1024, true],
  headDim: [8, 1024, true],
  nFf: [32, 1 << 18, true],
  ctxTrain: [1, 1 << 30, true],
  ropeBase: [1e-3, 1e12, false],
  rmsEps: [1e-12, 1, false],
  convLCache: [2, 64, true],
  nExpert: [1, 1024, true],
  nExpertUsed: [1, 1024, true],
  nFfExp: [32, 1 << 18, true],
  nDenseLead: [0, 512, true],
};

function checkSetNumber(k: string, v: unknown): number {
  const [lo, hi, int] = SET_RANGES[k] ?? [0, Number.MAX_SAFE_INTEGER, false];
  if (typeof v !== "number" || !Number.isFinite(v) || v < lo || v > hi || (int && !Number.isInteger(v)))
    throw new MoebenchError(
      `--set ${k}=${String(v)}: expected ${int ? "an integer" : "a number"} from ${lo} to ${hi}`,
      "these bounds keep a plan within what llama.cpp loads",
    );
  return v;
}

function checkSetValue(k: string, cur: unknown, v: number | boolean | number[]): number | boolean | number[] {
  if (typeof cur === "number") return checkSetNumber(k, v);
  if (typeof cur === "boolean" && typeof v !== "boolean")
    throw new MoebenchError(`--set ${k}=${String(v)}: expected true or false`);
  if (Array.isArray(cur)) {
    if (!Array.isArray(v) || v.length > 512 || v.some((x) => !Number.isInteger(x) || x < 0 || x >= 512))
      throw new MoebenchError(`--set ${k}=${String(v)}: expected a comma-separated list of block numbers (0…511)`);
  }
  return v;
}

/** Apply `--set key=value` overrides with validation (keys are Hparams fields). */
export function applySets(h: Hparams, set: Record<string, number | boolean | number[]> = {}): Hparams {
  const out: Hparams = { ...h };
  const settable = Object.keys(h).filter((x) => !["arch", "name", "note", "source", "tokenizerPre"].includes(x));
  for (const [k, v] of Object.entries(set)) {
    if (!settable.includes(k)) throw unknownChoice("hyperparameter", k, settable);
    (out as unknown as Record<string, unknown>)[k] = checkSetValue(k, (h as unknown as Record<string, unknown>)[k], v);
  }
  if (out.nEmbd % out.headDim !== 0 && out.arch !== "llama")
    throw new MoebenchError(`--set: nEmbd ${out.nEmbd} is not a multiple of headDim ${out.headDim}`);
  if (out.nHead % out.nHeadKv !== 0)
    throw new MoebenchError(`--set: nHead ${out.nHead} is not a multiple of nHeadKv ${out.nHeadKv}`);
  if ((out.nExpertUsed ?? 0) > (out.nExpert ?? 0))
    throw new MoebenchError(`--set: nExpertUsed ${out.nExpertUsed} exceeds nExpert ${out.nExpert}`);
  if (out.attnLayers?.some((i) => i >= out.nLayer)) out.attnLayers = out.attnLayers.filter((i) => i < out.nLayer);
  return out;
}

export function planSynth(req: SynthRequest): SynthPlan {
  const preset = resolvePreset(req.preset);
  const quant = resolveQuant(req.quant);
  const scale = req.scale ?? "full";
  if (!SCALES.includes(scale)) throw unknownChoice("scale", scale, SCALES);
  const h = applySets(scaleHparams(preset, PRESETS[preset]!, scale), req.set);
  const ft = fileType(quant)!;
  const tensors = assignTypes(h, ft, planTensors(h));
  const counts = weightCounts(
    tensors.map((t) => ({ name: t.name, shape: t.shape, bytes: tensorBytes(t.type, t.shape) })),
    h.nExpert ?? 0,
    h.nExpertUsed ?? 0,
  );
  return { preset, quant, scale, hparams: h, tensors, ...counts };
}

/**
 * Identity of a synthetic file's random weights: preset, scale, quant, seed and hyperparameters (two
 * synthesized quants never share weights: each quant's blocks are drawn on their own).
 */
export function weightsId(plan: Pick<SynthPlan, "preset" | "scale" | "quant" | "hparams">, seed: number): string {
  const { name: _name, note: _note, source: _source, ...h } = plan.hparams;
  return createHash("sha256")
    .update(JSON.stringify({ preset: plan.preset, scale: plan.scale, quant: plan.quant, seed, h }))
    .digest("hex")
    .slice(0, 16);
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

/** The GGUF metadata of a synthesized file (the converter's keys plus moebench's provenance). */
function synthMetadata(plan: SynthPlan, seed: number, sparse: boolean): ReturnType<typeof buildMetadata> {
  return buildMetadata(plan.hparams, fileType(plan.quant)!, {
    preset: plan.preset,
    scale: plan.scale,
    seed,
    sparse,
    quant: plan.quant,
    weightsId: weightsId(plan, seed),
  });
}

/** Bytes of the file synthesize(req) writes, without writing it (disk plans, the model cache's budget). */
export function synthFileBytes(req: SynthRequest): number {
  const plan = planSynth(req);
  return ggufFileBytes(encodeHeader(synthMetadata(plan, req.seed ?? 42, !!req.sparse), plan.tensors));
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
  const kv = synthMetadata(plan, seed, !!req.sparse);
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
