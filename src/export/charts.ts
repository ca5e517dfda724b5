/**
 * Vega-lite chart specs from a report (pure). A chart is produced only when its data exist. Every chart's
 * subtitle says what ran: device and threads, model scale, synthetic or not, MOCK where it was.
 */
import type { TopLevelSpec } from "vega-lite";
import type { AggRow } from "../analysis/aggregate.js";
import type { Report } from "../analysis/buildReport.js";
import { CONFIG_FIELDS, configText, varyingFields } from "../analysis/identity.js";
import type { MoePair } from "../analysis/moeVsDense.js";
import { familyOf, quantRank } from "../analysis/quantMatrix.js";
import { MEAN_CI } from "./format.js";
import { chartCaption } from "./reportText.js";

export interface Chart {
  id: string;
  title: string;
  spec: TopLevelSpec;
}

const CONFIG = CONFIG_FIELDS;

export const base = {
  $schema: "https://vega.github.io/schema/vega-lite/v6.json",
  width: 560,
  height: 300,
  config: {
    font: "DejaVu Sans",
    view: { stroke: null },
    axis: { labelFontSize: 11, titleFontSize: 12, labelLimit: 0 },
    legend: { labelFontSize: 11, titleFontSize: 12, labelLimit: 0, orient: "bottom", columns: 1 },
    title: { anchor: "start", subtitleFontSize: 11, subtitleColor: "#555" },
  },
} as const;

/** A chart title with its caption; a caption given as lines is drawn as lines (long captions would widen the chart). */
const titled = (text: string, caption: string | string[]) => ({ title: { text, subtitle: caption } });

/** Series name: model family, plus the run and the configuration where they vary among the points. */
function seriesNamer(rows: readonly AggRow[], multiRun: boolean): (x: AggRow) => string {
  const vary = varyingFields(
    rows.map((r) => r.identity),
    CONFIG,
  );
  return (x) => {
    const cfg = vary.length ? ` · ${configText(x.identity, vary)}` : "";
    return `${familyOf(x)}${multiRun ? ` · run ${x.runId}` : ""}${cfg}`;
  };
}

const quantSort = (values: { quant: string }[]): string[] =>
  [...new Set(values.map((d) => d.quant))].sort((a, b) => quantRank(a) - quantRank(b));

function byQuantChart(r: Report, phase: "pp" | "tg", caption: string): Chart | null {
  const rows = r.rows.filter((x) => {
    const p = x.record.params;
    const s = phase === "pp" ? x.pp : x.tg;
    return s && p.depth === 0 && p.parallel === 1 && (phase === "pp" ? p.tg === 0 : p.pp === 0);
  });
  if (!rows.length) return null;
  const name = seriesNamer(rows, r.multiRun);
  const values = rows.map((x) => {
    const s = (phase === "pp" ? x.pp : x.tg)!;
    return { series: name(x), quant: x.quant, mean: s.mean, lo: s.ciLow, hi: s.ciHigh };
  });
  const what = phase === "pp" ? "Prefill (pp)" : "Generation (tg)";
  return {
    id: `${phase}-by-quant`,
    title: `${what} speed by quant`,
    spec: {
      ...base,
      ...titled(`${what} tok/s by quant, ${MEAN_CI}`, caption),
      data: { values },
      encoding: {
        x: { field: "quant", type: "ordinal", sort: quantSort(values), title: "quant", axis: { labelAngle: 0 } },
        y: { field: "mean", type: "quantitative", title: `tok/s, ${MEAN_CI}` },
        color: { field: "series", type: "nominal", title: "model" },
      },
      layer: [
        { mark: { type: "line", point: true } },
        { mark: { type: "errorbar" }, encoding: { y: { field: "lo", type: "quantitative" }, y2: { field: "hi" } } },
      ],
    } as TopLevelSpec,
  };
}

function depthChart(r: Report, caption: string): Chart | null {
  const ok = r.rows.filter((x) => x.status === "ok" && x.record.params.parallel === 1);
  if (new Set(ok.map((x) => x.record.params.depth)).size < 2) return null;
  const name = seriesNamer(ok, r.multiRun);
  const values = ok.flatMap((x) => {
    const d = x.record.params.depth;
    const out: { series: string; phase: string; depth: number; mean: number }[] = [];
    if (x.pp) out.push({ series: `${name(x)} ${x.quant}`, phase: "prefill (pp)", depth: d, mean: x.pp.mean });
    if (x.tg) out.push({ series: `${name(x)} ${x.quant}`, phase: "generation (tg)", depth: d, mean: x.tg.mean });
    return out;
  });
  return {
    id: "depth",
    title: "Speed vs depth",
    spec: {
      ...base,
      ...titled("tok/s (mean) vs context depth", caption),
      width: 280,
      data: { values },
      mark: { type: "line", point: true },
      encoding: {
        x: { field: "depth", type: "quantitative", title: "depth (tokens already in context)" },
        y: { field: "mean", type: "quantitative", title: "tok/s (mean)" },
        color: { field: "series", type: "nominal", title: "model" },
        column: { field: "phase", type: "nominal", title: null },
      },
      resolve: { scale: { y: "independent" } },
    } as TopLevelSpec,
  };
}

