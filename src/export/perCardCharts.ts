/** The cross-card charts (pure): grouped bars by card; each card's legend entry names its host, driver and build. */
import type { TopLevelSpec } from "vega-lite";
import type { PerCard } from "../analysis/perCard.js";
import { base, type Chart } from "./charts.js";
import { present } from "./perCardTables.js";

/** Grouped bars: one group per model and quant, one bar per card; the legend names host, driver and build. */
export function perCardCharts(p: PerCard | null): Chart[] {
  if (!p) return [];
  return present(p).map((f) => {
    const values = p.rows.flatMap((r) =>
      p.setups.flatMap((s) => {
        const c = r.cells[s.id];
        const v = f.value(c);
        if (v === null) return [];
        const ci = f.ci?.(c);
        const name = r.model.endsWith(r.quant) ? r.model : `${r.model} ${r.quant}`;
        const row = `${name}${r.config ? ` · ${r.config}` : ""}`;
        return [{ row, card: s.label, value: v, lo: ci ? Math.max(0, ci.ciLow) : v, hi: ci ? ci.ciHigh : v }];
      }),
    );
    return {
      id: `by-card-${f.id}`,
      title: f.title,
      spec: {
        ...base,
        title: { text: f.title, subtitle: "one bar per setup: GPU · host · driver · llama.cpp build" },
        data: { values },
        encoding: {
          y: { field: "row", type: "nominal", title: null },
          yOffset: { field: "card" },
          x: { field: "value", type: "quantitative", title: f.title.replace(/ by card.*$/, "") },
          color: { field: "card", type: "nominal", title: "setup" },
        },
        layer: [
          { mark: { type: "bar" } },
          { mark: { type: "errorbar" }, encoding: { x: { field: "lo", type: "quantitative" }, x2: { field: "hi" } } },
        ],
      } as TopLevelSpec,
    };
  });
}
