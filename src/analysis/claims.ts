/**
 * "Claims checked" (pure): each claim of the article that a run can check, the value the run measured (or
 * `moebench fit` estimates from the model's tensor table), and a verdict:
 *   holds          the measured ratio is inside the claimed range (or the gap moved as claimed, beyond noise)
 *   does not hold  the whole 95% CI is outside the claimed range (or the change went the other way)
 *   inconclusive   the CI straddles the claim's boundary, or overlaps where a change is claimed
 *   not tested     the run has no instance that can check it (the claim says which test would)
 */
import {
  ARTICLE_CLAIMS,
  BATCH,
  GEN_SPEEDUP,
  KV16K,
  LONG_PROMPT,
  PREFILL_GAP,
  Q8_OOM,
  type ArticleClaim,
} from "../data/articleClaims.js";
import { fitRow } from "../gguf/fit.js";
import type { RatioCi } from "../util/stats.js";
import type { AggRow } from "./aggregate.js";
import { isArticleDense, type MoePair } from "./moeVsDense.js";
import type { ReportFacts } from "./quantMatrix.js";
import { hardwareText, scaleText, type RunInfo } from "./runInfo.js";

export type ClaimVerdict = "holds" | "does not hold" | "inconclusive" | "not tested" | "no evidence";

/**
 * Why a run's measured value cannot grade a claim at all: the mock executor's timings are made up, and
 * tiny-scale models do not keep the full-size ratios. Such a run still shows the value (it checks the harness),
 * with the verdict "no evidence". fit's estimates come from the full-size tensor table and are unaffected.
 */
function noEvidence(run: RunInfo): string | null {
  if (run.mock) return "mock timings";
  if (run.scales.length && run.scales.every((s) => s === "tiny")) return "tiny-scale models";
  return null;
}

export interface ClaimCheck {
  id: ArticleClaim["id"];
  claim: string;
  article: string;
  measured: string;
  verdict: ClaimVerdict;
  /** where the value comes from: the run's hardware and scale, or the fit estimate */
  basis: string;
  /** a caveat on reading the verdict (small-scale models, another device than the article's) */
  note: string;
}

const GiB = 1024 ** 3;
const x = (v: number): string => `${v.toFixed(2)}×`;
const ciText = (r: RatioCi): string =>
  Number.isFinite(r.ciLow)
    ? `${x(r.ratio)} (95% CI ${r.ciLow.toFixed(2)}–${r.ciHigh.toFixed(2)})`
    : `${x(r.ratio)} (no CI: < 2 repetitions)`;
const pairText = (p: MoePair): string => `${p.moe.model} vs ${p.dense.model}, ${p.test}`;

/** Inside [lo, hi] → holds; the whole CI outside → does not hold; else inconclusive. */
export function rangeVerdict(r: RatioCi, lo: number, hi: number): ClaimVerdict {
  if (r.ciHigh < lo || r.ciLow > hi) return "does not hold";
  if (r.ratio >= lo && r.ratio <= hi) return "holds";
  return Number.isFinite(r.ciLow) ? "inconclusive" : "does not hold";
}

/** The distance of a ratio from 1 (the MoE/dense gap) as an interval, from the ratio's CI. */
export function gapInterval(r: RatioCi): [number, number] {
  if (r.ciLow > 1) return [r.ciLow - 1, r.ciHigh - 1];
  if (r.ciHigh < 1) return [1 - r.ciHigh, 1 - r.ciLow];
  return [0, Math.max(1 - r.ciLow, r.ciHigh - 1)];
}

/** "The gap shrinks from a to b": holds when b's interval is wholly below a's, does not hold when above. */
export function shrinkVerdict(before: [number, number], after: [number, number]): ClaimVerdict {
  if (!after.every(Number.isFinite) || !before.every(Number.isFinite)) return "inconclusive";
  if (after[1] < before[0]) return "holds";
  if (after[0] > before[1]) return "does not hold";
  return "inconclusive";
}

