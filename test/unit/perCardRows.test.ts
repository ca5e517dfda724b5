/**
 * analysis/perCard from hand-made records of four GPU setups: two RTX 3060s on different hosts, drivers and
 * llama.cpp builds, an unpriced card whose driver and build are partly unknown, and a 4060 Ti whose only record
 * failed. Setups, labels, row grouping, row order and every cell's tok/s, tok/J and tok/s per $ are worked out
 * by hand; records that are no plain pp or tg measurement (failed, at depth, parallel, pp+tg) never count.
 */
import { describe, expect, it } from "vitest";
import { aggregate } from "../../src/analysis/aggregate.js";
import { type PerCard, type PerCardRow, perCard } from "../../src/analysis/perCard.js";
import type { ResultRecord } from "../../src/results/schema.js";
import { makeRecord, phase, type RecordSpec } from "./makeRecord.js";

interface Setup {
  gpu: string;
  host: string;
  /** the driver in env.gpus */
  envDriver: string | null;
  /** no env.gpus entry at all: the GPU known from telemetry only */
  telemetryOnly?: boolean;
  /** telemetry's GPU driver, where telemetry saw the GPU */
  telemetryDriver?: string | null;
  release: string | null;
  commit: string | null;
}

const A: Setup = {
  gpu: "NVIDIA GeForce RTX 3060",
  host: "a",
  envDriver: "550.54",
  release: "b5000",
  commit: "abcdef123456",
};
// telemetry's driver wins over env's; a commit with no release
const B: Setup = {
  gpu: "NVIDIA GeForce RTX 3060",
  host: "b",
  envDriver: "000.00",
  telemetryDriver: "555.10",
  release: null,
  commit: "1234567890",
};
// no price known, no driver anywhere, a release with no commit
const C: Setup = { gpu: "Acme X1", host: "c", envDriver: null, release: "b6000", commit: null };
// neither release nor commit; its one record failed
const D: Setup = {
  gpu: "NVIDIA GeForce RTX 4060 Ti",
  host: "d",
  envDriver: "560.35",
  release: null,
  commit: null,
};

function on(s: Setup, spec: RecordSpec): ResultRecord {
  const r = makeRecord({ gpu: s.gpu, ...spec });
  r.env = {
    ...r.env,
    host: s.host,
    llamaCppRelease: s.release,
    llamaCppCommit: s.commit,
    gpus: s.telemetryOnly ? [] : [{ name: s.gpu, uuid: null, driver: s.envDriver, vramBytes: null }],
  };
  if (s.telemetryDriver !== undefined) {
    r.telemetry = {
      status: "ok",
      reason: null,
      gpu: { name: s.gpu, uuid: null, driver: s.telemetryDriver, memoryTotalMiB: null },
    };
  }
  return r;
}

const labelled = (label: string, r: ResultRecord): ResultRecord => ({ ...r, model: { ...r.model, label } });

const withoutPhases = (r: ResultRecord): ResultRecord => ({ ...r, pp: null, tg: null });

const tg = (model: string, ms: number, more: RecordSpec = {}): RecordSpec => ({
  model,
  tg: 128,
  tgPhase: phase(128, [ms, ms, ms]),
  ...more,
});
const pp = (model: string, ms: number, more: RecordSpec = {}): RecordSpec => ({
  model,
  pp: 512,
  tg: 0,
  ppPhase: phase(512, [ms, ms, ms]),
  ...more,
});

