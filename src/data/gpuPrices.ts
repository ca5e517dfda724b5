/**
 * GPU prices for tok/s per $ and $ per million tokens: one table, every figure dated and sourced.
 *
 * - launch MSRP: NVIDIA's announced US price at launch (what the card cost new then).
 * - new / used: street prices quoted as ranges by a 2026 buying guide; the table keeps the range's midpoint
 *   and the range itself in the source line.
 * - rental: on-demand list price per GPU-hour (datacenter cards are rented by the hour far more often than
 *   bought). One provider for every card, so they compare: Modal's per-second list prices × 3600.
 *
 * The report says which figure it used (the basis) and the user can override it (--gpu-price, --price-basis,
 * a suite's gpuPriceUsd). Keys are matched case-insensitively against the GPU name the run recorded.
 */
export type PriceBasis = "new" | "used" | "launch MSRP" | "rental";
export const PRICE_BASES: readonly PriceBasis[] = ["new", "used", "launch MSRP", "rental"];

export interface PricePoint {
  /** USD for a purchase, USD per GPU-hour for a rental */
  usd: number;
  /** when the price was quoted (YYYY-MM or YYYY-MM-DD) */
  date: string;
  source: string;
}

export interface GpuPrice {
  match: RegExp;
  name: string;
  prices: Partial<Record<PriceBasis, PricePoint>>;
}

const RUNLOCALAI_2026 = "runlocalai.co/guides/best-gpu-for-local-ai-2026 (May 2026)";
const MODAL_2026 = "modal.com/pricing list price, as compiled on techbytes.app/posts/serverless-gpu-pricing-matrix";

export const GPU_PRICES: readonly GpuPrice[] = [
  {
    match: /RTX 3060\b(?!.*Ti)/i,
    name: "GeForce RTX 3060 12GB",
    prices: {
      "launch MSRP": { usd: 329, date: "2021-02", source: "NVIDIA launch announcement, Jan 2021" },
      used: { usd: 230, date: "2026-05", source: "runlocalai.co/hardware/rtx-3060-12gb: $180–280 used (midpoint)" },
    },
  },
  {
    match: /RTX 3060 Ti/i,
    name: "GeForce RTX 3060 Ti",
    prices: { "launch MSRP": { usd: 399, date: "2020-12", source: "NVIDIA launch announcement, Dec 2020" } },
  },
  {
    match: /RTX 4060 Ti/i,
    name: "GeForce RTX 4060 Ti 16GB",
    prices: {
      "launch MSRP": { usd: 499, date: "2023-07", source: "NVIDIA launch announcement, May 2023 (16 GB model)" },
      new: { usd: 425, date: "2026-05", source: `${RUNLOCALAI_2026}: $400–450 new (midpoint)` },
    },
  },
  {
    match: /RTX 3090(?! Ti)/i,
    name: "GeForce RTX 3090",
    prices: {
      "launch MSRP": { usd: 1499, date: "2020-09", source: "NVIDIA launch announcement, Sept 2020" },
      used: { usd: 850, date: "2026-05", source: `${RUNLOCALAI_2026}: $700–1,000 used (midpoint)` },
    },
  },
  {
    match: /RTX 4090/i,
    name: "GeForce RTX 4090",
    prices: {
      "launch MSRP": { usd: 1599, date: "2022-10", source: "NVIDIA launch announcement, Sept 2022" },
      new: { usd: 1900, date: "2026-05", source: `${RUNLOCALAI_2026}: $1,800–2,000 new (midpoint)` },
      used: { usd: 1550, date: "2026-05", source: `${RUNLOCALAI_2026}: $1,400–1,700 used (midpoint)` },
    },
  },
  {
    match: /RTX 4080 SUPER/i,
    name: "GeForce RTX 4080 SUPER",
    prices: { "launch MSRP": { usd: 999, date: "2024-01", source: "NVIDIA CES 2024 announcement" } },
  },
  {
    match: /RTX 5090/i,
    name: "GeForce RTX 5090",
    prices: {
      "launch MSRP": { usd: 1999, date: "2025-01", source: "NVIDIA CES 2025 announcement" },
      new: { usd: 2550, date: "2026-05", source: `${RUNLOCALAI_2026}: $2,300–2,800 street (midpoint)` },
    },
  },
  {
    match: /RTX 5080/i,
    name: "GeForce RTX 5080",
    prices: { "launch MSRP": { usd: 999, date: "2025-01", source: "NVIDIA CES 2025 announcement" } },
  },
  {
    match: /H100/i,
    name: "H100 80GB",
    prices: { rental: { usd: 3.9492, date: "2026-05-07", source: MODAL_2026 } },
  },
  {
    match: /A100.*80\s*GB|A100-SXM4-80GB|A100 80GB/i,
    name: "A100 80GB",
    prices: { rental: { usd: 2.4984, date: "2026-05-07", source: MODAL_2026 } },
  },
  {
    match: /L40S/i,
    name: "L40S",
    prices: { rental: { usd: 1.9512, date: "2026-05-07", source: MODAL_2026 } },
  },
  {
    match: /\bL4\b/i,
    name: "L4",
    prices: { rental: { usd: 0.7992, date: "2026-05-07", source: MODAL_2026 } },
  },
  {
    match: /\bT4\b/i,
    name: "T4",
    prices: { rental: { usd: 0.5904, date: "2026-05-07", source: MODAL_2026 } },
  },
];

export function gpuPrice(name: string | null | undefined): GpuPrice | undefined {
  return name ? GPU_PRICES.find((p) => p.match.test(name)) : undefined;
}

/**
 * Which price a report uses for a card when the user did not say: rental for cards that are rented
 * (datacenter cards), else the current new price, else the launch MSRP, else the used price.
 */
export const DEFAULT_BASIS_ORDER: readonly PriceBasis[] = ["rental", "new", "launch MSRP", "used"];
