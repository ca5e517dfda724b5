import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { readEnvFile, writeEnvFile } from "../../src/results/envFile.js";
import { baseFixture } from "../recordFixture.js";
import { tmp } from "../helpers.js";

describe("env.json", () => {
  it("round-trips through the one writer and the validated reader", () => {
    const d = tmp();
    const written = writeEnvFile(d, {
      runId: "r1",
      suite: "s",
      executor: "mock",
      env: baseFixture().env,
      startedAt: "2026-01-01T00:00:00.000Z",
      argv: ["run", "s.yaml"],
      gpuPriceUsd: 300,
    });
    expect(written.schemaVersion).toBe(2);
    expect(readEnvFile(d)).toEqual(written);
  });

  it("reads a version-1 run env.json (executor inferred from the backend)", () => {
    const d = tmp();
    const env = { ...baseFixture().env, backend: "mock" };
    writeFileSync(
      join(d, "env.json"),
      JSON.stringify({ schemaVersion: 1, runId: "r", suite: "s", env, argv: [], startedAt: "t", gpuPriceUsd: 250 }),
    );
    const e = readEnvFile(d)!;
    expect(e.executor).toBe("mock");
    expect(e.gpuPriceUsd).toBe(250);
  });

  it("reads a version-1 import env.json", () => {
    const d = join(tmp(), "imp-1");
    mkdirSync(d);
    writeFileSync(
      join(d, "env.json"),
      JSON.stringify({ source: "llama-bench", file: "/x.json", format: "json", importedAt: "t" }),
    );
    const e = readEnvFile(d)!;
    expect(e).toMatchObject({ executor: "import", runId: "imp-1", env: null, import: { file: "/x.json" } });
  });

  it("no env.json is null; a wrong one is a one-line error naming the field", () => {
    const d = tmp();
    expect(readEnvFile(d)).toBeNull();
    writeFileSync(join(d, "env.json"), JSON.stringify({ schemaVersion: 2, runId: 7 }));
    expect(() => readEnvFile(d)).toThrow(/env\.json: field runId: /);
    writeFileSync(join(d, "env.json"), "{");
    expect(() => readEnvFile(d)).toThrow(/env\.json: not valid JSON/);
  });
});
