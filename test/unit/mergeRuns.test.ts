import { describe, expect, it } from "vitest";
import { type ShardInput, mergeShards } from "../../src/results/mergeRuns.js";
import type { PlanFile } from "../../src/results/planFile.js";
import type { EnvFile, ResultRecord } from "../../src/results/schema.js";
import { MoebenchError } from "../../src/util/errors.js";
import { baseFixture } from "../recordFixture.js";
import { makeRecord } from "./makeRecord.js";

/** A 4-shard plan of five instances: a and e on shard 1, b on 2, c on 3, d on 4. */
function plan(planHash = "H"): PlanFile {
  return {
    planVersion: 1,
    planHash,
    suite: "suite-a",
    runId: "run-A",
    count: 4,
    loads: [2, 1, 1, 1],
    unit: "instances",
    instances: [
      { key: "a", testId: "pp64", model: "m", shard: 1 },
      { key: "b", testId: "pp64", model: "m", shard: 2 },
      { key: "c", testId: "pp64", model: "m", shard: 3 },
      { key: "d", testId: "pp64", model: "m", shard: 4 },
      { key: "e", testId: "pp64", model: "m", shard: 1 },
    ],
  };
}

function machine(host: string): NonNullable<EnvFile["env"]> {
  return { ...baseFixture().env, host };
}

function shardEnv(
  index: number,
  o: {
    planHash?: string;
    startedAt?: string;
    gpuPriceUsd?: number;
    executor?: EnvFile["executor"];
    host?: string | null;
  } = {},
): EnvFile {
  return {
    schemaVersion: 2,
    runId: `shard-run-${index}`,
    suite: `shard-suite-${index}`,
    executor: o.executor ?? "mock",
    env: o.host === null ? null : machine(o.host ?? `h${index}`),
    startedAt: o.startedAt ?? `2026-01-0${index}T00:00:00.000Z`,
    argv: ["run", `--shard=${index}/4`],
    ...(o.gpuPriceUsd ? { gpuPriceUsd: o.gpuPriceUsd } : {}),
    shard: { index, count: 4, planHash: o.planHash ?? "H", source: "flag" },
  };
}

/** A record for `key`, tagged with `tag` (in testId) so a test can tell which shard's copy was kept. */
function rec(key: string, tag: string, shard?: { index: number; planHash: string }): ResultRecord {
  return {
    ...makeRecord({ testId: tag }),
    key,
    ...(shard ? { shard: { index: shard.index, count: 4, planHash: shard.planHash } } : {}),
  };
}

function shard(dir: string, env: EnvFile | null, p: PlanFile | null, records: ResultRecord[] | null): ShardInput {
  return { dir, env, plan: p, records };
}

function caught(f: () => unknown): MoebenchError {
  try {
    f();
  } catch (e) {
    if (e instanceof MoebenchError) return e;
    throw e;
  }
  throw new Error("expected a MoebenchError");
}