const isLfm = (r: AggRow): boolean => /^lfm2/i.test(r.record.model.synthetic?.preset ?? r.model);
/** Prefer the article's models: an LFM2 MoE and Llama-3.1-8B. */
const rank = (p: MoePair): number => (isArticleDense(p.dense) ? 0 : 2) + (isLfm(p.moe) ? 0 : 1);
const best = (ps: readonly MoePair[]): MoePair | undefined => [...ps].sort((a, b) => rank(a) - rank(b))[0];
const plain = (p: MoePair): boolean => p.depth === 0 && p.parallel === 1;
const sameModels = (a: MoePair, b: MoePair): boolean =>
  a.moe.record.model.ref === b.moe.record.model.ref &&
  a.dense.record.model.ref === b.dense.record.model.ref &&
  a.quant === b.quant;

interface Ctx {
  run: RunInfo;
  rows: readonly AggRow[];
  pairs: readonly MoePair[];
  facts: ReadonlyMap<string, ReportFacts>;
}

type Check = Pick<ClaimCheck, "measured" | "verdict"> & { estimate?: boolean };
const NOT_TESTED: Check = { measured: "—", verdict: "not tested" };

function genSpeedup(c: Ctx): Check {
  const p = best(c.pairs.filter((q) => q.phase === "tg" && q.quant === GEN_SPEEDUP.quant && plain(q)));
  if (!p) return NOT_TESTED;
  return { measured: `${ciText(p)}: ${pairText(p)}`, verdict: rangeVerdict(p, GEN_SPEEDUP.low, GEN_SPEEDUP.high) };
}

function prefillGap(c: Ctx): Check {
  const pp = c.pairs.filter((q) => q.phase === "pp" && plain(q));
  const p = best(pp.filter((q) => q.quant === GEN_SPEEDUP.quant)) ?? best(pp);
  if (!p) return NOT_TESTED;
  const verdict = rangeVerdict(p, 1 - PREFILL_GAP.maxGap, 1 + PREFILL_GAP.maxGap);
  return { measured: `${ciText(p)}: ${pairText(p)}`, verdict };
}

function longPrompt(c: Ctx): Check {
  const pp = c.pairs.filter((q) => q.phase === "pp" && q.parallel === 1);
  const long = (q: MoePair): boolean => q.promptTokens + q.depth >= LONG_PROMPT.minTokens;
  const candidates = pp
    .filter(long)
    .map((l) => ({ l, s: pp.filter((s) => !long(s) && sameModels(s, l)).sort((a, b) => a.depth - b.depth)[0] }))
    .filter((x): x is { l: MoePair; s: MoePair } => x.s !== undefined);
  const pick = [...candidates].sort((a, b) => rank(a.l) - rank(b.l))[0];
  if (!pick) return NOT_TESTED;
  const { s, l } = pick;
  return {
    measured: `${s.test}: ${ciText(s)} → ${l.test}: ${ciText(l)}; ${l.moe.model} vs ${l.dense.model}`,
    verdict: shrinkVerdict(gapInterval(s), gapInterval(l)),
  };
}

function batch4(c: Ctx): Check {
  const tg = c.pairs.filter((q) => q.phase === "tg" && q.depth === 0);
  const candidates = tg
    .filter((q) => q.parallel >= BATCH.parallel)
    .map((b) => ({ b, one: tg.find((o) => o.parallel === 1 && sameModels(o, b)) }))
    .filter((x): x is { b: MoePair; one: MoePair } => x.one !== undefined);
  const pick = [...candidates].sort((a, b) => rank(a.b) - rank(b.b))[0];
  if (!pick) return NOT_TESTED;
  const { one, b } = pick;
  // the advantage erodes when the ratio falls: the 4-sequence CI wholly below the 1-sequence CI
  let verdict: ClaimVerdict = "inconclusive";
  if (b.ciHigh < one.ciLow) verdict = "holds";
  else if (b.ciLow > one.ciHigh) verdict = "does not hold";
  return {
    measured: `${one.test}: ${ciText(one)} → ${b.test}: ${ciText(b)}; ${b.moe.model} vs ${b.dense.model}`,
    verdict,
  };
}

function moeFacts(c: Ctx, quant?: string): { row: AggRow; facts: ReportFacts } | null {
  for (const r of c.rows) {
    if (!r.record.model.isMoe || (quant && r.quant !== quant)) continue;
    const f = c.facts.get(r.record.model.ref);
    if (f) return { row: r, facts: f };
  }
  return null;
}

