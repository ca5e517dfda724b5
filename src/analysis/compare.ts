/**
 * Regression comparison of two sets of records (pure). Instances are joined on their full identity
 * (analysis/identity.ts: model header hash, quant, test with depth and parallel sequences, context, KV types,
 * flash attention, threads, GPU layers, batch, ubatch, tg mode, executor args, GPU). Per metric (pp, tg,
 * parallel tg tok/s, and tok/J where both sides have it): each side's mean (95% CI), the ratio
 * candidate/baseline with its 95% CI and Welch's t-test on the stored repetitions.
 *
 * Verdicts: slower / faster (Welch p < alpha and the ratio beyond the threshold), same (the ratio's whole CI
 * inside 1 ± threshold), inconclusive (neither: the CI is too wide to tell at the threshold), new / missing
 * (on one side only), failed (ran on the baseline, failed on the candidate: a regression), both-failed (not a
 * regression), fixed (failed on the baseline, ran on the candidate).
 */
import type { Phase, ResultRecord } from "../results/schema.js";
import { ratioCi, summarize, tokPerSec, welchPValue, type Summary } from "../util/stats.js";
import { MoebenchError } from "../util/errors.js";
import { rate } from "./aggregate.js";
import {
  IDENTITY_FIELDS,
  identityKey,
  identityOf,
  varyingFields,
  type Identity,
  type IdentityField,
} from "./identity.js";

export type Verdict =
  | "faster"
  | "slower"
  | "same"
  | "inconclusive"
  | "new"
  | "missing"
  | "failed"
  | "both-failed"
  | "fixed";

export type Metric = "pp tok/s" | "tg tok/s" | "parallel tg tok/s" | "tg tok/J";

export interface CompareRow {
  identity: Identity;
  label: string;
  /** null for rows without numbers (new, missing, failures) */
  metric: Metric | null;
  baseline: Summary | null;
  candidate: Summary | null;
  ratio: number | null;
  ciLow: number | null;
  ciHigh: number | null;
  pValue: number | null;
  verdict: Verdict;
  /** either side's CI is wider than its target, or its lower bound was clamped */
  noisy: boolean;
  status: { baseline: string | null; candidate: string | null };
  /** how many records of each side were pooled into this row (1 unless --pool) */
  pooled: { baseline: number; candidate: number };
}

export interface CompareResult {
  rows: CompareRow[];
  /** identity fields that differ between rows (the columns a table needs) */
  varying: IdentityField[];
  ignored: IdentityField[];
  regressions: number;
  inconclusive: number;
  /** distinct baseline instances, and how many of them the candidate has */
  baselineInstances: number;
  matched: number;
  identity: { field: string; baseline: string; candidate: string }[];
  warnings: string[];
}

export interface CompareOptions {
  threshold: number;
  alpha: number;
  ignore?: readonly IdentityField[];
  /** pool duplicate instances on a side (their repetitions together) instead of refusing them */
  pool?: boolean;
}

const tokPerJ = (p: Phase | null | undefined): number[] =>
  p?.joules ? p.joules.map((j) => (j && j > 0 ? p.tokens / j : NaN)).filter(Number.isFinite) : [];

interface MetricSpec {
  metric: Metric;
  samples: (r: ResultRecord) => number[];
  summary: (rs: readonly ResultRecord[]) => Summary | null;
}

/** One record: its phase's own summary (Stein where adaptive); several pooled: the t interval of all samples. */
const pooledRate = (phase: (r: ResultRecord) => Phase | null) => (rs: readonly ResultRecord[]) => {
  if (rs.length === 1) return rate(phase(rs[0]!));
  const xs = rs.flatMap((r) => {
    const p = phase(r);
    return p ? tokPerSec(p.tokens, p.samplesMs) : [];
  });
  return xs.length ? summarize(xs) : null;
};

const METRICS: MetricSpec[] = [
  {
    metric: "pp tok/s",
    samples: (r) => (r.pp ? tokPerSec(r.pp.tokens, r.pp.samplesMs) : []),
    summary: pooledRate((r) => r.pp),
  },
  {
    metric: "tg tok/s",
    samples: (r) => (r.tg ? tokPerSec(r.tg.tokens, r.tg.samplesMs) : []),
    summary: pooledRate((r) => r.tg),
  },
  {
    metric: "parallel tg tok/s",
    samples: (r) => (r.parallelTg ? tokPerSec(r.parallelTg.tokens, r.parallelTg.samplesMs) : []),
    summary: pooledRate((r) => r.parallelTg),
  },
  {
    metric: "tg tok/J",
    samples: (r) => tokPerJ(r.tg ?? r.parallelTg),
    summary: (rs) => {
      const xs = rs.flatMap((r) => tokPerJ(r.tg ?? r.parallelTg));
      return xs.length ? summarize(xs) : null;
    },
  },
];

