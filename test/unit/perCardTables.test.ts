/**
 * The cross-card tables and charts from a hand-made PerCard (three setups, two rows): every header, cell and
 * chart value written out by hand; figures the data lacks (tok/J, tok/s per $) are left out.
 */
import { describe, expect, it } from "vitest";
import type { CardSetup, PerCard } from "../../src/analysis/perCard.js";
import { perCardCharts } from "../../src/export/perCardCharts.js";
import {
  FIGURES,
  PER_CARD_INTRO,
  perCardMarkdown,
  perCardSections,
  present,
  setupsData,
} from "../../src/export/perCardTables.js";
import type { Summary } from "../../src/util/stats.js";

const sum = (mean: number, ciLow: number, ciHigh: number, noisy = false): Summary => ({
  n: 3,
  mean,
  sd: 1,
  ciLow,
  ciHigh,
  halfWidth: (ciHigh - ciLow) / 2,
  ciRel: (ciHigh - ciLow) / 2 / mean,
  min: ciLow,
  max: ciHigh,
  method: "t",
  firstStage: null,
  noisy,
});

const S1: CardSetup = {
  id: "s1",
  gpu: "GPU One",
  host: "h1",
  driver: "1.0",
  backend: "cuda",
  build: "b1 (aaaaaaa)",
  short: "GPU One (h1, b1 (aaaaaaa))",
  label: "GPU One · host h1 · driver 1.0 · llama.cpp b1 (aaaaaaa)",
  pricing: { kind: "purchase", usd: 100, device: "GPU One", basis: "given", label: "GPU One: $100 (given)" },
  pricingNote: null,
};
const S2: CardSetup = {
  id: "s2",
  gpu: "GPU One",
  host: "h2",
  driver: null,
  backend: "vulkan",
  build: "unknown",
  short: "GPU One (h2, unknown)",
  label: "GPU One · host h2 · driver unknown · llama.cpp unknown",
  pricing: null,
  pricingNote: "no price known for GPU One",
};
const S3: CardSetup = {
  id: "s3",
  gpu: "GPU Two",
  host: "h3",
  driver: "3.0",
  backend: "cuda",
  build: "b3",
  short: "GPU Two",
  label: "GPU Two · host h3 · driver 3.0 · llama.cpp b3",
  pricing: null,
  pricingNote: null,
};

const p: PerCard = {
  setups: [S1, S2, S3],
  rows: [
    {
      moe: true,
      model: "big Q4_K_M",
      quant: "Q4_K_M",
      config: "ctx 512",
      cells: {
        s1: { pp: sum(1000, 900, 1100), tg: sum(50, 48, 52), tgTokPerJ: 0.25, tgPerDollar: 0.5 },
        // a CI whose low end is below zero: shown and drawn from 0
        s2: { pp: null, tg: sum(40, -2, 82, true), tgTokPerJ: null, tgPerDollar: null },
      },
    },
    {
      moe: false,
      model: "small",
      quant: "Q8_0",
      config: "",
      cells: { s3: { pp: sum(2000, 1990, 2010), tg: null, tgTokPerJ: null, tgPerDollar: null } },
    },
  ],
};

// two cards told apart by GPU alone, one configuration, no energy and no price: tg measured on the second only
const plainP: PerCard = {
  setups: [
    { ...S1, short: "GPU One", pricing: null },
    { ...S3, pricing: null },
  ],
  rows: [
    {
      moe: false,
      model: "m Q4_K_M",
      quant: "Q4_K_M",
      config: "",
      cells: {
        s1: { pp: sum(500, 490, 510), tg: null, tgTokPerJ: null, tgPerDollar: null },
        s3: { pp: null, tg: sum(20, 19, 21), tgTokPerJ: null, tgPerDollar: null },
      },
    },
  ],
};

const MODEL_COLS = ["model", "quant", "configuration"];
const CARD_COLS = ["on GPU One (h1, b1 (aaaaaaa))", "on GPU One (h2, unknown)", "on GPU Two"];
const ALIGN = ["l", "l", "l", "r", "r", "r"];

