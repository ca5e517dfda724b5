/**
 * Does a small-scale synthetic model tell the full-size story? (pure) The two numbers the MoE-vs-dense
 * comparison depends on, at a scale and at full size: the active/total parameter ratio, and the ratio of
 * weight bytes one generated token reads (MoE ÷ dense). Small scale keeps both within ±15% (tested);
 * tiny scale does not try to. For `inspect` and for reports (analysis: label small-scale results with it).
 */
import { planSynth } from "./synthesize.js";
import { PRESETS, type Scale } from "./presets.js";

/** The article's pair: the MoE it is about and the dense model it compares with. */
export const REFERENCE_PAIR = { moe: "lfm2.5-8b-a1b", dense: "llama-3.1-8b" } as const;

export interface ScaleFidelity {
  preset: string;
  quant: string;
  scale: Scale;
  /** active ÷ total parameters, at this scale and at full size */
  activeShare: number;
  activeShareFull: number;
  /** weight bytes one generated token reads, at this scale and at full size */
  activeBytesPerToken: number;
  activeBytesPerTokenFull: number;
  /** this model ÷ its counterpart of the reference pair (MoE ÷ dense), at this scale and at full size */
  pair: { moe: string; dense: string; ratio: number; ratioFull: number };
}

/** MoE ÷ dense weight bytes read per generated token, at a scale and at full size. */
export function moeDenseRatio(
  moe: string,
  dense: string,
  quant: string,
  scale: Scale,
): { ratio: number; ratioFull: number } {
  const at = (preset: string, s: Scale): number => planSynth({ preset, quant, scale: s }).activeBytesPerToken;
  return { ratio: at(moe, scale) / at(dense, scale), ratioFull: at(moe, "full") / at(dense, "full") };
}

export function scaleFidelity(preset: string, quant: string, scale: Scale): ScaleFidelity {
  const here = planSynth({ preset, quant, scale });
  const full = planSynth({ preset, quant, scale: "full" });
  const isMoe = (PRESETS[here.preset]?.nExpert ?? 0) > 1;
  const moe = isMoe ? here.preset : REFERENCE_PAIR.moe;
  const dense = isMoe ? REFERENCE_PAIR.dense : here.preset;
  return {
    preset: here.preset,
    quant: here.quant,
    scale,
    activeShare: here.activeParams / here.params,
    activeShareFull: full.activeParams / full.params,
    activeBytesPerToken: here.activeBytesPerToken,
    activeBytesPerTokenFull: full.activeBytesPerToken,
    pair: { moe, dense, ...moeDenseRatio(moe, dense, quant, scale) },
  };
}
