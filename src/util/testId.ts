/** llama-bench-style test ids: pp512, tg128, pp512+tg128, with @d<depth> and ×<n>seq suffixes. */
export function testId(t: { pp: number; tg: number; depth: number; parallel: number }): string {
  const base = t.pp && t.tg ? `pp${t.pp}+tg${t.tg}` : t.pp ? `pp${t.pp}` : `tg${t.tg}`;
  return `${base}${t.depth ? `@d${t.depth}` : ""}${t.parallel > 1 ? `×${t.parallel}seq` : ""}`;
}
