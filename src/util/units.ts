/** Human-readable sizes and counts. */
export const GiB = 1024 ** 3;
export const MiB = 1024 ** 2;

export function fmtBytes(n: number): string {
  if (n >= GiB) return `${(n / GiB).toFixed(2)} GiB`;
  if (n >= MiB) return `${(n / MiB).toFixed(1)} MiB`;
  if (n >= 1024) return `${(n / 1024).toFixed(1)} KiB`;
  return `${n} B`;
}

export function fmtCount(n: number): string {
  if (n >= 1e9) return `${(n / 1e9).toFixed(2)}B`;
  if (n >= 1e6) return `${(n / 1e6).toFixed(1)}M`;
  if (n >= 1e3) return `${(n / 1e3).toFixed(1)}k`;
  return String(n);
}

/** Parse "12GiB", "12 GB", "12288MiB", "8k" (tokens), plain numbers. */
export function parseSize(s: string): number | undefined {
  const m = /^\s*([\d.]+)\s*([kmgt]i?b?|b)?\s*$/i.exec(s);
  if (!m) return undefined;
  const v = Number(m[1]);
  if (!Number.isFinite(v)) return undefined;
  const u = (m[2] ?? "").toLowerCase();
  const bin = u.includes("i");
  const p = Math.max(0, "kmgt".indexOf(u[0] ?? "-") + 1);
  return Math.round(v * (bin ? 1024 : 1000) ** p);
}

/** "8k" → 8192, "32k" → 32768, "4096" → 4096 (context sizes are powers of 1024 in k). */
export function parseTokens(s: string): number | undefined {
  const m = /^\s*(\d+)\s*(k)?\s*$/i.exec(s);
  if (!m) return undefined;
  return Number(m[1]) * (m[2] ? 1024 : 1);
}
