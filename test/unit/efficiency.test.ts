import { describe, it, expect } from "vitest";
import { cost, type Pricing } from "../../src/analysis/efficiency.js";
import { deviceOf, pricingFor, runInfos } from "../../src/analysis/runInfo.js";
import { GPU_PRICES, gpuPrice } from "../../src/data/gpuPrices.js";
import { makeRecord } from "./makeRecord.js";

const purchase = (usd: number): Pricing => ({ kind: "purchase", usd, device: "x", basis: "given", label: "x" });
const rental = (usd: number): Pricing => ({ kind: "rental", usd, device: "x", basis: "rental", label: "x" });

describe("cost figures", () => {
  it("the article's own example: a $300 card at 30 tok/s is 0.1 tok/s per dollar", () => {
    const c = cost({ tokPerSec: 30, tokPerJoule: 0.2, pricing: purchase(300), kwhPriceUsd: 0.15, lifetimeHours: 8760 });
    expect(c.tokPerSecPerDollar).toBeCloseTo(0.1, 12);
    // electricity: 10^6 tokens ÷ 0.2 tok/J = 5×10^6 J = 1.38889 kWh × $0.15 = $0.2083333
    expect(c.electricityPerMTok).toBeCloseTo(0.20833333333, 9);
    // hardware: $300 ÷ (8760 h × 3600 s × 30 tok/s) × 10^6 = $0.3170979
    expect(c.hardwarePerMTok).toBeCloseTo(0.31709791983764585, 12);
    expect(c.totalPerMTok).toBeCloseTo(0.20833333333 + 0.31709791983764585, 9);
  });

  it("a rental: $3.9492/h at 100 tok/s is $10.97 per Mtok, power included (no electricity line)", () => {
    // 3.9492 ÷ (3600 × 100) × 10^6 = 10.97
    const c = cost({
      tokPerSec: 100,
      tokPerJoule: 0.5,
      pricing: rental(3.9492),
      kwhPriceUsd: 0.15,
      lifetimeHours: 8760,
    });
    expect(c.hardwarePerMTok).toBeCloseTo(10.97, 10);
    expect(c.totalPerMTok).toBeCloseTo(10.97, 10);
    expect(c.electricityPerMTok).toBeNull();
    expect(c.tokPerSecPerDollar).toBeNull();
  });

  it("no energy → no electricity and no total (never a guess); no price → no hardware figure", () => {
    const c = cost({
      tokPerSec: 30,
      tokPerJoule: null,
      pricing: purchase(300),
      kwhPriceUsd: 0.15,
      lifetimeHours: 8760,
    });
    expect(c.electricityPerMTok).toBeNull();
    expect(c.totalPerMTok).toBeNull();
    expect(c.hardwarePerMTok).not.toBeNull();
    const none = cost({ tokPerSec: 30, tokPerJoule: 0.2, pricing: null, kwhPriceUsd: 0.15, lifetimeHours: 8760 });
    expect(none).toMatchObject({ tokPerSecPerDollar: null, hardwarePerMTok: null, totalPerMTok: null });
    // electricity alone can still be said: 10^6 ÷ 0.2 ÷ 3.6×10^6 × 0.15
    expect(none.electricityPerMTok).toBeCloseTo(0.20833333333, 9);
  });
});

describe("prices", () => {
  it("every entry is dated and sourced; rentals for the datacenter cards", () => {
    for (const g of GPU_PRICES)
      for (const p of Object.values(g.prices)) {
        expect(p!.date, g.name).toMatch(/^\d{4}-\d{2}(-\d{2})?$/);
        expect(p!.source.length, g.name).toBeGreaterThan(10);
        expect(p!.usd, g.name).toBeGreaterThan(0);
      }
    for (const dc of ["NVIDIA H100 80GB HBM3", "NVIDIA A100-SXM4-80GB", "NVIDIA L40S", "NVIDIA L4"])
      expect(gpuPrice(dc)?.prices.rental, dc).toBeDefined();
    expect(gpuPrice("NVIDIA L40S")?.name).toBe("L40S");
    expect(gpuPrice("NVIDIA GeForce RTX 3060 Ti")?.name).toBe("GeForce RTX 3060 Ti");
    expect(gpuPrice("NVIDIA GeForce RTX 3060")?.prices.used?.usd).toBe(230);
  });

  it("the price that applies: rental for rented cards, else new, else launch MSRP; --price-basis picks one", () => {
    const gpu = (name: string) => ({ kind: "gpu" as const, name, backend: "cuda" });
    const h100 = pricingFor(gpu("NVIDIA H100 80GB HBM3"), {}).pricing!;
    expect(h100).toMatchObject({ kind: "rental", usd: 3.9492, basis: "rental" });
    expect(h100.label).toMatch(/H100 80GB: \$3\.9492\/hour \(rental, 2026-05-07; modal\.com/);
    expect(pricingFor(gpu("NVIDIA GeForce RTX 4090"), {}).pricing).toMatchObject({ usd: 1900, basis: "new" });
    expect(pricingFor(gpu("NVIDIA GeForce RTX 3060"), {}).pricing).toMatchObject({ usd: 329, basis: "launch MSRP" });
    expect(pricingFor(gpu("NVIDIA GeForce RTX 3060"), { priceBasis: "used" }).pricing).toMatchObject({ usd: 230 });
    const noUsed = pricingFor(gpu("NVIDIA H100 80GB HBM3"), { priceBasis: "used" });
    expect(noUsed.pricing).toBeNull();
    expect(noUsed.note).toMatch(/no used price known for NVIDIA H100/);
    expect(pricingFor(gpu("Some GPU"), {}).note).toMatch(/pass --gpu-price/);
    expect(pricingFor(gpu("Some GPU"), { gpuPriceUsd: 250 }).pricing).toMatchObject({ usd: 250, basis: "given" });
  });

  it("a CPU has no price unless the user gives one (labelled as given); a mock run never has one", () => {
    const cpu = { kind: "cpu" as const, name: "Xeon" };
    expect(pricingFor(cpu, { gpuPriceUsd: 300 }).pricing).toBeNull();
    const given = pricingFor(cpu, { cpuPriceUsd: 400 }).pricing!;
    expect(given).toMatchObject({ kind: "purchase", usd: 400, device: "CPU" });
    expect(given.label).toMatch(/CPU price given by the user/);
    expect(pricingFor({ kind: "mock" }, { gpuPriceUsd: 300, cpuPriceUsd: 400 }).pricing).toBeNull();
  });

  it("the device that ran: a GPU backend with a GPU; CPU otherwise, even on a machine that has a GPU", () => {
    expect(deviceOf(makeRecord({ gpu: "NVIDIA GeForce RTX 3060" }))).toEqual({
      kind: "gpu",
      name: "NVIDIA GeForce RTX 3060",
      backend: "cuda",
    });
    expect(deviceOf(makeRecord({ gpu: "NVIDIA GeForce RTX 3060", backend: "cpu" }))).toEqual({
      kind: "cpu",
      name: "Test CPU",
    });
    expect(deviceOf(makeRecord({ backend: "mock" }))).toEqual({ kind: "mock" });
    const runs = runInfos([makeRecord({ backend: "mock" }), makeRecord({ backend: "mock", status: "oom" })], {});
    expect(runs[0]).toMatchObject({ mock: true, records: 2, failed: 1, failures: { oom: 1 }, pricing: null });
  });
});
