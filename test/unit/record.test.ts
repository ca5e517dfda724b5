import { describe, expect, it } from "vitest";
import { outcomeLine, outcomeOf, parseAllowFailures, runExitCode } from "../../src/results/outcome.js";
import { checkedRecord, failedRecord, okRecord } from "../../src/results/record.js";
import { ResultRecord, SCHEMA_VERSION } from "../../src/results/schema.js";
import { baseFixture, recordFixture } from "../recordFixture.js";

describe("record factory", () => {
  it("an ok record carries the identity, the phases and no error, and validates", () => {
    const r = recordFixture();
    expect(ResultRecord.parse(r)).toEqual(r);
    expect(r.schemaVersion).toBe(SCHEMA_VERSION);
    expect(r.schemaVersion).toBe(2);
    expect(r.status).toBe("ok");
    expect(r.error).toBeNull();
    expect(r.executor).toBe("llama");
    expect(r.telemetry).toEqual({ status: "unavailable", reason: "no telemetry" });
    expect(r.pp!.samplesMs).toEqual([10, 20, 40]);
  });

  it("a failed record has no measurements, keeps the stderr tail (last 4000 chars) and the attempts", () => {
    const stderr = `${"a".repeat(5000)}failed to allocate buffer of size 1024`;
    const r = failedRecord(baseFixture(), { status: "oom", message: "m", stderr, attempts: 2 });
    expect(ResultRecord.safeParse(r).success).toBe(true);
    expect([r.pp, r.tg, r.parallelTg, r.memory]).toEqual([null, null, null, null]);
    expect(r.error!.stderrTail!.length).toBe(4000);
    expect(r.error!.stderrTail!.endsWith("size 1024")).toBe(true);
    expect(r.error!.attempts).toBe(2);
  });

  it("a record that fails validation becomes an error record naming the field", () => {
    const bad = okRecord(baseFixture(), {
      pp: { tokens: 64, samplesMs: [10, Number.NaN, 40], warmup: 1, itlMs: null },
      tg: null,
      parallelTg: null,
    });
    const checked = checkedRecord(bad);
    if (!("record" in checked)) throw new Error("expected a record");
    expect(checked.record.status).toBe("error");
    expect(checked.record.pp).toBeNull();
    expect(checked.record.error!.message).toMatch(/field pp\.samplesMs\.1: /);
    expect(checked.record.key).toBe("m|pp64");
  });

  it("a record whose identity is invalid cannot be written at all", () => {
    const r = recordFixture();
    const broken = { ...r, params: { ...r.params, ctx: Number.NaN } };
    const checked = checkedRecord(broken);
    expect("invalid" in checked && checked.invalid).toMatch(/field params\.ctx/);
  });
});

describe("outcome and exit code (COORDINATION decision 2)", () => {
  const recs = [
    { status: "ok" as const },
    { status: "oom" as const },
    { status: "oom" as const },
    { status: "error" as const },
    { status: "ok" as const },
  ];
  it('says "N ok, M failed (oom 2, error 1)"', () => {
    expect(outcomeLine(outcomeOf(recs))).toBe("2 ok, 3 failed (oom 2, error 1)");
    expect(outcomeLine(outcomeOf([{ status: "ok" }]))).toBe("1 ok, 0 failed");
  });
  it("exits 1 on a failure unless every failed status is allowed; 130 when interrupted", () => {
    const o = outcomeOf(recs);
    expect(runExitCode(o, parseAllowFailures(undefined), false)).toBe(1);
    expect(runExitCode(o, parseAllowFailures("oom"), false)).toBe(1);
    expect(runExitCode(o, parseAllowFailures("oom,error"), false)).toBe(0);
    expect(runExitCode(o, parseAllowFailures("all"), false)).toBe(0);
    expect(runExitCode(outcomeOf([{ status: "ok" }]), new Set(), false)).toBe(0);
    expect(runExitCode(outcomeOf([]), new Set(), true)).toBe(130);
  });
  it("an unknown status in --allow-failures is a one-line usage error", () => {
    expect(() => parseAllowFailures("oom,segfault")).toThrow(/"segfault" is not a failure status/);
  });
});
