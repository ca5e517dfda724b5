/** history edges: build ids and labels, first-measured order, newest record per build, series labels, the metric. */
import { describe, expect, it } from "vitest";
import { buildOf, history } from "../../src/analysis/history.js";
import type { ResultRecord } from "../../src/results/schema.js";
import { makeRecord, phase } from "./makeRecord.js";

const opts = { metric: "tg" as const, threshold: 0.03, alpha: 0.05 };
const BASE = [1000, 1010, 990, 1000];
const SLOW = BASE.map((ms) => ms * 1.25);

interface Spec {
  commit?: string | null;
  release?: string | null;
  day?: number;
  hour?: number;
  model?: string;
  ms?: number[];
  ppMs?: number[];
  threads?: number;
  quant?: string;
  sha?: string;
  status?: ResultRecord["status"];
  serving?: boolean;
}

/** A tg128 record (pp64 too where ppMs is given) of `model` on build commit/release, 2026-01-<day>. */
function rec(s: Spec): ResultRecord {
  const ok = (s.status ?? "ok") === "ok";
  const r = makeRecord({
    model: s.model ?? "a",
    quant: s.quant,
    threads: s.threads ?? 4,
    pp: s.ppMs ? 64 : 0,
    tg: 128,
    status: s.status,
    sha: s.sha ?? "f".repeat(64),
    ppPhase: s.ppMs ? phase(64, s.ppMs) : null,
    tgPhase: phase(128, s.ms ?? BASE),
  });
  const day = String(s.day ?? 1).padStart(2, "0");
  const hour = String(s.hour ?? 10).padStart(2, "0");
  return {
    ...r,
    timestamp: `2026-01-${day}T${hour}:00:00.000Z`,
    env: {
      ...r.env,
      llamaCppCommit: s.commit === undefined ? "aaa1111" : s.commit,
      llamaCppRelease: s.release === undefined ? null : s.release,
    },
    ...(ok ? {} : { tg: null, pp: null }),
    ...(s.serving ? { serving: {} as NonNullable<ResultRecord["serving"]> } : {}),
  };
}

describe("builds", () => {
  it("id: the commit, else the release, else 'unknown'", () => {
    expect(buildOf(rec({ commit: "abc", release: "b1" }))).toBe("abc");
    expect(buildOf(rec({ commit: null, release: "b5001" }))).toBe("b5001");
    expect(buildOf(rec({ commit: null, release: null }))).toBe("unknown");
  });

  it("labels: release and short commit, the one alone, or 'unknown'; with the first day measured", () => {
    const h = history(
      [
        rec({ commit: "abcdef0123456", release: "b5001", day: 1 }),
        rec({ commit: "1234567", release: "b5002-1234567", day: 2 }),
        rec({ commit: null, release: "b5003", day: 3 }),
        rec({ commit: "9876543", release: null, day: 4 }),
        rec({ commit: null, release: null, day: 5 }),
      ],
      opts,
    );
    expect(h.builds).toEqual([
      {
        id: "abcdef0123456",
        commit: "abcdef0123456",
        release: "b5001",
        firstMeasured: "2026-01-01T10:00:00.000Z",
        label: "b5001 abcdef0 (2026-01-01)",
      },
      {
        id: "1234567",
        commit: "1234567",
        release: "b5002-1234567",
        firstMeasured: "2026-01-02T10:00:00.000Z",
        label: "1234567 (2026-01-02)",
      },
      {
        id: "b5003",
        commit: null,
        release: "b5003",
        firstMeasured: "2026-01-03T10:00:00.000Z",
        label: "b5003 (2026-01-03)",
      },
      {
        id: "9876543",
        commit: "9876543",
        release: null,
        firstMeasured: "2026-01-04T10:00:00.000Z",
        label: "9876543 (2026-01-04)",
      },
      {
        id: "unknown",
        commit: null,
        release: null,
        firstMeasured: "2026-01-05T10:00:00.000Z",
        label: "unknown (2026-01-05)",
      },
    ]);
  });

  it("a build's first measurement is its earliest record, whatever the order given", () => {
    const h = history(
      [
        rec({ commit: "bbb2222", day: 5 }),
        rec({ commit: "aaa1111", day: 3 }),
        rec({ commit: "aaa1111", day: 1 }),
        rec({ commit: "aaa1111", day: 2 }),
        rec({ commit: "bbb2222", day: 4 }),
      ],
      opts,
    );
    expect(h.builds.map((b) => [b.id, b.firstMeasured.slice(0, 10)])).toEqual([
      ["aaa1111", "2026-01-01"],
      ["bbb2222", "2026-01-04"],
    ]);
  });

  it("a build's label comes from its first record given where its earliest records tie", () => {
    const h = history([rec({ commit: "abc1234", release: "b1" }), rec({ commit: "abc1234", release: "b2" })], opts);
    expect(h.builds.map((b) => [b.release, b.label])).toEqual([["b1", "b1 abc1234 (2026-01-01)"]]);
  });

  it("builds first measured at the same time are ordered by id", () => {
    const h = history([rec({ commit: "zzz9999", day: 1 }), rec({ commit: "mmm5555", day: 1 })], opts);
    expect(h.builds.map((b) => b.id)).toEqual(["mmm5555", "zzz9999"]);
  });
});

