/** llama-bench-style test ids: pp512, tg128, pp512+tg128, with @d<depth> and ×<n>seq suffixes. */
export function testId(t: { pp: number; tg: number; depth: number; parallel: number }): string {
  const base = t.pp && t.tg ? `pp${t.pp}+tg${t.tg}` : t.pp ? `pp${t.pp}` : `tg${t.tg}`;
  return `${base}${t.depth ? `@d${t.depth}` : ""}${t.parallel > 1 ? `×${t.parallel}seq` : ""}`;
}

export function parseTestId(id: string): { pp: number; tg: number; depth: number; parallel: number } | undefined {
  const m = /^(?:pp(\d+))?(?:\+?tg(\d+))?(?:@d(\d+))?(?:[×x](\d+)seq)?$/.exec(id);
  if (!m || (!m[1] && !m[2])) return undefined;
  return { pp: Number(m[1] ?? 0), tg: Number(m[2] ?? 0), depth: Number(m[3] ?? 0), parallel: Number(m[4] ?? 1) };
}
