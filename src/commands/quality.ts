import { Command } from "commander";
import { fork } from "node:child_process";
import { existsSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { MoebenchError } from "../util/errors.js";
import { withFs } from "../util/fsErrors.js";
import { mdTable } from "../export/markdown.js";
import { readGguf, type GgufFile } from "../gguf/read.js";
import { modelFacts } from "../gguf/modelFacts.js";
import { comparable } from "../gguf/provenance.js";
import type { QualityRequest, QualityResponse, QualityRow } from "../quality/scoreQuality.js";
import type { QualityWorkerMessage } from "../quality/qualityWorker.js";

const here = dirname(fileURLToPath(import.meta.url));
export const DEFAULT_TEXT = join(here, "..", "..", "data", "quality", "gettysburg.txt");
const WORKER = join(here, "..", "quality", "qualityWorker.js");

/** The line every quality figure on random-weight models carries. */
export const SYNTHETIC_QUALITY_LABEL = "random-weight model: quantization noise, not language quality";

/**
 * Refuse any pair whose quant was not made from the reference's weights (one line, saying how to make
 * comparable files); returns the headers for the request.
 */
async function checkPairs(
  models: string[],
  reference: string,
): Promise<{ ref: GgufFile; files: QualityRequest["files"] }> {
  const ref = await readGguf(reference, { skipArrays: true });
  const files: QualityRequest["files"] = {};
  for (const m of models) {
    const g = await readGguf(m, { skipArrays: true });
    const c = comparable(ref, g);
    if (!c.ok)
      throw new MoebenchError(`${m} ${c.reason}: its KL divergence against ${reference} would mean nothing`, c.hint);
    const f = modelFacts(g);
    files[m] = { fileType: f.fileType, synthetic: c.synthetic };
  }
  return { ref, files };
}

/** Run the measurement in a child process (a llama.cpp crash or OOM is the worker's, not the CLI's). */
function runWorker(req: QualityRequest): Promise<QualityResponse> {
  return new Promise((resolvePromise, reject) => {
    const child = fork(WORKER, [], { stdio: ["ignore", "inherit", "inherit", "ipc"], serialization: "advanced" });
    let answered = false;
    child.once("message", (msg: QualityWorkerMessage) => {
      answered = true;
      if (msg.ok) resolvePromise(msg.result);
      else if (msg.user) reject(new MoebenchError(msg.message, msg.hint));
      else reject(new Error(`quality worker: ${msg.message}`));
    });
    child.once("exit", (code, signal) => {
      if (!answered)
        reject(
          new MoebenchError(
            `quality worker died (${signal ?? `exit ${code}`}) before it answered`,
            "llama.cpp crashed or ran out of memory; try fewer --tokens or smaller models",
            1,
          ),
        );
    });
    child.send(req);
  });
}

export async function measureQuality(
  models: string[],
  reference: string,
  o: { text: string; tokens: number; threads: number },
): Promise<QualityResponse> {
  if (!existsSync(o.text)) throw new MoebenchError(`--text ${o.text}: no such file`);
  const { ref, files } = await checkPairs(models, reference);
  return runWorker({
    models,
    reference,
    text: o.text,
    tokens: o.tokens,
    threads: o.threads,
    files,
    vocab: modelFacts(ref).vocab,
  });
}

function summary(res: QualityResponse): string {
  const truncated = res.rows.some((r) => r.truncated);
  const how = truncated
    ? "some distributions were truncated (fewer tokens than the vocabulary): the missing mass is one bucket"
    : "full distributions (every token of the vocabulary, no top-k truncation)";
  const label = res.rows.some((r) => r.synthetic)
    ? ` ${SYNTHETIC_QUALITY_LABEL[0]!.toUpperCase()}${SYNTHETIC_QUALITY_LABEL.slice(1)}.`
    : "";
  return `${res.tokens} positions scored, ${how}.${label}`;
}

export function qualityCommand(): Command {
  return new Command("quality")
    .description(
      "KL divergence and top-1 agreement of quants against the F16 they were made from, teacher-forced over a text",
    )
    .argument("<models...>", "GGUF files quantized from the reference (llama-quantize, or moebench synth --from)")
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
        if (!Number.isInteger(n) || n < 16 || n > 1 << 20)
          throw new MoebenchError(`--tokens ${o.tokens}: expected an integer from 16 to 1048576`);
        const res = await measureQuality(models, o.reference, {
          text: o.text ?? DEFAULT_TEXT,
          tokens: n,
          threads: Math.max(1, Number(o.threads) || 1),
        });
        const synthetic = res.rows.some((r) => r.synthetic);
        const doc = {
          reference: o.reference,
          text: o.text ?? DEFAULT_TEXT,
          tokens: res.tokens,
          note: synthetic ? SYNTHETIC_QUALITY_LABEL : null,
          rows: res.rows,
        };
        if (o.out) {
          const out = o.out;
          withFs(out, "write", () => writeFileSync(out, `${JSON.stringify(doc, null, 2)}\n`));
        }
        if (o.json) {
          process.stdout.write(`${JSON.stringify(doc, null, 2)}\n`);
          return;
        }
        const headers = [
          "model",
          "type",
          "mean KLD",
          "median KLD",
          "p99 KLD",
          "top-1 agreement",
          "PPL (ref)",
          "PPL (quant)",
        ];
        const rows = res.rows.map((r: QualityRow) => [
          r.model,
          r.fileType ?? "?",
          r.meanKld.toExponential(3),
          r.medianKld.toExponential(3),
          r.p99Kld.toExponential(3),
          `${(r.top1Agreement * 100).toFixed(1)}%`,
          r.pplRef.toFixed(3),
          r.pplQuant.toFixed(3),
        ]);
        process.stdout.write(`${mdTable(headers, rows)}\n\n${summary(res)}\n`);
      },
    );
}
