/**
 * Cross-card report figures from hand-made records of two cards (an RTX 3060 on host "a" and an RTX 4060 Ti on
 * host "b", the seed article's pair): tok/s, tok/J and tok/s per $ per card worked out by hand, every setup
 * labelled with its host, driver and llama.cpp build, and the section absent with one card.
 */
import { describe, expect, it } from "vitest";
import { buildReport, type ReportOptions } from "../../src/analysis/buildReport.js";
import { perCard } from "../../src/analysis/perCard.js";
import { aggregate } from "../../src/analysis/aggregate.js";
import { perCardCharts } from "../../src/export/perCardCharts.js";
import { perCardMarkdown } from "../../src/export/perCardTables.js";
import { renderSvg } from "../../src/export/render.js";
import { reportMarkdown } from "../../src/export/reportMarkdown.js";
import type { ResultRecord } from "../../src/results/schema.js";

interface Card {
  gpu: string;
  host: string;
  driver: string;
  watts: number;
}
const RTX3060: Card = { gpu: "NVIDIA GeForce RTX 3060", host: "a", driver: "550.54", watts: 165 };
const RTX4060TI: Card = { gpu: "NVIDIA GeForce RTX 4060 Ti", host: "b", driver: "560.35", watts: 150 };

/** `test` of model `moe` (LFM2 MoE) or dense (Llama) at Q4_K_M on `card`: every repetition takes `ms`. */
function rec(card: Card, moe: boolean, test: "pp512" | "tg128", ms: number, threads = 8): ResultRecord {
  const model = moe ? "lfm2-8b-a1b Q4_K_M" : "llama-3.1-8b Q4_K_M";
  const tokens = test === "pp512" ? 512 : 128;
  const phase = {
    tokens,
    samplesMs: [ms, ms, ms],
    warmup: 1,
    // energy per repetition: watts × seconds
    joules: [1, 2, 3].map(() => (card.watts * ms) / 1000),
  };
  return {
    schemaVersion: 2,
    runId: `run-${card.host}`,
    suite: "cards",
    key: `${model}|${test}`,
    testId: test,
    status: "ok",
    timestamp: "2026-03-01T10:00:00.000Z",
    model: {
      ref: model,
      label: model,
      path: `/m/${model}.gguf`,
      sizeBytes: 4.9e9,
      headerSha256: (moe ? "a" : "b").repeat(64),
      arch: moe ? "lfm2moe" : "llama",
      fileType: "Q4_K_M",
      quant: "Q4_K_M",
      params: 8e9,
      activeParams: moe ? 1.5e9 : 8e9,
      isMoe: moe,
      synthetic: null,
    },
    params: {
      pp: test === "pp512" ? 512 : 0,
      tg: test === "tg128" ? 128 : 0,
      depth: 0,
      parallel: 1,
      ctx: 1024,
      kvK: "f16",
      kvV: "f16",
      flashAttention: true,
      gpuLayers: "max",
      threads,
      batch: 512,
      ubatch: 512,
      backend: "cuda",
      tgMode: "decode",
    },
    env: {
      llamaCppRelease: "b5000",
      llamaCppCommit: "abcdef123456",
      nodeLlamaCpp: "3.22.1",
      backend: "cuda",
      gpus: [{ name: card.gpu, uuid: null, driver: card.driver, vramBytes: null }],
      host: card.host,
      os: "linux",
      cpu: "cpu",
      cpuCores: 8,
      node: "v20",
      moebench: "0",
    },
    pp: test === "pp512" ? phase : null,
    tg: test === "tg128" ? phase : null,
    parallelTg: null,
    telemetry: { status: "ok", reason: null },
    memory: null,
    loadMs: null,
    warnings: [],
    error: null,
  };
}

// tg128: 3060 MoE 4000 ms → 32 tok/s, dense 6400 ms → 20; 4060 Ti MoE 3200 ms → 40, dense 4000 ms → 32.
// pp512: 3060 MoE 400 ms → 1280 tok/s; 4060 Ti MoE 256 ms → 2000 (different thread counts: a host detail)
const records = [
  rec(RTX3060, true, "tg128", 4000),
  rec(RTX3060, false, "tg128", 6400),
  rec(RTX3060, true, "pp512", 400),
  rec(RTX4060TI, true, "tg128", 3200, 16),
  rec(RTX4060TI, false, "tg128", 4000, 16),
  rec(RTX4060TI, true, "pp512", 256, 16),
];
const prices = { priceBasis: "launch MSRP" as const, kwhPriceUsd: 0.15, lifetimeHours: 8760 };

