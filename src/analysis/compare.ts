/**
 * Regression comparison of two sets of records (pure). Instances are joined on their key properties;
 * per phase (pp, tg, parallel tg, and tok/J where both have it) the ratio candidate/baseline of mean
 * tok/s with a 95% CI (delta method on the log ratio, Welch–Satterthwaite df) and Welch's t-test on the
 * stored samples (@stdlib/stats-ttest2). Verdict: slower / faster when significant at alpha AND beyond the
 * threshold, else same; new / missing for unmatched instances.
 */
import ttest2 from "@stdlib/stats-ttest2";
import type { Phase, ResultRecord } from "../results/schema.js";
import { tQuantile } from "../util/stats.js";
import { mean, sampleSd } from "../util/stats.js";

export const JOIN_FIELDS = ["model", "quant", "test", "ctx", "kv", "fa", "threads", "ngl", "gpu"] as const;
export type JoinField = (typeof JOIN_FIELDS)[number];

export function joinValues(r: ResultRecord): Record<JoinField, string> {
  const p = r.params;
  const cpu = r.env.backend === "cpu" || r.env.backend === "mock" || !r.env.gpus.length;
  return {
    model: r.model.headerSha256
      ? `sha:${r.model.headerSha256.slice(0, 16)}`
      : `file:${(r.model.path ?? r.model.ref).split(/[\\/]/).pop()}`,
    quant: r.model.quant ?? r.model.fileType ?? "?",
    test: r.testId,
    ctx: String(p.ctx),
    kv: `${p.kvK}/${p.kvV}`,
    fa: p.flashAttention ? "on" : "off",
    threads: String(p.threads),
    ngl: cpu
      ? "cpu"
      : p.gpuLayers === "max" || (typeof p.gpuLayers === "number" && p.gpuLayers >= 99)
        ? "all"
        : String(p.gpuLayers),
    gpu: r.telemetry.gpu?.name ?? r.env.gpus[0]?.name ?? "none",
  };
}

export type Verdict = "faster" | "slower" | "same" | "new" | "missing" | "failed";

export interface CompareRow {
  join: Record<JoinField, string>;
  label: string;
  metric: "pp tok/s" | "tg tok/s" | "parallel tg tok/s" | "tg tok/J";
  baseline: { mean: number; n: number } | null;
  candidate: { mean: number; n: number } | null;
  ratio: number | null;
  ciLow: number | null;
  ciHigh: number | null;
  pValue: number | null;
  verdict: Verdict;
}

export interface CompareResult {
  rows: CompareRow[];
  varying: JoinField[];
  regressions: number;
  identity: { field: string; baseline: string; candidate: string }[];
  warnings: string[];
}

const rates = (p: Phase | null | undefined): number[] =>
  p ? p.samplesMs.filter((ms) => ms > 0).map((ms) => p.tokens / (ms / 1000)) : [];
const tokPerJ = (p: Phase | null | undefined): number[] =>
  p?.joules ? p.joules.map((j) => (j && j > 0 ? p.tokens / j : NaN)).filter(Number.isFinite) : [];

/** Ratio of means with a 95% CI (log-ratio delta method) and Welch's test. */
export function compareSamples(
  base: number[],
  cand: number[],
  alpha: number,
): { ratio: number; ciLow: number; ciHigh: number; pValue: number | null } {
  const mb = mean(base);
  const mc = mean(cand);
  const ratio = mc / mb;
  if (base.length < 2 || cand.length < 2) return { ratio, ciLow: NaN, ciHigh: NaN, pValue: null };
  const vb = sampleSd(base) ** 2 / base.length;
  const vc = sampleSd(cand) ** 2 / cand.length;
  const se = Math.sqrt(vc / (mc * mc) + vb / (mb * mb));
  const df = (vb + vc) ** 2 / ((vb * vb) / (base.length - 1) + (vc * vc) / (cand.length - 1));
  const t = Number.isFinite(df) && df > 0 ? tQuantile(0.975, df) : 1.96;
  let pValue: number | null = null;
  if (vb + vc > 0) pValue = ttest2(cand, base, { alpha }).pValue;
  else pValue = mb === mc ? 1 : 0;
  return { ratio, ciLow: ratio * Math.exp(-t * se), ciHigh: ratio * Math.exp(t * se), pValue };
}

