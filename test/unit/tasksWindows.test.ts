/**
 * runTasks' measured windows on a scripted context and a fake wall clock (every reading 50 ms after the last):
 * NVML energy per window, the energy pass that stretches short phases to `energyMinMs`, progress rates, depth
 * fills and the parallel phase's time to first token. Expected values are worked out by hand in each test.
 */
import { beforeEach, describe, expect, it, vi } from "vitest";
import type { BenchContext } from "../../src/bench/executor.js";
import { mjDiff, runTasks } from "../../src/bench/tasks.js";
import { taskSpec as spec } from "../helpers.js";

let clock = 0;
let step = 50;
vi.mock("../../src/util/time.js", () => ({ epochNow: () => (clock += step) }));

/** A context whose every timed operation adds 2,500 mJ to a fake NVML counter; fills are logged. */
function scripted() {
  const counter = { mJ: 0n };
  const fills: { seq: number; tokens: number }[] = [];
  const ctx: BenchContext = {
    appliedThreads: 1,
    warnings: [],
    clear: async () => undefined,
    fill: async (tokens, seq = 0) => {
      fills.push({ seq, tokens: tokens.length });
    },
    timePrompt: async () => {
      counter.mJ += 2500n;
      return 8;
    },
    timeGenerate: async (_tokens, n) => {
      counter.mJ += 2500n;
      return Array<number>(n).fill(1);
    },
    timeParallel: async (tokens, n) => {
      counter.mJ += 2500n;
      return { totalMs: n * 2, ttftMs: tokens.map((_, k) => 1 + 2 * k) };
    },
    memory: async () => ({ vramUsedBytes: null, vramTotalBytes: null, contextStateBytes: null }),
    dispose: async () => undefined,
  };
  return { ctx, fills, energy: () => counter.mJ };
}

beforeEach(() => {
  clock = 0;
  step = 50;
});

describe("mjDiff", () => {
  it("joules between two NVML readings in mJ; null when either is missing or the counter went back", () => {
    expect(mjDiff(1000n, 3500n)).toBe(2.5);
    expect(mjDiff(7n, 7n)).toBe(0);
    expect(mjDiff(null, 5n)).toBeNull();
    expect(mjDiff(5n, null)).toBeNull();
    expect(mjDiff(5n, 3n)).toBeNull();
    expect(mjDiff(0n, null)).toBeNull();
  });
});

describe("runTasks inputs", () => {
  /** The tokens timeGenerate is handed for a tg of `n` steps on a vocabulary of `vocab`. */
  async function generated(vocab: number, n: number, seed = 1): Promise<number[]> {
    const { ctx } = scripted();
    let seen: number[] = [];
    ctx.timeGenerate = async (tokens, steps) => {
      seen = tokens;
      return Array<number>(steps).fill(1);
    };
    await runTasks(ctx, spec({ tg: n }), vocab, seed);
    return seen;
  }

  it("random tokens stay clear of the special ids: [min(256, vocab/4), vocab − 16)", async () => {
    // vocab 1000: [250, 984); 2,000 draws reach both ends' neighbourhoods
    const big = await generated(1000, 2000);
    expect(big).toHaveLength(2000);
    expect(Math.min(...big)).toBeGreaterThanOrEqual(250);
    expect(Math.min(...big)).toBeLessThan(256);
    expect(Math.max(...big)).toBeLessThan(984);
    expect(Math.max(...big)).toBeGreaterThan(975);
    // vocab 100: [25, 84)
    const small = await generated(100, 500);
    expect(Math.min(...small)).toBe(25);
    expect(Math.max(...small)).toBe(83);
    // vocab 20: lo 5, and the range never empties: every token is 5
    expect(new Set(await generated(20, 50))).toEqual(new Set([5]));
  });

  it("the same seed gives the same tokens, another seed others", async () => {
    expect(await generated(1000, 64, 7)).toEqual(await generated(1000, 64, 7));
    expect(await generated(1000, 64, 7)).not.toEqual(await generated(1000, 64, 8));
  });
});