describe("records that count", () => {
  it("the newest record of a series in a build counts, the later given where they tie", () => {
    // aaa1111: SLOW on day 2, BASE on day 1, listed newest first → SLOW counts → bbb2222 (BASE) is faster
    const h = history(
      [
        rec({ commit: "aaa1111", day: 2, ms: SLOW }),
        rec({ commit: "aaa1111", day: 1, ms: BASE }),
        rec({ commit: "aaa1111", day: 1, ms: BASE }),
        rec({ commit: "bbb2222", day: 3, ms: BASE }),
      ],
      opts,
    );
    expect(h.points).toHaveLength(2);
    // SLOW: every repetition 1.25× longer, so the mean rate is (128 + 128/1.01 + 128/0.99 + 128)/4 ÷ 1.25
    const base = (128 + 128 / 1.01 + 128 / 0.99 + 128) / 4;
    expect(h.points[0]!.rate.mean).toBeCloseTo(base / 1.25, 9);
    expect(h.steps.map((s) => [s.from, s.to, s.verdict])).toEqual([["aaa1111", "bbb2222", "faster"]]);
    expect(h.regressions).toEqual([]);

    const tie = history(
      [
        rec({ commit: "aaa1111", day: 1, ms: BASE }),
        rec({ commit: "aaa1111", day: 1, ms: SLOW }),
        rec({ commit: "bbb2222", day: 2, ms: BASE }),
      ],
      opts,
    );
    expect(tie.points[0]!.rate.mean).toBeCloseTo(base / 1.25, 9);
    expect(tie.regressions).toEqual([]);
  });

  it("serving records and records without the metric's phase are left out; failures stay, without a point", () => {
    const h = history(
      [
        rec({ commit: "aaa1111", day: 1 }),
        rec({ commit: "sss0000", day: 2, serving: true }),
        rec({ commit: "bbb2222", day: 3, status: "oom" }),
      ],
      opts,
    );
    expect(h.builds.map((b) => b.id)).toEqual(["aaa1111", "bbb2222"]);
    expect(h.points.map((p) => p.build)).toEqual(["aaa1111"]);
    expect(h.steps.map((s) => [s.from, s.to, s.verdict])).toEqual([["aaa1111", "bbb2222", "failed"]]);
    expect(h.regressions).toHaveLength(1);
    const pp = history([rec({ commit: "aaa1111", day: 1 })], { ...opts, metric: "pp" });
    expect(pp.builds).toEqual([]);
    expect(pp.points).toEqual([]);
  });

  it("metric pp: the pp phase is judged, and only its rows become steps", () => {
    const records = [
      rec({ commit: "aaa1111", day: 1, ppMs: [100, 100, 100], ms: BASE }),
      rec({ commit: "bbb2222", day: 2, ppMs: [125, 125, 125], ms: BASE }),
    ];
    const pp = history(records, { ...opts, metric: "pp" });
    expect(pp.metric).toBe("pp");
    // 64 tokens in 0.1 s = 640 tok/s
    expect(pp.points.map((p) => p.rate.mean)).toEqual([640, 512]);
    expect(pp.steps).toHaveLength(1);
    expect(pp.steps[0]).toMatchObject({ from: "aaa1111", to: "bbb2222", verdict: "slower" });
    expect(pp.steps[0]!.ratio).toBeCloseTo(0.8, 12);
    const tg = history(records, opts);
    expect(tg.steps).toHaveLength(1);
    expect(tg.steps[0]!.ratio).toBeCloseTo(1, 12);
    expect(tg.regressions).toEqual([]);
  });
});

describe("series labels", () => {
  it("model and test, plus the configuration where series of that model and test differ", () => {
    const h = history([rec({ threads: 4 }), rec({ threads: 8 }), rec({ model: "b", sha: "b".repeat(64) })], opts);
    expect([...h.series.values()].sort()).toEqual([
      "a Q4_K_M tg128 (4 threads)",
      "a Q4_K_M tg128 (8 threads)",
      "b Q4_K_M tg128",
    ]);
  });

  it("two files with the same label are two series with the same label, the model not repeated", () => {
    const h = history([rec({ sha: "1".repeat(64) }), rec({ sha: "2".repeat(64) })], opts);
    expect(h.series.size).toBe(2);
    expect([...h.series.values()]).toEqual(["a Q4_K_M tg128", "a Q4_K_M tg128"]);
  });
});
