import { describe, it, expect } from "vitest";
import { aggregate, aggregateOne, meanWatts, rate, tokPerJoule } from "../../src/analysis/aggregate.js";
import { makeRecord, phase } from "./makeRecord.js";

describe("rate: tok/s of a phase, mean (95% CI)", () => {
  it("tokens ÷ seconds per repetition; 0 ms repetitions are left out", () => {
    // 128 tokens in 250, 500, 0 ms → 512, 256 tok/s
    const s = rate(phase(128, [250, 500, 0]))!;
    expect(s.n).toBe(2);
    expect(s.mean).toBe(384);
    expect(s.min).toBe(256);
    expect(s.max).toBe(512);
    expect(rate(phase(128, []))).toBeNull();
    expect(rate(phase(128, [0]))).toBeNull();
    expect(rate(null)).toBeNull();
    expect(rate(undefined)).toBeNull();
  });
  it("an adaptive phase gets Stein's interval from its recorded first stage", () => {
    // tok/s 100, 104, 96, 101, 99, 100.5 (1000 tokens per repetition): see stats.test for the hand values
    const p = phase(
      1000,
      [100, 104, 96, 101, 99, 100.5].map((r) => 1e6 / r),
      { firstStage: 3 },
    );
    const s = rate(p)!;
    expect(s.method).toBe("stein");
    expect(s.halfWidth).toBeCloseTo(7.026202485519566, 8);
  });
  it("noisy where the runner recorded it, or where the CI is wider than the recorded target", () => {
    const tight = phase(1000, [10, 10, 10]);
    expect(rate(tight)!.noisy).toBe(false);
    expect(rate({ ...tight, noisy: true })!.noisy).toBe(true);
    // 100000, 96154, 104167 tok/s: ciRel ≈ 0.099 > 0.02
    expect(rate(phase(1000, [10, 10.4, 9.6], { targetCi: 0.02 }))!.noisy).toBe(true);
    expect(rate(phase(1000, [10, 10.4, 9.6], { targetCi: 0.2 }))!.noisy).toBe(false);
  });
});

describe("tokPerJoule", () => {
  it("over the repetitions with an energy figure: gross and net of the idle baseline", () => {
    // 100 tokens × 2 repetitions with joules (the third has none): 200 tokens ÷ (50 + 70) J = 1.6667 tok/J
    // net: 120 J − 20 W × (1 + 2) s = 60 J → 3.3333 tok/J
    const p = phase(100, [1000, 2000, 500], { joules: [50, 70, null] });
    const e = tokPerJoule(p, 20)!;
    expect(e.gross).toBeCloseTo(200 / 120, 12);
    expect(e.net).toBeCloseTo(200 / 60, 12);
    expect(tokPerJoule(p, null)!.net).toBeNull();
    expect(tokPerJoule(p, undefined)!.net).toBeNull();
    // idle power larger than the total: net energy not positive → no net figure
    expect(tokPerJoule(p, 40)!.net).toBeNull();
    expect(tokPerJoule(phase(100, [1000], { joules: [] }), 20)).toBeNull();
    expect(tokPerJoule(phase(100, [1000], { joules: [null] }), 20)).toBeNull();
    expect(tokPerJoule(phase(100, [1000]), 20)).toBeNull();
    expect(tokPerJoule(null, 20)).toBeNull();
  });
  it("the energy pass (short phases repeated back to back) is preferred", () => {
    // 1000 tokens over windows of 400 + 600 ms = 1 s, 50 J: 20 tok/J; net 50 − 10 W × 1 s = 40 J → 25 tok/J
    // the repetitions alone would say 100 tokens ÷ 8 J = 12.5 tok/J (net 8 − 10 W × 0.1 s = 7 J → 14.29)
    const p = phase(100, [100], {
      joules: [8],
      energyPass: {
        tokens: 1000,
        windowsEpochMs: [
          [0, 400],
          [1000, 1600],
        ],
        joules: 50,
      },
    });
    const e = tokPerJoule(p, 10)!;
    expect(e.gross).toBe(20);
    expect(e.net).toBe(25);
    expect(tokPerJoule({ ...p, energyPass: undefined }, 10)).toEqual({ gross: 12.5, net: 100 / 7 });
    // a pass without joules falls back to the repetitions: 100 tokens ÷ 5 J
    const noPass = phase(100, [100], { joules: [5], energyPass: { tokens: 1000, windowsEpochMs: [[0, 1000]] } });
    expect(tokPerJoule(noPass, null)!.gross).toBe(20);
  });
});

describe("meanWatts", () => {
  it("joules ÷ seconds of the repetitions that have joules", () => {
    // (50 + 70) J over (1 + 2) s = 40 W; the repetition without joules is left out of both
    expect(meanWatts(phase(100, [1000, 2000, 500], { joules: [50, 70, null] }))).toBe(40);
    expect(meanWatts(phase(100, [1000], { joules: [] }))).toBeNull();
    expect(meanWatts(phase(100, [1000]))).toBeNull();
    expect(meanWatts(phase(100, [0], { joules: [5] }))).toBeNull();
  });
});

describe("aggregate", () => {
  it("one row per record; failures stay failures with no numbers", () => {
    const ok = makeRecord({ pp: 512, tg: 128, ppPhase: phase(512, [500]), tgPhase: phase(128, [1000]) });
    const bad = makeRecord({ status: "oom" });
    const [a, b] = aggregate([ok, bad]);
    expect(a!.pp!.mean).toBe(1024);
    expect(a!.tg!.mean).toBe(128);
    expect(a!.parallelTg).toBeNull();
    expect(a!.testId).toBe("pp512+tg128");
    expect(a!.quant).toBe("Q4_K_M");
    expect(a!.runId).toBe("run1");
    expect(a!.identity.test).toBe("pp512+tg128");
    expect(b!.status).toBe("oom");
    expect([b!.pp, b!.tg, b!.tgTokPerJ, b!.tgWatts]).toEqual([null, null, null, null]);
  });
  it("generation energy comes from tg, or the parallel phase; the quant falls back to the file type", () => {
    const par = makeRecord({
      parallel: 4,
      parallelPhase: phase(512, [1000], { joules: [64] }),
      telemetry: { status: "ok", reason: null, idleWatts: null },
    });
    const row = aggregateOne(par);
    // 512 tokens ÷ 64 J = 8 tok/J; 64 J over 1 s = 64 W
    expect(row.tgTokPerJ!.gross).toBe(8);
    expect(row.tgWatts).toBe(64);
    expect(row.parallelTg!.mean).toBe(512);
    const noQuant = makeRecord();
    noQuant.model = { ...noQuant.model, quant: null, fileType: "MOSTLY_Q4_K_M" };
    expect(aggregateOne(noQuant).quant).toBe("MOSTLY_Q4_K_M");
    noQuant.model = { ...noQuant.model, quant: null, fileType: null };
    expect(aggregateOne(noQuant).quant).toBe("?");
  });
});
