/**
 * One streaming request: the arrival of every token (by network read), the server's stop reason, counts and
 * timings, bounded in time (the suite's requestTimeoutSec) and abortable by the user's Ctrl-C.
 */
import {
  baseUrl,
  type EndpointSpec,
  isSse,
  parseEvent,
  type Prompt,
  requestBody,
  type ServerTimings,
} from "./protocols.js";
import type { StreamEvent } from "./protocols.js";
import { readBounded } from "./readBounded.js";
import type { TokenRead } from "./requestTimings.js";
import { MAX_EVENT_CHARS, ndjsonSplitter, sseSplitter } from "./streamEvents.js";

export interface RequestResult {
  ok: boolean;
  error?: string;
  /** stopped by the user's interrupt: not the server's failure, and not recorded */
  interrupted?: boolean;
  /** the network reads that brought tokens, ms after sending */
  reads: TokenRead[];
  /** streamed events that carried tokens (one per token from a streaming server) */
  pieces: number;
  e2eMs: number;
  promptTokens: number | null;
  /** the server's count where it reports one, else the tokens streamed */
  outputTokens: number;
  stopReason: string | null;
  /** fewer than the tokens asked for, with a stop reason from the server (end of sequence, a stop word) */
  short: boolean;
  server: ServerTimings | null;
  /** sent again once because the server had closed the idle connection it went out on */
  retried?: boolean;
}

export interface RequestOptions {
  maxTokens: number;
  timeoutMs: number;
  /** the user's interrupt */
  signal?: AbortSignal;
}

interface StreamState {
  reads: TokenRead[];
  pieces: number;
  /** arrival of the current network read, ms after sending */
  now: number;
  lastRead: number;
  server: ServerTimings | null;
  promptTokens: number | null;
  outputTokens: number | null;
  stopReason: string | null;
  done: boolean;
  error?: string;
  retried?: boolean;
  protocol: { predicted: number };
}

function onEvent(st: StreamState, ev: StreamEvent, read: number): void {
  if (ev.tokens > 0) {
    st.pieces++;
    const last = st.reads[st.reads.length - 1];
    if (last && st.lastRead === read) last.tokens += ev.tokens;
    else st.reads.push({ t: st.now, tokens: ev.tokens });
    st.lastRead = read;
  }
  if (ev.server) st.server = ev.server;
  if (ev.promptTokens !== undefined) st.promptTokens = ev.promptTokens;
  if (ev.outputTokens !== undefined) st.outputTokens = ev.outputTokens;
  if (ev.stopReason) st.stopReason = ev.stopReason;
  if (ev.error) st.error = ev.error;
  if (ev.done) st.done = true;
}

/** Read the body until the protocol says it is done or the stream ends; undefined when it went well. */
async function consume(body: ReadableStream<Uint8Array>, ep: EndpointSpec, st: StreamState, t0: number) {
  const sink = { payload: (data: string, read: number) => onEvent(st, parseEvent(ep.kind, data, st.protocol), read) };
  const splitter = isSse(ep.kind) ? sseSplitter(sink) : ndjsonSplitter(sink);
  const decoder = new TextDecoder();
  const reader = body.getReader();
  let read = 0;
  try {
    while (!st.done) {
      const r = await reader.read();
      if (r.done) break;
      st.now = performance.now() - t0;
      splitter.feed(decoder.decode(r.value, { stream: true }), ++read);
      if (splitter.overflow) return `an event longer than ${MAX_EVENT_CHARS} characters: not a token stream`;
    }
  } finally {
    await reader.cancel().catch(() => undefined);
  }
  return undefined;
}

export const NO_TOKEN_STREAMED = "no token was streamed";

/** Why a finished stream is not a complete answer, if it is not. */
function incomplete(st: StreamState, maxTokens: number, streamed: number): string | undefined {
  if (st.error) return `the server reported an error: ${st.error.slice(0, 200)}`;
  if (streamed === 0) return NO_TOKEN_STREAMED;
  const produced = st.outputTokens ?? streamed;
  if (st.stopReason === null && produced < maxTokens)
    return `the stream ended after ${produced} of ${maxTokens} tokens without a stop reason`;
  return undefined;
}

/**
 * A pooled keep-alive connection that the server closed while it sat idle fails the next request before any
 * answer ("other side closed", ECONNRESET): such a request never reached the server's generation, and is
 * sent again once on a fresh connection.
 */
function closedIdleConnection(e: unknown): boolean {
  const cause = (e as Error).cause as { code?: unknown } | undefined;
  return cause?.code === "UND_ERR_SOCKET" || cause?.code === "ECONNRESET";
}

async function send(url: string, init: RequestInit, signal: AbortSignal): Promise<{ res: Response; retried: boolean }> {
  try {
    return { res: await fetch(url, { ...init, signal }), retried: false };
  } catch (e) {
    if (signal.aborted || !closedIdleConnection(e)) throw e;
    return { res: await fetch(url, { ...init, signal }), retried: true };
  }
}

function causeOf(e: unknown): string {
  const cause = (e as Error).cause;
  return cause instanceof Error ? cause.message : (e as Error).message;
}

export async function streamRequest(ep: EndpointSpec, prompt: Prompt, o: RequestOptions): Promise<RequestResult> {
  const { path, json } = requestBody(ep, prompt, o.maxTokens);
  let t0 = performance.now();
  const timeout = AbortSignal.timeout(Math.ceil(o.timeoutMs));
  const signal = o.signal ? AbortSignal.any([o.signal, timeout]) : timeout;
  const st: StreamState = {
    reads: [],
    pieces: 0,
    now: 0,
    lastRead: -1,
    server: null,
    promptTokens: null,
    outputTokens: null,
    stopReason: null,
    done: false,
    protocol: { predicted: 0 },
  };
  const result = (error?: string): RequestResult => {
    const streamed = st.reads.reduce((n, r) => n + r.tokens, 0);
    const outputTokens = st.outputTokens ?? streamed;
    return {
      ok: error === undefined,
      ...(error === undefined ? {} : { error }),
      reads: st.reads,
      pieces: st.pieces,
      e2eMs: performance.now() - t0,
      promptTokens: st.promptTokens,
      outputTokens,
      stopReason: st.stopReason,
      short: error === undefined && outputTokens < o.maxTokens,
      server: st.server,
      ...(st.retried ? { retried: true } : {}),
    };
  };
  try {
    const init = { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(json) };
    const sent = await send(baseUrl(ep.url) + path, init, signal);
    const res = sent.res;
    if (sent.retried) {
      st.retried = true;
      t0 = performance.now(); // the first attempt never reached the server: time the second alone
    }
    if (!res.ok || !res.body) return result(`HTTP ${res.status}: ${(await readBounded(res, 200)).trim()}`);
    const broken = await consume(res.body, ep, st, t0);
    const streamed = st.reads.reduce((n, r) => n + r.tokens, 0);
    return result(broken ?? incomplete(st, o.maxTokens, streamed));
  } catch (e) {
    if (o.signal?.aborted) return { ...result("interrupted"), interrupted: true };
    if (timeout.aborted) return result(`no complete answer within ${o.timeoutMs / 1000} s`);
    return result(causeOf(e));
  }
}