describe("per-card tables", () => {
  it("figures: ids and titles", () => {
    expect(FIGURES.map((f) => [f.id, f.title])).toEqual([
      ["tg", "Generation (tg) tok/s by card, mean (95% CI)"],
      ["pp", "Prefill (pp) tok/s by card, mean (95% CI)"],
      ["tok-per-j", "Generation tok/J by card"],
      ["tok-per-dollar", "Generation tok/s per $ by card"],
    ]);
  });

  it("figures of a setup that did not measure the row: '—' and no value", () => {
    for (const f of FIGURES) {
      expect(f.cell(undefined)).toBe("—");
      expect(f.value(undefined)).toBeNull();
      expect(f.ci?.(undefined)).toBeUndefined();
    }
    const empty = { pp: null, tg: null, tgTokPerJ: null, tgPerDollar: null };
    expect(FIGURES.map((f) => [f.cell(empty), f.value(empty)])).toEqual([
      ["—", null],
      ["—", null],
      ["—", null],
      ["—", null],
    ]);
    expect(FIGURES.map((f) => (f.ci ? f.ci(empty) : "none"))).toEqual([null, null, "none", "none"]);
  });

  it("the setups table: card (where a GPU ran on several setups), GPU, host, driver, build, backend, price", () => {
    expect(setupsData(p)).toEqual({
      headers: ["card", "GPU", "host", "driver", "llama.cpp build", "backend", "price"],
      rows: [
        ["GPU One (h1, b1 (aaaaaaa))", "GPU One", "h1", "1.0", "b1 (aaaaaaa)", "cuda", "GPU One: $100 (given)"],
        ["GPU One (h2, unknown)", "GPU One", "h2", "unknown", "unknown", "vulkan", "no price known for GPU One"],
        ["GPU Two", "GPU Two", "h3", "3.0", "b3", "cuda", "none known"],
      ],
      align: ["l", "l", "l", "l", "l", "l", "l"],
    });
  });

  it("every figure the data has, one column per setup, '—' where a setup has no figure", () => {
    expect(perCardSections(p)).toEqual([
      { id: "cards", title: "Setups", table: setupsData(p) },
      {
        id: "by-card-tg",
        title: "Generation (tg) tok/s by card, mean (95% CI)",
        table: {
          headers: [...MODEL_COLS, ...CARD_COLS],
          rows: [
            ["big Q4_K_M", "Q4_K_M", "ctx 512", "50.00 (48.00–52.00)", "40.00 (0.00–82.00) noisy", "—"],
            ["small", "Q8_0", "", "—", "—", "—"],
          ],
          align: ALIGN,
        },
      },
      {
        id: "by-card-pp",
        title: "Prefill (pp) tok/s by card, mean (95% CI)",
        table: {
          headers: [...MODEL_COLS, ...CARD_COLS],
          rows: [
            ["big Q4_K_M", "Q4_K_M", "ctx 512", "1000.0 (900.0–1100.0)", "—", "—"],
            ["small", "Q8_0", "", "—", "—", "2000.0 (1990.0–2010.0)"],
          ],
          align: ALIGN,
        },
      },
      {
        id: "by-card-tok-per-j",
        title: "Generation tok/J by card",
        table: {
          headers: [...MODEL_COLS, ...CARD_COLS],
          rows: [
            ["big Q4_K_M", "Q4_K_M", "ctx 512", "0.25", "—", "—"],
            ["small", "Q8_0", "", "—", "—", "—"],
          ],
          align: ALIGN,
        },
      },
      {
        id: "by-card-tok-per-dollar",
        title: "Generation tok/s per $ by card",
        table: {
          headers: [...MODEL_COLS, ...CARD_COLS],
          rows: [
            ["big Q4_K_M", "Q4_K_M", "ctx 512", "0.500", "—", "—"],
            ["small", "Q8_0", "", "—", "—", "—"],
          ],
          align: ALIGN,
        },
      },
    ]);
  });

  it("no card column where every GPU ran once, no configuration column where there is one; no tok/J, no $", () => {
    expect(present(plainP).map((f) => f.id)).toEqual(["tg", "pp"]);
    expect(setupsData(plainP).headers).toEqual(["GPU", "host", "driver", "llama.cpp build", "backend", "price"]);
    expect(setupsData(plainP).rows.map((r) => r.at(-1))).toEqual(["none known", "none known"]);
    expect(perCardSections(plainP).map((s) => [s.id, s.table.headers, s.table.rows])).toEqual([
      ["cards", ["GPU", "host", "driver", "llama.cpp build", "backend", "price"], setupsData(plainP).rows],
      [
        "by-card-tg",
        ["model", "quant", "on GPU One", "on GPU Two"],
        [["m Q4_K_M", "Q4_K_M", "—", "20.00 (19.00–21.00)"]],
      ],
      [
        "by-card-pp",
        ["model", "quant", "on GPU One", "on GPU Two"],
        [["m Q4_K_M", "Q4_K_M", "500.0 (490.0–510.0)", "—"]],
      ],
    ]);
  });

  it("Markdown: a heading, the intro, the setups, then a titled table per figure, blank lines between", () => {
    const lines = perCardMarkdown(p).split("\n");
    expect(lines.slice(0, 4)).toEqual(["## By card", "", PER_CARD_INTRO, ""]);
    expect(PER_CARD_INTRO).toBe(
      "Each column is one setup: a GPU on a host, with its driver and llama.cpp build (table below). " +
        "Rows are the same model, quant and configuration on every card.",
    );
    // the setups table: header, separator, three setups
    expect(lines[4]).toMatch(/^\| card +\| GPU +\| host +\| driver +\| llama\.cpp build +\| backend +\| price +\|$/);
    expect(lines[8]).toMatch(/^\| GPU Two +\| GPU Two +\| h3 +\| 3\.0 +\| b3 +\| cuda +\| none known +\|$/);
    expect(lines[9]).toBe("");
    const titles = ["Generation (tg) tok/s", "Prefill (pp) tok/s", "Generation tok/J", "Generation tok/s per $"];
    titles.forEach((t, i) => {
      // each section: title, blank, header, separator, two rows, blank
      const at = 10 + i * 7;
      expect(lines[at]!.startsWith(`### ${t} by card`)).toBe(true);
      expect(lines[at + 1]).toBe("");
      expect(lines[at + 2]).toMatch(/^\| model +\| quant +\| configuration +\| on GPU One \(h1, b1 \(aaaaaaa\)\) +\|/);
      expect(lines[at + 3]).toMatch(/^\| :-+ \| :-+ \| :-+ \| -+: \| -+: \| -+: \|$/);
      expect(lines[at + 6]).toBe("");
    });
    expect(lines[12 + 3]).toMatch(/^\| small +\| Q8_0 +\| +\| +— +\| +— +\| +— +\|$/);
    expect(lines).toHaveLength(10 + 4 * 7);
  });
});