/** The verdict for two sides' samples at a threshold (relative) and a significance level. */
export function verdictOf(
  s: { ratio: number; ciLow: number; ciHigh: number; pValue: number | null },
  threshold: number,
  alpha: number,
): "faster" | "slower" | "same" | "inconclusive" {
  const significant = s.pValue !== null && s.pValue < alpha;
  if (significant && s.ratio < 1 - threshold) return "slower";
  if (significant && s.ratio > 1 + threshold) return "faster";
  if (s.ciLow >= 1 - threshold && s.ciHigh <= 1 + threshold) return "same";
  return "inconclusive";
}

function group(records: readonly ResultRecord[], fields: readonly IdentityField[]): Map<string, ResultRecord[]> {
  const m = new Map<string, ResultRecord[]>();
  for (const r of records) {
    const k = identityKey(identityOf(r), fields);
    m.set(k, [...(m.get(k) ?? []), r]);
  }
  return m;
}

function duplicatesError(side: string, groups: Map<string, ResultRecord[]>): MoebenchError | null {
  const dups = [...groups.values()].filter((rs) => rs.length > 1);
  if (!dups.length) return null;
  const names = dups
    .slice(0, 3)
    .map((rs) => {
      const runs = [...new Set(rs.map((r) => r.runId))].join(", ");
      return `${rs[0]!.model.label} ${rs[0]!.testId} (×${rs.length}: runs ${runs})`;
    })
    .join("; ");
  const more = dups.length > 3 ? ` and ${dups.length - 3} more` : "";
  return new MoebenchError(
    `${side} has ${dups.length} duplicate instance(s): ${names}${more}`,
    "pass one run per side, or --pool to pool their repetitions",
    4,
  );
}

function emptyRow(identity: Identity, label: string, verdict: Verdict, status: CompareRow["status"]): CompareRow {
  return {
    identity,
    label,
    metric: null,
    baseline: null,
    candidate: null,
    ratio: null,
    ciLow: null,
    ciHigh: null,
    pValue: null,
    verdict,
    noisy: false,
    status,
    pooled: { baseline: 0, candidate: 0 },
  };
}

function failureVerdict(baseOk: boolean, candOk: boolean): Verdict | null {
  if (baseOk && candOk) return null;
  if (baseOk) return "failed";
  return candOk ? "fixed" : "both-failed";
}

function metricRows(
  bs: readonly ResultRecord[],
  cs: readonly ResultRecord[],
  identity: Identity,
  o: CompareOptions,
): CompareRow[] {
  const rows: CompareRow[] = [];
  for (const m of METRICS) {
    const xb = bs.flatMap(m.samples);
    const xc = cs.flatMap(m.samples);
    if (!xb.length || !xc.length) continue;
    const baseline = m.summary(bs);
    const candidate = m.summary(cs);
    const r = ratioCi(xc, xb);
    const pValue = welchPValue(xc, xb);
    rows.push({
      identity,
      label: bs[0]!.model.label,
      metric: m.metric,
      baseline,
      candidate,
      ratio: r.ratio,
      ciLow: r.ciLow,
      ciHigh: r.ciHigh,
      pValue,
      verdict: verdictOf({ ...r, pValue }, o.threshold, o.alpha),
      noisy: !!(baseline?.noisy || candidate?.noisy),
      status: { baseline: "ok", candidate: "ok" },
      pooled: { baseline: bs.length, candidate: cs.length },
    });
  }
  return rows;
}

/** The rows of one instance: new/missing, a failure verdict, or one row per metric both sides have. */
function joinedRows(bs: ResultRecord[] | undefined, cs: ResultRecord[] | undefined, o: CompareOptions): CompareRow[] {
  const any = (bs ?? cs)![0]!;
  const identity = identityOf(any);
  if (!bs || !cs) {
    const status = { baseline: bs ? any.status : null, candidate: cs ? any.status : null };
    return [emptyRow(identity, any.model.label, bs ? "missing" : "new", status)];
  }
  const fv = failureVerdict(
    bs.every((r) => r.status === "ok"),
    cs.every((r) => r.status === "ok"),
  );
  if (!fv) return metricRows(bs, cs, identity, o);
  const status = {
    baseline: bs.find((r) => r.status !== "ok")?.status ?? "ok",
    candidate: cs.find((r) => r.status !== "ok")?.status ?? "ok",
  };
  return [emptyRow(identity, any.model.label, fv, status)];
}

