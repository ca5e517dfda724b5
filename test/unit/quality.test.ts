import { describe, it, expect } from "vitest";
import { klDivergence, quality } from "../../src/analysis/quality.js";

describe("KL divergence", () => {
  it("full distributions, hand-computed", () => {
    // KL([0.5,0.5] || [0.25,0.75]) = 0.5 ln 2 + 0.5 ln(2/3) = 0.14384103622589045
    const r = klDivergence(
      new Map([
        [1, 0.5],
        [2, 0.5],
      ]),
      new Map([
        [1, 0.25],
        [2, 0.75],
      ]),
      2,
    );
    expect(r.kl).toBeCloseTo(0.14384103622589045, 12);
    expect(r.truncated).toBe(false);
    expect(
      klDivergence(
        new Map([
          [1, 0.3],
          [2, 0.7],
        ]),
        new Map([
          [1, 0.3],
          [2, 0.7],
        ]),
        2,
      ).kl,
    ).toBe(0);
  });
  it("a full distribution whose float32 probabilities sum to 1 − 2e-6 is not truncated (no rest bucket)", () => {
    // every token of a 2-token vocabulary is there: KL = 0.5 ln(0.5/0.25) + (0.5 − 2e-6) ln((0.5 − 2e-6)/0.75)
    const p = 0.5 - 2e-6;
    const r = klDivergence(
      new Map([
        [1, 0.5],
        [2, p],
      ]),
      new Map([
        [1, 0.25],
        [2, 0.75],
      ]),
      2,
    );
    expect(r.truncated).toBe(false);
    expect(r.kl).toBeCloseTo(0.5 * Math.log(2) + p * Math.log(p / 0.75), 12);
  });
  it("top-k truncated: the missing mass is one bucket on each side", () => {
    // ref top: {1: 0.6}, rest 0.4; quant: {1: 0.5, ...} rest 0.5 → 0.6 ln(0.6/0.5) + 0.4 ln(0.4/0.5)
    const r = klDivergence(
      new Map([[1, 0.6]]),
      new Map([
        [1, 0.5],
        [3, 0.1],
      ]),
      3,
    );
    expect(r.truncated).toBe(true);
    expect(r.kl).toBeCloseTo(0.6 * Math.log(0.6 / 0.5) + 0.4 * Math.log(0.4 / 0.5), 12);
  });
  it("top-1 agreement and perplexity", () => {
    const ref = [
      new Map([
        [1, 0.9],
        [2, 0.1],
      ]),
      new Map([
        [1, 0.2],
        [2, 0.8],
      ]),
    ];
    const q = [
      new Map([
        [1, 0.8],
        [2, 0.2],
      ]),
      new Map([
        [1, 0.6],
        [2, 0.4],
      ]),
    ];
    const r = quality(ref, q, [1, 2], 2);
    expect(r.top1Agreement).toBe(0.5);
    expect(r.pplRef).toBeCloseTo(Math.exp(-(Math.log(0.9) + Math.log(0.8)) / 2), 12);
    expect(r.pplQuant).toBeCloseTo(Math.exp(-(Math.log(0.8) + Math.log(0.4)) / 2), 12);
  });
});
