/**
 * A streamed request's timings from the arrival of its tokens (pure). Tokens arrive in network reads; the
 * client cannot see when the server sent each one, only when each read came in. Events that arrive in the
 * same read (coalesced by TCP while the client was busy) share the gap since the previous read, split
 * evenly, rather than counting as gaps of 0 ms: the inter-token latencies then add up to the time between
 * the first and the last token, and a level's p50 is not 0 because the client was slow.
 */

/** One network read that delivered tokens: ms since the request was sent, and how many tokens it held. */
export interface TokenRead {
  t: number;
  tokens: number;
}

/** Time to first token: the arrival of the first read that held a token. */
export function ttftOf(reads: readonly TokenRead[]): number | null {
  return reads[0]?.t ?? null;
}

/**
 * Inter-token latencies, one per token after those of the first read: each read's gap since the one before,
 * split over the tokens it delivered.
 */
export function interTokenLatencies(reads: readonly TokenRead[]): number[] {
  const out: number[] = [];
  for (let k = 1; k < reads.length; k++) {
    const r = reads[k]!;
    const share = (r.t - reads[k - 1]!.t) / r.tokens;
    for (let j = 0; j < r.tokens; j++) out.push(share);
  }
  return out;
}

/**
 * The generation that was actually timed: the tokens after the first read, over the time from the first
 * read to the last. N tokens in N separate reads give N − 1 timed tokens (the first token's generation is
 * inside the time to first token), never N tokens over N − 1 gaps.
 */
export function timedGeneration(reads: readonly TokenRead[]): { tokens: number; ms: number } {
  if (reads.length < 2) return { tokens: 0, ms: 0 };
  const tokens = reads.slice(1).reduce((n, r) => n + r.tokens, 0);
  return { tokens, ms: reads[reads.length - 1]!.t - reads[0]!.t };
}

/** Tokens that arrived in the same read as another token (their latency is shared, not measured alone). */
export function coalescedTokens(reads: readonly TokenRead[]): number {
  return reads.reduce((n, r) => n + Math.max(0, r.tokens - 1), 0);
}
