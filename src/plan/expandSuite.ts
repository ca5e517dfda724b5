import { MAX_TOKENS, type Suite } from "../suite/schema.js";
import type { Instance, ModelRef } from "./types.js";
import { testId } from "../util/testId.js";

/** pp/tg token counts of a suite test (the schema has checked both forms: N ≥ 1, at most MAX_TOKENS). */
export function parseTest(t: Suite["tests"][number]): { pp: number; tg: number } {
  if (typeof t !== "string") return { pp: t.pp ?? 0, tg: t.tg ?? 0 };
  const pp = /pp(\d+)/.exec(t)?.[1];
  const tg = /tg(\d+)/.exec(t)?.[1];
  return { pp: Number(pp ?? 0), tg: Number(tg ?? 0) };
}

/** Tokens an instance puts in its context: depth + prompt + generation, plus a little room (BOS etc.). */
export function contextNeeded(depth: number, pp: number, tg: number): number {
  return depth + pp + tg + 8;
}

/** Context size for "auto": room for depth + prompt + generation, rounded up to 256, at least 512. */
export function autoContext(depth: number, pp: number, tg: number): number {
  return Math.max(512, Math.ceil(contextNeeded(depth, pp, tg) / 256) * 256);
}

/** What expandSuite knows about each model before it runs: its trained context, where the header says. */
export interface ModelLimits {
  ctxTrain: number | null;
}

/** The largest context "auto" may choose for a model: its trained context unless the suite says otherwise. */
export function contextCap(suite: Pick<Suite, "beyondTrainedContext">, limits: ModelLimits | undefined): number {
  const trained = limits?.ctxTrain;
  if (suite.beyondTrainedContext || !trained || trained <= 0) return MAX_TOKENS;
  return Math.min(trained, MAX_TOKENS);
}

type Dims = Record<string, readonly unknown[]>;
type Point<D extends Dims> = { [K in keyof D]: D[K][number] };

/** Every combination of the dimensions' values; the first key varies slowest (nested loops in key order). */
function* product<D extends Dims>(dims: D): Generator<Point<D>> {
  const keys = Object.keys(dims) as (keyof D)[];
  const at = keys.map(() => 0);
  if (keys.some((k) => dims[k]!.length === 0)) return;
  for (;;) {
    yield Object.fromEntries(keys.map((k, j) => [k, dims[k]![at[j]!]])) as Point<D>;
    let j = keys.length - 1;
    while (j >= 0 && ++at[j]! >= dims[keys[j]!]!.length) at[j--] = 0;
    if (j < 0) return;
  }
}

/** Parallel sequences are a generation test (tg N only): other tests run with one sequence. */
function validCombination(parallel: number, t: { pp: number; tg: number }): boolean {
  return parallel === 1 || (t.tg > 0 && t.pp === 0);
}

/**
 * How many instances a suite expands to, computed without materialising them (an upper bound: repeated
 * values in a sweep are counted twice here and planned once). Plan and run refuse suites above maxInstances.
 */
export function countInstances(suite: Suite, models: number): number {
  const tests = suite.tests.map(parseTest);
  let perModel = 0;
  for (const parallel of suite.parallel) perModel += tests.filter((t) => validCombination(parallel, t)).length;
  const dims = [
    suite.gpuLayers,
    suite.contexts,
    suite.kv,
    suite.flashAttention,
    suite.threads,
    suite.batch,
    suite.ubatch,
    suite.llamaBenchArgs,
    suite.depths,
  ];
  return dims.reduce((n, d) => n * d.length, models * perModel);
}

export interface Expansion {
  instances: Instance[];
  /** instances left out because they need more context than their model was trained for */
  overTrained: { model: ModelRef; count: number; example: string; needed: number; cap: number }[];
}

/**
 * Expand a suite into instances, ordered so that each model is loaded once (all of its instances run in
 * one worker, as llama-bench orders its tests), and within a model, instances sharing a context
 * configuration are adjacent. "auto" context is one size per model that fits every test of the suite
 * (so a model's context is created once), capped at the model's trained context: tests that need more
 * are left out and listed in `overTrained`.
 */
