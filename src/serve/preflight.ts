/**
 * Before the sweep, one line per bad endpoint: the server answers (within the suite's request timeout),
 * knows the model, and streams (one short request).
 */
import { MoebenchError } from "../util/errors.js";
import { baseUrl, type EndpointSpec } from "./protocols.js";
import { readBounded } from "./readBounded.js";
import { NO_TOKEN_STREAMED, streamRequest } from "./streamRequest.js";

/** A model list is a few kB; a server that sends more is not answering the question. */
const MAX_INFO_BYTES = 1 << 20;

export interface PreflightOptions {
  label: string;
  timeoutMs: number;
  signal?: AbortSignal;
}

/** GET/POST with the suite's timeout (and the user's interrupt): never waits longer than timeoutMs. */
async function request(url: string, o: PreflightOptions, init: RequestInit = {}): Promise<Response> {
  const timeout = AbortSignal.timeout(Math.ceil(o.timeoutMs));
  try {
    return await fetch(url, { ...init, signal: o.signal ? AbortSignal.any([o.signal, timeout]) : timeout });
  } catch (e) {
    if (o.signal?.aborted) throw e;
    const cause = (e as Error).cause instanceof Error ? ((e as Error).cause as Error).message : (e as Error).message;
    const why = timeout.aborted ? `no answer within ${o.timeoutMs / 1000} s` : cause;
    throw new MoebenchError(`${o.label}: cannot reach ${url} (${why})`, "start the server, or fix endpoints[].url");
  }
}

async function checkOllama(ep: EndpointSpec, o: PreflightOptions): Promise<void> {
  const r = await request(`${baseUrl(ep.url)}/api/show`, o, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ model: ep.model }),
  });
  await readBounded(r, MAX_INFO_BYTES);
  if (r.status === 404)
    throw new MoebenchError(
      `${o.label}: Ollama at ${ep.url} does not know model "${ep.model}"`,
      "ollama pull it, or fix endpoints[].model",
    );
}

async function checkOpenai(ep: EndpointSpec, o: PreflightOptions): Promise<void> {
  if (!ep.model) throw new MoebenchError(`${o.label}: an openai endpoint needs a model name`, "set endpoints[].model");
  const r = await request(`${baseUrl(ep.url)}/v1/models`, o);
  const text = await readBounded(r, MAX_INFO_BYTES);
  if (!r.ok) return;
  let ids: string[] | undefined;
  try {
    const data = (JSON.parse(text) as { data?: { id?: unknown }[] }).data;
    ids = Array.isArray(data) ? data.map((m) => String(m.id)) : undefined;
  } catch {
    return; // not a model list: the test request below decides
  }
  if (ids && !ids.includes(ep.model))
    throw new MoebenchError(
      `${o.label}: ${ep.url} does not serve model "${ep.model}" (it has ${ids.join(", ")})`,
      "fix endpoints[].model",
    );
}

async function checkLlamaServer(ep: EndpointSpec, o: PreflightOptions): Promise<void> {
  const r = await request(`${baseUrl(ep.url)}/health`, o);
  await readBounded(r, MAX_INFO_BYTES);
  if (!r.ok && r.status !== 404)
    throw new MoebenchError(
      `${o.label}: llama-server at ${ep.url} is not ready (HTTP ${r.status})`,
      "wait for the model to load",
    );
}

export async function preflight(ep: EndpointSpec, o: PreflightOptions): Promise<void> {
  if (ep.kind === "ollama") await checkOllama(ep, o);
  else if (ep.kind === "openai") await checkOpenai(ep, o);
  else await checkLlamaServer(ep, o);
  const probe = await streamRequest(
    ep,
    { tokens: [100, 101, 102, 103], text: "Hello" },
    { maxTokens: 4, timeoutMs: o.timeoutMs, signal: o.signal },
  );
  if (probe.interrupted) return;
  const unstreamed = probe.ok ? probe.pieces < 2 && probe.outputTokens >= 2 : probe.error === NO_TOKEN_STREAMED;
  if (unstreamed)
    throw new MoebenchError(
      `${o.label}: the server did not stream (${probe.outputTokens} token(s) in ${probe.pieces} streamed piece(s))`,
      "use a server/endpoint that streams tokens (stream: true)",
    );
  if (!probe.ok) throw new MoebenchError(`${o.label}: a test request failed: ${probe.error}`, "check the server's log");
}
