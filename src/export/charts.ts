/** Vega-lite chart specs from a report (pure). A chart is produced only when its data exist. */
import type { TopLevelSpec } from "vega-lite";
import type { Report } from "../analysis/buildReport.js";
import { quantRank, QUANT_ORDER } from "../analysis/quantMatrix.js";
import { kvBytes, type KvFacts } from "../gguf/kvCache.js";

export interface Chart {
  id: string;
  title: string;
  spec: TopLevelSpec;
}

const base = {
  $schema: "https://vega.github.io/schema/vega-lite/v6.json",
  width: 520,
  height: 300,
  config: {
    font: "DejaVu Sans",
    view: { stroke: null },
    axis: { labelFontSize: 11, titleFontSize: 12 },
    legend: { labelFontSize: 11, titleFontSize: 12, labelLimit: 260 },
  },
} as const;

export function charts(
  r: Report,
  facts: ReadonlyMap<string, KvFacts & { tensorBytes: number; fullScaleOf?: string }>,
): Chart[] {
  const out: Chart[] = [];
  const ok = r.rows.filter((x) => x.status === "ok");
  const family = (x: (typeof ok)[number]): string =>
    x.record.model.synthetic
      ? `${x.record.model.synthetic.preset}${x.record.model.synthetic.scale !== "full" ? ` (${x.record.model.synthetic.scale})` : ""}`
      : x.model;

  const tg = ok
    .filter((x) => x.tg && x.record.params.depth === 0 && x.record.params.parallel === 1 && x.record.params.pp === 0)
    .map((x) => ({ model: family(x), quant: x.quant, tps: x.tg!.mean, lo: x.tg!.ciLow, hi: x.tg!.ciHigh }));
  if (tg.length) {
    const quants = [...new Set(tg.map((d) => d.quant))].sort((a, b) => quantRank(a) - quantRank(b));
    out.push({
      id: "tg-by-quant",
      title: "Generation speed by quant",
      spec: {
        ...base,
        title: "Generation (tg) tok/s by quant",
        data: { values: tg },
        encoding: {
          x: { field: "quant", type: "ordinal", sort: quants, title: "quant", axis: { labelAngle: 0 } },
          y: { field: "tps", type: "quantitative", title: "tok/s, mean (95% CI)" },
          color: { field: "model", type: "nominal", title: "model" },
        },
        layer: [
          { mark: { type: "line", point: true } },
          { mark: { type: "errorbar" }, encoding: { y: { field: "lo", type: "quantitative" }, y2: { field: "hi" } } },
        ],
      } as TopLevelSpec,
    });
  }
  const pp = ok
    .filter((x) => x.pp && x.record.params.depth === 0 && x.record.params.tg === 0)
    .map((x) => ({ model: family(x), quant: x.quant, tps: x.pp!.mean }));
  if (pp.length) {
    const quants = [...new Set(pp.map((d) => d.quant))].sort((a, b) => quantRank(a) - quantRank(b));
    out.push({
      id: "pp-by-quant",
      title: "Prefill speed by quant",
      spec: {
        ...base,
        title: "Prefill (pp) tok/s by quant",
        data: { values: pp },
        mark: { type: "line", point: true },
        encoding: {
          x: { field: "quant", type: "ordinal", sort: quants, axis: { labelAngle: 0 } },
          y: { field: "tps", type: "quantitative", title: "tok/s, mean (95% CI)" },
          color: { field: "model", type: "nominal" },
        },
      } as TopLevelSpec,
    });
  }
  const depths = new Set(ok.map((x) => x.record.params.depth));
  if (depths.size > 1) {
    const d = ok
      .filter((x) => x.record.params.parallel === 1)
      .flatMap((x) => [
        ...(x.pp ? [{ model: `${x.model}`, phase: "pp", depth: x.record.params.depth, tps: x.pp.mean }] : []),
        ...(x.tg ? [{ model: `${x.model}`, phase: "tg", depth: x.record.params.depth, tps: x.tg.mean }] : []),
      ]);
    out.push({
      id: "depth",
      title: "Speed vs depth",
      spec: {
        ...base,
        width: 260,
        title: "tok/s vs context depth",
        data: { values: d },
        mark: { type: "line", point: true },
        encoding: {
          x: { field: "depth", type: "quantitative", title: "depth (tokens already in context)" },
          y: { field: "tps", type: "quantitative", title: "tok/s" },
          color: { field: "model", type: "nominal" },
          column: { field: "phase", type: "nominal", title: null },
        },
        resolve: { scale: { y: "independent" } },
      } as TopLevelSpec,
    });
  }
  const par = ok
    .filter((x) => x.record.params.pp === 0 && x.record.params.depth === 0 && (x.parallelTg || x.tg))
    .map((x) => ({ model: x.model, parallel: x.record.params.parallel, tps: (x.parallelTg ?? x.tg)!.mean }));
  if (new Set(par.map((p) => p.parallel)).size > 1) {
    out.push({
      id: "parallel",
      title: "Parallel-sequence scaling",
      spec: {
        ...base,
        title: "Aggregate generation tok/s vs parallel sequences",
        data: { values: par },
        mark: { type: "line", point: true },
        encoding: {
          x: { field: "parallel", type: "quantitative", title: "parallel sequences" },
          y: { field: "tps", type: "quantitative", title: "aggregate tok/s" },
          color: { field: "model", type: "nominal" },
        },
      } as TopLevelSpec,
    });
  }
  const serving = r.rows
    .filter((x) => x.record.serving && x.status === "ok")
    .map((x) => ({
      model: x.model,
      c: x.record.serving!.concurrency,
      tps: x.record.serving!.aggregateTokPerSec,
      ttft99: x.record.serving!.ttftMs?.p99 ?? null,
    }));
  if (serving.length) {
    out.push({
      id: "serving-throughput",
      title: "Throughput vs concurrency (HTTP)",
      spec: {
        ...base,
        title: "Aggregate output tok/s vs concurrent requests",
        data: { values: serving },
        mark: { type: "line", point: true },
        encoding: {
          x: { field: "c", type: "quantitative", title: "concurrent requests" },
          y: { field: "tps", type: "quantitative", title: "aggregate tok/s" },
          color: { field: "model", type: "nominal" },
        },
      } as TopLevelSpec,
    });
    out.push({
      id: "serving-ttft",
      title: "TTFT p99 vs concurrency (HTTP)",
      spec: {
        ...base,
        title: "Time to first token, p99, vs concurrent requests",
        data: { values: serving.filter((s) => s.ttft99 !== null) },
        mark: { type: "line", point: true },
        encoding: {
          x: { field: "c", type: "quantitative", title: "concurrent requests" },
          y: { field: "ttft99", type: "quantitative", title: "TTFT p99 (ms)" },
          color: { field: "model", type: "nominal" },
        },
      } as TopLevelSpec,
    });
  }
  const eff = r.rows
    .filter((x) => x.tgTokPerJ && x.tg)
    .map((x) => ({ model: x.model, quant: x.quant, tps: x.tg!.mean, tpj: x.tgTokPerJ!.gross }));
  if (eff.length) {
    out.push({
      id: "efficiency",
      title: "Energy efficiency vs speed",
      spec: {
        ...base,
        title: "tokens per joule vs tok/s (generation)",
        data: { values: eff },
        mark: { type: "point", filled: true, size: 80 },
        encoding: {
          x: { field: "tps", type: "quantitative", title: "tok/s" },
          y: { field: "tpj", type: "quantitative", title: "tokens per joule" },
          color: { field: "model", type: "nominal" },
          shape: { field: "quant", type: "nominal" },
        },
      } as TopLevelSpec,
    });
  }
  // VRAM stacked (weights + KV) against context, one bar group per model at its middle quant, with the card's capacity
  const models = [...new Map(r.rows.map((x) => [x.record.model.ref, x])).values()].filter((x) =>
    facts.has(x.record.model.ref),
  );
  const pick = new Map<string, (typeof models)[number]>();
  for (const m of models) {
    const fam = family(m);
    const cur = pick.get(fam);
    const target = QUANT_ORDER.indexOf("Q4_K_M");
    if (!cur || Math.abs(quantRank(m.quant) - target) < Math.abs(quantRank(cur.quant) - target)) pick.set(fam, m);
  }
  if (pick.size) {
    const v: { model: string; ctx: string; part: string; gb: number }[] = [];
    for (const [fam, m] of pick) {
      const f = facts.get(m.record.model.ref)!;
      for (const ctx of [4096, 8192, 16384, 32768]) {
        const label = `${f.fullScaleOf ? `${fam.replace(/ \(\w+\)$/, "")} (full size)` : fam} ${m.quant}`;
        v.push({ model: label, ctx: `${ctx / 1024}k`, part: "weights", gb: f.tensorBytes / 1e9 });
        v.push({ model: label, ctx: `${ctx / 1024}k`, part: "KV cache (f16)", gb: kvBytes(f, ctx).total / 1e9 });
      }
    }
    const cap = (r.options.cardVramGiB * 1024 ** 3) / 1e9;
    out.push({
      id: "vram",
      title: "VRAM vs context (estimate)",
      spec: {
        ...base,
        width: 200,
        title: `Estimated VRAM (weights + f16 KV) vs context; line: ${r.options.cardName}`,
        data: { values: v },
        facet: { column: { field: "model", type: "nominal", title: null } },
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
                y: {
                  field: "gb",
                  type: "quantitative",
                  aggregate: "sum",
                  title: "GB (estimate; compute buffers not included)",
                },
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
    });
  }
  return out;
}
