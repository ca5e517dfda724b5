import { Command } from "commander";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { basename, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { quality, type Dist, type QualityResult } from "../analysis/quality.js";
import { MoebenchError } from "../util/errors.js";
import { mdTable } from "../export/markdown.js";
import { readGguf } from "../gguf/read.js";
import { modelFacts } from "../gguf/modelFacts.js";

export const DEFAULT_TEXT = join(
  fileURLToPath(new URL(".", import.meta.url)),
  "..",
  "..",
  "data",
  "quality",
  "gettysburg.txt",
);

export interface QualityRow extends QualityResult {
  model: string;
  path: string;
  fileType: string | null;
  reference: string;
  synthetic: boolean;
}

/** Teacher-forced next-token distributions at every position after the first (node-llama-cpp, CPU). */
async function distributions(path: string, tokens: number[], threads: number): Promise<Dist[]> {
  const { getLlama, LlamaLogLevel } = await import("node-llama-cpp");
  const llama = await getLlama({ gpu: false, build: "never", logLevel: LlamaLogLevel.error });
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
      if (!p) throw new MoebenchError(`${path}: no probabilities at position ${i}`);
      return p as Dist;
    });
  } finally {
    await model.dispose();
  }
}

export async function measureQuality(
  models: string[],
  reference: string,
  o: { text: string; tokens: number; threads: number },
): Promise<{ rows: QualityRow[]; tokens: number }> {
  for (const m of [reference, ...models])
    if (!existsSync(m))
      throw new MoebenchError(
        `${m}: no such file`,
        "pass GGUF files (quality needs real files: the quants must be made from the reference's weights)",
      );
  if (!existsSync(o.text)) throw new MoebenchError(`--text ${o.text}: no such file`);
  const refFacts = modelFacts(await readGguf(reference, { skipArrays: true }));
  for (const m of models) {
    const f = modelFacts(await readGguf(m, { skipArrays: true }));
    if (f.vocab !== refFacts.vocab || f.arch !== refFacts.arch)
      throw new MoebenchError(
        `${m}: ${f.arch}/${f.vocab} tokens does not match the reference ${refFacts.arch}/${refFacts.vocab}`,
        "compare quants of the same model",
      );
  }
  const { getLlama, LlamaLogLevel } = await import("node-llama-cpp");
  const llama = await getLlama({ gpu: false, build: "never", logLevel: LlamaLogLevel.error });
  const tm = await llama.loadModel({ modelPath: reference, vocabOnly: true } as never);
  const tokens = (tm.tokenize(readFileSync(o.text, "utf8")) as unknown as number[]).slice(0, o.tokens + 1);
  await tm.dispose();
  if (tokens.length < 16)
    throw new MoebenchError(`--text ${o.text}: only ${tokens.length} tokens`, "use a longer text");
  const ref = await distributions(reference, tokens, o.threads);
  const next = tokens.slice(1);
  const rows: QualityRow[] = [];
  for (const m of models) {
    const q = await distributions(m, tokens, o.threads);
    const f = modelFacts(await readGguf(m, { skipArrays: true }));
    rows.push({
      model: basename(m, ".gguf"),
      path: resolve(m),
      fileType: f.fileType,
      reference: basename(reference, ".gguf"),
      synthetic: !!f.synthetic,
      ...quality(ref, q, next),
    });
  }
  return { rows, tokens: next.length };
}

export function qualityCommand(): Command {
  return new Command("quality")
    .description(
      "KL divergence and top-1 agreement of quants against a reference (F16) model, teacher-forced over a text",
    )
    .argument("<models...>", "quantized GGUF files of the same model")
    .requiredOption("--reference <file>", "the reference (F16/BF16) GGUF")
    .option("--text <file>", "text to score (default: the Gettysburg Address fixture)")
    .option("--tokens <n>", "tokens to score", "512")
    .option("--threads <n>", "CPU threads", "1")
    .option(
      "--out <file>",
      "also write the results as JSON (a run folder's quality.json feeds the report's quant matrix)",
    )
    .option("--json", "print JSON")
    .action(
      async (
        models: string[],
        o: { reference: string; text?: string; tokens: string; threads: string; out?: string; json?: boolean },
      ) => {
        const n = Number(o.tokens);
        if (!Number.isInteger(n) || n < 16) throw new MoebenchError(`--tokens ${o.tokens}: expected an integer ≥ 16`);
        const res = await measureQuality(models, o.reference, {
          text: o.text ?? DEFAULT_TEXT,
          tokens: n,
          threads: Math.max(1, Number(o.threads) || 1),
        });
        const doc = { reference: o.reference, text: o.text ?? DEFAULT_TEXT, tokens: res.tokens, rows: res.rows };
        if (o.out) writeFileSync(o.out, `${JSON.stringify(doc, null, 2)}\n`);
        if (o.json) {
          process.stdout.write(`${JSON.stringify(doc, null, 2)}\n`);
          return;
        }
        process.stdout.write(
          `${mdTable(
            ["model", "type", "mean KLD", "median KLD", "p99 KLD", "top-1 agreement", "PPL (ref)", "PPL (quant)"],
            res.rows.map((r) => [
              r.model,
              r.fileType ?? "?",
              r.meanKld.toExponential(3),
              r.medianKld.toExponential(3),
              r.p99Kld.toExponential(3),
              `${(r.top1Agreement * 100).toFixed(1)}%`,
              r.pplRef.toFixed(3),
              r.pplQuant.toFixed(3),
            ]),
          )}\n`,
        );
        process.stdout.write(
          `\n${res.tokens} positions scored, full distributions (no top-k truncation).${res.rows.some((r) => r.synthetic) ? " Synthetic (random-weight) models: these figures measure quantization noise only, not language quality." : ""}\n`,
        );
      },
    );
}
