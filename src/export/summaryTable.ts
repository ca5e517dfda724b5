import type { ResultRecord } from "../results/schema.js";
import { rate as rateOf } from "../analysis/aggregate.js";
import { mdTable } from "./markdown.js";

const rate = (p: ResultRecord["pp"]): string => {
  const s = rateOf(p);
  return s ? `${s.mean.toFixed(1)} ± ${(s.ciHigh - s.mean).toFixed(1)}` : "";
};

/** The run summary printed after `run`: one row per instance; failures shown as failures, never as zeros. */
export function summaryTable(records: readonly ResultRecord[]): string {
  const rows = records.map((r) => [
    r.model.label,
    r.model.quant ?? "",
    r.testId,
    r.status === "ok" ? rate(r.pp) : "",
    r.status === "ok" ? rate(r.tg ?? r.parallelTg) : "",
    r.status === "ok"
      ? String(Math.max(r.pp?.samplesMs.length ?? 0, r.tg?.samplesMs.length ?? 0, r.parallelTg?.samplesMs.length ?? 0))
      : "",
    r.status === "ok" ? "ok" : `**${r.status}**: ${(r.error?.message ?? "").split("\n")[0]!.slice(0, 80)}`,
  ]);
  return mdTable(["model", "quant", "test", "pp tok/s (95% CI)", "tg tok/s (95% CI)", "n", "status"], rows, [
    "l",
    "l",
    "l",
    "r",
    "r",
    "r",
    "l",
  ]);
}
