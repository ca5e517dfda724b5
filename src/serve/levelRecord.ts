/**
 * One record per endpoint × concurrency level (pure), in the shared results schema: pp = prefill per request
 * (the server's prompt timing where it reports one, else time to first token), tg = generation per request
 * over the gaps actually timed, parallelTg = the level's aggregate. Parameters a client cannot know (the
 * server's context, KV types, flash attention, layers, threads, batch sizes) are null, never guessed.
 */
import { failedRecord, okRecord, type RecordBase } from "../results/record.js";
import type { Env, Phase, RecordParams, ResultRecord } from "../results/schema.js";
import { percentiles } from "../util/stats.js";
import { testId } from "../util/testId.js";
import type { EndpointSpec } from "./protocols.js";
import { coalescedTokens, interTokenLatencies, timedGeneration, ttftOf } from "./requestTimings.js";
import type { RequestResult } from "./streamRequest.js";

export interface HttpSweep {
  endpoints: (EndpointSpec & { label?: string })[];
  concurrency: number[];
  promptTokens: number;
  maxTokens: number;
  requests: number;
  requestTimeoutSec: number;
  levelTimeoutSec: number;
}

export interface LevelResult {
  results: RequestResult[];
  wallMs: number;
}

type Pct = { p50: number; p90: number; p99: number };

function pct(xs: readonly number[]): Pct | null {
  if (!xs.length) return null;
  const [p50, p90, p99] = percentiles([...xs], [0.5, 0.9, 0.99]);
  return { p50: p50!, p90: p90!, p99: p99! };
}

export function levelTestId(s: Pick<HttpSweep, "promptTokens" | "maxTokens">, c: number): string {
  return `${testId({ pp: s.promptTokens, tg: s.maxTokens, depth: 0, parallel: 1 })}@http×c${c}`;
}

/** The key --resume and compare join on (unchanged since the first serving records). */
export function levelKey(ep: EndpointSpec, s: Pick<HttpSweep, "promptTokens" | "maxTokens">, c: number): string {
  return `http|${ep.kind}|${ep.url}|${ep.model ?? ""}|${levelTestId(s, c)}`;
}

export function endpointLabel(ep: EndpointSpec & { label?: string }): string {
  return ep.label ?? `${ep.kind} ${ep.model ?? ""}`.trim();
}

function paramsOf(ep: EndpointSpec, s: HttpSweep, c: number): RecordParams {
  return {
    pp: s.promptTokens,
    tg: s.maxTokens,
    depth: 0,
    parallel: c,
    ctx: null,
    kvK: null,
    kvV: null,
    flashAttention: null,
    gpuLayers: null,
    threads: null,
    batch: null,
    ubatch: null,
    backend: `http:${ep.kind}`,
    tgMode: "greedy",
  };
}