function kv16k(c: Ctx): Check {
  const m = moeFacts(c, GEN_SPEEDUP.quant) ?? moeFacts(c);
  if (!m) return NOT_TESTED;
  const kv = fitRow(m.facts, KV16K.ctx, "f16", true, {
    parallel: 1,
    batch: 512,
    vramBytes: null,
    overheadBytes: 0,
  }).kvCache.device;
  const verdict: ClaimVerdict = kv >= KV16K.lowBytes && kv <= KV16K.highBytes ? "holds" : "does not hold";
  const size = `${(kv / GiB).toFixed(2)} GiB (${(kv / 1e9).toFixed(2)} GB)`;
  return { measured: `${size} f16 KV at 16k for ${m.facts.name}`, verdict, estimate: true };
}

function q8Oom(c: Ctx): Check {
  const onCard = c.rows.find((r) => {
    const total = r.record.telemetry.gpu?.memoryTotalMiB;
    return (
      r.record.model.isMoe &&
      r.quant === Q8_OOM.quant &&
      (r.record.params.ctx ?? 0) >= Q8_OOM.ctx &&
      c.run.device.kind === "gpu" &&
      total != null &&
      total <= (Q8_OOM.cardGiB + 0.5) * 1024
    );
  });
  if (onCard) {
    const verdict: ClaimVerdict = onCard.status === "oom" ? "holds" : "does not hold";
    return { measured: `${onCard.status} at ctx ${onCard.record.params.ctx} on ${c.run.device.kind}`, verdict };
  }
  const m = moeFacts(c, Q8_OOM.quant);
  if (!m) return NOT_TESTED;
  const fa = m.row.record.params.flashAttention ?? false;
  const row = fitRow(m.facts, Q8_OOM.ctx, "f16", fa, {
    parallel: 1,
    batch: 512,
    vramBytes: Q8_OOM.cardGiB * GiB,
    overheadBytes: Q8_OOM.overheadMiB * 1024 * 1024,
  });
  const verdict: ClaimVerdict = row.verdict === "does not fit" ? "holds" : "does not hold";
  const total = `${(row.total / GiB).toFixed(2)} GiB`;
  return {
    measured:
      `${row.verdict}: ${total} of ${Q8_OOM.cardGiB} GiB ` +
      `(f16 KV, FA ${fa ? "on" : "off"}, ${Q8_OOM.overheadMiB} MiB runtime allowance)`,
    verdict,
    estimate: true,
  };
}

const CHECKS: Record<ArticleClaim["id"], (c: Ctx) => Check> = {
  "gen-speedup": genSpeedup,
  "prefill-gap": prefillGap,
  "long-prompt": longPrompt,
  batch4,
  kv16k,
  "q8-oom16k": q8Oom,
};

function speedNote(run: RunInfo): string {
  const notes: string[] = [];
  if (run.mock) notes.push("MOCK executor: timings are synthetic, not measurements");
  if (run.scales.includes("small"))
    notes.push("small-scale models keep the full-size MoE/dense ratios within ±15%, not full-size speed");
  if (run.scales.includes("tiny"))
    notes.push("tiny-scale models do not keep the full-size ratios: not evidence about real models");
  if (run.device.kind === "cpu") notes.push("measured on a CPU; the article measured an RTX 3060");
  return notes.join("; ");
}

/** The claims table for one run. */
export function checkClaims(
  run: RunInfo,
  rows: readonly AggRow[],
  pairs: readonly MoePair[],
  facts: ReadonlyMap<string, ReportFacts>,
): ClaimCheck[] {
  const c: Ctx = {
    run,
    rows: rows.filter((r) => r.runId === run.runId),
    pairs: pairs.filter((p) => p.runId === run.runId),
    facts,
  };
  const where = `${hardwareText(run)}; ${scaleText(run.scales)}`;
  return ARTICLE_CLAIMS.map((claim) => {
    const r = CHECKS[claim.id](c);
    const unfit = noEvidence(run);
    if (unfit && !r.estimate && r.verdict !== "not tested") r.verdict = "no evidence";
    let basis = where;
    if (r.verdict === "not tested") basis = `would need: ${claim.howToTest}`;
    else if (r.estimate) basis = "estimate: moebench fit on the model's tensor table (full size)";
    return {
      id: claim.id,
      claim: claim.claim,
      article: claim.article,
      measured: r.measured,
      verdict: r.verdict,
      basis,
      note: r.verdict === "not tested" || r.estimate ? "" : speedNote(run),
    };
  });
}