const records: ResultRecord[] = [
  // moe Q4_K_M: A pp 512/0.25 s = 2048 tok/s (before its tg), tg 128/2 s = 64 tok/s at 400 J a repetition
  on(A, pp("moe", 250, { moe: true, threads: 4 })),
  on(
    A,
    tg("moe", 2000, { moe: true, threads: 4, tgPhase: phase(128, [2000, 2000, 2000], { joules: [400, 400, 400] }) }),
  ),
  // B: a pp512+tg128 record first (neither a pp nor a tg figure), then tg 128/1.6 s = 80 tok/s, no energy
  on(
    B,
    tg("moe", 4000, {
      moe: true,
      pp: 512,
      ppPhase: phase(512, [100, 100, 100]),
      threads: 8,
    }),
  ),
  on(B, tg("moe", 1600, { moe: true, threads: 8 })),
  // C: tg at depth 4096 and with 4 parallel sequences (no plain tg), a failed tg, then pp 512/0.5 s = 1024 tok/s
  on(C, tg("moe", 1000, { moe: true, depth: 4096 })),
  on(C, tg("moe", 1000, { moe: true, parallel: 4 })),
  on(C, tg("moe", 1000, { moe: true, status: "oom" })),
  on(C, pp("moe", 500, { moe: true })),
  // dense Q4_K_M ctx 512: A 128/1 s = 128 tok/s, B 128/2 s = 64 tok/s
  on(A, tg("dense", 1000)),
  on(B, tg("dense", 2000)),
  // "mixed", labelled without its quant: Q8_0 (A only, 128/4 s = 32 tok/s) sorts before Q4_K_M (A, 128 tok/s)
  labelled("mixed", on(A, tg("mixed", 1000))),
  labelled("mixed", on(A, tg("mixed", 4000, { quant: "Q8_0" }))),
  // dense Q4_K_M ctx 4096: A 128/0.5 s = 256 tok/s, C (unpriced) 128/0.8 s = 160 tok/s
  on(A, tg("dense", 500, { ctx: 4096 })),
  on(C, tg("dense", 800, { ctx: 4096 })),
  // prefill only: A 512/0.5 s = 1024 tok/s, C 512/0.25 s = 2048 tok/s
  on(A, pp("pponly", 500)),
  on(C, pp("pponly", 250)),
  // a second MoE model, after "moe" by name; and "alpha", first of the dense ones by name
  on(B, tg("zeta", 1000, { moe: true })),
  on(A, tg("zeta", 2000, { moe: true })),
  on(B, tg("alpha", 1000)),
  on(C, tg("alpha", 1000)),
  // "holey": a record of each kind with no phase before one with it: A tg 128/1 s = 128 tok/s; B pp
  // 512/0.5 s = 1024 tok/s and tg 128/2 s = 64 tok/s
  withoutPhases(on(A, tg("holey", 1000))),
  on(A, tg("holey", 1000)),
  withoutPhases(on(B, pp("holey", 500))),
  on(B, pp("holey", 500)),
  on(B, tg("holey", 2000)),
  // models with no plain measurement: no row
  // "empty" asked for no tokens at all (pp 0, tg 0), whatever phases it holds
  on(A, { model: "empty", pp: 0, tg: 0, ppPhase: phase(512, [100, 100, 100]), tgPhase: phase(128, [100, 100, 100]) }),
  on(B, { model: "empty", pp: 0, tg: 0, ppPhase: phase(512, [100, 100, 100]), tgPhase: phase(128, [100, 100, 100]) }),
  on(A, tg("ghost", 1000, { status: "oom" })),
  on(A, tg("deep", 1000, { depth: 512 })),
  on(A, tg("par", 1000, { parallel: 2 })),
  on(A, tg("combo", 1000, { pp: 512, ppPhase: phase(512, [100, 100, 100]) })),
  // D: a failed record only; D is still a setup (a column), with no cell anywhere
  on(D, tg("dense", 1000, { status: "oom" })),
  // CPU runs are no setup
  makeRecord({ model: "dense", tg: 128 }),
];

const prices = { priceBasis: "launch MSRP" as const, kwhPriceUsd: 0.15, lifetimeHours: 8760 };
// built inside each test, so that mutation testing's per-test coverage sees it
const fixture = () => {
  const p = perCard(aggregate(records), prices)!;
  const [a, b, c, d] = p.setups.map((s) => s.id) as [string, string, string, string];
  return { p, a, b, c, d, row: (label: string, config = "") => rowOf(p, label, config) };
};
const rowOf = (p: PerCard, label: string, config: string): PerCardRow => {
  const r = p.rows.find((x) => x.model === label && x.config === config);
  if (!r) throw new Error(`no row ${label} ${config}`);
  return r;
};

