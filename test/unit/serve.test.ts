/** The serving client's pure parts: protocol events, event splitting, timings from token arrivals, prompts. */
import { describe, expect, it } from "vitest";
import { parseEvent } from "../../src/serve/protocols.js";
import { ndjsonSplitter, sseSplitter } from "../../src/serve/streamEvents.js";
import { coalescedTokens, interTokenLatencies, timedGeneration, ttftOf } from "../../src/serve/requestTimings.js";
import { promptFor } from "../../src/serve/prompts.js";
import { levelRecord, type HttpSweep } from "../../src/serve/levelRecord.js";
import type { RequestResult } from "../../src/serve/streamRequest.js";
import { ResultRecord, type Env } from "../../src/results/schema.js";
import { BARE_HOST } from "../recordFixture.js";

describe("protocol events (shapes from the public APIs and llama-server's source)", () => {
  it("llama-server: tokens from the cumulative tokens_predicted, stop_type, timings", () => {
    const state = { predicted: 0 };
    const ev = (o: object) => parseEvent("llama-server", JSON.stringify(o), state);
    expect(ev({ content: " a", tokens: [], stop: false, tokens_predicted: 1 })).toMatchObject({ tokens: 1 });
    // an incomplete UTF-8 character: no content, but a token was generated; the next event carries two
    expect(ev({ content: "", tokens: [], stop: false, tokens_predicted: 2 })).toMatchObject({ tokens: 1 });
    expect(ev({ content: "é", tokens: [], stop: false, tokens_predicted: 4 })).toMatchObject({ tokens: 2 });
    const last = ev({
      content: "",
      stop: true,
      stop_type: "limit",
      tokens_predicted: 4,
      timings: { prompt_n: 10, prompt_ms: 5, predicted_n: 4, predicted_ms: 8 },
    });
    expect(last).toMatchObject({ tokens: 0, done: true, stopReason: "limit", promptTokens: 10, outputTokens: 4 });
    expect(last.server).toEqual({ promptMs: 5, genMs: 8, promptTokens: 10, genTokens: 4 });
    // an older server without tokens_predicted: one token per non-empty content
    expect(parseEvent("llama-server", JSON.stringify({ content: "x", stop: false }))).toMatchObject({ tokens: 1 });
  });
  it("OpenAI: text pieces, finish_reason, usage, [DONE]", () => {
    expect(parseEvent("openai", JSON.stringify({ choices: [{ text: "x", finish_reason: null }] }))).toEqual({
      tokens: 1,
      done: false,
      stopReason: undefined,
      promptTokens: undefined,
      outputTokens: undefined,
    });
    expect(
      parseEvent(
        "openai",
        JSON.stringify({
          choices: [{ text: "", finish_reason: "length" }],
          usage: { prompt_tokens: 3, completion_tokens: 9 },
        }),
      ),
    ).toMatchObject({ tokens: 0, stopReason: "length", promptTokens: 3, outputTokens: 9 });
    expect(parseEvent("openai", "[DONE]")).toEqual({ tokens: 0, done: true });
  });
  it("Ollama: response pieces, done_reason, durations in ns", () => {
    expect(parseEvent("ollama", JSON.stringify({ response: "x", done: false }))).toEqual({ tokens: 1, done: false });
    const done = parseEvent(
      "ollama",
      JSON.stringify({
        response: "",
        done: true,
        done_reason: "length",
        prompt_eval_count: 3,
        prompt_eval_duration: 2e6,
        eval_count: 5,
        eval_duration: 1e7,
      }),
    );
    expect(done).toMatchObject({ done: true, stopReason: "length", promptTokens: 3, outputTokens: 5 });
    expect(done.server).toEqual({ promptMs: 2, genMs: 10, promptTokens: 3, genTokens: 5 });
  });
  it("errors in the stream end it; junk is ignored", () => {
    expect(parseEvent("openai", JSON.stringify({ error: { message: "overloaded" } }))).toEqual({
      tokens: 0,
      done: true,
      error: "overloaded",
    });
    expect(parseEvent("ollama", JSON.stringify({ error: "model not found" }))).toMatchObject({
      error: "model not found",
    });
    expect(parseEvent("openai", "not json")).toEqual({ tokens: 0, done: false });
    expect(parseEvent("openai", "null")).toEqual({ tokens: 0, done: false });
  });
});