export function compare(
  baseline: readonly ResultRecord[],
  candidate: readonly ResultRecord[],
  o: { threshold: number; alpha: number; ignore?: JoinField[] },
): CompareResult {
  const ignore = new Set(o.ignore ?? []);
  const keyOf = (r: ResultRecord): string =>
    JOIN_FIELDS.filter((f) => !ignore.has(f))
      .map((f) => `${f}=${joinValues(r)[f]}`)
      .join("|");
  const b = new Map(baseline.map((r) => [keyOf(r), r]));
  const c = new Map(candidate.map((r) => [keyOf(r), r]));
  const rows: CompareRow[] = [];
  const phases: [CompareRow["metric"], (r: ResultRecord) => number[]][] = [
    ["pp tok/s", (r) => rates(r.pp)],
    ["tg tok/s", (r) => rates(r.tg)],
    ["parallel tg tok/s", (r) => rates(r.parallelTg)],
    ["tg tok/J", (r) => tokPerJ(r.tg ?? r.parallelTg)],
  ];
  for (const k of new Set([...b.keys(), ...c.keys()])) {
    const rb = b.get(k);
    const rc = c.get(k);
    const any = (rb ?? rc)!;
    const join = joinValues(any);
    const label = any.model.label;
    if (!rb || !rc) {
      rows.push({
        join,
        label,
        metric: any.tg ? "tg tok/s" : "pp tok/s",
        baseline: null,
        candidate: null,
        ratio: null,
        ciLow: null,
        ciHigh: null,
        pValue: null,
        verdict: rb ? "missing" : "new",
      });
      continue;
    }
    if (rb.status !== "ok" || rc.status !== "ok") {
      rows.push({
        join,
        label,
        metric: "tg tok/s",
        baseline: null,
        candidate: null,
        ratio: null,
        ciLow: null,
        ciHigh: null,
        pValue: null,
        verdict: rc.status !== "ok" && rb.status === "ok" ? "failed" : rc.status === "ok" ? "new" : "failed",
      });
      continue;
    }
    for (const [metric, get] of phases) {
      const xb = get(rb);
      const xc = get(rc);
      if (!xb.length || !xc.length) continue;
      const s = compareSamples(xb, xc, o.alpha);
      const sig = s.pValue !== null && s.pValue < o.alpha;
      const verdict: Verdict =
        sig && s.ratio < 1 - o.threshold ? "slower" : sig && s.ratio > 1 + o.threshold ? "faster" : "same";
      rows.push({
        join,
        label,
        metric,
        baseline: { mean: mean(xb), n: xb.length },
        candidate: { mean: mean(xc), n: xc.length },
        ratio: s.ratio,
        ciLow: s.ciLow,
        ciHigh: s.ciHigh,
        pValue: s.pValue,
        verdict,
      });
    }
  }
  const varying = JOIN_FIELDS.filter((f) => new Set(rows.map((r) => r.join[f])).size > 1);
  // identity of both sides
  const env = (rs: readonly ResultRecord[]) => rs.find((r) => r.status === "ok")?.env ?? rs[0]?.env;
  const eb = env(baseline);
  const ec = env(candidate);
  const gpuOf = (rs: readonly ResultRecord[]) => rs.find((r) => r.telemetry.gpu)?.telemetry.gpu ?? null;
  const identity = [
    ["llama.cpp release", eb?.llamaCppRelease, ec?.llamaCppRelease],
    ["llama.cpp commit", eb?.llamaCppCommit, ec?.llamaCppCommit],
    ["node-llama-cpp", eb?.nodeLlamaCpp, ec?.nodeLlamaCpp],
    ["executor", eb?.backend, ec?.backend],
    [
      "backend",
      (baseline.find((r) => r.status === "ok") ?? baseline[0])?.params.backend,
      (candidate.find((r) => r.status === "ok") ?? candidate[0])?.params.backend,
    ],
    [
      "GPU",
      gpuOf(baseline)?.name ?? eb?.gpus[0]?.name ?? "none",
      gpuOf(candidate)?.name ?? ec?.gpus[0]?.name ?? "none",
    ],
    ["driver", gpuOf(baseline)?.driver ?? "—", gpuOf(candidate)?.driver ?? "—"],
    ["CPU", eb?.cpu, ec?.cpu],
    ["host", eb?.host, ec?.host],
  ].map(([field, x, y]) => ({ field: field!, baseline: String(x ?? "—"), candidate: String(y ?? "—") }));
  const warnings: string[] = [];
  for (const f of ["GPU", "driver", "CPU", "backend"]) {
    const row = identity.find((i) => i.field === f)!;
    if (row.baseline !== row.candidate)
      warnings.push(
        `the sides differ in ${f} (${row.baseline} vs ${row.candidate}), not only in the llama.cpp build: a difference may not be the build's`,
      );
  }
  return {
    rows,
    varying,
    regressions: rows.filter((r) => r.verdict === "slower" || r.verdict === "failed").length,
    identity,
    warnings,
  };
}
