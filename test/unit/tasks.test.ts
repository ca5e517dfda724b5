/** runTasks on a scripted BenchContext: which repetitions end up in the phases. */
import { describe, expect, it } from "vitest";
import type { BenchContext } from "../../src/bench/executor.js";
import { runTasks } from "../../src/bench/tasks.js";
import { taskSpec as spec } from "../helpers.js";

/** Every call of timeGenerate returns `gapsOf(call)`; timePrompt returns 8 ms per call. */
function scripted(gapsOf: (call: number) => number[]): BenchContext & { calls: { prompt: number; gen: number } } {
  const calls = { prompt: 0, gen: 0 };
  return {
    calls,
    appliedThreads: 1,
    warnings: [],
    clear: async () => undefined,
    fill: async () => undefined,
    timePrompt: async () => {
      calls.prompt++;
      return 8;
    },
    timeGenerate: async () => gapsOf(calls.gen++),
    timeParallel: async (tokens, n) => ({ totalMs: n * 2, ttftMs: tokens.map(() => 2) }),
    memory: async () => ({ vramUsedBytes: null, vramTotalBytes: null, contextStateBytes: null }),
    dispose: async () => undefined,
  };
}

describe("runTasks", () => {
  it("pp+tg: the warm-up repetition's generation is not among the tg samples", async () => {
    // warm-up generation: 4 steps of 50 ms (200 ms); measured ones: 4 steps of 1 ms
    const ctx = scripted((call) => Array(4).fill(call === 0 ? 50 : 1));
    const r = await runTasks(ctx, spec({ pp: 16, tg: 4 }), 1000, 1);
    expect(ctx.calls).toEqual({ prompt: 4, gen: 4 });
    expect(r.pp!.samplesMs).toEqual([8, 8, 8]);
    expect(r.tg!.samplesMs).toEqual([4, 4, 4]);
    expect(r.tg!.itlMs).toEqual({ p50: 1, p90: 1, p99: 1 });
    expect(r.tg!.windowsEpochMs).toHaveLength(3);
    expect(r.tg!.tokens).toBe(4);
    expect(r.pp!.tokens).toBe(16);
  });

  it("tg alone: warm-up discarded, gaps summed per repetition", async () => {
    const ctx = scripted((call) => (call === 0 ? [90, 90] : [2, 3]));
    const r = await runTasks(ctx, spec({ tg: 2 }), 1000, 1);
    expect(r.tg!.samplesMs).toEqual([5, 5, 5]);
    expect(r.pp).toBeNull();
  });

  it("adaptive pp records its first stage and target; the tg of pp+tg gets the t interval", async () => {
    const ctx = scripted(() => [1, 1]);
    const r = await runTasks(ctx, spec({ pp: 16, tg: 2, repetitions: { min: 3, max: 6, targetCi: 0.5 } }), 1000, 1);
    expect(r.pp!.firstStage).toBe(3);
    expect(r.pp!.targetCi).toBe(0.5);
    expect(r.tg!.firstStage).toBeUndefined();
    // constant 8 ms → SD 0 → Stein's N = n0 = 3
    expect(r.pp!.samplesMs).toHaveLength(3);
  });

  it("tg: the harness's µs per token = (wall − llama.cpp's decode clock) / tokens, per measured repetition", async () => {
    // 4 steps of 1 ms = 4 ms of wall time per generation; llama.cpp's clock counts 3.9 ms (warm-up) then 3.6,
    // 3.8, 3.96 ms: (4 − 3.6) ms / 4 tokens = 100 µs, then 50 µs and 10 µs
    const ctx = scripted(() => [1, 1, 1, 1]);
    const clock = [0, 3.9, 3.9, 7.5, 7.5, 11.3, 11.3, 15.26];
    let read = 0;
    ctx.decodeMs = () => clock[read++]!;
    const r = await runTasks(ctx, spec({ tg: 4 }), 1000, 1);
    expect(r.tg!.harnessUsPerToken!.map((us) => Math.round(us * 1000) / 1000)).toEqual([100, 50, 10]);
    const withPrompt = scripted(() => [1, 1, 1, 1]);
    read = 0;
    withPrompt.decodeMs = () => clock[read++]!;
    const pt = await runTasks(withPrompt, spec({ pp: 16, tg: 4 }), 1000, 1);
    expect(pt.tg!.harnessUsPerToken!.map((us) => Math.round(us * 1000) / 1000)).toEqual([100, 50, 10]);
    expect(pt.pp!.harnessUsPerToken).toBeUndefined();
  });

  it("tg: no harness figure where the context has no decode clock", async () => {
    const r = await runTasks(
      scripted(() => [1, 1]),
      spec({ tg: 2 }),
      1000,
      1,
    );
    expect(r.tg!.harnessUsPerToken).toBeUndefined();
  });

  it("parallel: K × tg tokens per repetition", async () => {
    const ctx = scripted(() => [1]);
    const r = await runTasks(ctx, spec({ tg: 8, parallel: 4 }), 1000, 1);
    expect(r.parallelTg!.tokens).toBe(32);
    expect(r.parallelTg!.samplesMs).toEqual([16, 16, 16]);
    expect(r.parallelTg!.ttftMs).toEqual([2, 2, 2]);
  });
});
