import type { Suite } from "../suite/schema.js";
import type { Instance, ModelRef } from "./types.js";
import { testId } from "../util/testId.js";

function parseTest(t: Suite["tests"][number]): { pp: number; tg: number } {
  if (typeof t !== "string") return { pp: t.pp ?? 0, tg: t.tg ?? 0 };
  const m = /^(?:pp(\d+))?\+?(?:tg(\d+))?$/.exec(t)!;
  return { pp: Number(m[1] ?? 0), tg: Number(m[2] ?? 0) };
}

/** Context size for "auto": room for depth + prompt + generation, rounded up to 256, at least 512. */
export function autoContext(depth: number, pp: number, tg: number): number {
  return Math.max(512, Math.ceil((depth + pp + tg + 8) / 256) * 256);
}

/**
 * Expand a suite into instances, ordered so that each model is loaded once (all of its instances
 * run in one worker, as llama-bench orders its tests), and within a model, instances sharing a
 * context configuration are adjacent.
 */
export function expandSuite(suite: Suite, models: readonly ModelRef[]): Instance[] {
  const out: Omit<Instance, "index">[] = [];
  // "auto" context: one size that fits every test of the suite, so a model's context is created once
  const tests = suite.tests.map(parseTest);
  const auto = autoContext(
    Math.max(...suite.depths),
    Math.max(...tests.map((t) => t.pp)),
    Math.max(...tests.map((t) => t.tg)),
  );
  for (const model of models) {
    for (const ngl of suite.gpuLayers) {
      const group = `${model.ref}|ngl=${ngl}`;
      for (const ctxSpec of suite.contexts)
        for (const kv of suite.kv)
          for (const fa of suite.flashAttention)
            for (const threads of suite.threads)
              for (const batch of suite.batch)
                for (const ubatch of suite.ubatch)
                  for (const lbArgs of suite.llamaBenchArgs)
                    for (const parallel of suite.parallel)
                      for (const depth of suite.depths)
                        for (const t of suite.tests) {
                          const { pp, tg } = parseTest(t);
                          if (parallel > 1 && (!tg || pp)) continue; // parallel sequences are a generation test (tg N)
                          const ctx = ctxSpec === "auto" ? auto : ctxSpec;
                          const kvK = typeof kv === "string" ? kv : kv.k;
                          const kvV = typeof kv === "string" ? kv : kv.v;
                          const params = {
                            pp,
                            tg,
                            depth,
                            parallel,
                            ctx,
                            kvK,
                            kvV,
                            flashAttention: fa,
                            gpuLayers: ngl,
                            threads: threads === "auto" ? 0 : threads,
                            batch,
                            ubatch: Math.min(ubatch, batch),
                            backend: suite.backend,
                            tgMode: suite.tgMode,
                          };
                          const id = testId({ pp, tg, depth, parallel });
                          const key = [
                            model.ref,
                            id,
                            `ctx=${ctx}`,
                            `kv=${kvK}/${kvV}`,
                            `fa=${fa ? 1 : 0}`,
                            `ngl=${ngl}`,
                            `t=${threads}`,
                            `b=${batch}`,
                            `ub=${params.ubatch}`,
                            `be=${suite.backend}`,
                            `tgm=${suite.tgMode}`,
                            ...(lbArgs ? [`lb=${lbArgs}`] : []),
                          ].join("|");
                          out.push({
                            key,
                            testId: id,
                            model,
                            params,
                            threadsAuto: threads === "auto",
                            group,
                            llamaBenchArgs: lbArgs,
                          });
                        }
    }
  }
  // de-duplicate (e.g. several parallel values on a pp-only test) keeping first occurrence
  const seen = new Set<string>();
  return out.filter((i) => (seen.has(i.key) ? false : (seen.add(i.key), true))).map((i, index) => ({ ...i, index }));
}

/** Warnings about instances known to fail or to distort numbers, before anything runs. */
export function planWarnings(instances: readonly Instance[]): string[] {
  const w: string[] = [];
  const qv = instances.filter((i) => !i.params.flashAttention && !["f16", "bf16", "f32"].includes(i.params.kvV));
  if (qv.length)
    w.push(
      `${qv.length} instance(s) use a quantized V cache (${[...new Set(qv.map((i) => i.params.kvV))].join(", ")}) with flash attention off: llama.cpp refuses to create that context, so they will be error records (set flashAttention: [true])`,
    );
  return w;
}
