/** Number and label formats shared by every exporter (pure). */
import type { Summary } from "../util/stats.js";

/** The one statistic, as every header names it. */
export const MEAN_CI = "mean (95% CI)";

const GiB = 1024 ** 3;

export const fixed = (n: number | null | undefined, digits = 2): string =>
  n === null || n === undefined || !Number.isFinite(n) ? "—" : n.toFixed(digits);

/** Decimals for a rate: 1 for ≥ 100, 2 for ≥ 1, 3 below. */
function rateDigits(v: number): number {
  const a = Math.abs(v);
  if (a >= 100) return 1;
  return a >= 1 ? 2 : 3;
}

/** "1234.5 (1200.1–1268.9)", "noisy" appended when the CI is wider than its target or was clamped at 0. */
export function meanCi(s: Summary | null | undefined): string {
  if (!s) return "";
  const d = rateDigits(s.mean);
  const hi = Number.isFinite(s.ciHigh) ? s.ciHigh.toFixed(d) : "∞";
  const lo = Number.isFinite(s.ciLow) ? Math.max(0, s.ciLow).toFixed(d) : "?";
  return `${s.mean.toFixed(d)} (${lo}–${hi})${s.noisy ? " noisy" : ""}`;
}

/** A ratio with its CI: "1.35× (1.30–1.40)". Ratios are never negative (log-ratio interval). */
export function ratioCiText(r: { ratio: number | null; ciLow: number | null; ciHigh: number | null }): string {
  if (r.ratio === null || !Number.isFinite(r.ratio)) return "—";
  const ci = r.ciLow !== null && Number.isFinite(r.ciLow) ? ` (${r.ciLow.toFixed(3)}–${r.ciHigh!.toFixed(3)})` : "";
  return `${r.ratio.toFixed(3)}×${ci}`;
}

export const gib = (bytes: number): string => (bytes / GiB).toFixed(2);

export function paramsText(n: number | null): string {
  if (n === null) return "—";
  return n >= 1e9 ? `${(n / 1e9).toFixed(2)}B` : `${(n / 1e6).toFixed(1)}M`;
}

/** "ok", or "**oom**: first line of the message" (bold: a failure, never a zero). */
export function statusCell(status: string, message?: string | null): string {
  if (status === "ok") return "ok";
  const first = message ? message.split("\n")[0]!.slice(0, 90) : "";
  return `**${status}**${first ? `: ${first}` : ""}`;
}

/** "+3.2%" / "−49.9%" from a ratio. */
export function pctChange(ratio: number | null): string {
  if (ratio === null || !Number.isFinite(ratio)) return "—";
  const p = (ratio - 1) * 100;
  return `${p >= 0 ? "+" : "−"}${Math.abs(p).toFixed(1)}%`;
}
