/**
 * Streaming clients for llama-server (/completion, SSE), OpenAI-compatible servers (/v1/completions, SSE)
 * and Ollama (/api/generate, NDJSON). One request → arrival time of every streamed piece, plus the
 * server's own timings where it reports them (so prefill and generation stay separate over HTTP).
 */
import { MoebenchError } from "../util/errors.js";

export type Kind = "llama-server" | "ollama" | "openai";
export interface EndpointSpec {
  kind: Kind;
  url: string;
  model?: string;
}

export interface RequestResult {
  ok: boolean;
  error?: string;
  /** ms from sending to each streamed piece */
  arrivals: number[];
  e2eMs: number;
  ttftMs: number | null;
  promptTokens: number | null;
  outputTokens: number;
  /** the server's own view, ms */
  server: {
    promptMs: number | null;
    genMs: number | null;
    promptTokens: number | null;
    genTokens: number | null;
  } | null;
}

const base = (u: string): string => u.replace(/\/+$/, "");

function body(
  ep: EndpointSpec,
  promptTokens: number[],
  promptText: string,
  maxTokens: number,
): { path: string; json: unknown } {
  if (ep.kind === "llama-server")
    return {
      path: "/completion",
      json: {
        prompt: promptTokens,
        n_predict: maxTokens,
        ignore_eos: true,
        stream: true,
        cache_prompt: false,
        temperature: 0,
      },
    };
  if (ep.kind === "ollama")
    return {
      path: "/api/generate",
      json: {
        model: ep.model,
        prompt: promptText,
        raw: true,
        stream: true,
        options: { num_predict: maxTokens, temperature: 0 },
      },
    };
  return {
    path: "/v1/completions",
    json: {
      model: ep.model,
      prompt: promptText,
      max_tokens: maxTokens,
      stream: true,
      temperature: 0,
      ignore_eos: true,
      stream_options: { include_usage: true },
    },
  };
}

/** Parse one streamed event (an SSE data payload or an NDJSON line); returns what it carries. */
export function parseEvent(
  kind: Kind,
  payload: string,
): { piece: boolean; done: boolean; server?: RequestResult["server"]; promptTokens?: number; outputTokens?: number } {
  if (payload === "[DONE]") return { piece: false, done: true };
  let j: Record<string, unknown>;
  try {
    j = JSON.parse(payload) as Record<string, unknown>;
  } catch {
    return { piece: false, done: false };
  }
  if (kind === "llama-server") {
    const t = j.timings as Record<string, number> | undefined;
    return {
      piece:
        (typeof j.content === "string" && j.content.length > 0) || (Array.isArray(j.tokens) && j.tokens.length > 0),
      done: j.stop === true,
      ...(t
        ? {
            server: {
              promptMs: t.prompt_ms ?? null,
              genMs: t.predicted_ms ?? null,
              promptTokens: t.prompt_n ?? null,
              genTokens: t.predicted_n ?? null,
            },
            promptTokens: t.prompt_n,
            outputTokens: t.predicted_n,
          }
        : {}),
    };
  }
  if (kind === "ollama") {
    const done = j.done === true;
    return {
      piece: typeof j.response === "string" && j.response.length > 0,
      done,
      ...(done
        ? {
            server: {
              promptMs: typeof j.prompt_eval_duration === "number" ? j.prompt_eval_duration / 1e6 : null,
              genMs: typeof j.eval_duration === "number" ? j.eval_duration / 1e6 : null,
              promptTokens: (j.prompt_eval_count as number) ?? null,
              genTokens: (j.eval_count as number) ?? null,
            },
            promptTokens: j.prompt_eval_count as number,
            outputTokens: j.eval_count as number,
          }
        : {}),
    };
  }
  const choices = j.choices as { text?: string; finish_reason?: string | null }[] | undefined;
  const usage = j.usage as { prompt_tokens?: number; completion_tokens?: number } | undefined;
  return {
    piece: !!choices?.some((c) => c.text),
    done: false,
    ...(usage ? { promptTokens: usage.prompt_tokens, outputTokens: usage.completion_tokens } : {}),
  };
}

