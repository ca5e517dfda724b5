/**
 * GPU prices for tok/s-per-dollar and hardware amortisation. Dated, with a source per entry. Launch
 * MSRPs are NVIDIA's announced US prices; "used" figures are the seed article's. Override per run with
 * --gpu-price or a suite's gpuPriceUsd. Keys are matched case-insensitively against the GPU name.
 */
export interface GpuPrice {
  match: RegExp;
  name: string;
  usd: number;
  kind: "launch MSRP" | "used (seed article)";
  date: string;
  source: string;
  vramGiB: number;
}

export const GPU_PRICES: readonly GpuPrice[] = [
  {
    match: /RTX 3060\b(?!.*Ti)/i,
    name: "GeForce RTX 3060 12GB",
    usd: 300,
    kind: "used (seed article)",
    date: "2026-01",
    source: "seed article (moebench shared/SEED-ARTICLE.md): ~$300 used",
    vramGiB: 12,
  },
  {
    match: /RTX 4060 Ti/i,
    name: "GeForce RTX 4060 Ti 16GB",
    usd: 500,
    kind: "used (seed article)",
    date: "2026-01",
    source: "seed article: ~$500",
    vramGiB: 16,
  },
  {
    match: /RTX 3090(?! Ti)/i,
    name: "GeForce RTX 3090",
    usd: 1499,
    kind: "launch MSRP",
    date: "2020-09",
    source: "NVIDIA launch announcement, Sept 2020",
    vramGiB: 24,
  },
  {
    match: /RTX 4090/i,
    name: "GeForce RTX 4090",
    usd: 1599,
    kind: "launch MSRP",
    date: "2022-10",
    source: "NVIDIA launch announcement, Sept 2022",
    vramGiB: 24,
  },
  {
    match: /RTX 4080 SUPER/i,
    name: "GeForce RTX 4080 SUPER",
    usd: 999,
    kind: "launch MSRP",
    date: "2024-01",
    source: "NVIDIA CES 2024 announcement",
    vramGiB: 16,
  },
  {
    match: /RTX 5090/i,
    name: "GeForce RTX 5090",
    usd: 1999,
    kind: "launch MSRP",
    date: "2025-01",
    source: "NVIDIA CES 2025 announcement",
    vramGiB: 32,
  },
  {
    match: /RTX 5080/i,
    name: "GeForce RTX 5080",
    usd: 999,
    kind: "launch MSRP",
    date: "2025-01",
    source: "NVIDIA CES 2025 announcement",
    vramGiB: 16,
  },
];

export function gpuPrice(name: string | null | undefined): GpuPrice | undefined {
  return name ? GPU_PRICES.find((p) => p.match.test(name)) : undefined;
}
