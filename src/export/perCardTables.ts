/**
 * The cross-card section of a report (pure): the setups (GPU, host, driver, llama.cpp build, price) and one
 * table per figure with a column per setup (Markdown here; html.ts renders the same tables).
 */
import type { CardCell, CardSetup, PerCard, PerCardRow } from "../analysis/perCard.js";
import { fixed, MEAN_CI, meanCi } from "./format.js";
import { mdTable } from "./markdown.js";
import { type Column, type TableData, table } from "./reportTables.js";
import type { Summary } from "../util/stats.js";

export interface Figure {
  id: string;
  title: string;
  cell: (c: CardCell | undefined) => string;
  value: (c: CardCell | undefined) => number | null;
  /** the interval drawn around the bar, where the figure has one */
  ci?: (c: CardCell | undefined) => Summary | null | undefined;
}

export const FIGURES: readonly Figure[] = [
  {
    id: "tg",
    title: `Generation (tg) tok/s by card, ${MEAN_CI}`,
    cell: (c) => meanCi(c?.tg) || "—",
    value: (c) => c?.tg?.mean ?? null,
    ci: (c) => c?.tg,
  },
  {
    id: "pp",
    title: `Prefill (pp) tok/s by card, ${MEAN_CI}`,
    cell: (c) => meanCi(c?.pp) || "—",
    value: (c) => c?.pp?.mean ?? null,
    ci: (c) => c?.pp,
  },
  {
    id: "tok-per-j",
    title: "Generation tok/J by card",
    cell: (c) => fixed(c?.tgTokPerJ),
    value: (c) => c?.tgTokPerJ ?? null,
  },
  {
    id: "tok-per-dollar",
    title: "Generation tok/s per $ by card",
    cell: (c) => fixed(c?.tgPerDollar, 3),
    value: (c) => c?.tgPerDollar ?? null,
  },
];

/** The figures the data has (tok/J needs telemetry, tok/s per $ a price). */
export const present = (p: PerCard): Figure[] =>
  FIGURES.filter((f) => p.rows.some((r) => p.setups.some((s) => f.value(r.cells[s.id]) !== null)));

export function setupsData(p: PerCard): TableData {
  const columns: Column<CardSetup>[] = [
    { header: "card", cell: (s) => s.short, when: p.setups.some((s) => s.short !== s.gpu) },
    { header: "GPU", cell: (s) => s.gpu },
    { header: "host", cell: (s) => s.host },
    { header: "driver", cell: (s) => s.driver ?? "unknown" },
    { header: "llama.cpp build", cell: (s) => s.build },
    { header: "backend", cell: (s) => s.backend },
    { header: "price", cell: (s) => s.pricing?.label ?? s.pricingNote ?? "none known" },
  ];
  return table(p.setups, columns);
}

function figureData(p: PerCard, f: Figure): TableData {
  const columns: Column<PerCardRow>[] = [
    { header: "model", cell: (r) => r.model },
    { header: "quant", cell: (r) => r.quant },
    { header: "configuration", cell: (r) => r.config, when: p.rows.some((r) => r.config !== "") },
    ...p.setups.map(
      (s): Column<PerCardRow> => ({ header: `on ${s.short}`, cell: (r) => f.cell(r.cells[s.id]), align: "r" }),
    ),
  ];
  return table(p.rows, columns);
}

export const PER_CARD_INTRO =
  "Each column is one setup: a GPU on a host, with its driver and llama.cpp build (table below). " +
  "Rows are the same model, quant and configuration on every card.";

export function perCardMarkdown(p: PerCard): string {
  const md = (t: TableData): string => mdTable(t.headers, t.rows, t.align);
  const out = ["## By card", "", PER_CARD_INTRO, "", md(setupsData(p)), ""];
  for (const f of present(p)) out.push(`### ${f.title}`, "", md(figureData(p, f)), "");
  return out.join("\n");
}

/** The section's tables in order (the setups first), for the HTML exporter. */
export function perCardSections(p: PerCard): { id: string; title: string; table: TableData }[] {
  return [
    { id: "cards", title: "Setups", table: setupsData(p) },
    ...present(p).map((f) => ({ id: `by-card-${f.id}`, title: f.title, table: figureData(p, f) })),
  ];
}
