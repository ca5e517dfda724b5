/**
 * The three streaming protocols, as pure functions: llama-server (/completion, SSE), OpenAI-compatible
 * servers (/v1/completions, SSE) and Ollama (/api/generate, NDJSON). A request body; and what one streamed
 * event carries (tokens, the stop reason, the server's own timings and counts).
 */
export type Kind = "llama-server" | "ollama" | "openai";
export interface EndpointSpec {
  kind: Kind;
  url: string;
  model?: string;
}

/** The server's own view of a request, ms and tokens, where it reports them. */
export interface ServerTimings {
  promptMs: number | null;
  genMs: number | null;
  promptTokens: number | null;
  genTokens: number | null;
}

/** What the client sends: token ids (llama-server counts them exactly) or text (ollama, openai). */
export interface Prompt {
  tokens: number[];
  text: string;
}

export const baseUrl = (u: string): string => u.replace(/\/+$/, "");

/** Whether the protocol streams Server-Sent Events (else newline-delimited JSON). */
export const isSse = (kind: Kind): boolean => kind !== "ollama";

export function requestBody(ep: EndpointSpec, prompt: Prompt, maxTokens: number): { path: string; json: unknown } {
  if (ep.kind === "llama-server")
    return {
      path: "/completion",
      json: {
        prompt: prompt.tokens,
        n_predict: maxTokens,
        ignore_eos: true,
        stream: true,
        // no reuse of an earlier request's KV cache: every request's prefill is measured
        cache_prompt: false,
        temperature: 0,
      },
    };
  if (ep.kind === "ollama")
    return {
      path: "/api/generate",
      json: {
        model: ep.model,
        prompt: prompt.text,
        raw: true,
        stream: true,
        options: { num_predict: maxTokens, temperature: 0 },
      },
    };
  return {
    path: "/v1/completions",
    json: {
      model: ep.model,
      prompt: prompt.text,
      max_tokens: maxTokens,
      stream: true,
      temperature: 0,
      ignore_eos: true,
      stream_options: { include_usage: true },
    },
  };
}

/** What one streamed event carries. */
export interface StreamEvent {
  /** generated tokens this event delivers */
  tokens: number;
  /** the stream is complete */
  done: boolean;
  /** why generation stopped (llama-server stop_type, OpenAI finish_reason, Ollama done_reason) */
  stopReason?: string;
  server?: ServerTimings;
  promptTokens?: number;
  outputTokens?: number;
  /** the server reported an error inside the stream */
  error?: string;
}

const NOTHING: StreamEvent = { tokens: 0, done: false };

const numOrNull = (v: unknown): number | null => (typeof v === "number" && Number.isFinite(v) ? v : null);
const numOrUndefined = (v: unknown): number | undefined => numOrNull(v) ?? undefined;
const stringOrUndefined = (v: unknown): string | undefined => (typeof v === "string" && v ? v : undefined);

function errorOf(j: Record<string, unknown>): string | undefined {
  const e = j.error;
  if (typeof e === "string") return e;
  if (e && typeof e === "object" && typeof (e as { message?: unknown }).message === "string")
    return (e as { message: string }).message;
  return undefined;
}

/**
 * llama-server: each partial event carries the cumulative `tokens_predicted`, so an event's token count is
 * the difference (an event may hold several tokens, or none while a UTF-8 character is incomplete).
 */
function llamaServerEvent(j: Record<string, unknown>, state: { predicted: number }): StreamEvent {
  const content = typeof j.content === "string" ? j.content : "";
  const predicted = numOrNull(j.tokens_predicted);
  let tokens = content ? 1 : 0;
  if (Array.isArray(j.tokens) && j.tokens.length) tokens = j.tokens.length;
  if (predicted !== null) {
    tokens = Math.max(0, predicted - state.predicted);
    state.predicted = Math.max(state.predicted, predicted);
  }
  const t = j.timings as Record<string, unknown> | undefined;
  const done = j.stop === true;
  const server: ServerTimings | undefined = t
    ? {
        promptMs: numOrNull(t.prompt_ms),
        genMs: numOrNull(t.predicted_ms),
        promptTokens: numOrNull(t.prompt_n),
        genTokens: numOrNull(t.predicted_n),
      }
    : undefined;
  return {
    tokens,
    done,
    stopReason: done ? (stringOrUndefined(j.stop_type) ?? "stop") : undefined,
    server,
    promptTokens: server?.promptTokens ?? numOrUndefined(j.tokens_evaluated),
    outputTokens: server?.genTokens ?? (done ? (predicted ?? undefined) : undefined),
  };
}

function ollamaEvent(j: Record<string, unknown>): StreamEvent {
  const done = j.done === true;
  const tokens = typeof j.response === "string" && j.response.length > 0 ? 1 : 0;
  if (!done) return { tokens, done };
  const ns = (v: unknown): number | null => (numOrNull(v) === null ? null : (v as number) / 1e6);
  return {
    tokens,
    done,
    stopReason: stringOrUndefined(j.done_reason) ?? "stop",
    server: {
      promptMs: ns(j.prompt_eval_duration),
      genMs: ns(j.eval_duration),
      promptTokens: numOrNull(j.prompt_eval_count),
      genTokens: numOrNull(j.eval_count),
    },
    promptTokens: numOrUndefined(j.prompt_eval_count),
    outputTokens: numOrUndefined(j.eval_count),
  };
}

function openaiEvent(j: Record<string, unknown>): StreamEvent {
  const choices = Array.isArray(j.choices) ? (j.choices as { text?: unknown; finish_reason?: unknown }[]) : [];
  const usage = j.usage as { prompt_tokens?: unknown; completion_tokens?: unknown } | undefined;
  const finish = choices.map((c) => stringOrUndefined(c.finish_reason)).find(Boolean);
  return {
    tokens: choices.filter((c) => typeof c.text === "string" && c.text.length > 0).length,
    done: false,
    stopReason: finish,
    promptTokens: numOrUndefined(usage?.prompt_tokens),
    outputTokens: numOrUndefined(usage?.completion_tokens),
  };
}

/**
 * Parse one streamed event (an SSE data payload or an NDJSON line). `state` carries what a protocol needs
 * across events of one request (llama-server's cumulative token count): use one per request.
 */
export function parseEvent(kind: Kind, payload: string, state = { predicted: 0 }): StreamEvent {
  if (payload === "[DONE]") return { tokens: 0, done: true };
  let j: unknown;
  try {
    j = JSON.parse(payload);
  } catch {
    return NOTHING;
  }
  if (j === null || typeof j !== "object" || Array.isArray(j)) return NOTHING;
  const obj = j as Record<string, unknown>;
  const error = errorOf(obj);
  if (error) return { tokens: 0, done: true, error };
  if (kind === "llama-server") return llamaServerEvent(obj, state);
  if (kind === "ollama") return ollamaEvent(obj);
  return openaiEvent(obj);
}
