/** FitFacts from a GGUF header or from a synth plan (exact, no file needed). */
import type { GgufFile } from "./read.js";
import { modelFacts } from "./modelFacts.js";
import type { FitFacts } from "./fit.js";
import type { SynthPlan } from "./synth/synthesize.js";

export function fitFactsFromGguf(g: GgufFile): FitFacts {
  const f = modelFacts(g);
  const emb = g.tensors.find((t) => t.name === "token_embd.weight");
  return {
    name: f.name ?? g.path,
    tensorBytes: f.tensorBytes,
    tokEmbdBytes: emb?.bytes ?? 0,
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
  };
}

export function fitFactsFromPlan(p: SynthPlan): FitFacts {
  const h = p.hparams;
  const attn = h.attnLayers ?? Array.from({ length: h.nLayer }, (_, i) => i);
  const emb = p.tensors.find((t) => t.name === "token_embd.weight")!;
  return {
    name: `${p.preset} ${p.quant}${p.scale !== "full" ? ` (${p.scale})` : ""}`,
    tensorBytes: p.tensorBytes,
    tokEmbdBytes: (emb.shape.reduce((a, b) => a * b, 1) / emb.type.blockSize) * emb.type.typeSize,
    tiedEmbeddings: h.tiedEmbeddings,
    nVocab: h.vocab,
    nEmbd: h.nEmbd,
    nHead: h.nHead,
    nLayer: h.nLayer,
    attentionLayers: attn,
    nHeadKv: h.nHeadKv,
    headDimK: h.headDim,
    headDimV: h.headDim,
    recurrentLayers: h.attnLayers ? Array.from({ length: h.nLayer }, (_, i) => i).filter((i) => !attn.includes(i)) : [],
    convLCache: h.convLCache ?? 0,
  };
}