describe("event splitting", () => {
  const collect = (make: typeof sseSplitter, chunks: string[], max?: number) => {
    const got: [string, number][] = [];
    const s = make({ payload: (d, r) => void got.push([d, r]) }, max);
    for (const [i, c] of chunks.entries()) s.feed(c, i + 1);
    return { got, overflow: s.overflow };
  };
  it("SSE events split across and packed into network reads", () => {
    const { got } = collect(sseSplitter, [
      'data: {"a"',
      ":1}\n\ndata: 2\n\ndata: 3\n",
      "\n: comment\n\ndata: [DONE]\n\n",
    ]);
    expect(got).toEqual([
      ['{"a":1}', 2],
      ["2", 2],
      ["3", 3],
      ["[DONE]", 3],
    ]);
  });
  it("NDJSON lines split across reads, CRLF and blank lines", () => {
    const { got } = collect(ndjsonSplitter, ['{"a":', '1}\n{"b":2}\r\n\n{"c"', ":3}\n"]);
    expect(got).toEqual([
      ['{"a":1}', 2],
      ['{"b":2}', 2],
      ['{"c":3}', 3],
    ]);
  });
  it("an endless line stops at the limit instead of growing", () => {
    const big = "x".repeat(1000);
    expect(collect(sseSplitter, Array(5).fill(`data: ${big}`), 2000).overflow).toBe(true);
    expect(collect(ndjsonSplitter, Array(5).fill(big), 2000).overflow).toBe(true);
    expect(collect(ndjsonSplitter, Array(5).fill(`${big}\n`), 2000).overflow).toBe(false);
  });
});

describe("timings from token arrivals", () => {
  // reads at 10 ms (1 token), 14 ms (1), 22 ms (2 tokens coalesced), 25 ms (1)
  const reads = [
    { t: 10, tokens: 1 },
    { t: 14, tokens: 1 },
    { t: 22, tokens: 2 },
    { t: 25, tokens: 1 },
  ];
  it("TTFT is the first read", () => {
    expect(ttftOf(reads)).toBe(10);
    expect(ttftOf([])).toBeNull();
  });
  it("coalesced tokens share their read's gap: (22 − 14) / 2 = 4 ms each, never 0", () => {
    expect(interTokenLatencies(reads)).toEqual([4, 4, 4, 3]);
    expect(coalescedTokens(reads)).toBe(1);
  });
  it("generation over the gaps actually timed: 4 tokens after the first, in 25 − 10 = 15 ms", () => {
    expect(timedGeneration(reads)).toEqual({ tokens: 4, ms: 15 });
    // 5 tokens in 5 reads give 4 timed tokens, not 5
    const five = [0, 1, 2, 3, 4].map((k) => ({ t: 100 + 10 * k, tokens: 1 }));
    expect(timedGeneration(five)).toEqual({ tokens: 4, ms: 40 });
    expect(timedGeneration([{ t: 5, tokens: 3 }])).toEqual({ tokens: 0, ms: 0 });
  });
});

describe("prompts", () => {
  it("every request of a sweep gets its own tokens and text, the same on every run", () => {
    const prompts = Array.from({ length: 200 }, (_, i) => promptFor(1234, i, 32));
    expect(new Set(prompts.map((p) => p.tokens.join())).size).toBe(200);
    expect(new Set(prompts.map((p) => p.text)).size).toBe(200);
    expect(promptFor(1234, 7, 32)).toEqual(prompts[7]);
    expect(prompts[0]!.tokens).toHaveLength(32);
    expect(prompts[0]!.text.split(" ")).toHaveLength(32);
    expect(prompts[0]!.tokens.every((t) => t >= 100 && t < 1000)).toBe(true);
  });
});

