/**
 * Cost figures (pure). Formulas (also printed as report footnotes):
 *   tok/s per $           = tg tok/s ÷ GPU price (USD)
 *   electricity $/Mtok    = (J per token × 10^6 ÷ 3.6×10^6 J/kWh) × $/kWh
 *   hardware $/Mtok       = GPU price ÷ (lifetime hours × 3600 × tg tok/s) × 10^6
 *   $/Mtok                = electricity + hardware
 */
export interface CostInputs {
  tokPerSec: number;
  tokPerJoule: number | null;
  gpuPriceUsd: number | null;
  kwhPriceUsd: number;
  lifetimeHours: number;
}

export interface Cost {
  tokPerSecPerDollar: number | null;
  electricityPerMTok: number | null;
  hardwarePerMTok: number | null;
  totalPerMTok: number | null;
}

export function cost(c: CostInputs): Cost {
  const tpd = c.gpuPriceUsd ? c.tokPerSec / c.gpuPriceUsd : null;
  const elec = c.tokPerJoule ? (1e6 / c.tokPerJoule / 3.6e6) * c.kwhPriceUsd : null;
  const hw = c.gpuPriceUsd && c.tokPerSec > 0 ? (c.gpuPriceUsd / (c.lifetimeHours * 3600 * c.tokPerSec)) * 1e6 : null;
  return {
    tokPerSecPerDollar: tpd,
    electricityPerMTok: elec,
    hardwarePerMTok: hw,
    totalPerMTok: elec !== null && hw !== null ? elec + hw : null,
  };
}

export const COST_FOOTNOTES = [
  "tok/s per $ = generation tok/s ÷ GPU price in USD (price table in src/data/gpuPrices.ts, dated, with sources; override with --gpu-price).",
  "tok/J = tokens ÷ joules measured over the timed repetitions (trapezoid of nvidia-smi's power.draw.instant, interpolated at the window edges; NVML's energy counter is not read yet); net subtracts the loaded-idle baseline × duration.",
  "$ per million tokens = electricity (10^6 ÷ tok/J ÷ 3.6×10^6 J/kWh × $/kWh) + hardware (GPU price ÷ (lifetime hours × 3600 × tok/s) × 10^6).",
];
