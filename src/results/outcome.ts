/**
 * A run's outcome and its exit code (COORDINATION decision 2): 0 when every instance was measured, 1 when
 * one failed (unless its status is among those the user allowed with --allow-failures), 130 when the user
 * interrupted. The last line of run and bench: "N ok, M failed (oom 2, error 1)".
 */
import { MoebenchError } from "../util/errors.js";
import { EXIT } from "../util/exitCodes.js";
import { type FailedStatus, type ResultRecord, STATUSES } from "./schema.js";

const FAILED: readonly FailedStatus[] = STATUSES.filter((s): s is FailedStatus => s !== "ok");

export interface Outcome {
  ok: number;
  failed: number;
  byStatus: Partial<Record<FailedStatus, number>>;
}

export function outcomeOf(records: readonly Pick<ResultRecord, "status">[]): Outcome {
  const byStatus: Partial<Record<FailedStatus, number>> = {};
  let ok = 0;
  for (const r of records) {
    if (r.status === "ok") ok++;
    else byStatus[r.status] = (byStatus[r.status] ?? 0) + 1;
  }
  return { ok, failed: records.length - ok, byStatus };
}

/** "12 ok, 3 failed (oom 2, error 1)": the most frequent failure first */
export function outcomeLine(o: Outcome): string {
  const count = (s: FailedStatus): number => o.byStatus[s] ?? 0;
  const seen = FAILED.filter((s) => count(s) > 0).sort((a, b) => count(b) - count(a));
  const parts = seen.map((s) => `${s} ${count(s)}`);
  return `${o.ok} ok, ${o.failed} failed${parts.length ? ` (${parts.join(", ")})` : ""}`;
}

/** --allow-failures "oom,timeout" (or "all") → the statuses that do not fail the run. */
export function parseAllowFailures(value: string | undefined): Set<FailedStatus> {
  if (!value) return new Set();
  const allowed = new Set<FailedStatus>();
  for (const raw of value.split(",")) {
    const s = raw.trim();
    if (s === "all") return new Set(FAILED);
    if (!(FAILED as readonly string[]).includes(s))
      throw new MoebenchError(
        `--allow-failures ${value}: "${s}" is not a failure status`,
        `use a comma-separated list of ${FAILED.join(", ")}, or all`,
      );
    allowed.add(s as FailedStatus);
  }
  return allowed;
}

export function runExitCode(o: Outcome, allowed: ReadonlySet<FailedStatus>, interrupted: boolean): number {
  if (interrupted) return EXIT.interrupted;
  const unexpected = FAILED.some((s) => (o.byStatus[s] ?? 0) > 0 && !allowed.has(s));
  return unexpected ? EXIT.failed : EXIT.ok;
}
