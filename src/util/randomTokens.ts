/**
 * Seeded random token ids in [lo, hi): xorshift32, so a prompt is the same on every run and machine.
 * Timing uses fixed random ids rather than text, so speed never depends on a tokenizer.
 */
export function randomTokens(n: number, seed: number, lo: number, hi: number): number[] {
  let s = (seed * 2654435761) >>> 0 || 1;
  const out: number[] = new Array<number>(n);
  for (let i = 0; i < n; i++) {
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    out[i] = lo + (s % (hi - lo));
  }
  return out;
}
