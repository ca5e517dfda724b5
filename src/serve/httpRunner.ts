/**
 * Serving sweep: for every endpoint and concurrency level, `requests` streaming requests with that many in
 * flight, bounded in count and time; one record per level (levelRecord.ts). Every request has its own
 * prompt (prompts.ts). The user's interrupt aborts the requests in flight and records nothing for that
 * level: it stays to do for --resume, which skips the levels already recorded.
 */
import { checkedRecord } from "../results/record.js";
import { appendJsonl } from "../results/jsonl.js";
import type { Env, ResultRecord } from "../results/schema.js";
import { preflight } from "./preflight.js";
import { promptFor } from "./prompts.js";
import type { EndpointSpec } from "./protocols.js";
import { type HttpSweep, type LevelResult, endpointLabel, levelKey, levelRecord } from "./levelRecord.js";
import { type RequestResult, streamRequest } from "./streamRequest.js";

export type { HttpSweep } from "./levelRecord.js";

export interface LevelOptions {
  /** the sweep's prompt seed and the number of the level's first request in the sweep */
  seed: number;
  firstRequest: number;
  signal?: AbortSignal;
}

export async function runLevel(
  ep: EndpointSpec,
  c: number,
  s: HttpSweep,
  o: LevelOptions,
): Promise<LevelResult & { interrupted: boolean }> {
  const results: RequestResult[] = [];
  let next = 0;
  const t0 = performance.now();
  const deadline = t0 + s.levelTimeoutSec * 1000;
  const worker = async (): Promise<void> => {
    while (next < s.requests && performance.now() < deadline && !o.signal?.aborted) {
      const i = next++;
      const timeoutMs = Math.min(s.requestTimeoutSec * 1000, Math.max(1000, deadline - performance.now()));
      const prompt = promptFor(o.seed, o.firstRequest + i, s.promptTokens);
      const r = await streamRequest(ep, prompt, { maxTokens: s.maxTokens, timeoutMs, signal: o.signal });
      if (!r.interrupted) results.push(r);
    }
  };
  await Promise.all(Array.from({ length: c }, worker));
  return { results, wallMs: performance.now() - t0, interrupted: !!o.signal?.aborted };
}

export interface SweepOptions {
  runId: string;
  suite: string;
  env: Env;
  resultsPath: string;
  seed: number;
  /** the user's interrupt */
  signal?: AbortSignal;
  /** keys already recorded in the run folder (--resume): those levels are not run again */
  done?: ReadonlySet<string>;
  onRecord: (r: ResultRecord) => void;
}

export interface SweepSummary {
  written: number;
  skipped: number;
  interrupted: boolean;
}

export async function runHttpSweep(s: HttpSweep, o: SweepOptions): Promise<SweepSummary> {
  const summary: SweepSummary = { written: 0, skipped: 0, interrupted: false };
  const todo = (ep: EndpointSpec) => s.concurrency.filter((c) => !o.done?.has(levelKey(ep, s, c)));
  // one line per bad endpoint, before anything is measured (endpoints already done are not asked again)
  for (const [i, ep] of s.endpoints.entries()) {
    if (!todo(ep).length) continue;
    const label = `endpoints[${i}] (${ep.label ?? ep.url})`;
    await preflight(ep, { label, timeoutMs: s.requestTimeoutSec * 1000, signal: o.signal });
  }
  for (const [e, ep] of s.endpoints.entries())
    for (const [l, c] of s.concurrency.entries()) {
      if (o.signal?.aborted) return { ...summary, interrupted: true };
      if (o.done?.has(levelKey(ep, s, c))) {
        summary.skipped++;
        continue;
      }
      const firstRequest = (e * s.concurrency.length + l) * s.requests;
      const lv = await runLevel(ep, c, s, { seed: o.seed, firstRequest, signal: o.signal });
      if (lv.interrupted) return { ...summary, interrupted: true };
      const checked = checkedRecord(levelRecord(ep, c, s, lv, o));
      if ("invalid" in checked) throw new Error(`${endpointLabel(ep)} c=${c}: ${checked.invalid}`);
      appendJsonl(o.resultsPath, checked.record);
      summary.written++;
      o.onRecord(checked.record);
    }
  return summary;
}