function parallelChart(r: Report, caption: string): Chart | null {
  const rows = r.rows.filter(
    (x) => x.record.params.pp === 0 && x.record.params.depth === 0 && (x.parallelTg || x.tg) && x.status === "ok",
  );
  if (new Set(rows.map((x) => x.record.params.parallel)).size < 2) return null;
  const name = seriesNamer(rows, r.multiRun);
  const values = rows.map((x) => ({
    series: `${name(x)} ${x.quant}`,
    parallel: x.record.params.parallel,
    mean: (x.parallelTg ?? x.tg)!.mean,
  }));
  return {
    id: "parallel",
    title: "Parallel-sequence scaling",
    spec: {
      ...base,
      ...titled("Aggregate generation tok/s (mean) vs parallel sequences", caption),
      data: { values },
      mark: { type: "line", point: true },
      encoding: {
        x: { field: "parallel", type: "quantitative", title: "parallel sequences" },
        y: { field: "mean", type: "quantitative", title: "aggregate tok/s (mean)" },
        color: { field: "series", type: "nominal", title: "model" },
      },
    } as TopLevelSpec,
  };
}

function servingCharts(r: Report, caption: string): Chart[] {
  const values = r.rows
    .filter((x) => x.record.serving && x.status === "ok")
    .map((x) => ({
      model: x.model,
      c: x.record.serving!.concurrency,
      tps: x.record.serving!.aggregateTokPerSec,
      ttft99: x.record.serving!.ttftMs?.p99 ?? null,
    }));
  if (!values.length) return [];
  const line = (title: string, y: string, yTitle: string, data: typeof values): TopLevelSpec =>
    ({
      ...base,
      ...titled(title, caption),
      data: { values: data },
      mark: { type: "line", point: true },
      encoding: {
        x: { field: "c", type: "quantitative", title: "concurrent requests" },
        y: { field: y, type: "quantitative", title: yTitle },
        color: { field: "model", type: "nominal" },
      },
    }) as TopLevelSpec;
  return [
    {
      id: "serving-throughput",
      title: "Throughput vs concurrency (HTTP)",
      spec: line("Aggregate output tok/s vs concurrent requests", "tps", "aggregate tok/s", values),
    },
    {
      id: "serving-ttft",
      title: "TTFT p99 vs concurrency (HTTP)",
      spec: line(
        "Time to first token, p99, vs concurrent requests",
        "ttft99",
        "TTFT p99 (ms)",
        values.filter((s) => s.ttft99 !== null),
      ),
    },
  ];
}

function efficiencyChart(r: Report, caption: string): Chart | null {
  const values = r.rows
    .filter((x) => x.tgTokPerJ && x.tg)
    .map((x) => ({ model: familyOf(x), quant: x.quant, mean: x.tg!.mean, tpj: x.tgTokPerJ!.gross }));
  if (!values.length) return null;
  return {
    id: "efficiency",
    title: "Energy efficiency vs speed",
    spec: {
      ...base,
      ...titled("Tokens per joule vs tok/s (generation)", caption),
      data: { values },
      mark: { type: "point", filled: true, size: 80 },
      encoding: {
        x: { field: "mean", type: "quantitative", title: "tok/s (mean)" },
        y: { field: "tpj", type: "quantitative", title: "tokens per joule" },
        color: { field: "model", type: "nominal" },
        shape: { field: "quant", type: "nominal" },
      },
    } as TopLevelSpec,
  };
}

function vramChart(r: Report): Chart | null {
  if (!r.vram) return null;
  const values = r.vram.points.map((p) => ({ ...p, ctx: `${p.ctx / 1024}k` }));
  const cap = r.options.cardVramGiB;
  const caption = [
    `moebench fit estimate (full-size models), KV ${r.vram.kv}, flash attention ${r.vram.fa ? "on" : "off"},`,
    `without the GPU runtime's own allowance; line: ${r.options.cardName} (${cap} GiB)`,
  ];
  return {
    id: "vram",
    title: "VRAM vs context (estimate)",
    spec: {
      ...base,
      ...titled("Estimated VRAM (GiB) vs context", caption),
      data: { values },
      facet: { column: { field: "model", type: "nominal", title: null, header: { labelLimit: 0 } } },
      spec: {
        width: 200,
        height: 260,
        layer: [
          {
            mark: "bar",
            encoding: {
              x: {
                field: "ctx",
                type: "ordinal",
                sort: ["4k", "8k", "16k", "32k"],
                title: "context",
                axis: { labelAngle: 0 },
              },
              y: { field: "gib", type: "quantitative", aggregate: "sum", title: "GiB (estimate)" },
              color: { field: "part", type: "nominal", title: null },
            },
          },
          {
            mark: { type: "rule", color: "#c0392b", strokeDash: [6, 3], strokeWidth: 2 },
            encoding: { y: { datum: cap } },
          },
        ],
      },
    } as unknown as TopLevelSpec,
  };
}

