/**
 * The measuring half of `moebench quality`, run inside the quality worker process (never in the CLI
 * process: a crash or an out-of-memory in llama.cpp must not take the command down with it): teacher-forced
 * next-token distributions of a reference and its quants over a text, through node-llama-cpp, scored by
 * analysis/quality.
 */
import { readFileSync } from "node:fs";
import { basename, resolve } from "node:path";
import { quality, type Dist, type QualityResult } from "../analysis/quality.js";

export interface QualityRequest {
  models: string[];
  reference: string;
  text: string;
  tokens: number;
  threads: number;
  /** per model path: its file type and whether it is synthetic (read by the parent) */
  files: Record<string, { fileType: string | null; synthetic: boolean }>;
  /** the vocabulary size (from the reference's header): a distribution with fewer tokens is truncated */
  vocab: number;
}

export interface QualityRow extends QualityResult {
  model: string;
  path: string;
  fileType: string | null;
  reference: string;
  synthetic: boolean;
}

export interface QualityResponse {
  rows: QualityRow[];
  tokens: number;
}

/** A failure the parent prints as one line (the worker cannot throw across the process boundary). */
export class QualityInputError extends Error {
  constructor(
    message: string,
    readonly hint?: string,
  ) {
    super(message);
  }
}

async function loadLlama() {
  const { getLlama, LlamaLogLevel } = await import("node-llama-cpp");
  return getLlama({ gpu: false, build: "never", logLevel: LlamaLogLevel.error });
}

/** Teacher-forced next-token distributions at every position after the first (node-llama-cpp, CPU). */
async function distributions(path: string, tokens: number[], threads: number): Promise<Dist[]> {
  const llama = await loadLlama();
  const model = await llama.loadModel({ modelPath: path });
  try {
    const ctx = await model.createContext({
      contextSize: Math.max(256, tokens.length + 8),
      batchSize: Math.min(512, tokens.length),
      threads: { ideal: threads, min: threads },
    });
    const seq = ctx.getSequence();
    const opts = { temperature: 1, topK: 0, topP: 1, minP: 0 };
    const out = await seq.controlledEvaluate(
      tokens.slice(0, -1).map((t) => [t, { generateNext: { probabilities: true, options: opts } }] as never),
    );
    await ctx.dispose();
    return out.map((o, i) => {
      const p = (o as { next?: { probabilities?: Map<number, number> } } | undefined)?.next?.probabilities;
      if (!p) throw new QualityInputError(`${path}: no probabilities at position ${i}`);
      return p as Dist;
    });
  } finally {
    await model.dispose();
  }
}

export async function scoreQuality(req: QualityRequest): Promise<QualityResponse> {
  const llama = await loadLlama();
  const tm = await llama.loadModel({ modelPath: req.reference, vocabOnly: true } as never);
  const tokens = (tm.tokenize(readFileSync(req.text, "utf8")) as unknown as number[]).slice(0, req.tokens + 1);
  await tm.dispose();
  if (tokens.length < 16)
    throw new QualityInputError(`--text ${req.text}: only ${tokens.length} tokens`, "use a longer text");
  const ref = await distributions(req.reference, tokens, req.threads);
  const next = tokens.slice(1);
  const rows: QualityRow[] = [];
  for (const m of req.models) {
    const q = await distributions(m, tokens, req.threads);
    const file = req.files[m] ?? { fileType: null, synthetic: false };
    rows.push({
      model: basename(m, ".gguf"),
      path: resolve(m),
      fileType: file.fileType,
      reference: basename(req.reference, ".gguf"),
      synthetic: file.synthetic,
      ...quality(ref, q, next, req.vocab),
    });
  }
  return { rows, tokens: next.length };
}
