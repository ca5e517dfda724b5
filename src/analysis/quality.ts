/**
 * Quality of a quant against a reference (pure): at every scored position, the KL divergence of the
 * quant's next-token distribution from the reference's, KL(P_ref ‖ P_quant) = Σ p_ref · ln(p_ref / p_quant);
 * top-1 agreement; perplexity of both on the actual next tokens. A distribution is truncated when it holds
 * fewer tokens than the vocabulary (only its top entries known): then the missing mass is one "rest" bucket
 * on each side and the result says so. A full distribution is never called truncated because its float32
 * probabilities sum to 1 ± 1e-6.
 */
import { mean, percentiles } from "../util/stats.js";

export type Dist = Map<number, number>;

const EPS = 1e-10;

export function klDivergence(ref: Dist, q: Dist, vocabSize: number): { kl: number; truncated: boolean } {
  let kl = 0;
  let refMass = 0;
  let qMassOnRef = 0;
  for (const [t, p] of ref) {
    if (p <= 0) continue;
    const pq = Math.max(q.get(t) ?? 0, EPS);
    kl += p * Math.log(p / pq);
    refMass += p;
    qMassOnRef += q.get(t) ?? 0;
  }
  const restRef = Math.max(0, 1 - refMass);
  const truncated = ref.size < vocabSize || q.size < vocabSize;
  if (truncated && restRef > 0) {
    const restQ = Math.max(1 - qMassOnRef, EPS);
    kl += restRef * Math.log(restRef / restQ);
  }
  return { kl: Math.max(0, kl), truncated };
}

const argmax = (d: Dist): number => {
  let best = -1;
  let bp = -1;
  for (const [t, p] of d)
    if (p > bp) {
      bp = p;
      best = t;
    }
  return best;
};

export interface QualityResult {
  positions: number;
  meanKld: number;
  p99Kld: number;
  medianKld: number;
  top1Agreement: number;
  pplRef: number;
  pplQuant: number;
  truncated: boolean;
}

/** refs[i], quants[i]: distributions over a vocabulary of `vocabSize` tokens predicting token next[i]. */
export function quality(
  refs: readonly Dist[],
  quants: readonly Dist[],
  next: readonly number[],
  vocabSize: number,
): QualityResult {
  if (refs.length !== quants.length || refs.length !== next.length || refs.length === 0)
    throw new Error("quality: mismatched or empty inputs");
  const kls: number[] = [];
  let agree = 0;
  let truncated = false;
  let nllRef = 0;
  let nllQ = 0;
  refs.forEach((r, i) => {
    const q = quants[i]!;
    const k = klDivergence(r, q, vocabSize);
    kls.push(k.kl);
    truncated ||= k.truncated;
    if (argmax(r) === argmax(q)) agree++;
    nllRef -= Math.log(Math.max(r.get(next[i]!) ?? 0, EPS));
    nllQ -= Math.log(Math.max(q.get(next[i]!) ?? 0, EPS));
  });
  return {
    positions: refs.length,
    meanKld: mean(kls),
    p99Kld: percentiles(kls, [0.99])[0]!,
    medianKld: percentiles(kls, [0.5])[0]!,
    top1Agreement: agree / refs.length,
    pplRef: Math.exp(nllRef / refs.length),
    pplQuant: Math.exp(nllQ / refs.length),
    truncated,
  };
}
