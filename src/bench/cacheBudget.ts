/**
 * The synthetic-model cache under a disk budget (pure decisions; modelCache.ts does the file work). A full-size
 * suite synthesizes many multi-GiB files (suites/default.yaml's GPU list: 14 files, 92.6 GiB): they are made
 * just before their model's turn and, when the next one would not fit the budget, the cached files this run
 * needs least are deleted first (synthetic files are re-made bit for bit from their seed when needed again).
 */
import { MoebenchError } from "../util/errors.js";
import { fmtBytes, parseSize } from "../util/units.js";

/** Default budget: what the cache already holds plus this share of the free space (the rest stays free). */
export const FREE_SHARE = 0.8;

export interface CachedFile {
  path: string;
  bytes: number;
  /** last time a run used it (ms since the epoch): the least recently used goes first among equals */
  usedMs: number;
}

export interface CacheBudget {
  bytes: number;
  /** how it was set, for messages: "--cache-max 20GiB", "MOEBENCH_CACHE_MAX=…", "80% of … free + … cached" */
  source: string;
}

/** --cache-max / MOEBENCH_CACHE_MAX: a size ("20GiB", "500MB", bytes), else the default from the disk. */
export function cacheBudget(o: { flag?: string; env?: string; freeBytes: number; cachedBytes: number }): CacheBudget {
  const given = o.flag !== undefined ? { text: o.flag, name: "--cache-max" } : undefined;
  const fromEnv = o.env !== undefined && o.env !== "" ? { text: o.env, name: "MOEBENCH_CACHE_MAX" } : undefined;
  const explicit = given ?? fromEnv;
  if (explicit) {
    const bytes = parseSize(explicit.text);
    if (bytes === undefined || bytes <= 0)
      throw new MoebenchError(
        `${explicit.name} ${explicit.text}: not a size`,
        "give the most disk the model cache may use, e.g. 20GiB or 500MB",
      );
    const sep = explicit.name.startsWith("--") ? " " : "=";
    return { bytes, source: `${explicit.name}${sep}${explicit.text}` };
  }
  const bytes = Math.floor(o.cachedBytes + FREE_SHARE * o.freeBytes);
  const source = `${FREE_SHARE * 100}% of ${fmtBytes(o.freeBytes)} free + ${fmtBytes(o.cachedBytes)} cached`;
  return { bytes, source };
}

export interface EvictionPlan {
  evict: string[];
  /** whether the new file fits once those are gone */
  fits: boolean;
}

/**
 * Which cached files to delete so that `needBytes` more fit under the budget. Never one in `keep` (the model
 * about to run). First the files this run does not need again (least recently used first), then those it needs
 * furthest in the future (`nextUse`: the index of the model group that needs it next).
 */
export function evictionPlan(
  files: readonly CachedFile[],
  o: { budget: number; needBytes: number; keep: ReadonlySet<string>; nextUse: ReadonlyMap<string, number> },
): EvictionPlan {
  let used = files.reduce((s, f) => s + f.bytes, 0);
  const order = files
    .filter((f) => !o.keep.has(f.path))
    .sort((a, b) => {
      const na = o.nextUse.get(a.path) ?? Infinity;
      const nb = o.nextUse.get(b.path) ?? Infinity;
      return na !== nb ? nb - na : a.usedMs - b.usedMs;
    });
  const evict: string[] = [];
  for (const f of order) {
    if (used + o.needBytes <= o.budget) break;
    evict.push(f.path);
    used -= f.bytes;
  }
  return { evict, fits: used + o.needBytes <= o.budget };
}

export interface ModelDisk {
  label: string;
  bytes: number;
  cached: boolean;
}

export interface DiskPlan {
  /** bytes still to synthesize */
  toMake: number;
  /** the largest single synthetic file of the run (the least the budget must hold) */
  largest: ModelDisk | undefined;
  cachedBytes: number;
  /** the run fits without deleting anything */
  fitsWhole: boolean;
  /** the run fits at all: one model at a time, deleting as it goes */
  fits: boolean;
}

/** Whether a run's synthetic models fit the budget (all at once, or one at a time). */
export function diskPlan(models: readonly ModelDisk[], budget: CacheBudget, otherCachedBytes: number): DiskPlan {
  const toMake = models.filter((m) => !m.cached).reduce((s, m) => s + m.bytes, 0);
  const cachedBytes = models.filter((m) => m.cached).reduce((s, m) => s + m.bytes, 0);
  const largest = [...models].sort((a, b) => b.bytes - a.bytes)[0];
  return {
    toMake,
    largest,
    cachedBytes,
    fitsWhole: otherCachedBytes + cachedBytes + toMake <= budget.bytes,
    fits: (largest?.bytes ?? 0) <= budget.bytes,
  };
}

/** The one-line refusal when the largest model alone does not fit the budget; undefined when the run fits. */
export function diskRefusal(plan: DiskPlan, budget: CacheBudget, origin: string): MoebenchError | undefined {
  if (plan.fits || !plan.largest) return undefined;
  return new MoebenchError(
    `${origin}: ${plan.largest.label} needs ${fmtBytes(plan.largest.bytes)} of disk, more than the model cache's ` +
      `budget of ${fmtBytes(budget.bytes)} (${budget.source})`,
    "free disk space, point MOEBENCH_CACHE at a larger disk, or raise --cache-max (MOEBENCH_CACHE_MAX)",
  );
}

/** The per-model disk lines of a plan ("  <label>  <size>  cached|to synthesize"). */
export function diskModelLines(models: readonly ModelDisk[]): string[] {
  const width = Math.max(0, ...models.map((m) => m.label.length));
  return models.map(
    (m) => `  ${m.label.padEnd(width)}  ${fmtBytes(m.bytes).padStart(10)}  ${m.cached ? "cached" : "to synthesize"}`,
  );
}

/** One line: what the run's synthetic models take on disk against the budget, and whether it fits. */
export function diskSummary(plan: DiskPlan, budget: CacheBudget, dir: string): string {
  let verdict = "fits";
  if (!plan.fits) verdict = "does NOT fit";
  else if (!plan.fitsWhole) verdict = "fits one model at a time: cached models are evicted as the run goes";
  const largest = plan.largest ? `, largest ${fmtBytes(plan.largest.bytes)}` : "";
  return (
    `disk: ${fmtBytes(plan.toMake)} to synthesize${largest}, ${fmtBytes(plan.cachedBytes)} already cached in ` +
    `${dir}; cache budget ${fmtBytes(budget.bytes)} (${budget.source}): ${verdict}`
  );
}
