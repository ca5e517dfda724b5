/**
 * A phase's tok/s: the mean over its repetitions with the 95% CI (COORDINATION decision 1): Stein's
 * two-stage interval where the repetitions were adaptive (the phase records its first-stage size), else
 * the t interval; noisy where the phase says so or the interval is wider than its target. The one
 * function for this number (progress lines, summaries, reports, compare) below the analysis layer.
 */
import { type Summary, summarize, tokPerSec } from "../util/stats.js";
import type { Phase } from "./schema.js";

export function phaseRate(p: Phase | null | undefined): Summary | null {
  if (!p) return null;
  const xs = tokPerSec(p.tokens, p.samplesMs);
  if (xs.length === 0) return null;
  const s = summarize(xs, { firstStage: p.firstStage, targetCi: p.targetCi });
  return p.noisy && !s.noisy ? { ...s, noisy: true } : s;
}