function identityTable(
  baseline: readonly ResultRecord[],
  candidate: readonly ResultRecord[],
): CompareResult["identity"] {
  const pick = (rs: readonly ResultRecord[]) => rs.find((r) => r.status === "ok") ?? rs[0];
  const gpuOf = (rs: readonly ResultRecord[]) => rs.find((r) => r.telemetry.gpu)?.telemetry.gpu ?? null;
  const b = pick(baseline);
  const c = pick(candidate);
  const fields: [string, (r: ResultRecord | undefined, rs: readonly ResultRecord[]) => unknown][] = [
    ["llama.cpp release", (r) => r?.env.llamaCppRelease],
    ["llama.cpp commit", (r) => r?.env.llamaCppCommit],
    ["node-llama-cpp", (r) => r?.env.nodeLlamaCpp],
    ["executor", (r) => r?.env.backend],
    ["backend", (r) => r?.params.backend],
    ["GPU", (r, rs) => gpuOf(rs)?.name ?? r?.env.gpus[0]?.name ?? "none"],
    ["driver", (_r, rs) => gpuOf(rs)?.driver ?? "—"],
    ["CPU", (r) => r?.env.cpu],
    ["host", (r) => r?.env.host],
  ];
  return fields.map(([field, get]) => ({
    field,
    baseline: String(get(b, baseline) ?? "—"),
    candidate: String(get(c, candidate) ?? "—"),
  }));
}

function identityWarnings(identity: CompareResult["identity"]): string[] {
  const out: string[] = [];
  for (const f of ["GPU", "driver", "CPU", "backend"]) {
    const row = identity.find((i) => i.field === f);
    if (row && row.baseline !== row.candidate)
      out.push(
        `the sides differ in ${f} (${row.baseline} vs ${row.candidate}), not only in the llama.cpp build: ` +
          "a difference may not be the build's",
      );
  }
  return out;
}

export function compare(
  baseline: readonly ResultRecord[],
  candidate: readonly ResultRecord[],
  o: CompareOptions,
): CompareResult {
  const ignored = [...(o.ignore ?? [])];
  const fields = IDENTITY_FIELDS.filter((f) => !ignored.includes(f));
  const b = group(baseline, fields);
  const c = group(candidate, fields);
  if (!o.pool) {
    const err = duplicatesError("the baseline", b) ?? duplicatesError("the candidate", c);
    if (err) throw err;
  }
  const rows: CompareRow[] = [];
  let matched = 0;
  for (const k of new Set([...b.keys(), ...c.keys()])) {
    const bs = b.get(k);
    const cs = c.get(k);
    if (bs && cs) matched++;
    rows.push(...joinedRows(bs, cs, o));
  }
  const identity = identityTable(baseline, candidate);
  const warnings = identityWarnings(identity);
  const dupes = [...b.values(), ...c.values()].filter((rs) => rs.length > 1).length;
  if (o.pool && dupes) warnings.push(`${dupes} duplicate instance(s) pooled: their repetitions are compared together`);
  return {
    rows,
    varying: varyingFields(
      rows.map((r) => r.identity),
      IDENTITY_FIELDS,
    ),
    ignored,
    regressions: rows.filter((r) => r.verdict === "slower" || r.verdict === "failed").length,
    inconclusive: rows.filter((r) => r.verdict === "inconclusive").length,
    baselineInstances: b.size,
    matched,
    identity,
    warnings,
  };
}

/**
 * Exit code (README, "exit codes"): 1 a regression or a candidate failure; 4 incomplete (nothing compared,
 * or only part of the baseline) unless allowPartial; else 0.
 */
export function compareExitCode(c: CompareResult, o: { allowPartial?: boolean } = {}): 0 | 1 | 4 {
  if (c.regressions > 0) return 1;
  const incomplete = c.baselineInstances === 0 || c.matched < c.baselineInstances;
  return incomplete && !o.allowPartial ? 4 : 0;
}
