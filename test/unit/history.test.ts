/**
 * history over builds, and the results database, on hand-made records: the planted regression is the one
 * named (its ratio worked out by hand), unchanged steps are not, a series missing from a build is compared
 * with the last build that has it, a failure where it ran is a regression; the database adds idempotently and
 * gives back exactly what it was given.
 */
import { describe, expect, it } from "vitest";
import { history } from "../../src/analysis/history.js";
import { ResultsDb, sqliteFileOf } from "../../src/db/resultsDb.js";
import { llamaBenchSql } from "../../src/export/llamaBenchSql.js";
import type { ResultRecord } from "../../src/results/schema.js";
import { MoebenchError } from "../../src/util/errors.js";

interface Spec {
  build: string;
  day: number;
  model: string;
  /** tg128 repetitions, ms */
  ms?: number[];
  status?: ResultRecord["status"];
}

/** A tg128 record of `model` measured on llama.cpp `build` on 2026-01-<day>. */
function rec(s: Spec): ResultRecord {
  const ok = (s.status ?? "ok") === "ok";
  return {
    schemaVersion: 2,
    runId: `run-${s.build}`,
    suite: "s",
    key: `${s.model}|tg128`,
    testId: "tg128",
    status: s.status ?? "ok",
    timestamp: `2026-01-${String(s.day).padStart(2, "0")}T10:00:00.000Z`,
    model: {
      ref: s.model,
      label: s.model,
      path: `/m/${s.model}.gguf`,
      sizeBytes: 1,
      headerSha256: `${s.model}`.padEnd(64, "0"),
      arch: "llama",
      fileType: "Q4_K_M",
      quant: "Q4_K_M",
      params: 1,
      activeParams: 1,
      isMoe: false,
      synthetic: null,
    },
    params: {
      pp: 0,
      tg: 128,
      depth: 0,
      parallel: 1,
      ctx: 256,
      kvK: "f16",
      kvV: "f16",
      flashAttention: false,
      gpuLayers: "max",
      threads: 4,
      batch: 512,
      ubatch: 512,
      backend: "cuda",
      tgMode: "decode",
    },
    env: {
      llamaCppRelease: null,
      llamaCppCommit: s.build,
      nodeLlamaCpp: null,
      backend: "cuda",
      gpus: [{ name: "RTX 3060", uuid: null, driver: null, vramBytes: null }],
      host: "h",
      os: "linux",
      cpu: "c",
      cpuCores: 8,
      node: "v20",
      moebench: "0",
    },
    pp: null,
    tg: ok ? { tokens: 128, samplesMs: s.ms ?? [1000, 1010, 990, 1000], warmup: 1 } : null,
    parallelTg: null,
    telemetry: { status: "unavailable", reason: null },
    memory: null,
    loadMs: null,
    warnings: [],
    error: ok ? null : { message: "out of memory", stderrTail: null },
  };
}

const BASE = [1000, 1010, 990, 1000];
const SLOW = BASE.map((ms) => ms * 1.25);
const opts = { metric: "tg" as const, threshold: 0.03, alpha: 0.05 };

