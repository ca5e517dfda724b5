import { describe, it, expect } from "vitest";
import { integrateWindow, energyFromCounter, netJoules } from "../../src/telemetry/energy.js";

describe("energy", () => {
  // hand-computed: 100 W → 200 W linearly over 1 s is 150 J; constant 200 W for the next 1 s is 200 J
  const s = [
    { t: 0, w: 100 },
    { t: 500, w: 150 },
    { t: 1000, w: 200 },
    { t: 1500, w: 200 },
    { t: 2000, w: 200 },
  ];

  it("trapezoid over whole samples", () => {
    const e = integrateWindow(s, 0, 2000);
    expect(e.joules).toBeCloseTo(350, 9);
    expect(e.meanW).toBeCloseTo(175, 9);
    expect(e.peakW).toBe(200);
    expect(e.lowConfidence).toBe(false);
  });

  it("interpolates at the window's edges", () => {
    // 250 ms → 1250 ms: power 125 W at 250 ms rising to 200 W at 1000 ms, then flat
    // (125+150)/2*0.25 + (150+200)/2*0.5 + 200*0.25 = 34.375 + 87.5 + 50 = 171.875 J
    expect(integrateWindow(s, 250, 1250).joules).toBeCloseTo(171.875, 9);
  });

  it("flags gaps over 3× the interval and windows under 1 s", () => {
    const gappy = [
      { t: 0, w: 100 },
      { t: 50, w: 100 },
      { t: 100, w: 100 },
      { t: 400, w: 100 },
      { t: 450, w: 100 },
      { t: 1200, w: 100 },
    ];
    const e = integrateWindow(gappy, 0, 1200, 50);
    expect(e.gaps).toEqual([
      [100, 400],
      [450, 1200],
    ]);
    expect(e.joules).toBeCloseTo(120, 9);
    expect(e.lowConfidence).toBe(true);
    const short = integrateWindow(s, 0, 400);
    expect(short.reasons.join()).toMatch(/under 1 s/);
  });

  it("a window not covered by samples is NaN, not zero", () => {
    expect(integrateWindow(s, 1500, 2500).joules).toBeNaN();
  });

  it("NVML counter differences (mJ → J); a missing reading or a counter that went backwards gives null", () => {
    // 1,250,500 − 1,000,000 mJ = 250,500 mJ = 250.5 J
    expect(energyFromCounter(1_000_000n, 1_250_500n)).toBe(250.5);
    expect(energyFromCounter(5n, 5n)).toBe(0);
    // the driver reloaded between the readings: the counter restarted, the difference means nothing
    expect(energyFromCounter((1n << 64n) - 1000n, 500n)).toBeNull();
    expect(energyFromCounter(null, 500n)).toBeNull();
    expect(energyFromCounter(500n, null)).toBeNull();
  });

  it("net = gross − idle × duration; no baseline, no net", () => {
    // 350 J − 60 W × 2 s = 230 J
    expect(netJoules(350, 60, 2)).toBe(230);
    expect(netJoules(350, 0, 2)).toBe(350);
    expect(netJoules(350, null, 2)).toBeNull();
    expect(netJoules(350, undefined, 2)).toBeNull();
    expect(netJoules(NaN, 60, 2)).toBeNull();
  });
});
