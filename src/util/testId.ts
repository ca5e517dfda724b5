/** llama-bench-style test ids: pp512, tg128, pp512+tg128, with @d<depth> and ×<n>seq suffixes. */
export function testId(t: { pp: number; tg: number; depth: number; parallel: number }): string {
  const parts = [t.pp ? `pp${t.pp}` : "", t.tg ? `tg${t.tg}` : ""].filter(Boolean);
  const base = parts.length ? parts.join("+") : `tg${t.tg}`;
  return `${base}${t.depth ? `@d${t.depth}` : ""}${t.parallel > 1 ? `×${t.parallel}seq` : ""}`;
}