describe("perCard setups", () => {
  it("one setup per GPU, host, driver and build, in the order first seen; CPU runs are none", () => {
    const { p } = fixture();
    expect(p.setups.map((s) => s.id)).toEqual([
      "NVIDIA GeForce RTX 3060|a|550.54|b5000 (abcdef1)",
      "NVIDIA GeForce RTX 3060|b|555.10|(1234567)",
      "Acme X1|c||b6000",
      "NVIDIA GeForce RTX 4060 Ti|d|560.35|unknown",
    ]);
  });

  it("each setup's GPU, host, driver, build and backend", () => {
    const { p } = fixture();
    expect(p.setups.map(({ gpu, host, driver, build, backend }) => ({ gpu, host, driver, build, backend }))).toEqual([
      { gpu: A.gpu, host: "a", driver: "550.54", build: "b5000 (abcdef1)", backend: "cuda" },
      { gpu: B.gpu, host: "b", driver: "555.10", build: "(1234567)", backend: "cuda" },
      { gpu: "Acme X1", host: "c", driver: null, build: "b6000", backend: "cuda" },
      { gpu: D.gpu, host: "d", driver: "560.35", build: "unknown", backend: "cuda" },
    ]);
  });

  it("labels name GPU, host, driver and build; a GPU model on two setups is told apart by host and build", () => {
    const { p } = fixture();
    expect(p.setups.map((s) => s.label)).toEqual([
      "NVIDIA GeForce RTX 3060 · host a · driver 550.54 · llama.cpp b5000 (abcdef1)",
      "NVIDIA GeForce RTX 3060 · host b · driver 555.10 · llama.cpp (1234567)",
      "Acme X1 · host c · driver unknown · llama.cpp b6000",
      "NVIDIA GeForce RTX 4060 Ti · host d · driver 560.35 · llama.cpp unknown",
    ]);
    expect(p.setups.map((s) => s.short)).toEqual([
      "NVIDIA GeForce RTX 3060 (a, b5000 (abcdef1))",
      "NVIDIA GeForce RTX 3060 (b, (1234567))",
      "Acme X1",
      "NVIDIA GeForce RTX 4060 Ti",
    ]);
  });

  it("prices at the chosen basis; an unknown card has none, and a note says so", () => {
    const { p } = fixture();
    expect(p.setups.map((s) => s.pricing?.usd ?? null)).toEqual([329, 329, null, 499]);
    expect(p.setups.map((s) => s.pricingNote)).toEqual([
      null,
      null,
      "no launch MSRP price known for Acme X1: pass --gpu-price (USD) for cost figures",
      null,
    ]);
  });
});

describe("perCard rows", () => {
  it("one row per model, quant and configuration; MoE first, then by model, quant (Q8_0 first), configuration", () => {
    const { p } = fixture();
    expect(p.rows.map((r) => [r.moe, r.model, r.quant, r.config])).toEqual([
      [true, "moe Q4_K_M", "Q4_K_M", "ctx 512"],
      [true, "zeta Q4_K_M", "Q4_K_M", "ctx 512"],
      [false, "alpha Q4_K_M", "Q4_K_M", "ctx 512"],
      [false, "dense Q4_K_M", "Q4_K_M", "ctx 4096"],
      [false, "dense Q4_K_M", "Q4_K_M", "ctx 512"],
      [false, "holey Q4_K_M", "Q4_K_M", "ctx 512"],
      [false, "mixed", "Q8_0", "ctx 512"],
      [false, "mixed", "Q4_K_M", "ctx 512"],
      [false, "pponly Q4_K_M", "Q4_K_M", "ctx 512"],
    ]);
  });

  it("a cell only for the setups that measured the row (the failed-only setup has none)", () => {
    const { p, a, b, c, d } = fixture();
    expect(p.rows.map((r) => Object.keys(r.cells))).toEqual([
      [a, b, c],
      [a, b],
      [b, c],
      [a, c],
      [a, b],
      [a, b],
      [a],
      [a],
      [a, c],
    ]);
    expect(p.rows.some((r) => d in r.cells)).toBe(false);
  });

  it("MoE row: pp and tg by card, tok/J where energy was measured, tok/s per $ where priced", () => {
    const { a, b, c, row } = fixture();
    const cells = row("moe Q4_K_M", "ctx 512").cells;
    // A: tg 64 tok/s, tok/J = 3 × 128 tokens / 3 × 400 J = 0.32, tok/s per $ = 64 / 329
    expect(cells[a]!.tg!.mean).toBeCloseTo(64, 9);
    expect(cells[a]!.pp!.mean).toBeCloseTo(2048, 9);
    expect(cells[a]!.tgTokPerJ).toBeCloseTo(0.32, 12);
    expect(cells[a]!.tgPerDollar).toBeCloseTo(64 / 329, 12);
    // B: the plain tg (80 tok/s), not the pp512+tg128 record's (32 tok/s); no plain pp; no energy
    expect(cells[b]!.tg!.mean).toBeCloseTo(80, 9);
    expect(cells[b]!.pp).toBeNull();
    expect(cells[b]!.tgTokPerJ).toBeNull();
    expect(cells[b]!.tgPerDollar).toBeCloseTo(80 / 329, 12);
    // C: pp only (its tg at depth, parallel or failed is not this row's figure)
    expect(cells[c]!.pp!.mean).toBeCloseTo(1024, 9);
    expect(cells[c]).toMatchObject({ tg: null, tgTokPerJ: null, tgPerDollar: null });
  });

  it("dense rows: tok/s and tok/s per $ per card; an unpriced card has no tok/s per $", () => {
    const { p, a, b, c, row } = fixture();
    const small = row("dense Q4_K_M", "ctx 512").cells;
    expect(small[a]!.tg!.mean).toBeCloseTo(128, 9);
    expect(small[b]!.tg!.mean).toBeCloseTo(64, 9);
    expect(small[a]!.tgPerDollar).toBeCloseTo(128 / 329, 12);
    expect(small[b]!.tgPerDollar).toBeCloseTo(64 / 329, 12);
    expect(small[a]!.pp).toBeNull();
    const big = row("dense Q4_K_M", "ctx 4096").cells;
    expect(big[a]!.tg!.mean).toBeCloseTo(256, 9);
    expect(big[c]!.tg!.mean).toBeCloseTo(160, 9);
    expect(big[c]!.tgPerDollar).toBeNull();
    expect(big[c]!.tgTokPerJ).toBeNull();
    const mixed = p.rows.filter((r) => r.model === "mixed");
    expect(mixed.map((r) => [r.quant, r.cells[a]!.tg!.mean])).toEqual([
      ["Q8_0", 32],
      ["Q4_K_M", 128],
    ]);
  });

  it("a record with no phase does not hide the next one of its setup", () => {
    const { a, b, row } = fixture();
    const cells = row("holey Q4_K_M", "ctx 512").cells;
    expect(cells[a]!.tg!.mean).toBeCloseTo(128, 9);
    expect(cells[a]!.pp).toBeNull();
    expect(cells[b]!.tg!.mean).toBeCloseTo(64, 9);
    expect(cells[b]!.pp!.mean).toBeCloseTo(1024, 9);
  });

  it("a prefill-only row: pp per card, no tg figures", () => {
    const { a, c, row } = fixture();
    const cells = row("pponly Q4_K_M", "ctx 512").cells;
    expect(cells[a]!.pp!.mean).toBeCloseTo(1024, 9);
    expect(cells[c]!.pp!.mean).toBeCloseTo(2048, 9);
    expect(cells[a]).toMatchObject({ tg: null, tgTokPerJ: null, tgPerDollar: null });
  });

  it("pp and tg figures join on one row across thread counts (a host detail)", () => {
    const { a, b, row } = fixture();
    const r = row("zeta Q4_K_M", "ctx 512").cells;
    expect(r[a]!.tg!.mean).toBeCloseTo(64, 9);
    expect(r[b]!.tg!.mean).toBeCloseTo(128, 9);
  });
});

