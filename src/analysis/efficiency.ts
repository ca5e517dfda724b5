/**
 * Cost figures (pure). Formulas (also printed as report notes):
 *   tok/s per $             = generation tok/s ÷ purchase price (USD)
 *   electricity $/Mtok      = (10^6 ÷ tok/J ÷ 3.6×10^6 J/kWh) × $/kWh   (purchase only: a rental includes power)
 *   hardware $/Mtok         = purchase price ÷ (lifetime hours × 3600 × tok/s) × 10^6
 *                           = rental $/h ÷ (3600 × tok/s) × 10^6                      (rental)
 *   $/Mtok                  = electricity + hardware (purchase), hardware (rental)
 */
import type { PriceBasis } from "../data/gpuPrices.js";

/** The price a report applies to one run's device, and where it came from. */
export interface Pricing {
  /** purchase: USD for the device; rental: USD per device-hour */
  kind: "purchase" | "rental";
  usd: number;
  /** what was priced: a GPU name, or "CPU" */
  device: string;
  basis: PriceBasis | "given";
  /** one line for the report: "RTX 3060 12GB: $329 (launch MSRP, 2021-02; NVIDIA …)" */
  label: string;
}

export interface CostInputs {
  tokPerSec: number;
  tokPerJoule: number | null;
  pricing: Pricing | null;
  kwhPriceUsd: number;
  lifetimeHours: number;
}

export interface Cost {
  tokPerSecPerDollar: number | null;
  electricityPerMTok: number | null;
  hardwarePerMTok: number | null;
  totalPerMTok: number | null;
}

export const NO_COST: Cost = {
  tokPerSecPerDollar: null,
  electricityPerMTok: null,
  hardwarePerMTok: null,
  totalPerMTok: null,
};

function hardwarePerMTok(c: CostInputs): number | null {
  if (!c.pricing || !(c.tokPerSec > 0)) return null;
  const seconds = c.pricing.kind === "rental" ? 3600 : c.lifetimeHours * 3600;
  return (c.pricing.usd / (seconds * c.tokPerSec)) * 1e6;
}

export function cost(c: CostInputs): Cost {
  const purchase = c.pricing?.kind === "purchase";
  const tpd = purchase && c.pricing && c.tokPerSec > 0 ? c.tokPerSec / c.pricing.usd : null;
  // a rental's hourly price includes the power; energy still shows as tok/J
  const elec = c.tokPerJoule && c.pricing?.kind !== "rental" ? (1e6 / c.tokPerJoule / 3.6e6) * c.kwhPriceUsd : null;
  const hw = hardwarePerMTok(c);
  let total: number | null = null;
  if (c.pricing?.kind === "rental") total = hw;
  else if (elec !== null && hw !== null) total = elec + hw;
  return { tokPerSecPerDollar: tpd, electricityPerMTok: elec, hardwarePerMTok: hw, totalPerMTok: total };
}

export const COST_NOTES = [
  "tok/s per $ = generation tok/s ÷ the device's purchase price (src/data/gpuPrices.ts: dated, sourced; " +
    "--gpu-price, --price-basis and --cpu-price override it). Cost columns are filled only where a priced " +
    "device ran: a GPU with a known or given price, or a CPU whose price you gave.",
  "tok/J = tokens ÷ joules over the timed repetitions (NVML's total-energy counter where the driver has it, " +
    "else the trapezoid of nvidia-smi's power.draw.instant interpolated at the window edges); net subtracts " +
    "the loaded-idle power × the same duration.",
  "$ per million tokens (purchase) = electricity (10^6 ÷ tok/J ÷ 3.6×10^6 J/kWh × $/kWh) + hardware " +
    "(price ÷ (lifetime hours × 3600 × tok/s) × 10^6); (rental) = $/hour ÷ (3600 × tok/s) × 10^6.",
];
