/** A user-facing error: one line saying what and where, plus a hint saying what to do. Exit code 2 unless set. */
export class MoebenchError extends Error {
  constructor(
    message: string,
    readonly hint?: string,
    readonly exitCode = 2,
  ) {
    super(message);
    this.name = "MoebenchError";
  }
  /** The one line the CLI prints. */
  line(): string {
    return this.hint ? `${this.message} (${this.hint})` : this.message;
  }
}

/** Levenshtein distance, for did-you-mean hints. */
function distance(a: string, b: string): number {
  const d = Array.from({ length: a.length + 1 }, (_, i) => [i, ...new Array<number>(b.length).fill(0)]);
  for (let j = 1; j <= b.length; j++) d[0]![j] = j;
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      d[i]![j] = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
  }
  return d[a.length]![b.length]!;
}

/** The closest candidate (case and separators ignored), if it is close enough to be a likely typo. */
export function didYouMean(input: string, candidates: readonly string[]): string | undefined {
  const norm = (s: string): string => s.toLowerCase().replace(/[-_. ]/g, "");
  const n = norm(input);
  let best: string | undefined;
  let bestD = Infinity;
  for (const c of candidates) {
    const dd = distance(n, norm(c));
    if (dd < bestD) {
      bestD = dd;
      best = c;
    }
  }
  return best !== undefined && bestD <= Math.max(2, Math.floor(n.length / 3)) ? best : undefined;
}

/** "unknown X "v": valid are a, b, c (did you mean b?)" */
export function unknownChoice(what: string, input: string, valid: readonly string[]): MoebenchError {
  const dym = didYouMean(input, valid);
  return new MoebenchError(
    `unknown ${what} "${input}"; valid: ${valid.join(", ")}`,
    dym ? `did you mean ${dym}?` : undefined,
  );
}
