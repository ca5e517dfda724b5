import { describe, it, expect } from "vitest";
import { cost } from "../../src/analysis/efficiency.js";
import { gpuPrice } from "../../src/data/gpuPrices.js";

describe("cost figures", () => {
  it("the seed's own example: a $300 RTX 3060 at 30 tok/s is 0.1 tok/s per dollar", () => {
    const c = cost({ tokPerSec: 30, tokPerJoule: 0.2, gpuPriceUsd: 300, kwhPriceUsd: 0.15, lifetimeHours: 8760 });
    expect(c.tokPerSecPerDollar).toBeCloseTo(0.1, 12);
    // electricity: 10^6 tokens ÷ 0.2 tok/J = 5×10^6 J = 1.3889 kWh × $0.15 = $0.208333
    expect(c.electricityPerMTok).toBeCloseTo(0.20833333333, 9);
    // hardware: $300 ÷ (8760 h × 3600 s × 30 tok/s) × 10^6 = $0.317098
    expect(c.hardwarePerMTok).toBeCloseTo((300 / (8760 * 3600 * 30)) * 1e6, 12);
    expect(c.totalPerMTok).toBeCloseTo(c.electricityPerMTok! + c.hardwarePerMTok!, 12);
  });
  it("no energy → no electricity figure (never a guess)", () => {
    const c = cost({ tokPerSec: 30, tokPerJoule: null, gpuPriceUsd: 300, kwhPriceUsd: 0.15, lifetimeHours: 8760 });
    expect(c.electricityPerMTok).toBeNull();
    expect(c.totalPerMTok).toBeNull();
  });
  it("price table: matched by GPU name, dated, with a source", () => {
    const p = gpuPrice("NVIDIA GeForce RTX 3060");
    expect(p?.usd).toBe(300);
    expect(p?.source).toMatch(/seed/);
    expect(gpuPrice("NVIDIA GeForce RTX 4060 Ti")?.usd).toBe(500);
    expect(gpuPrice("NVIDIA H100 80GB HBM3")).toBeUndefined();
  });
});