describe("levelRecord", () => {
  const env: Env = { ...BARE_HOST, backend: "http" };
  const s: HttpSweep = {
    endpoints: [],
    concurrency: [2],
    promptTokens: 8,
    maxTokens: 4,
    requests: 3,
    requestTimeoutSec: 10,
    levelTimeoutSec: 10,
  };
  const req = (reads: { t: number; tokens: number }[], o: Partial<RequestResult> = {}): RequestResult => ({
    ok: true,
    reads,
    pieces: reads.length,
    e2eMs: reads[reads.length - 1]!.t + 1,
    promptTokens: 8,
    outputTokens: reads.reduce((n, r) => n + r.tokens, 0),
    stopReason: "limit",
    short: false,
    server: null,
    ...o,
  });
  const ep = { kind: "llama-server" as const, url: "http://x", label: "srv" };
  const ctx = { runId: "r", suite: "s", env };

  it("rates over timed gaps, short answers out of tg, failures counted, nothing invented", () => {
    const a = req([10, 12, 14, 16].map((t) => ({ t, tokens: 1 })));
    // 4 tokens: the last two coalesced → timed: 3 tokens in 30 − 20 = 10 ms
    const b = req([
      { t: 20, tokens: 1 },
      { t: 25, tokens: 1 },
      { t: 30, tokens: 2 },
    ]);
    const short = req(
      [
        { t: 5, tokens: 1 },
        { t: 9, tokens: 1 },
      ],
      { short: true, stopReason: "eos" },
    );
    const failed: RequestResult = { ...req([{ t: 1, tokens: 1 }]), ok: false, error: "boom" };
    const rec = levelRecord(ep, 2, s, { results: [a, b, short, failed], wallMs: 100 }, ctx);
    expect(ResultRecord.parse(rec)).toBeTruthy();
    expect(rec.status).toBe("ok");
    expect(rec.key).toBe("http|llama-server|http://x||pp8+tg4@http×c2");
    // tg: ms per (4 − 1) = 3 tokens: a: 3 tokens in 16 − 10 = 6 ms; b: 3 tokens in 10 ms; the short one left out
    expect(rec.tg).toMatchObject({ tokens: 3, samplesMs: [6, 10] });
    // TTFTs 10, 20, 5
    expect(rec.parallelTg!.ttftMs).toEqual([10, 20, 5]);
    // 4 + 4 + 2 tokens over the level's 100 ms
    expect(rec.serving!.aggregateTokPerSec).toBe(100);
    expect(rec.serving).toMatchObject({ requests: 4, ok: 3, failed: 1, errors: ["boom"] });
    expect(rec.params).toMatchObject({ ctx: null, kvK: null, kvV: null, flashAttention: null, gpuLayers: null });
    expect(rec.params).toMatchObject({ threads: null, batch: null, ubatch: null, parallel: 2 });
    expect(rec.warnings).toEqual([
      "1 request(s) stopped before 4 tokens (stop reason: eos): timed as they were, left out of tg",
      "1 of 4 request(s) failed (see serving.errors)",
      "1 of 10 tokens arrived in the same network read as another: " +
        "each shares its read's gap evenly in the inter-token latencies",
    ]);
  });

  it("a level whose every request failed is a failure record (timeout when every one timed out)", () => {
    const t = { ...req([{ t: 1, tokens: 1 }]), ok: false, error: "no complete answer within 10 s" };
    const rec = levelRecord(ep, 2, s, { results: [t, t], wallMs: 10 }, ctx);
    expect(rec.status).toBe("timeout");
    expect(rec.error!.message).toBe("no complete answer within 10 s");
    const e = levelRecord(ep, 2, s, { results: [t, { ...t, error: "HTTP 500: x" }], wallMs: 10 }, ctx);
    expect(e.status).toBe("error");
  });
});
