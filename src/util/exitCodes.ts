/**
 * The exit codes of run, bench, import and compare (one policy, documented in the README):
 * 0 everything measured / no regression; 1 the result is bad (an instance failed, a regression);
 * 2 bad input or usage; 3 internal error; 4 incomplete (the run stopped before its end — a full disk —
 * or compare matched only part of the baseline); 130 interrupted by the user.
 */
export const EXIT = {
  ok: 0,
  failed: 1,
  usage: 2,
  internal: 3,
  incomplete: 4,
  interrupted: 130,
} as const;
