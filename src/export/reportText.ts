/** The report's words: subtitle, banners, caveats and method notes, shared by Markdown and HTML (pure). */
import type { Report } from "../analysis/buildReport.js";
import { COST_NOTES } from "../analysis/efficiency.js";
import { ARTICLE_SETTING } from "../data/articleClaims.js";
import { configText } from "../analysis/identity.js";
import { MATRIX_CONFIG_FIELDS, type QuantMatrix } from "../analysis/quantMatrix.js";
import { hardwareText, scaleText, type RunInfo } from "../analysis/runInfo.js";
import { MEAN_CI } from "./format.js";

/** Above every claims table: where the article measured, and where its numbers are kept. */
export const CLAIMS_INTRO =
  `The article's claims (docs/article-claims.md) were measured on: ${ARTICLE_SETTING}. A verdict here is about ` +
  "this run's models and hardware, named in each row.";

export const MOCK_BANNER =
  "MOCK RUN: these timings come from moebench's mock executor (deterministic synthetic numbers for tests). " +
  "Nothing was measured.";

/** One line per run: what ran, where, at which scale. */
export function runLine(run: RunInfo): string {
  const e = run.env;
  const failed = run.failed
    ? `, ${run.failed} failed (${Object.entries(run.failures)
        .map(([s, n]) => `${s} ${n}`)
        .join(", ")})`
    : "";
  const llama =
    `llama.cpp ${e.llamaCppRelease ?? "?"} (${e.llamaCppCommit ?? "?"}), ` + `node-llama-cpp ${e.nodeLlamaCpp ?? "?"}`;
  return (
    `run \`${run.runId}\` (suite ${run.suite}): ${scaleText(run.scales)} · ${hardwareText(run)} · ` +
    `${run.records} instances${failed} · ${llama}`
  );
}

/** The subtitle under the title: scale and hardware of every run. */
export function subtitle(r: Report): string {
  const date = r.rows[0]?.record.timestamp.slice(0, 10) ?? "";
  const what = [...new Set(r.runs.map((run) => `${scaleText(run.scales)} on ${hardwareText(run)}`))].join("; ");
  return `${r.mock ? "MOCK · " : ""}MoE vs dense GGUF models on llama.cpp: ${what}${date ? ` · ${date}` : ""}`;
}

/** What the scale of the models can and cannot show. */
export function scaleNotes(r: Report): string[] {
  const scales = new Set(r.runs.flatMap((run) => run.scales));
  const notes: string[] = [];
  if (scales.has("small"))
    notes.push(
      "Small-scale synthetic models keep each architecture's structure (layer pattern, expert routing, GQA), " +
        "llama.cpp's per-tensor quant rules, and two ratios within ±15% of full size: active ÷ total parameters " +
        "and the MoE ÷ dense bytes read per generated token (`moebench inspect` shows both). With far fewer " +
        "parameters and random weights, they show the harness working and the direction and rough size of the " +
        "MoE/dense gap on this machine; they cannot show a full-size model's speed, memory traffic or cache " +
        "behaviour, nor what a GPU does. VRAM figures for them are the full-size models' estimates.",
    );
  if (scales.has("tiny"))
    notes.push(
      "Tiny-scale synthetic models keep the structure only (their parameter ratios are off; `moebench inspect` " +
        "says by how much): they test the machinery, and their speeds and MoE/dense ratios say nothing about " +
        "real models. VRAM figures for them are the full-size models' estimates.",
    );
  if (scales.has("full"))
    notes.push(
      "Full-size synthetic models have the real models' tensor names, shapes and quant types with random weights: " +
        "llama.cpp's speed and memory do not depend on the weights' values, so speed and VRAM are the real model's; " +
        "quality figures on them would measure quantization noise only.",
    );
  return notes;
}

export function methodNotes(r: Report): string[] {
  const notes = [
    `Rates are the ${MEAN_CI} of tok/s over the stored repetitions: Stein's two-stage interval where repetitions ` +
      'were adaptive (first stage = the suite\'s repetitions.min), the t interval otherwise. "noisy": the CI is ' +
      "wider than the suite's targetCi after the maximum repetitions, or its lower bound was clamped at 0. " +
      "Failed instances are shown as failures, never as zeros.",
    "MoE ÷ dense: ratio of mean tok/s of the MoE and the dense instance at the same quant, test and configuration, " +
      "95% CI by the delta method on the log ratio (Welch–Satterthwaite degrees of freedom).",
    "VRAM, GiB (2^30 bytes) everywhere. ≈ marks an estimate from `moebench fit` (weights on the GPU, KV cache for " +
      "the suite's KV type, recurrent state, compute buffer; without the GPU runtime's own allowance); unmarked " +
      "values were measured by GPU telemetry (after load − before load; after context creation − before load, " +
      "which includes the runtime's own allocation).",
  ];
  if (!r.anyTelemetry)
    notes.push("No GPU power telemetry in these runs: energy columns are left out rather than guessed.");
  notes.push(...COST_NOTES);
  for (const run of r.runs) {
    const price = run.pricing
      ? `price used: ${run.pricing.label}`
      : "no price applies (no priced GPU ran, and no --cpu-price was given): cost columns are left out";
    const run_ = r.multiRun ? `run ${run.runId}: ` : "";
    notes.push(
      `${run_}${price}; electricity $${r.options.kwhPriceUsd}/kWh; ` +
        `purchases amortised over ${r.options.lifetimeHours} h.`,
    );
  }
  return notes;
}

/** "lfm2-8b-a1b (small) · run r1 · ctx 640 · KV f16/f16 · FA off · 1 thread · CPU" */
export function matrixHeading(qm: QuantMatrix, multiRun: boolean): string {
  return `${qm.family}${multiRun ? ` · run ${qm.runId}` : ""} · ${configText(qm.config, MATRIX_CONFIG_FIELDS)}`;
}

export function fullScaleNote(qm: QuantMatrix): string | null {
  if (!qm.fullScaleOf) return null;
  return (
    `VRAM columns: the full-size model (estimates from its exact tensor table). tok/s: measured on the ` +
    `${qm.fullScaleOf}-scale synthetic model that ran here, not the full-size one.`
  );
}

/** Caption for charts: backend/device, threads, scale, synthetic, mock. */
export function chartCaption(r: Report): string {
  const parts = [...new Set(r.runs.map((run) => `${hardwareText(run)} · ${scaleText(run.scales)}`))];
  return parts.join("; ");
}
