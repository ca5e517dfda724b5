import { describe, it, expect } from "vitest";
import { integrateWindow, energyFromCounter, netJoules, sampleInterval } from "../../src/telemetry/energy.js";

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
    const after = integrateWindow(s, 1500, 2500);
    expect(after).toEqual({
      joules: NaN,
      meanW: NaN,
      peakW: NaN,
      seconds: 1,
      samples: 0,
      gaps: [],
      lowConfidence: true,
      reasons: ["no samples cover the window"],
    });
    // starting before the first sample
    expect(integrateWindow(s.slice(1), 0, 1000).reasons).toEqual(["no samples cover the window"]);
    expect(integrateWindow([], 0, 1000).joules).toBeNaN();
  });

  it("an empty or reversed window is zero joules, flagged", () => {
    const want = { joules: 0, meanW: NaN, peakW: NaN, seconds: 0, samples: 0, gaps: [], lowConfidence: true };
    expect(integrateWindow(s, 500, 500)).toEqual({ ...want, reasons: ["empty window"] });
    expect(integrateWindow(s, 900, 500)).toEqual({ ...want, reasons: ["empty window"] });
  });

  it("counts the samples it used, the peak, and the mean power", () => {
    // [500, 1500]: samples at 500 … 1500 (3); 150 → 200 W over 0.5 s = 87.5 J, 200 W for 0.5 s = 100 J
    const e = integrateWindow(s, 500, 1500);
    expect(e.samples).toBe(3);
    expect(e.joules).toBeCloseTo(187.5, 9);
    expect(e.meanW).toBeCloseTo(187.5, 9);
    expect(e.peakW).toBe(200);
    expect(e.seconds).toBe(1);
    // a window of exactly 1 s is not "under 1 s"
    expect(e.reasons).toEqual([]);
    expect(e.lowConfidence).toBe(false);
    // [250, 750]: interpolated edges at 125 W and 175 W around the 150 W sample: (125+150)/2·0.25 + (150+175)/2·0.25
    const mid = integrateWindow(s, 250, 750);
    expect(mid.joules).toBeCloseTo(75, 9);
    expect(mid.samples).toBe(3);
    expect(mid.peakW).toBe(175);
    expect(mid.reasons).toEqual(["window of 500 ms is under 1 s"]);
  });

  it("two samples at the same instant: the first one's power", () => {
    const same = [
      { t: 0, w: 100 },
      { t: 0, w: 300 },
      { t: 1000, w: 100 },
    ];
    // from = 0 sits on the second sample (the last at or before the start); flat 300 → 100 W over 1 s = 200 J
    expect(integrateWindow(same, 0, 1000).joules).toBeCloseTo(200, 9);
  });

  it("the sampling interval is the median spacing", () => {
    // spacings 40, 10, 30 → sorted 10, 30, 40 → 30
    expect(
      sampleInterval([
        { t: 0, w: 1 },
        { t: 40, w: 1 },
        { t: 50, w: 1 },
        { t: 80, w: 1 },
      ]),
    ).toBe(30);
    // spacings 10, 20: the upper middle
    expect(
      sampleInterval([
        { t: 0, w: 1 },
        { t: 10, w: 1 },
        { t: 30, w: 1 },
      ]),
    ).toBe(20);
    expect(sampleInterval([{ t: 0, w: 1 }])).toBeNaN();
    expect(sampleInterval([])).toBeNaN();
  });

  it("a gap of exactly 3× the interval is not a gap", () => {
    const even = [0, 50, 200, 250, 300, 350, 400, 450, 500, 550, 600, 650, 700, 750, 800, 850, 900, 950, 1000].map(
      (t) => ({
        t,
        w: 100,
      }),
    );
    const e = integrateWindow(even, 0, 1000, 50);
    expect(e.gaps).toEqual([]);
    expect(e.joules).toBeCloseTo(100, 9);
    const gap = integrateWindow(even, 0, 1000, 49);
    expect(gap.gaps).toEqual([[50, 200]]);
    expect(gap.reasons).toEqual(["1 gap(s) longer than 3× the 49 ms interval"]);
    // without a known interval, nothing is judged a gap
    expect(integrateWindow(even.slice(0, 2), 0, 50).gaps).toEqual([]);
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
