/** Per-instance aggregates computed from the stored samples (pure). Failed instances stay failures. */
import type { Phase, ResultRecord } from "../results/schema.js";
import { phaseRate } from "../results/phaseRate.js";
import type { Summary } from "../util/stats.js";
import { netJoules } from "../telemetry/energy.js";
import { identityOf, type Identity } from "./identity.js";

export interface TokPerJoule {
  gross: number;
  /** net of the loaded-idle baseline; null without a baseline or when the net energy is not positive */
  net: number | null;
}

export interface AggRow {
  record: ResultRecord;
  runId: string;
  identity: Identity;
  model: string;
  quant: string;
  testId: string;
  status: ResultRecord["status"];
  /** tok/s over repetitions: mean (95% CI) */
  pp: Summary | null;
  tg: Summary | null;
  parallelTg: Summary | null;
  /** tokens per joule (gross, and net of the loaded-idle baseline) */
  ppTokPerJ: TokPerJoule | null;
  tgTokPerJ: TokPerJoule | null;
  /** mean watts while generating */
  tgWatts: number | null;
}

/** tok/s of a phase's repetitions: mean (95% CI); results/phaseRate.ts is the one function for this number. */
export const rate = phaseRate;

function perJoule(tokens: number, joules: number, seconds: number, idleW: number | null | undefined): TokPerJoule {
  const net = netJoules(joules, idleW, seconds);
  return { gross: tokens / joules, net: net !== null && net > 0 ? tokens / net : null };
}

/**
 * Tokens per joule. Where the phase had an energy pass (repetitions under 1 s, repeated back to back for the
 * energy figure), its tokens and joules; otherwise the measured repetitions that have an energy figure.
 */
export function tokPerJoule(p: Phase | null | undefined, idleW: number | null | undefined): TokPerJoule | null {
  const pass = p?.energyPass;
  if (pass?.joules) {
    const seconds = pass.windowsEpochMs.reduce((s, [a, b]) => s + (b - a) / 1000, 0);
    return perJoule(pass.tokens, pass.joules, seconds, idleW);
  }
  if (!p?.joules?.length) return null;
  let tokens = 0;
  let joules = 0;
  let seconds = 0;
  p.joules.forEach((j, i) => {
    if (j === null || j === undefined) return;
    tokens += p.tokens;
    joules += j;
    seconds += (p.samplesMs[i] ?? 0) / 1000;
  });
  return joules > 0 ? perJoule(tokens, joules, seconds, idleW) : null;
}

/** Mean power over the repetitions with an energy figure (joules ÷ their seconds). */
export function meanWatts(p: Phase | null | undefined): number | null {
  if (!p?.joules?.length) return null;
  let joules = 0;
  let seconds = 0;
  p.joules.forEach((j, i) => {
    if (j === null || j === undefined) return;
    joules += j;
    seconds += (p.samplesMs[i] ?? 0) / 1000;
  });
  return seconds > 0 ? joules / seconds : null;
}

export function aggregateOne(r: ResultRecord): AggRow {
  const ok = r.status === "ok";
  const gen = r.tg ?? r.parallelTg;
  return {
    record: r,
    runId: r.runId,
    identity: identityOf(r),
    model: r.model.label,
    quant: r.model.quant ?? r.model.fileType ?? "?",
    testId: r.testId,
    status: r.status,
    pp: ok ? rate(r.pp) : null,
    tg: ok ? rate(r.tg) : null,
    parallelTg: ok ? rate(r.parallelTg) : null,
    ppTokPerJ: ok ? tokPerJoule(r.pp, r.telemetry.idleWatts) : null,
    tgTokPerJ: ok ? tokPerJoule(gen, r.telemetry.idleWatts) : null,
    tgWatts: ok ? meanWatts(gen) : null,
  };
}

export function aggregate(records: readonly ResultRecord[]): AggRow[] {
  return records.map(aggregateOne);
}