describe("mergeShards: the shards of one run → one run", () => {
  /** Shards 2, 1 and 4 of 4, given in that order (shard 3's folder never arrived); built inside each test. */
  function merged() {
    const s2 = shard("/runs/s2", shardEnv(2, { gpuPriceUsd: 250, startedAt: "2026-01-02T00:00:00.000Z" }), plan(), [
      rec("b", "b@2", { index: 2, planHash: "H" }),
      rec("a", "a@2", { index: 2, planHash: "H" }),
      rec("http-2", "x@2"),
    ]);
    const s1 = shard("/runs/s1", shardEnv(1, { gpuPriceUsd: 300, startedAt: "2026-01-03T00:00:00.000Z" }), plan(), [
      rec("a", "a@1", { index: 1, planHash: "H" }),
      rec("e", "e@1"),
      rec("http-1", "x@1"),
    ]);
    const s4 = shard("/runs/s4", shardEnv(4, { host: null, startedAt: "2026-01-01T00:00:00.000Z" }), plan(), null);
    return mergeShards([s2, s1, s4], ["merge", "/runs/s2", "/runs/s1", "/runs/s4"]);
  }

  it("records: the plan's instances in plan order (first copy of a duplicate wins), then the ones outside the plan", () => {
    const m = merged();
    expect(m.records.map((r) => `${r.key}:${r.testId}`)).toEqual([
      "a:a@2",
      "b:b@2",
      "e:e@1",
      "http-2:x@2",
      "http-1:x@1",
    ]);
  });

  it("names the missing instances, the duplicates (with every folder) and the absent shards", () => {
    const m = merged();
    expect(m.missing).toEqual([
      { key: "c", testId: "pp64", model: "m", shard: 3 },
      { key: "d", testId: "pp64", model: "m", shard: 4 },
    ]);
    expect(m.duplicates).toEqual([{ key: "a", dirs: ["/runs/s2", "/runs/s1"] }]);
    expect(m.absentShards).toEqual([3]);
    expect(m.plan).toEqual(plan());
  });

  it("env: the plan's run id and suite, shard 1's machine and price, the earliest start, and every shard", () => {
    const m = merged();
    expect(m.env).toEqual({
      runId: "run-A",
      suite: "suite-a",
      executor: "mock",
      env: machine("h1"),
      startedAt: "2026-01-01T00:00:00.000Z",
      argv: ["merge", "/runs/s2", "/runs/s1", "/runs/s4"],
      gpuPriceUsd: 300,
      merged: {
        planHash: "H",
        shards: [
          {
            index: 2,
            count: 4,
            dir: "/runs/s2",
            host: "h2",
            env: machine("h2"),
            startedAt: "2026-01-02T00:00:00.000Z",
            records: 3,
          },
          {
            index: 1,
            count: 4,
            dir: "/runs/s1",
            host: "h1",
            env: machine("h1"),
            startedAt: "2026-01-03T00:00:00.000Z",
            records: 3,
          },
          {
            index: 4,
            count: 4,
            dir: "/runs/s4",
            host: "unknown",
            env: null,
            startedAt: "2026-01-01T00:00:00.000Z",
            records: 0,
          },
        ],
      },
    });
  });

  it("the lowest shard given leads (its price, or none when it has none), all shards present: none absent", () => {
    const t1 = shard("/t/1", shardEnv(1), plan(), [rec("a", "a"), rec("e", "e")]);
    const t2 = shard("/t/2", shardEnv(2, { gpuPriceUsd: 250, host: "other" }), plan(), [rec("b", "b")]);
    const t3 = shard("/t/3", shardEnv(3), plan(), [rec("c", "c")]);
    const t4 = shard("/t/4", shardEnv(4), plan(), [rec("d", "d"), rec("d", "d-again")]);
    const r = mergeShards([t4, t2, t3, t1], []);
    expect("gpuPriceUsd" in r.env).toBe(false);
    expect(r.env.env).toEqual(machine("h1"));
    expect(r.env.startedAt).toBe("2026-01-01T00:00:00.000Z");
    expect(r.absentShards).toEqual([]);
    expect(r.missing).toEqual([]);
    expect(r.duplicates).toEqual([{ key: "d", dirs: ["/t/4", "/t/4"] }]);
    expect(r.records.map((x) => x.testId)).toEqual(["a", "b", "c", "d", "e"]);
  });

  it("shards that recorded nothing add no records and no duplicates", () => {
    const t1 = shard("/t/1", shardEnv(1), plan(), null);
    const t2 = shard("/t/2", shardEnv(2), plan(), null);
    const r = mergeShards([t1, t2], []);
    expect(r.records).toEqual([]);
    expect(r.duplicates).toEqual([]);
    expect(r.missing.map((i) => i.key)).toEqual(["a", "b", "c", "d", "e"]);
    expect(r.absentShards).toEqual([3, 4]);
    expect(r.env.merged?.shards.map((x) => x.records)).toEqual([0, 0]);
  });

  it("no folders: a one-line error", () => {
    const e = caught(() => mergeShards([], []));
    expect(e.message).toBe("merge: no run folders given");
    expect(e.hint).toBe("pass the shards' run folders");
  });

  it("a folder without plan.json, without env.json or without a shard in env.json is not a shard", () => {
    const { shard: _, ...unsharded } = shardEnv(1);
    for (const bad of [
      shard("/x", shardEnv(1), null, []),
      shard("/x", null, plan(), []),
      shard("/x", unsharded, plan(), []),
    ]) {
      const e = caught(() => mergeShards([bad], []));
      expect(e.message).toBe("/x: not a shard of a sharded run (no plan.json or no shard in env.json)");
      expect(e.hint).toBe("merge the folders that `moebench run --shard K/N` (or a job array) wrote");
    }
  });

  it("env.json and plan.json of one shard must agree on the plan hash", () => {
    const e = caught(() => mergeShards([shard("/x", shardEnv(1, { planHash: "H" }), plan("G"), [])], []));
    expect(e.message).toBe("/x: env.json and plan.json disagree on the plan hash");
    expect(e.hint).toBe("re-run this shard");
  });

  it("a record of another plan is refused, naming the record and both hashes", () => {
    const records = [rec("a", "a", { index: 1, planHash: "H" }), rec("e", "e", { index: 1, planHash: "OLD" })];
    const e = caught(() => mergeShards([shard("/x", shardEnv(1), plan(), records)], []));
    expect(e.message).toBe("/x/results.jsonl: record e belongs to plan OLD, not H");
    expect(e.hint).toBe(
      "merge only the shards of one run: the same suite, --filter and moebench version on every host",
    );
  });

  it("shards of different plans are refused, shard 1 named first", () => {
    const a = shard("/s2", shardEnv(2, { planHash: "G" }), plan("G"), []);
    const b = shard("/s1", shardEnv(1), plan(), []);
    const e = caught(() => mergeShards([a, b], []));
    expect(e.message).toBe("/s1 and /s2 come from different plans (H vs G)");
    expect(e.hint).toMatch(/^merge only the shards of one run/);
  });

  it("shards measured by different executors are refused", () => {
    const a = shard("/s2", shardEnv(2, { executor: "llama" }), plan(), []);
    const b = shard("/s1", shardEnv(1), plan(), []);
    const e = caught(() => mergeShards([a, b], []));
    expect(e.message).toBe("/s1 and /s2 were measured by different executors (mock vs llama)");
    expect(e.hint).toBe("merge shards of one executor");
  });
});