describe("runTasks windows", () => {
  it("tg: each measured window's wall-clock edges and its NVML joules (2,500 mJ per generation)", async () => {
    const { ctx, energy } = scripted();
    const r = await runTasks(ctx, spec({ tg: 4, energy }), 1000, 1);
    // warm-up window: readings 50, 100; measured: 150–200, 250–300, 350–400
    expect(r.tg!.windowsEpochMs).toEqual([
      [150, 200],
      [250, 300],
      [350, 400],
    ]);
    expect(r.tg!.nvmlJoules).toEqual([2.5, 2.5, 2.5]);
    expect(r.tg!.energyPass).toBeUndefined();
  });

  it("no energy counter: no nvmlJoules field at all", async () => {
    const { ctx } = scripted();
    const r = await runTasks(ctx, spec({ tg: 4, energyMinMs: 1000 }), 1000, 1);
    expect(r.tg).not.toHaveProperty("nvmlJoules");
    expect(r.tg!.energyPass).not.toHaveProperty("nvmlJoules");
  });

  it("energy pass: short windows are repeated until they add up to energyMinMs, for energy only", async () => {
    const { ctx, energy } = scripted();
    // measured windows: 3 × 50 = 150 ms < 1000 → 20 more windows of 50 ms (1000 ms), 4 tokens each
    const r = await runTasks(ctx, spec({ tg: 4, energy, energyMinMs: 1000 }), 1000, 1);
    const pass = r.tg!.energyPass!;
    expect(pass.tokens).toBe(80);
    expect(pass.windowsEpochMs).toHaveLength(20);
    expect(pass.windowsEpochMs[0]).toEqual([450, 500]);
    expect(pass.nvmlJoules).toEqual(Array(20).fill(2.5));
    expect(r.tg!.samplesMs).toEqual([4, 4, 4]);
  });

  it("energy pass: none when the measured windows already reach energyMinMs exactly", async () => {
    const { ctx, energy } = scripted();
    const r = await runTasks(ctx, spec({ tg: 4, energy, energyMinMs: 150 }), 1000, 1);
    expect(r.tg!.energyPass).toBeUndefined();
  });

  it("energy pass: stops after 500 windows when windows take no wall time", async () => {
    step = 0;
    const { ctx, energy } = scripted();
    const r = await runTasks(ctx, spec({ tg: 2, energy, energyMinMs: 1000 }), 1000, 1);
    expect(r.tg!.energyPass!.windowsEpochMs).toHaveLength(500);
    expect(r.tg!.energyPass!.tokens).toBe(1000);
  });

  it("pp+tg: both phases get their own windows and energy pass; pp alone has no tg", async () => {
    const { ctx, energy } = scripted();
    const r = await runTasks(ctx, spec({ pp: 16, tg: 4, energy, energyMinMs: 200 }), 1000, 1);
    expect(r.pp!.nvmlJoules).toEqual([2.5, 2.5, 2.5]);
    expect(r.tg!.nvmlJoules).toEqual([2.5, 2.5, 2.5]);
    // 150 ms measured per phase < 200 → 4 windows of 50 ms each
    expect(r.pp!.energyPass!.tokens).toBe(64);
    expect(r.tg!.energyPass!.tokens).toBe(16);
    const ppOnly = await runTasks(scripted().ctx, spec({ pp: 16 }), 1000, 1);
    expect(ppOnly.tg).toBeNull();
    expect(ppOnly.parallelTg).toBeNull();
  });

  it("progress: each repetition's rate, named after its phase", async () => {
    const seen: [string, number, number][] = [];
    const onRep = (phase: string, n: number, rate: number) => seen.push([phase, n, rate]);
    await runTasks(scripted().ctx, spec({ tg: 4 }), 1000, 1, onRep); // 4 tokens in 4 ms
    await runTasks(scripted().ctx, spec({ pp: 16 }), 1000, 1, onRep); // 16 tokens in 8 ms
    await runTasks(scripted().ctx, spec({ tg: 8, parallel: 4 }), 1000, 1, onRep); // 32 tokens in 16 ms
    const rates = (phase: string) => [...new Set(seen.filter((s) => s[0] === phase).map((s) => s[2]))];
    expect(rates("tg")).toEqual([1000, 2000]);
    expect(rates("pp")).toEqual([2000]);
    expect(seen.every(([phase]) => phase === "tg" || phase === "pp")).toBe(true);
  });

  it("depth: every sequence is refilled with the depth tokens before each repetition", async () => {
    const { ctx, fills } = scripted();
    await runTasks(ctx, spec({ tg: 2, depth: 8, parallel: 3 }), 1000, 1);
    // warm-up + 3 repetitions, 3 sequences each
    expect(fills).toHaveLength(12);
    expect(fills.slice(0, 3)).toEqual([
      { seq: 0, tokens: 8 },
      { seq: 1, tokens: 8 },
      { seq: 2, tokens: 8 },
    ]);
    const noDepth = scripted();
    await runTasks(noDepth.ctx, spec({ tg: 2, parallel: 3 }), 1000, 1);
    expect(noDepth.fills).toEqual([]);
  });

  it("parallel: each repetition's time to first token is the median over the sequences", async () => {
    const { ctx, energy } = scripted();
    // sequences' first tokens at 1, 3, 5 ms → 3
    const r = await runTasks(ctx, spec({ tg: 4, parallel: 3, energy, energyMinMs: 200 }), 1000, 1);
    expect(r.parallelTg!.ttftMs).toEqual([3, 3, 3]);
    expect(r.parallelTg!.energyPass!.tokens).toBe(48);
  });
});
