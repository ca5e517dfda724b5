/**
 * The synthetic-model cache on disk (MOEBENCH_CACHE/models) kept under its budget (cacheBudget.ts decides):
 * before a model's group runs, the runner asks for room for its file; files the run needs least are deleted.
 * Only moebench's own synthetic files are ever deleted (they are re-made bit for bit from their seed); real
 * models, hf: downloads and anything else in the folder are left alone.
 */
import { existsSync, readdirSync, statfsSync, statSync, unlinkSync, utimesSync } from "node:fs";
import { dirname, join } from "node:path";
import { synthFileBytes } from "../gguf/synth/synthesize.js";
import type { ModelRef } from "../plan/types.js";
import { withFs } from "../util/fsErrors.js";
import { cacheDir } from "../util/llamaCppBuild.js";
import { fmtBytes } from "../util/units.js";
import {
  type CacheBudget,
  type CachedFile,
  cacheBudget,
  type DiskPlan,
  diskPlan,
  evictionPlan,
  type ModelDisk,
} from "./cacheBudget.js";
import { synthCachePath } from "./prepareModel.js";

/** synthCachePath's names: <preset>-<scale>-<quant>-seed<n>-<plan hash>.gguf */
const SYNTH_FILE = /^[a-z0-9][a-z0-9.-]*-(full|small|tiny)-[A-Z0-9_]+-seed\d+-[0-9a-f]{10}\.gguf$/;

type SynthRef = Extract<ModelRef, { kind: "synth" }>;

/** Free bytes for an unprivileged writer on the file system holding `path` (or its nearest existing parent). */
function freeBytes(path: string): number {
  let p = path;
  while (!existsSync(p) && dirname(p) !== p) p = dirname(p);
  const s = statfsSync(p);
  return s.bavail * s.bsize;
}

export class ModelCache {
  private constructor(
    readonly dir: string,
    readonly budget: CacheBudget,
    private readonly note: (line: string) => void,
  ) {}

  /** The cache with its budget: --cache-max, else MOEBENCH_CACHE_MAX, else a share of the free disk. */
  static open(o: { cacheMax?: string; note: (line: string) => void }): ModelCache {
    const dir = join(cacheDir(), "models");
    const cachedBytes = listSynthFiles(dir).reduce((s, f) => s + f.bytes, 0);
    const budget = cacheBudget({
      flag: o.cacheMax,
      env: process.env.MOEBENCH_CACHE_MAX,
      freeBytes: freeBytes(dir),
      cachedBytes,
    });
    return new ModelCache(dir, budget, o.note);
  }

  /** The synthetic models of a run as the disk sees them: size, and whether already cached. */
  disk(models: readonly ModelRef[]): { models: ModelDisk[]; plan: DiskPlan } {
    const synth = models.filter((m): m is SynthRef => m.kind === "synth");
    const disk = synth.map((m) => ({
      label: m.label,
      bytes: synthFileBytes(m),
      cached: existsSync(synthCachePath(m)),
    }));
    const mine = new Set(synth.map((m) => synthCachePath(m)));
    const others = listSynthFiles(this.dir)
      .filter((f) => !mine.has(f.path))
      .reduce((s, f) => s + f.bytes, 0);
    return { models: disk, plan: diskPlan(disk, this.budget, others) };
  }

  /**
   * Before `ref`'s group: make room for its file under the budget, deleting the cached files the rest of the run
   * (`upcoming`, in run order) needs least. Throws when even that is not enough (the group's records say so).
   */
  makeRoom(ref: ModelRef, upcoming: readonly ModelRef[]): void {
    if (ref.kind !== "synth") return;
    const path = synthCachePath(ref);
    if (existsSync(path)) {
      const now = new Date();
      utimesSync(path, now, now); // used now: least recently used goes first
      return;
    }
    const nextUse = new Map<string, number>();
    upcoming.forEach((m, i) => {
      if (m.kind === "synth" && !nextUse.has(synthCachePath(m))) nextUse.set(synthCachePath(m), i);
    });
    const need = synthFileBytes(ref);
    const files = listSynthFiles(this.dir);
    const plan = evictionPlan(files, { budget: this.budget.bytes, needBytes: need, keep: new Set([path]), nextUse });
    for (const victim of plan.evict) {
      withFs(victim, "delete (cache eviction)", () => unlinkSync(victim));
      const bytes = files.find((f) => f.path === victim)?.bytes ?? 0;
      const again = nextUse.has(victim) ? "; re-made when its turn comes" : "";
      this.note(`cache: evicted ${victim} (${fmtBytes(bytes)}) to make room for ${ref.label}${again}`);
    }
    if (!plan.fits)
      throw new Error(
        `${ref.label} needs ${fmtBytes(need)} of disk, more than the model cache's budget of ` +
          `${fmtBytes(this.budget.bytes)} (${this.budget.source}) holds after evicting what it may`,
      );
  }
}

/** moebench's synthetic files in the cache folder, with their size and last use. */
export function listSynthFiles(dir: string): CachedFile[] {
  if (!existsSync(dir)) return [];
  const files: CachedFile[] = [];
  for (const name of readdirSync(dir).filter((n) => SYNTH_FILE.test(n))) {
    const path = join(dir, name);
    const st = statSync(path, { throwIfNoEntry: false }); // another run may have just deleted it
    if (st) files.push({ path, bytes: st.size, usedMs: st.mtimeMs });
  }
  return files;
}
