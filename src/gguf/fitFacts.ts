/** FitFacts from a GGUF header or from a synth plan (exact, no file needed): one tensor-table walk for both. */
import type { GgufFile } from "./read.js";
import { modelFacts } from "./modelFacts.js";
import type { FitFacts } from "./fit.js";
import type { SynthPlan } from "./synth/synthesize.js";
import { tensorBytes } from "./ggmlTypes.js";

type Shape = Omit<
  FitFacts,
  "name" | "tensorBytes" | "tokEmbdBytes" | "outputBytes" | "layerBytes" | "layerExpertBytes"
>;

/** Per-block and non-block byte totals of a tensor table. */
function tableFacts(name: string, tensors: readonly { name: string; bytes: number }[], shape: Shape): FitFacts {
  const layerBytes = new Array<number>(shape.nLayer).fill(0);
  const layerExpertBytes = new Array<number>(shape.nLayer).fill(0);
  let tensorTotal = 0;
  let tokEmbdBytes = 0;
  let outputBytes = 0;
  for (const t of tensors) {
    tensorTotal += t.bytes;
    const m = /^blk\.(\d+)\./.exec(t.name);
    const layer = m ? Number(m[1]) : -1;
    if (layer >= 0 && layer < shape.nLayer) {
      layerBytes[layer]! += t.bytes;
      if (/_exps\./.test(t.name)) layerExpertBytes[layer]! += t.bytes;
    } else if (t.name === "token_embd.weight") tokEmbdBytes += t.bytes;
    else outputBytes += t.bytes;
  }
  return { ...shape, name, tensorBytes: tensorTotal, tokEmbdBytes, outputBytes, layerBytes, layerExpertBytes };
}

/** The widest FFN one token goes through, from the FFN up-projections' shapes (ne1 = the FFN width). */
function ffnWidthOf(tensors: readonly { name: string; shape: readonly number[] }[], nExpertUsed: number): number {
  let w = 0;
  for (const t of tensors) {
    if (/\.ffn_up\.weight$/.test(t.name)) w = Math.max(w, t.shape[1] ?? 0);
    else if (/\.ffn_up_exps\.weight$/.test(t.name)) w = Math.max(w, (t.shape[1] ?? 0) * nExpertUsed);
  }
  return w;
}

export function fitFactsFromGguf(g: GgufFile): FitFacts {
  const f = modelFacts(g);
  return tableFacts(f.name ?? g.path, g.tensors, {
    ffnWidth: ffnWidthOf(g.tensors, f.nExpertUsed),
    tiedEmbeddings: !g.tensors.some((t) => t.name === "output.weight"),
    nVocab: f.vocab,
    nEmbd: f.nEmbd,
    nHead: f.nHead,
    nLayer: f.nLayer,
    attentionLayers: f.attentionLayers,
    nHeadKv: f.nHeadKv,
    headDimK: f.headDimK,
    headDimV: f.headDimV,
    recurrentLayers: f.recurrentLayers,
    convLCache: f.convLCache,
    ctxTrain: f.ctxTrain,
  });
}

export function fitFactsFromPlan(p: SynthPlan): FitFacts {
  const h = p.hparams;
  const attn = h.attnLayers ?? Array.from({ length: h.nLayer }, (_, i) => i);
  const recurrent = h.attnLayers ? Array.from({ length: h.nLayer }, (_, i) => i).filter((i) => !attn.includes(i)) : [];
  return tableFacts(
    `${p.preset} ${p.quant}${p.scale !== "full" ? ` (${p.scale})` : ""}`,
    p.tensors.map((t) => ({ name: t.name, bytes: tensorBytes(t.type, t.shape) })),
    {
      tiedEmbeddings: h.tiedEmbeddings,
      ffnWidth: ffnWidthOf(p.tensors, h.nExpertUsed ?? 0),
      nVocab: h.vocab,
      nEmbd: h.nEmbd,
      nHead: h.nHead,
      nLayer: h.nLayer,
      attentionLayers: attn,
      nHeadKv: h.nHeadKv,
      headDimK: h.headDim,
      headDimV: h.headDim,
      recurrentLayers: recurrent,
      convLCache: h.convLCache ?? 0,
      ctxTrain: h.ctxTrain,
    },
  );
}