describe("perCard: when there is no table, and no configuration column", () => {
  it("fewer than two GPU setups (CPU runs do not count): null", () => {
    const one = [on(A, tg("m", 1000)), on(A, pp("m", 500)), makeRecord({ model: "m", tg: 128 })];
    expect(perCard(aggregate(one), prices)).toBeNull();
    expect(perCard(aggregate([]), prices)).toBeNull();
  });

  it("two setups, one configuration: the configuration is empty; a model with isMoe unknown is not MoE", () => {
    // both GPUs known from telemetry only (no env.gpus entry), one without a driver
    const x1: Setup = { ...C, telemetryOnly: true, telemetryDriver: null };
    const x2: Setup = { ...A, telemetryOnly: true, telemetryDriver: "550.54" };
    const q = perCard(aggregate([on(x2, tg("m", 1000, { moe: null })), on(x1, tg("m", 2000, { moe: null }))]), {
      ...prices,
      gpuPriceUsd: 200,
    })!;
    expect(q.setups.map((s) => s.label)).toEqual([
      "NVIDIA GeForce RTX 3060 · host a · driver 550.54 · llama.cpp b5000 (abcdef1)",
      "Acme X1 · host c · driver unknown · llama.cpp b6000",
    ]);
    expect(q.rows).toHaveLength(1);
    expect(q.rows[0]).toMatchObject({ moe: false, model: "m Q4_K_M", quant: "Q4_K_M", config: "" });
    // a price given for every card: 128 / 200 and 64 / 200
    const [x, y] = q.setups.map((s) => s.id) as [string, string];
    expect(q.rows[0]!.cells[x]!.tgPerDollar).toBeCloseTo(0.64, 12);
    expect(q.rows[0]!.cells[y]!.tgPerDollar).toBeCloseTo(0.32, 12);
    expect(q.setups.map((s) => s.short)).toEqual([A.gpu, "Acme X1"]);
  });
});