describe("history", () => {
  // builds measured on days 1, 2, 3 (listed out of order: the order is the first-measured date)
  const records = [
    rec({ build: "ccc3333", day: 3, model: "a" }),
    rec({ build: "aaa1111", day: 1, model: "a" }),
    rec({ build: "bbb2222", day: 2, model: "a", ms: SLOW }),
    rec({ build: "aaa1111", day: 1, model: "b" }),
    rec({ build: "bbb2222", day: 2, model: "b" }),
    rec({ build: "ccc3333", day: 3, model: "b" }),
  ];

  it("names the planted regression and nothing else", () => {
    const h = history(records, opts);
    expect(h.builds.map((b) => b.id)).toEqual(["aaa1111", "bbb2222", "ccc3333"]);
    expect(h.builds[0]!.label).toBe("aaa1111 (2026-01-01)");
    expect(h.regressions).toHaveLength(1);
    const r = h.regressions[0]!;
    expect(h.series.get(r.series)).toBe("a tg128");
    expect([r.from, r.to, r.verdict]).toEqual(["aaa1111", "bbb2222", "slower"]);
    // every repetition 1.25× longer: every rate ÷ 1.25, so the ratio of means is 1 / 1.25 = 0.8 exactly
    expect(r.ratio).toBeCloseTo(0.8, 12);
    // the way back up (b → c) is a step too, judged faster: not a regression
    expect(h.steps.find((s) => s.from === "bbb2222" && h.series.get(s.series) === "a tg128")!.verdict).toBe("faster");
    // 3 points per series; a point's mean is the mean of 128 / seconds: (128/1 + 128/1.01 + 128/0.99 + 128/1)/4
    expect(h.points).toHaveLength(6);
    const a1 = h.points.find((p) => p.build === "aaa1111" && h.series.get(p.series) === "a tg128")!;
    expect(a1.rate.mean).toBeCloseTo((128 + 128 / 1.01 + 128 / 0.99 + 128) / 4, 9);
  });

  it("a series missing from a build is compared with the last build that measured it", () => {
    const h = history(
      [
        rec({ build: "aaa1111", day: 1, model: "a" }),
        rec({ build: "bbb2222", day: 2, model: "b" }),
        rec({ build: "ccc3333", day: 3, model: "a", ms: SLOW }),
      ],
      opts,
    );
    expect(h.regressions.map((s) => [s.from, s.to])).toEqual([["aaa1111", "ccc3333"]]);
  });

  it("a failure where the previous build ran is a regression; the newest record of a build counts", () => {
    const h = history(
      [
        rec({ build: "aaa1111", day: 1, model: "a", ms: SLOW }),
        rec({ build: "aaa1111", day: 2, model: "a" }),
        rec({ build: "bbb2222", day: 3, model: "a" }),
        rec({ build: "ccc3333", day: 4, model: "a", status: "oom" }),
      ],
      opts,
    );
    expect(h.regressions.map((s) => [s.from, s.to, s.verdict])).toEqual([["bbb2222", "ccc3333", "failed"]]);
  });
});

describe("results database", () => {
  const records = [rec({ build: "aaa1111", day: 1, model: "a" }), rec({ build: "aaa1111", day: 1, model: "b" })];

  it("adds a run once, gives the records back exactly, lists the run", async () => {
    const db = await ResultsDb.open(null, "t.sqlite");
    expect(db.add({ runId: "run-aaa1111", suite: "s", source: "/r", env: null, records })).toEqual({
      added: 2,
      present: 0,
    });
    const reopened = await ResultsDb.open(db.bytes(), "t.sqlite");
    expect(reopened.add({ runId: "run-aaa1111", suite: "s", source: "/r", env: null, records })).toEqual({
      added: 0,
      present: 2,
    });
    // the same instance measured again (another host) is another record
    const elsewhere = { ...records[0]!, env: { ...records[0]!.env, host: "h2" } };
    expect(reopened.add({ runId: "run-aaa1111", suite: "s", source: "/r2", env: null, records: [elsewhere] })).toEqual({
      added: 1,
      present: 0,
    });
    expect(reopened.records(["run-aaa1111"])).toEqual([...records, elsewhere]);
    expect(reopened.runs()).toEqual([
      { runId: "run-aaa1111", suite: "s", records: 3, builds: ["aaa1111"], hosts: ["h", "h2"] },
    ]);
  });

  it("refuses a file that is not a moebench database, in one line", async () => {
    const llamaBench = await sqliteFileOf(llamaBenchSql(records).sql);
    await expect(ResultsDb.open(llamaBench, "lb.sqlite")).rejects.toThrow(MoebenchError);
    await expect(ResultsDb.open(llamaBench, "lb.sqlite")).rejects.toThrow(/without moebench's tables \(llama_bench\)/);
    await expect(ResultsDb.open(new TextEncoder().encode("hello, not sqlite"), "x")).rejects.toThrow(
      /not an SQLite database/,
    );
  });
});
