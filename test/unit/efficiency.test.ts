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

describe("prices and devices: edges", () => {
  it("no speed, no cost per token", () => {
    const c = cost({ tokPerSec: 0, tokPerJoule: null, pricing: purchase(300), kwhPriceUsd: 0.15, lifetimeHours: 8760 });
    expect([c.tokPerSecPerDollar, c.hardwarePerMTok, c.totalPerMTok]).toEqual([null, null, null]);
    const r = cost({ tokPerSec: 0, tokPerJoule: null, pricing: rental(2), kwhPriceUsd: 0.15, lifetimeHours: 8760 });
    expect(r.totalPerMTok).toBeNull();
  });
  it("a purchase price's label, an unknown card with a basis, the CPU's device name", () => {
    const gpu = (name: string) => ({ kind: "gpu" as const, name, backend: "cuda" });
    const p = pricingFor(gpu("NVIDIA GeForce RTX 4090"), {}).pricing!;
    expect(p).toEqual({
      kind: "purchase",
      usd: 1900,
      device: "GeForce RTX 4090",
      basis: "new",
      label:
        "GeForce RTX 4090: $1900 (new, 2026-05; runlocalai.co/guides/best-gpu-for-local-ai-2026 (May 2026): " +
        "$1,800–2,000 new (midpoint))",
    });
    expect(pricingFor(gpu("Unknown"), { priceBasis: "new" })).toEqual({
      pricing: null,
      note: "no new price known for Unknown: pass --gpu-price (USD) for cost figures",
    });
    expect(pricingFor({ kind: "remote", name: "x" }, { gpuPriceUsd: 1 })).toEqual({ pricing: null, note: null });
  });
  it("what a run was: its first ok record's device; mock if any record is; threads sorted", () => {
    const failedFirst = makeRecord({ status: "crash", backend: "cpu" });
    const gpuOk = makeRecord({ gpu: "NVIDIA GeForce RTX 4090" });
    expect(runInfos([failedFirst, gpuOk], {})[0]!.device.kind).toBe("gpu");
    const zeroLayers = makeRecord({ gpu: "RTX" });
    zeroLayers.params = { ...zeroLayers.params, gpuLayers: 0 };
    expect(deviceOf(zeroLayers).kind).toBe("cpu");
    const [mixed] = runInfos([makeRecord({ threads: 2 }), makeRecord({ threads: 1, backend: "mock" })], {});
    expect(mixed!.mock).toBe(true);
    expect(mixed!.threads).toEqual([1, 2]);
    expect(mixed!.synthetic).toBe(false);
    expect(runInfos([makeRecord({ preset: "p" }), makeRecord({})], {})[0]!.synthetic).toBe(true);
    expect(runInfos([makeRecord({})], {})[0]!.mock).toBe(false);
  });
});
