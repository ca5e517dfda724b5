import type { ResultRecord } from "../results/schema.js";
import { rate } from "../analysis/aggregate.js";
import { mdTable } from "./markdown.js";
import { MEAN_CI, meanCi, statusCell } from "./format.js";

/** The run summary printed after `run`: one row per instance; failures shown as failures, never as zeros. */
export function summaryTable(records: readonly ResultRecord[]): string {
  const rows = records.map((r) => {
    const ok = r.status === "ok";
    const n = Math.max(r.pp?.samplesMs.length ?? 0, r.tg?.samplesMs.length ?? 0, r.parallelTg?.samplesMs.length ?? 0);
    return [
      r.model.label,
      r.model.quant ?? "",
      r.testId,
      ok ? meanCi(rate(r.pp)) : "",
      ok ? meanCi(rate(r.tg ?? r.parallelTg)) : "",
      ok ? String(n) : "",
      statusCell(r.status, r.error?.message),
    ];
  });
  const headers = ["model", "quant", "test", `pp tok/s, ${MEAN_CI}`, `tg tok/s, ${MEAN_CI}`, "n", "status"];
  return mdTable(headers, rows, ["l", "l", "l", "r", "r", "r", "l"]);
}