function baseOf(ep: EndpointSpec & { label?: string }, s: HttpSweep, c: number, o: RecordContext): RecordBase {
  return {
    runId: o.runId,
    suite: o.suite,
    key: levelKey(ep, s, c),
    testId: levelTestId(s, c),
    model: {
      ref: `${ep.url}#${ep.model ?? ""}`,
      label: endpointLabel(ep),
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
    params: paramsOf(ep, s, c),
    env: { ...o.env, backend: `http:${ep.kind}` },
    executor: "http",
    telemetry: { status: "unavailable", reason: "serving runs measure the server from outside" },
  };
}

export interface RecordContext {
  runId: string;
  suite: string;
  env: Env;
}

function warningsOf(ok: readonly RequestResult[], failed: readonly RequestResult[], s: HttpSweep): string[] {
  const w: string[] = [];
  const short = ok.filter((r) => r.short);
  if (short.length)
    w.push(
      `${short.length} request(s) stopped before ${s.maxTokens} tokens (stop reason: ` +
        `${[...new Set(short.map((r) => r.stopReason))].join(", ")}): timed as they were, left out of tg`,
    );
  if (failed.length) w.push(`${failed.length} of ${ok.length + failed.length} request(s) failed (see serving.errors)`);
  const retried = [...ok, ...failed].filter((r) => r.retried).length;
  if (retried)
    w.push(`${retried} request(s) sent again once: the server had closed the idle connection they went out on`);
  const coalesced = ok.reduce((n, r) => n + coalescedTokens(r.reads), 0);
  const streamed = ok.reduce((n, r) => n + r.reads.reduce((m, x) => m + x.tokens, 0), 0);
  if (coalesced)
    w.push(
      `${coalesced} of ${streamed} tokens arrived in the same network read as another: ` +
        "each shares its read's gap evenly in the inter-token latencies",
    );
  return w;
}

/** tg: each complete request's generation rate over the gaps it timed, as ms per (maxTokens − 1) tokens. */
function tgPhase(ok: readonly RequestResult[], s: HttpSweep, itl: readonly number[]): Phase | null {
  const tokens = s.maxTokens - 1;
  const gens = ok
    .filter((r) => !r.short)
    .map((r) => timedGeneration(r.reads))
    .filter((g) => g.tokens > 0);
  if (tokens <= 0 || !gens.length) return null;
  return { tokens, samplesMs: gens.map((g) => (g.ms * tokens) / g.tokens), warmup: 0, itlMs: pct(itl) };
}

/** pp: the server's prompt timing where every request reports one, else time to first token. */
function ppPhase(ok: readonly RequestResult[], s: HttpSweep, ttft: readonly number[]): Phase {
  const serverMs = ok.map((r) => r.server?.promptMs ?? null);
  const samplesMs = serverMs.every((m) => m !== null) ? (serverMs as number[]) : [...ttft];
  return { tokens: s.promptTokens, samplesMs, warmup: 0, itlMs: null };
}

function serverRates(ok: readonly RequestResult[]): { prompt: number[]; gen: number[] } {
  const prompt: number[] = [];
  const gen: number[] = [];
  for (const r of ok) {
    const t = r.server;
    if (t?.promptMs && t.promptTokens) prompt.push(t.promptTokens / (t.promptMs / 1000));
    if (t?.genMs && t.genTokens) gen.push(t.genTokens / (t.genMs / 1000));
  }
  return { prompt, gen };
}

export function levelRecord(
  ep: EndpointSpec & { label?: string },
  c: number,
  s: HttpSweep,
  lv: LevelResult,
  o: RecordContext,
): ResultRecord {
  const ok = lv.results.filter((r) => r.ok);
  const failed = lv.results.filter((r) => !r.ok);
  const errors = [...new Set(failed.map((r) => r.error ?? "failed"))];
  const base = { ...baseOf(ep, s, c, o), warnings: warningsOf(ok, failed, s) };
  if (!ok.length) {
    const timedOut = failed.length > 0 && failed.every((r) => r.error?.startsWith("no complete answer within"));
    return failedRecord(base, { status: timedOut ? "timeout" : "error", message: errors.join("; ") || "no request" });
  }
  const ttft = ok.map((r) => ttftOf(r.reads)).filter((t): t is number => t !== null);
  const itl = ok.flatMap((r) => interTokenLatencies(r.reads));
  const rates = ok
    .map((r) => timedGeneration(r.reads))
    .filter((g) => g.tokens > 0 && g.ms > 0)
    .map((g) => g.tokens / (g.ms / 1000));
  const outTok = ok.reduce((n, r) => n + r.outputTokens, 0);
  const server = serverRates(ok);
  return okRecord(base, {
    pp: ppPhase(ok, s, ttft),
    tg: tgPhase(ok, s, itl),
    parallelTg: { tokens: outTok, samplesMs: [lv.wallMs], warmup: 0, ttftMs: ttft, itlMs: null },
    serving: {
      kind: ep.kind,
      url: ep.url,
      concurrency: c,
      requests: lv.results.length,
      ok: ok.length,
      failed: failed.length,
      wallMs: lv.wallMs,
      aggregateTokPerSec: outTok / (lv.wallMs / 1000),
      ttftMs: pct(ttft),
      itlMs: pct(itl),
      e2eMs: pct(ok.map((r) => r.e2eMs)),
      outputTokPerSec: pct(rates),
      serverPromptTokPerSec: pct(server.prompt),
      serverGenTokPerSec: pct(server.gen),
      promptTokens: ok.find((r) => r.promptTokens !== null)?.promptTokens ?? null,
      errors,
    },
  });
}
