/**
 * A metric over llama.cpp builds (pure): every instance identity (analysis/identity.ts) is a series, every
 * build a point on it, the builds in the order they were first measured. Each step of a series, from the
 * last earlier build that measured it to the next, is judged by compare.ts itself (its Welch test, ratio CI
 * and threshold): the steps compare calls "slower" or "failed" are the regressions. A build measured more
 * than once counts with its newest record per instance.
 */
import type { Phase, ResultRecord } from "../results/schema.js";
import type { Summary } from "../util/stats.js";
import { rate } from "./aggregate.js";
import { type CompareRow, compare, type Metric } from "./compare.js";
import { configText, IDENTITY_FIELDS, identityKey, identityOf, varyingFields } from "./identity.js";

export type HistoryMetric = "pp" | "tg";

export interface Build {
  /** the llama.cpp commit, else its release, else "unknown" */
  id: string;
  commit: string | null;
  release: string | null;
  /** when it was first measured (ISO) */
  firstMeasured: string;
  /** "b5001 abc1234 (2026-01-31)" */
  label: string;
}

export interface HistoryPoint {
  build: string;
  series: string;
  rate: Summary;
}

export interface HistoryStep {
  series: string;
  from: string;
  to: string;
  verdict: CompareRow["verdict"];
  ratio: number | null;
  ciLow: number | null;
  ciHigh: number | null;
  pValue: number | null;
}

export interface History {
  metric: HistoryMetric;
  builds: Build[];
  /** series key → label ("lfm2-8b-a1b Q4_K_M tg128", plus the configuration where series differ in it) */
  series: Map<string, string>;
  points: HistoryPoint[];
  /** the steps compare calls a regression: slower beyond the threshold, or failed where it had run */
  regressions: HistoryStep[];
  /** every judged step, regressions included */
  steps: HistoryStep[];
}

export interface HistoryOptions {
  metric: HistoryMetric;
  threshold: number;
  alpha: number;
}

export const buildOf = (r: ResultRecord): string => r.env.llamaCppCommit ?? r.env.llamaCppRelease ?? "unknown";
const seriesOf = (r: ResultRecord): string => identityKey(identityOf(r), IDENTITY_FIELDS);
const phaseOf = (r: ResultRecord, m: HistoryMetric): Phase | null => (m === "pp" ? r.pp : r.tg);

/** "b5001 abc1234", "abc1234", "b5001" or "unknown". */
function buildName(r: ResultRecord): string {
  const commit = r.env.llamaCppCommit?.slice(0, 7);
  const release = r.env.llamaCppRelease;
  if (commit && release && !release.includes(commit)) return `${release} ${commit}`;
  return commit ?? release ?? "unknown";
}

function buildsOf(records: readonly ResultRecord[]): Build[] {
  const first = new Map<string, ResultRecord>();
  for (const r of records) {
    const id = buildOf(r);
    const seen = first.get(id);
    if (!seen || r.timestamp < seen.timestamp) first.set(id, r);
  }
  return [...first.entries()]
    .map(([id, r]) => ({
      id,
      commit: r.env.llamaCppCommit,
      release: r.env.llamaCppRelease,
      firstMeasured: r.timestamp,
      label: `${buildName(r)} (${r.timestamp.slice(0, 10)})`,
    }))
    .sort((a, b) => a.firstMeasured.localeCompare(b.firstMeasured) || a.id.localeCompare(b.id));
}

/** Series labels: model and test, plus the configuration fields in which series of that model and test differ. */
function seriesLabels(records: readonly ResultRecord[]): Map<string, string> {
  const byName = new Map<string, ResultRecord[]>();
  for (const r of records) {
    const name = `${r.model.label} ${r.testId}`;
    byName.set(name, [...(byName.get(name) ?? []), r]);
  }
  const labels = new Map<string, string>();
  for (const [name, rs] of byName) {
    const ids = rs.map(identityOf);
    const differ = varyingFields(ids, IDENTITY_FIELDS).filter((f) => f !== "model" && f !== "test");
    for (const r of rs) {
      const extra = differ.length ? configText(identityOf(r), differ) : "";
      labels.set(seriesOf(r), extra ? `${name} (${extra})` : name);
    }
  }
  return labels;
}

/** The newest record per series in each build: build → series → record. */
function newestPerBuild(records: readonly ResultRecord[]): Map<string, Map<string, ResultRecord>> {
  const out = new Map<string, Map<string, ResultRecord>>();
  for (const r of records) {
    const perSeries = out.get(buildOf(r)) ?? new Map<string, ResultRecord>();
    const seen = perSeries.get(seriesOf(r));
    if (!seen || r.timestamp >= seen.timestamp) perSeries.set(seriesOf(r), r);
    out.set(buildOf(r), perSeries);
  }
  return out;
}

/** compare.ts on the records of two builds; the rows of the metric (and failures) become steps. */
function judge(from: string, to: string, pairs: [ResultRecord, ResultRecord][], o: HistoryOptions): HistoryStep[] {
  const metric: Metric = `${o.metric} tok/s`;
  const c = compare(
    pairs.map(([b]) => b),
    pairs.map(([, c]) => c),
    { threshold: o.threshold, alpha: o.alpha },
  );
  const key = (row: CompareRow): string => identityKey(row.identity, IDENTITY_FIELDS);
  return c.rows
    .filter((row) => row.metric === metric || row.verdict === "failed")
    .map((row) => ({
      series: key(row),
      from,
      to,
      verdict: row.verdict,
      ratio: row.ratio,
      ciLow: row.ciLow,
      ciHigh: row.ciHigh,
      pValue: row.pValue,
    }));
}

export function history(records: readonly ResultRecord[], o: HistoryOptions): History {
  const measured = records.filter((r) => !r.serving && (r.status !== "ok" || phaseOf(r, o.metric)));
  const builds = buildsOf(measured);
  const perBuild = newestPerBuild(measured);
  const points: HistoryPoint[] = [];
  const steps: HistoryStep[] = [];
  const last = new Map<string, { build: string; record: ResultRecord }>();
  for (const b of builds) {
    const now = perBuild.get(b.id)!;
    const pairsFrom = new Map<string, [ResultRecord, ResultRecord][]>();
    for (const [series, r] of now) {
      const s = r.status === "ok" ? rate(phaseOf(r, o.metric)) : null;
      if (s) points.push({ build: b.id, series, rate: s });
      const prev = last.get(series);
      if (prev) pairsFrom.set(prev.build, [...(pairsFrom.get(prev.build) ?? []), [prev.record, r]]);
      last.set(series, { build: b.id, record: r });
    }
    for (const [from, pairs] of pairsFrom) steps.push(...judge(from, b.id, pairs, o));
  }
  const regressions = steps.filter((s) => s.verdict === "slower" || s.verdict === "failed");
  return { metric: o.metric, builds, series: seriesLabels(measured), points, regressions, steps };
}
