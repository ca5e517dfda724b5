/**
 * Were two GGUF files' weights made from one another? KL divergence against a reference means something
 * only for a quant made from the reference's own weights (llama-quantize of that file). moebench's
 * synthetic files say what they are (moebench.synthetic.* keys); llama-quantize copies those keys into the
 * file it makes and writes a new general.file_type, which is how a derived quant is recognised. Real files
 * carry no such record: they are taken on trust when they are the same model (same tensors and shapes).
 */
import type { GgufFile } from "./read.js";
import { FTYPE_NAMES } from "./ggmlTypes.js";

export interface Origin {
  /** the file type in general.file_type */
  fileType: string | null;
  synthetic: { preset: string; scale: string; quant: string | null; weights: string | null } | null;
}

export function originOf(g: GgufFile): Origin {
  const m = g.metadata;
  const ft = m.get("general.file_type");
  const str = (k: string): string | null => {
    const v = m.get(k);
    return typeof v === "string" ? v : null;
  };
  const preset = str("moebench.synthetic.preset");
  return {
    fileType: typeof ft === "number" ? (FTYPE_NAMES[ft] ?? `ftype ${ft}`) : null,
    synthetic: preset
      ? {
          preset,
          scale: str("moebench.synthetic.scale") ?? "",
          quant: str("moebench.synthetic.quant"),
          weights: str("moebench.synthetic.weights"),
        }
      : null,
  };
}

const sameTensors = (a: GgufFile, b: GgufFile): boolean =>
  a.tensors.length === b.tensors.length &&
  a.tensors.every((t, i) => t.name === b.tensors[i]!.name && t.shape.join() === b.tensors[i]!.shape.join());

export type Comparability = { ok: true; synthetic: boolean } | { ok: false; reason: string; hint: string };

const HOW =
  "make the quant from the reference's weights: moebench synth <preset> -q <Q> --from <reference F16.gguf> " +
  "(llama-quantize), or for real models quantize the reference with llama-quantize";

/** Can `quant` be scored against `reference`? (pure) */
export function comparable(reference: GgufFile, quant: GgufFile): Comparability {
  const r = originOf(reference);
  const q = originOf(quant);
  if (!sameTensors(reference, quant))
    return { ok: false, reason: "is not the same model as the reference (different tensors or shapes)", hint: HOW };
  if (!r.synthetic && !q.synthetic) return { ok: true, synthetic: false };
  if (!r.synthetic || !q.synthetic)
    return { ok: false, reason: "mixes a synthetic (random-weight) file with a real one", hint: HOW };
  if (!r.synthetic.weights || !q.synthetic.weights || !q.synthetic.quant)
    return {
      ok: false,
      reason: "is a synthetic file from an older moebench that does not record its weights",
      hint: `synthesize the reference again, then ${HOW}`,
    };
  const refIsOriginal = r.synthetic.quant === r.fileType;
  const derived = q.synthetic.weights === r.synthetic.weights && q.synthetic.quant !== q.fileType;
  if (!refIsOriginal || !derived)
    return {
      ok: false,
      reason:
        `has its own random weights, not the reference's ` +
        `(it was synthesized as ${q.synthetic.quant}, not quantized from ${reference.path})`,
      hint: HOW,
    };
  return { ok: true, synthetic: true };
}
