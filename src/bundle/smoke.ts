/**
 * The smoke test `moebench setup` runs after a build: a tiny synthetic MoE model, every layer on the GPU, a
 * short prefill and a few generated tokens, run by a fresh `moebench run` (so it finds the build the way every
 * later command will), nvidia-smi sampled. This file holds the suite and the verdict on its records.
 */
import type { ResultRecord } from "../results/schema.js";

export type SetupBackend = "cuda" | "cpu";

/** The smoke suite for a backend (YAML text). */
export function smokeSuite(backend: SetupBackend): string {
  return [
    "# written by moebench setup: does the build load, offload every layer and generate?",
    "name: setup-smoke",
    "models: [synth:lfm2-8b-a1b:Q4_K_M:tiny]",
    "tests: [pp64, tg16]",
    "gpuLayers: [max]",
    "repetitions: {min: 2, max: 2}",
    "warmup: 1",
    `backend: ${backend}`,
    "",
  ].join("\n");
}

export interface SmokeVerdict {
  ok: boolean;
  lines: string[];
}

const rate = (tokens: number, samplesMs: readonly number[]): string => {
  const ms = samplesMs.reduce((a, b) => a + b, 0) / Math.max(1, samplesMs.length);
  return ms > 0 ? `${((tokens * 1000) / ms).toFixed(0)} tok/s` : "—";
};

function recordLine(r: ResultRecord): string {
  if (r.status !== "ok") return `${r.testId}: ${r.status}: ${r.error?.message ?? ""}`;
  const phase = r.pp ?? r.tg;
  return `${r.testId}: ${phase ? rate(phase.tokens, phase.samplesMs) : "no phase"}`;
}

/** What must hold for each backend; every failed check is one line. */
function problems(records: readonly ResultRecord[], backend: SetupBackend): string[] {
  if (records.length === 0) return ["the smoke run recorded nothing"];
  const out: string[] = [];
  const failed = records.filter((r) => r.status !== "ok");
  if (failed.length) out.push(`${failed.length} of ${records.length} instance(s) failed`);
  const env = records[0]!.env;
  if (env.backend !== backend) out.push(`it ran on ${env.backend}, not ${backend}`);
  if (backend === "cpu") return out;
  if (!env.gpus.length) out.push("node-llama-cpp reported no GPU device");
  const off = env.offload;
  if (!off) out.push("llama.cpp did not say how many layers it offloaded");
  else if (off.layers !== off.of) out.push(`only ${off.layers} of ${off.of} layers were offloaded`);
  return out;
}

/** The verdict and the lines setup prints, from the smoke run's records. */
export function smokeVerdict(records: readonly ResultRecord[], backend: SetupBackend): SmokeVerdict {
  const issues = problems(records, backend);
  const first = records[0];
  const lines: string[] = [];
  if (first) {
    const gpus = first.env.gpus.map((g) => g.name).join(", ") || "no GPU";
    const off = first.env.offload ? `, ${first.env.offload.layers}/${first.env.offload.of} layers offloaded` : "";
    lines.push(`smoke: ${first.model.label} on ${first.env.backend} (${gpus})${off}`);
    lines.push(`smoke: ${records.map(recordLine).join("; ")}`);
    const t = first.telemetry;
    if (backend !== "cpu") lines.push(`smoke: nvidia-smi telemetry ${t.status}${t.reason ? ` (${t.reason})` : ""}`);
  }
  for (const p of issues) lines.push(`smoke: FAILED: ${p}`);
  if (!issues.length) lines.push("smoke: ok");
  return { ok: issues.length === 0, lines };
}