describe("per-card figures", () => {
  const p = perCard(aggregate(records), prices)!;

  it("one setup per card, labelled with host, driver and llama.cpp build", () => {
    expect(p.setups.map((s) => s.label)).toEqual([
      "NVIDIA GeForce RTX 3060 · host a · driver 550.54 · llama.cpp b5000 (abcdef1)",
      "NVIDIA GeForce RTX 4060 Ti · host b · driver 560.35 · llama.cpp b5000 (abcdef1)",
    ]);
    expect(p.setups.map((s) => s.pricing?.usd)).toEqual([329, 499]);
  });

  it("tok/s, tok/J and tok/s per $ by card, MoE first", () => {
    expect(p.rows.map((r) => r.model)).toEqual(["lfm2-8b-a1b Q4_K_M", "llama-3.1-8b Q4_K_M"]);
    const [a, b] = p.setups.map((s) => s.id) as [string, string];
    const moe = p.rows[0]!.cells;
    expect(moe[a]!.tg!.mean).toBeCloseTo(32, 9);
    expect(moe[b]!.tg!.mean).toBeCloseTo(40, 9);
    expect(moe[a]!.pp!.mean).toBeCloseTo(1280, 9);
    expect(moe[b]!.pp!.mean).toBeCloseTo(2000, 9);
    // tok/J: 128 tokens per repetition over 165 W × 4 s = 660 J; 150 W × 3.2 s = 480 J
    expect(moe[a]!.tgTokPerJ).toBeCloseTo(128 / 660, 12);
    expect(moe[b]!.tgTokPerJ).toBeCloseTo(128 / 480, 12);
    // tok/s per $ at launch MSRP: 32 / 329 = 0.0973, 40 / 499 = 0.0802 (the article: 0.1 and 0.084 used)
    expect(moe[a]!.tgPerDollar).toBeCloseTo(32 / 329, 12);
    expect(moe[b]!.tgPerDollar).toBeCloseTo(40 / 499, 12);
    const dense = p.rows[1]!.cells;
    expect(dense[a]!.tg!.mean).toBeCloseTo(20, 9);
    expect(dense[b]!.tg!.mean).toBeCloseTo(32, 9);
    expect(dense[a]!.pp).toBeNull();
  });

  it("Markdown: the article's shape, a column per card", () => {
    const md = perCardMarkdown(p);
    expect(md).toContain("## By card");
    expect(md).toMatch(/\| model +\| quant +\| on NVIDIA GeForce RTX 3060 +\| on NVIDIA GeForce RTX 4060 Ti +\|/);
    expect(md).toMatch(
      /\| lfm2-8b-a1b Q4_K_M +\| Q4_K_M +\| +32\.00 \(32\.00–32\.00\) +\| +40\.00 \(40\.00–40\.00\) +\|/,
    );
    expect(md).toContain("### Generation tok/s per $ by card");
    expect(md).toMatch(/\| 550\.54 +\| b5000 \(abcdef1\)/);
  });

  it("the same GPU model on two hosts: two setups, told apart by host", () => {
    const twin = { ...RTX3060, host: "c" };
    const q = perCard(aggregate([rec(RTX3060, true, "tg128", 4000), rec(twin, true, "tg128", 4100)]), prices)!;
    expect(q.setups.map((s) => s.short)).toEqual([
      "NVIDIA GeForce RTX 3060 (a, b5000 (abcdef1))",
      "NVIDIA GeForce RTX 3060 (c, b5000 (abcdef1))",
    ]);
  });

  it("one card only: no per-card section", () => {
    expect(perCard(aggregate(records.filter((r) => r.env.host === "a")), prices)).toBeNull();
  });

  it("in the report: the section and its charts, which render", async () => {
    const o: ReportOptions = { ...prices, cardVramGiB: 12, cardName: "RTX 3060 12GB" };
    const report = buildReport(records, new Map(), o);
    expect(reportMarkdown(report)).toContain("## By card");
    const charts = perCardCharts(report.perCard);
    expect(charts.map((c) => c.id)).toEqual([
      "by-card-tg",
      "by-card-pp",
      "by-card-tok-per-j",
      "by-card-tok-per-dollar",
    ]);
    const svg = await renderSvg(charts[0]!.spec);
    expect(svg).toContain("host b · driver 560.35 · llama.cpp b5000 (abcdef1)");
  });
});
