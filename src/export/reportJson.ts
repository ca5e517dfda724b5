/** report.json: the report's figures without the raw records (those stay in results.jsonl) (pure). */
import type { AggRow } from "../analysis/aggregate.js";
import type { Report } from "../analysis/buildReport.js";

const row = ({ record, ...rest }: AggRow) => ({ key: record.key, ...rest });

export function reportJson(r: Report): string {
  const out = {
    runs: r.runs,
    models: r.models,
    pairs: r.pairs.map(({ moe, dense, ...p }) => ({ ...p, moe: moe.model, dense: dense.model, config: moe.identity })),
    claims: r.claims,
    quantMatrices: r.quantMatrices,
    vram: r.vram,
    perCard: r.perCard,
    rows: r.rows.map((x, i) => ({ ...row(x), cost: r.rowCosts[i] })),
    warnings: r.warnings,
    options: r.options,
  };
  return `${JSON.stringify(out, null, 2)}\n`;
}
