/**
 * The MoE-vs-dense answer (pure): every MoE instance paired with every dense instance of the same run at
 * the same quant, test (depth and parallel sequences included) and configuration, per phase (pp and tg
 * separately), with the speed ratio MoE ÷ dense and its 95% CI (util/stats.ts ratioCi).
 */
import type { Phase } from "../results/schema.js";
import { ratioCi, tokPerSec, type RatioCi, type Summary } from "../util/stats.js";
import type { AggRow } from "./aggregate.js";
import { IDENTITY_FIELDS, identityKey } from "./identity.js";
import { quantRank } from "./quantMatrix.js";

export type PairPhase = "pp" | "tg";

export interface MoePair extends RatioCi {
  runId: string;
  phase: PairPhase;
  quant: string;
  test: string;
  depth: number;
  parallel: number;
  /** prompt tokens of the pp phase (0 for tg) */
  promptTokens: number;
  moe: AggRow;
  dense: AggRow;
  moeRate: Summary;
  denseRate: Summary;
  /** either side is noisy: the ratio's CI inherits it */
  noisy: boolean;
}

/** Everything but the model: what must match for a MoE and a dense instance to be compared. */
const PAIR_FIELDS = IDENTITY_FIELDS.filter((f) => f !== "model");

function phaseOf(r: AggRow, phase: PairPhase): { p: Phase; s: Summary } | null {
  const rec = r.record;
  if (phase === "pp") return rec.pp && r.pp ? { p: rec.pp, s: r.pp } : null;
  const p = rec.tg ?? rec.parallelTg;
  const s = r.tg ?? r.parallelTg;
  return p && s ? { p, s } : null;
}

function pairOf(moe: AggRow, dense: AggRow, phase: PairPhase): MoePair | null {
  const a = phaseOf(moe, phase);
  const b = phaseOf(dense, phase);
  if (!a || !b) return null;
  const params = moe.record.params;
  return {
    ...ratioCi(tokPerSec(a.p.tokens, a.p.samplesMs), tokPerSec(b.p.tokens, b.p.samplesMs)),
    runId: moe.runId,
    phase,
    quant: moe.quant,
    test: moe.testId,
    depth: params.depth,
    parallel: params.parallel,
    promptTokens: phase === "pp" ? params.pp : 0,
    moe,
    dense,
    moeRate: a.s,
    denseRate: b.s,
    noisy: a.s.noisy || b.s.noisy,
  };
}

export function moeDensePairs(rows: readonly AggRow[]): MoePair[] {
  const groups = new Map<string, AggRow[]>();
  for (const r of rows) {
    if (r.status !== "ok" || r.record.model.isMoe === null) continue;
    const k = `${r.runId}|${identityKey(r.identity, PAIR_FIELDS)}`;
    groups.set(k, [...(groups.get(k) ?? []), r]);
  }
  const out: MoePair[] = [];
  for (const rs of groups.values()) {
    const moes = rs.filter((r) => r.record.model.isMoe);
    const denses = rs.filter((r) => !r.record.model.isMoe);
    for (const m of moes)
      for (const d of denses)
        for (const phase of ["pp", "tg"] as const) {
          const p = pairOf(m, d, phase);
          if (p) out.push(p);
        }
  }
  return out.sort(
    (a, b) =>
      a.runId.localeCompare(b.runId) ||
      a.phase.localeCompare(b.phase) ||
      quantRank(a.quant) - quantRank(b.quant) ||
      a.depth - b.depth ||
      a.parallel - b.parallel ||
      a.test.localeCompare(b.test) ||
      a.moe.model.localeCompare(b.moe.model) ||
      a.dense.model.localeCompare(b.dense.model),
  );
}

/** The dense model the article compares against (Llama-3.1-8B), where the run has it. */
export function isArticleDense(r: AggRow): boolean {
  const m = r.record.model;
  return m.synthetic?.preset === "llama-3.1-8b" || /llama[-_ .]?3\.1[-_ .]?8b/i.test(m.label);
}
