/** Per-instance aggregates computed from the stored samples (pure). Failed instances stay failures. */
import type { Phase, ResultRecord } from "../results/schema.js";
import { summarize, tokPerSec, type Summary } from "../util/stats.js";

export interface AggRow {
  record: ResultRecord;
  key: string;
  model: string;
  quant: string;
  testId: string;
  status: ResultRecord["status"];
  /** tok/s over repetitions */
  pp: Summary | null;
  tg: Summary | null;
  parallelTg: Summary | null;
  /** tokens per joule (gross, and net of the loaded-idle baseline) */
  ppTokPerJ: { gross: number; net: number | null } | null;
  tgTokPerJ: { gross: number; net: number | null } | null;
  /** mean watts while generating */
  tgWatts: number | null;
}

/** tok/s of a phase's repetitions: mean (95% CI), Stein's interval where the phase ran adaptively. */
export function rate(p: Phase | null | undefined): Summary | null {
  if (!p) return null;
  const xs = tokPerSec(p.tokens, p.samplesMs);
  if (xs.length === 0) return null;
  const s = summarize(xs, { firstStage: p.firstStage, targetCi: p.targetCi });
  return p.noisy && !s.noisy ? { ...s, noisy: true } : s;
}

/** Tokens per joule over all measured repetitions with an energy figure. */
export function tokPerJoule(
  p: Phase | null,
  idleW: number | null | undefined,
): { gross: number; net: number | null } | null {
  if (p?.energyPass?.joules) {
    const secs = p.energyPass.windowsEpochMs.reduce((s, [a, b]) => s + (b - a) / 1000, 0);
    const j = p.energyPass.joules;
    const net = idleW != null ? j - idleW * secs : null;
    return { gross: p.energyPass.tokens / j, net: net !== null && net > 0 ? p.energyPass.tokens / net : null };
  }
  if (!p?.joules?.length) return null;
  let tok = 0,
    j = 0,
    s = 0;
  p.joules.forEach((x, i) => {
    if (x === null || x === undefined) return;
    tok += p.tokens;
    j += x;
    s += (p.samplesMs[i] ?? 0) / 1000;
  });
  if (j <= 0) return null;
  const net = idleW != null ? j - idleW * s : null;
  return { gross: tok / j, net: net !== null && net > 0 ? tok / net : null };
}

export function meanWatts(p: Phase | null): number | null {
  if (!p?.joules?.length) return null;
  let j = 0,
    s = 0;
  p.joules.forEach((x, i) => {
    if (x != null) {
      j += x;
      s += (p.samplesMs[i] ?? 0) / 1000;
    }
  });
  return s > 0 ? j / s : null;
}

export function aggregate(records: readonly ResultRecord[]): AggRow[] {
  return records.map((r) => ({
    record: r,
    key: r.key,
    model: r.model.label,
    quant: r.model.quant ?? r.model.fileType ?? "?",
    testId: r.testId,
    status: r.status,
    pp: r.status === "ok" ? rate(r.pp) : null,
    tg: r.status === "ok" ? rate(r.tg) : null,
    parallelTg: r.status === "ok" ? rate(r.parallelTg) : null,
    ppTokPerJ: tokPerJoule(r.pp, r.telemetry.idleWatts),
    tgTokPerJ: tokPerJoule(r.tg ?? r.parallelTg, r.telemetry.idleWatts),
    tgWatts: meanWatts(r.tg ?? r.parallelTg),
  }));
}
