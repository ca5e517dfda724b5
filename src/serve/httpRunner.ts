/**
 * Serving sweep: for every endpoint and concurrency level, `requests` streaming requests with that many
 * in flight, bounded in count and time. Per request: TTFT, inter-token latencies, end-to-end latency, output
 * tok/s; per level: aggregate throughput and p50/p90/p99, and the server's own prefill/generation timings.
 * Records share the results schema (pp = prefill per request, tg = generation per request, parallelTg = the
 * level's aggregate), so report and compare work on them.
 */
import type { ResultRecord, Env } from "../results/schema.js";
import { SCHEMA_VERSION } from "../results/schema.js";
import { appendJsonl } from "../results/jsonl.js";
import { percentiles } from "../util/stats.js";
import { randomTokens } from "../util/randomTokens.js";
import { streamRequest, preflight, type EndpointSpec, type RequestResult } from "./protocols.js";
import { testId } from "../util/testId.js";

export interface HttpSweep {
  endpoints: (EndpointSpec & { label?: string })[];
  concurrency: number[];
  promptTokens: number;
  maxTokens: number;
  requests: number;
  requestTimeoutSec: number;
  levelTimeoutSec: number;
}

const pct = (xs: number[]): { p50: number; p90: number; p99: number } | null => {
  if (!xs.length) return null;
  const [p50, p90, p99] = percentiles(xs, [0.5, 0.9, 0.99]);
  return { p50: p50!, p90: p90!, p99: p99! };
};

export async function runLevel(
  ep: EndpointSpec,
  c: number,
  s: HttpSweep,
  seed: number,
): Promise<{ results: RequestResult[]; wallMs: number }> {
  const results: RequestResult[] = [];
  let next = 0;
  const t0 = performance.now();
  const deadline = t0 + s.levelTimeoutSec * 1000;
  const promptText = " hello".repeat(s.promptTokens);
  const worker = async (): Promise<void> => {
    while (next < s.requests && performance.now() < deadline) {
      const i = next++;
      const toks = randomTokens(s.promptTokens, seed + i, 100, 1000);
      results.push(
        await streamRequest(
          ep,
          toks,
          promptText,
          s.maxTokens,
          Math.min(s.requestTimeoutSec * 1000, Math.max(1000, deadline - performance.now())),
        ),
      );
    }
  };
  await Promise.all(Array.from({ length: c }, worker));
  return { results, wallMs: performance.now() - t0 };
}