describe("per-card charts", () => {
  it("none without a per-card table", () => {
    expect(perCardCharts(null)).toEqual([]);
  });

  // built inside each test, so that mutation testing's per-test coverage sees it
  // biome-ignore lint/suspicious/noExplicitAny: the specs are walked as plain JSON
  const chartsOf = () => perCardCharts(p) as { id: string; title: string; spec: any }[];

  it("one chart per figure the data has, titled as its table", () => {
    const charts = chartsOf();
    expect(charts.map((c) => [c.id, c.title, c.spec.title.text])).toEqual([
      ["by-card-tg", FIGURES[0]!.title, FIGURES[0]!.title],
      ["by-card-pp", FIGURES[1]!.title, FIGURES[1]!.title],
      ["by-card-tok-per-j", FIGURES[2]!.title, FIGURES[2]!.title],
      ["by-card-tok-per-dollar", FIGURES[3]!.title, FIGURES[3]!.title],
    ]);
    expect(charts[0]!.spec.title.subtitle).toBe("one bar per setup: GPU · host · driver · llama.cpp build");
    expect(perCardCharts(plainP).map((c) => c.id)).toEqual(["by-card-tg", "by-card-pp"]);
  });

  it("a bar per measured cell, labelled by row (model, quant where the name lacks it, configuration) and setup", () => {
    const charts = chartsOf();
    expect(charts.map((c) => c.spec.data.values)).toEqual([
      [
        { row: "big Q4_K_M · ctx 512", card: S1.label, value: 50, lo: 48, hi: 52 },
        { row: "big Q4_K_M · ctx 512", card: S2.label, value: 40, lo: 0, hi: 82 },
      ],
      [
        { row: "big Q4_K_M · ctx 512", card: S1.label, value: 1000, lo: 900, hi: 1100 },
        { row: "small Q8_0", card: S3.label, value: 2000, lo: 1990, hi: 2010 },
      ],
      // no interval: the bar's whisker is the value itself
      [{ row: "big Q4_K_M · ctx 512", card: S1.label, value: 0.25, lo: 0.25, hi: 0.25 }],
      [{ row: "big Q4_K_M · ctx 512", card: S1.label, value: 0.5, lo: 0.5, hi: 0.5 }],
    ]);
  });

  it("bars grouped by row, one per setup, the figure on x", () => {
    const charts = chartsOf();
    expect(charts.map((c) => c.spec.encoding.x.title)).toEqual([
      "Generation (tg) tok/s",
      "Prefill (pp) tok/s",
      "Generation tok/J",
      "Generation tok/s per $",
    ]);
    expect(charts[0]!.spec.encoding).toEqual({
      y: { field: "row", type: "nominal", title: null },
      yOffset: { field: "card" },
      x: { field: "value", type: "quantitative", title: "Generation (tg) tok/s" },
      color: { field: "card", type: "nominal", title: "setup" },
    });
    expect(charts[0]!.spec.layer).toEqual([
      { mark: { type: "bar" } },
      { mark: { type: "errorbar" }, encoding: { x: { field: "lo", type: "quantitative" }, x2: { field: "hi" } } },
    ]);
  });
});