/** Series of the ratio charts: "MoE ÷ dense · phase" (and the quant where it is not on the x axis). */
const pairSeries = (p: MoePair, multiRun: boolean, withQuant: boolean): string => {
  const names = `${familyOf(p.moe)} ÷ ${familyOf(p.dense)}`;
  return `${names}${withQuant ? ` ${p.quant}` : ""} · ${p.phase}${multiRun ? ` · run ${p.runId}` : ""}`;
};

function ratioChart(
  r: Report,
  o: { id: string; title: string; x: "quant" | "depth" | "parallel"; pairs: MoePair[]; caption: string },
): Chart | null {
  const values = o.pairs.map((p) => ({
    series: pairSeries(p, r.multiRun, o.x !== "quant"),
    phase: p.phase,
    quant: p.quant,
    depth: p.depth,
    parallel: p.parallel,
    ratio: p.ratio,
    lo: Number.isFinite(p.ciLow) ? p.ciLow : p.ratio,
    hi: Number.isFinite(p.ciHigh) ? p.ciHigh : p.ratio,
  }));
  if (!values.length) return null;
  const x =
    o.x === "quant"
      ? { field: "quant", type: "ordinal", sort: quantSort(values), title: "quant", axis: { labelAngle: 0 } }
      : {
          field: o.x,
          type: "quantitative",
          title: o.x === "depth" ? "depth (tokens already in context)" : "parallel sequences",
        };
  return {
    id: o.id,
    title: o.title,
    spec: {
      ...base,
      ...titled(o.title, o.caption),
      data: { values },
      layer: [
        { mark: { type: "rule", color: "#999", strokeDash: [4, 3] }, encoding: { y: { datum: 1 } } },
        {
          mark: { type: "line", point: true },
          encoding: {
            x,
            y: { field: "ratio", type: "quantitative", title: "MoE ÷ dense tok/s (95% CI)" },
            color: { field: "series", type: "nominal", title: "MoE ÷ dense" },
            // pp dashed, tg solid: the two stay visible where they coincide
            strokeDash: { field: "phase", type: "nominal", title: "phase" },
          },
        },
        {
          mark: { type: "errorbar" },
          encoding: {
            x,
            y: { field: "lo", type: "quantitative", title: "MoE ÷ dense tok/s (95% CI)" },
            y2: { field: "hi" },
            color: { field: "series", type: "nominal", title: "MoE ÷ dense" },
          },
        },
      ],
    } as unknown as TopLevelSpec,
  };
}

function ratioCharts(r: Report, caption: string): Chart[] {
  const out: (Chart | null)[] = [];
  const plain = r.pairs.filter((p) => p.depth === 0 && p.parallel === 1);
  if (plain.length)
    out.push(
      ratioChart(r, { id: "moe-ratio-quant", title: "MoE ÷ dense speed by quant", x: "quant", pairs: plain, caption }),
    );
  const byDepth = r.pairs.filter((p) => p.parallel === 1);
  if (new Set(byDepth.map((p) => p.depth)).size > 1)
    out.push(
      ratioChart(r, {
        id: "moe-ratio-depth",
        title: "MoE ÷ dense speed by depth",
        x: "depth",
        pairs: byDepth,
        caption,
      }),
    );
  const byPar = r.pairs.filter((p) => p.phase === "tg" && p.depth === 0);
  if (new Set(byPar.map((p) => p.parallel)).size > 1)
    out.push(
      ratioChart(r, {
        id: "moe-ratio-parallel",
        title: "MoE ÷ dense generation speed by parallel sequences",
        x: "parallel",
        pairs: byPar,
        caption,
      }),
    );
  return out.filter((c): c is Chart => c !== null);
}

export function charts(r: Report): Chart[] {
  const caption = chartCaption(r);
  return [
    ...ratioCharts(r, caption),
    byQuantChart(r, "tg", caption),
    byQuantChart(r, "pp", caption),
    depthChart(r, caption),
    parallelChart(r, caption),
    ...servingCharts(r, caption),
    efficiencyChart(r, caption),
    vramChart(r),
  ].filter((c): c is Chart => c !== null);
}