export function levelRecord(
  ep: EndpointSpec & { label?: string },
  c: number,
  s: HttpSweep,
  lv: { results: RequestResult[]; wallMs: number },
  o: { runId: string; suite: string; env: Env },
): ResultRecord {
  const ok = lv.results.filter((r) => r.ok && r.outputTokens > 0);
  const errors = [...new Set(lv.results.filter((r) => !r.ok).map((r) => r.error ?? "failed"))];
  const ttft = ok.map((r) => r.ttftMs ?? r.e2eMs);
  const itl = ok.flatMap((r) => r.arrivals.slice(1).map((t, i) => t - r.arrivals[i]!));
  const genMs = ok.map((r) => Math.max(1e-3, r.e2eMs - (r.ttftMs ?? 0)));
  const outTok = ok.reduce((sum, r) => sum + r.outputTokens, 0);
  const srv = ok.filter((r) => r.server);
  const label = ep.label ?? `${ep.kind} ${ep.model ?? ""}`.trim();
  const id = `${testId({ pp: s.promptTokens, tg: s.maxTokens, depth: 0, parallel: 1 })}@http×c${c}`;
  const status = ok.length === 0 ? "error" : "ok";
  return {
    schemaVersion: SCHEMA_VERSION,
    runId: o.runId,
    suite: o.suite,
    key: `http|${ep.kind}|${ep.url}|${ep.model ?? ""}|${id}`,
    testId: id,
    status,
    timestamp: new Date().toISOString(),
    model: {
      ref: `${ep.url}#${ep.model ?? ""}`,
      label,
      path: null,
      sizeBytes: null,
      headerSha256: null,
      arch: null,
      fileType: null,
      quant: null,
      params: null,
      activeParams: null,
      isMoe: null,
      synthetic: null,
    },
    params: {
      pp: s.promptTokens,
      tg: s.maxTokens,
      depth: 0,
      parallel: c,
      ctx: s.promptTokens + s.maxTokens,
      kvK: "server",
      kvV: "server",
      flashAttention: false,
      gpuLayers: "max",
      threads: 0,
      batch: 1,
      ubatch: 1,
      backend: `http:${ep.kind}`,
      tgMode: "greedy",
    },
    env: { ...o.env, backend: `http:${ep.kind}` },
    // prefill over HTTP: the server's prompt timing where reported, else time to first token
    pp: ok.length
      ? {
          tokens: s.promptTokens,
          samplesMs: srv.length === ok.length ? srv.map((r) => r.server!.promptMs ?? r.ttftMs ?? 0) : ttft,
          warmup: 0,
          itlMs: null,
        }
      : null,
    tg: ok.length
      ? {
          tokens: s.maxTokens,
          samplesMs: genMs.map((ms, i) => ms * (s.maxTokens / Math.max(1, ok[i]!.outputTokens))),
          warmup: 0,
          itlMs: pct(itl),
        }
      : null,
    parallelTg: ok.length ? { tokens: outTok, samplesMs: [lv.wallMs], warmup: 0, ttftMs: ttft, itlMs: null } : null,
    telemetry: { status: "unavailable", reason: "serving runs measure the server from outside" },
    memory: null,
    loadMs: null,
    warnings:
      ok.length && ok.some((r) => r.outputTokens !== s.maxTokens)
        ? [`some requests produced fewer than ${s.maxTokens} tokens (the server stopped early: EOS not ignored?)`]
        : [],
    error: status === "error" ? { message: errors.join("; ") || "no request succeeded", stderrTail: null } : null,
    serving: {
      kind: ep.kind,
      url: ep.url,
      concurrency: c,
      requests: lv.results.length,
      ok: ok.length,
      failed: lv.results.length - ok.length,
      wallMs: lv.wallMs,
      aggregateTokPerSec: outTok / (lv.wallMs / 1000),
      ttftMs: pct(ttft),
      itlMs: pct(itl),
      e2eMs: pct(ok.map((r) => r.e2eMs)),
      outputTokPerSec: pct(ok.map((r, i) => r.outputTokens / (genMs[i]! / 1000))),
      serverPromptTokPerSec: pct(
        srv
          .filter((r) => r.server!.promptMs && r.server!.promptTokens)
          .map((r) => r.server!.promptTokens! / (r.server!.promptMs! / 1000)),
      ),
      serverGenTokPerSec: pct(
        srv
          .filter((r) => r.server!.genMs && r.server!.genTokens)
          .map((r) => r.server!.genTokens! / (r.server!.genMs! / 1000)),
      ),
      promptTokens: ok.find((r) => r.promptTokens !== null)?.promptTokens ?? null,
      errors,
    },
  };
}

export async function runHttpSweep(
  s: HttpSweep,
  o: {
    runId: string;
    suite: string;
    env: Env;
    resultsPath: string;
    seed: number;
    onRecord: (r: ResultRecord) => void;
    isInterrupted: () => boolean;
  },
): Promise<void> {
  // one line per bad endpoint, before anything is measured
  for (const [i, ep] of s.endpoints.entries()) await preflight(ep, `endpoints[${i}] (${ep.label ?? ep.url})`);
  for (const ep of s.endpoints)
    for (const c of s.concurrency) {
      if (o.isInterrupted()) return;
      const lv = await runLevel(ep, c, s, o.seed);
      const rec = levelRecord(ep, c, s, lv, o);
      appendJsonl(o.resultsPath, rec);
      o.onRecord(rec);
    }
}