export async function streamRequest(
  ep: EndpointSpec,
  promptTokens: number[],
  promptText: string,
  maxTokens: number,
  timeoutMs: number,
): Promise<RequestResult> {
  const { path, json } = body(ep, promptTokens, promptText, maxTokens);
  const t0 = performance.now();
  const arrivals: number[] = [];
  let server: RequestResult["server"] = null;
  let pt: number | null = null;
  let ot: number | null = null;
  const ac = new AbortController();
  const timer = setTimeout(() => ac.abort(), timeoutMs);
  const fail = (error: string): RequestResult => ({
    ok: false,
    error,
    arrivals,
    e2eMs: performance.now() - t0,
    ttftMs: arrivals[0] ?? null,
    promptTokens: pt,
    outputTokens: arrivals.length,
    server,
  });
  try {
    const res = await fetch(base(ep.url) + path, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(json),
      signal: ac.signal,
    });
    if (!res.ok || !res.body) return fail(`HTTP ${res.status}: ${(await res.text().catch(() => "")).slice(0, 200)}`);
    const reader = res.body.getReader();
    const dec = new TextDecoder();
    let buf = "";
    let done = false;
    while (!done) {
      const r = await reader.read();
      if (r.done) break;
      const now = performance.now() - t0;
      buf += dec.decode(r.value, { stream: true });
      let nl: number;
      while ((nl = buf.indexOf("\n")) >= 0) {
        const line = buf.slice(0, nl).trim();
        buf = buf.slice(nl + 1);
        if (!line || line.startsWith(":") || line.startsWith("event:")) continue;
        const payload = line.startsWith("data:") ? line.slice(5).trim() : line;
        const ev = parseEvent(ep.kind, payload);
        if (ev.piece) arrivals.push(now);
        if (ev.server) server = ev.server;
        if (ev.promptTokens !== undefined) pt = ev.promptTokens;
        if (ev.outputTokens !== undefined) ot = ev.outputTokens;
        if (ev.done) done = true;
      }
    }
    const e2eMs = performance.now() - t0;
    return {
      ok: true,
      arrivals,
      e2eMs,
      ttftMs: arrivals[0] ?? null,
      promptTokens: pt,
      outputTokens: ot ?? arrivals.length,
      server,
    };
  } catch (e) {
    return fail(ac.signal.aborted ? `no complete answer within ${timeoutMs / 1000} s` : (e as Error).message);
  } finally {
    clearTimeout(timer);
  }
}

/** Before the sweep: the server answers, knows the model, and streams (one short request). */
export async function preflight(ep: EndpointSpec, label: string): Promise<void> {
  const u = base(ep.url);
  try {
    if (ep.kind === "ollama") {
      const r = await fetch(`${u}/api/show`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ model: ep.model }),
      });
      if (r.status === 404)
        throw new MoebenchError(
          `${label}: Ollama at ${ep.url} does not know model "${ep.model}"`,
          "ollama pull it, or fix endpoints[].model",
        );
    } else if (ep.kind === "openai") {
      if (!ep.model)
        throw new MoebenchError(`${label}: an openai endpoint needs a model name`, "set endpoints[].model");
      const r = await fetch(`${u}/v1/models`);
      if (r.ok) {
        const j = (await r.json()) as { data?: { id: string }[] };
        if (j.data && !j.data.some((m) => m.id === ep.model))
          throw new MoebenchError(
            `${label}: ${ep.url} does not serve model "${ep.model}" (it has ${j.data.map((m) => m.id).join(", ")})`,
            "fix endpoints[].model",
          );
      }
    } else {
      const r = await fetch(`${u}/health`);
      if (!r.ok && r.status !== 404)
        throw new MoebenchError(
          `${label}: llama-server at ${ep.url} is not ready (HTTP ${r.status})`,
          "wait for the model to load",
        );
    }
  } catch (e) {
    if (e instanceof MoebenchError) throw e;
    throw new MoebenchError(
      `${label}: cannot reach ${ep.url} (${(e as Error).cause instanceof Error ? ((e as Error).cause as Error).message : (e as Error).message})`,
      "start the server, or fix endpoints[].url",
    );
  }
  const probe = await streamRequest(ep, [100, 101, 102, 103], "Hello", 4, 60_000);
  if (!probe.ok) throw new MoebenchError(`${label}: a test request failed: ${probe.error}`, "check the server's log");
  if (probe.arrivals.length < 2)
    throw new MoebenchError(
      `${label}: the server did not stream (${probe.arrivals.length} piece(s) for 4 tokens)`,
      "use a server/endpoint that streams tokens (stream: true)",
    );
}