export function expandSuite(
  suite: Suite,
  models: readonly ModelRef[],
  limits: ReadonlyMap<string, ModelLimits> = new Map(),
): Expansion {
  const out: Omit<Instance, "index">[] = [];
  const overTrained: Expansion["overTrained"] = [];
  const tests = suite.tests.map(parseTest);
  const largest = autoContext(
    Math.max(...suite.depths),
    Math.max(...tests.map((t) => t.pp)),
    Math.max(...tests.map((t) => t.tg)),
  );
  for (const model of models) {
    const cap = contextCap(suite, limits.get(model.ref));
    const auto = Math.min(largest, cap);
    let skipped: Expansion["overTrained"][number] | undefined;
    const dims = {
      ngl: suite.gpuLayers,
      ctxSpec: suite.contexts,
      kv: suite.kv,
      fa: suite.flashAttention,
      threads: suite.threads,
      batch: suite.batch,
      ubatch: suite.ubatch,
      lbArgs: suite.llamaBenchArgs,
      parallel: suite.parallel,
      depth: suite.depths,
      test: tests,
    };
    for (const p of product(dims)) {
      if (!validCombination(p.parallel, p.test)) continue;
      const needed = contextNeeded(p.depth, p.test.pp, p.test.tg);
      if (p.ctxSpec === "auto" && needed > cap) {
        const id = testId({ ...p.test, depth: p.depth, parallel: p.parallel });
        skipped ??= { model, count: 0, example: id, needed, cap };
        skipped.count++;
        continue;
      }
      out.push(instanceAt(suite, model, { ...p, ctx: p.ctxSpec === "auto" ? auto : p.ctxSpec }));
    }
    if (skipped) overTrained.push(skipped);
  }
  // de-duplicate (repeated values in a sweep) keeping the first occurrence
  const seen = new Set<string>();
  const unique = out.filter((i) => !seen.has(i.key) && seen.add(i.key));
  return { instances: unique.map((i, index) => ({ ...i, index })), overTrained };
}

interface InstancePoint {
  ngl: Suite["gpuLayers"][number];
  ctx: number;
  kv: Suite["kv"][number];
  fa: boolean;
  threads: Suite["threads"][number];
  batch: number;
  ubatch: number;
  lbArgs: string;
  parallel: number;
  depth: number;
  test: { pp: number; tg: number };
}

function instanceAt(suite: Suite, model: ModelRef, p: InstancePoint): Omit<Instance, "index"> {
  const { pp, tg } = p.test;
  const kvK = typeof p.kv === "string" ? p.kv : p.kv.k;
  const kvV = typeof p.kv === "string" ? p.kv : p.kv.v;
  const params = {
    pp,
    tg,
    depth: p.depth,
    parallel: p.parallel,
    ctx: p.ctx,
    kvK,
    kvV,
    flashAttention: p.fa,
    gpuLayers: p.ngl,
    threads: p.threads === "auto" ? 0 : p.threads,
    batch: p.batch,
    ubatch: Math.min(p.ubatch, p.batch),
    backend: suite.backend,
    tgMode: suite.tgMode,
  };
  const id = testId({ pp, tg, depth: p.depth, parallel: p.parallel });
  const key = [
    model.ref,
    id,
    `ctx=${p.ctx}`,
    `kv=${kvK}/${kvV}`,
    `fa=${p.fa ? 1 : 0}`,
    `ngl=${p.ngl}`,
    `t=${p.threads}`,
    `b=${p.batch}`,
    `ub=${params.ubatch}`,
    `be=${suite.backend}`,
    `tgm=${suite.tgMode}`,
    ...(p.lbArgs ? [`lb=${p.lbArgs}`] : []),
  ].join("|");
  return {
    key,
    testId: id,
    model,
    params,
    threadsAuto: p.threads === "auto",
    group: `${model.ref}|ngl=${p.ngl}`,
    llamaBenchArgs: p.lbArgs,
  };
}

/** Warnings about instances known to fail or to distort numbers, before anything runs. */
export function planWarnings(instances: readonly Instance[]): string[] {
  const w: string[] = [];
  const qv = instances.filter((i) => !i.params.flashAttention && !["f16", "bf16", "f32"].includes(i.params.kvV));
  if (qv.length) {
    const types = [...new Set(qv.map((i) => i.params.kvV))].join(", ");
    w.push(
      `${qv.length} instance(s) use a quantized V cache (${types}) with flash attention off: llama.cpp refuses ` +
        "to create that context, so they will be error records (set flashAttention: [true])",
    );
  }
  return w;
}
