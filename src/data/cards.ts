/**
 * Common cards and their VRAM in GiB (2^30 bytes), for `fit` and the VRAM chart. Names match loosely (case and
 * spaces ignored). GDDR cards' marketing "12GB" is 12 GiB (nvidia-smi: 12288 MiB); the HBM cards' figures are
 * nvidia-smi's memory.total, which is below the marketing number.
 */
export interface Card {
  name: string;
  vramGiB: number;
}

export const CARDS: readonly Card[] = [
  { name: "RTX 3060 12GB", vramGiB: 12 },
  { name: "RTX 3060 Ti", vramGiB: 8 },
  { name: "RTX 3070", vramGiB: 8 },
  { name: "RTX 3080 10GB", vramGiB: 10 },
  { name: "RTX 3080 12GB", vramGiB: 12 },
  { name: "RTX 3090", vramGiB: 24 },
  { name: "RTX 4060", vramGiB: 8 },
  { name: "RTX 4060 Ti 8GB", vramGiB: 8 },
  { name: "RTX 4060 Ti 16GB", vramGiB: 16 },
  { name: "RTX 4070", vramGiB: 12 },
  { name: "RTX 4070 Ti SUPER", vramGiB: 16 },
  { name: "RTX 4080 SUPER", vramGiB: 16 },
  { name: "RTX 4090", vramGiB: 24 },
  { name: "RTX 5060 Ti 16GB", vramGiB: 16 },
  { name: "RTX 5070", vramGiB: 12 },
  { name: "RTX 5080", vramGiB: 16 },
  { name: "RTX 5090", vramGiB: 32 },
  { name: "A100 40GB", vramGiB: 40 },
  { name: "A100 80GB", vramGiB: 80 },
  // nvidia-smi -q on an H100 80GB HBM3 (shared/fixtures, driver 590.48.01): Total 81559 MiB
  { name: "H100 80GB", vramGiB: 79.6 },
  // NVIDIA sells it as "141 GB"; the H200 machines this project is lent report about 139 GiB of GPU memory
  { name: "H200", vramGiB: 139 },
  { name: "L4", vramGiB: 24 },
  { name: "T4", vramGiB: 16 },
  { name: "Apple M-series 16GB (unified)", vramGiB: 16 },
];

const norm = (s: string): string => s.toLowerCase().replace(/geforce|nvidia|[\s_-]/g, "");

export function findCard(name: string): Card | undefined {
  const n = norm(name);
  return CARDS.find((c) => norm(c.name) === n) ?? CARDS.find((c) => norm(c.name).startsWith(n));
}
