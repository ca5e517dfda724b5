/** A valid record built through the factory, for tests that need one (fields chosen by hand). */
import { okRecord, type RecordBase } from "../src/results/record.js";
import type { Env, ResultRecord } from "../src/results/schema.js";

/** A machine with nothing known about llama.cpp (tests override what they need). */
export const BARE_HOST: Env = {
  llamaCppRelease: null,
  llamaCppCommit: null,
  nodeLlamaCpp: null,
  backend: "cpu",
  gpus: [],
  host: "h",
  os: "linux",
  cpu: "c",
  cpuCores: 2,
  node: "v20",
  moebench: "0",
};

export function baseFixture(key = "m|pp64"): RecordBase {
  return {
    runId: "r1",
    suite: "s",
    key,
    testId: "pp64",
    model: {
      ref: "synth:x:Q4_K_M",
      label: "x",
      path: "/m/x.gguf",
      sizeBytes: 1000,
      headerSha256: null,
      arch: "llama",
      fileType: "Q4_K_M",
      quant: "Q4_K_M",
      params: 100,
      activeParams: 100,
      isMoe: false,
      synthetic: null,
    },
    params: {
      pp: 64,
      tg: 0,
      depth: 0,
      parallel: 1,
      ctx: 128,
      kvK: "f16",
      kvV: "f16",
      flashAttention: false,
      gpuLayers: "max",
      threads: 1,
      batch: 512,
      ubatch: 512,
      backend: "cpu",
      tgMode: "decode",
    },
    env: { ...BARE_HOST, llamaCppRelease: "b1", moebench: "0.1.0" },
    executor: "llama",
    timestamp: "2026-01-01T00:00:00.000Z",
  };
}

/** An ok pp64 record whose 3 repetitions took 10, 20 and 40 ms. */
export function recordFixture(key = "m|pp64"): ResultRecord {
  return okRecord(baseFixture(key), {
    pp: { tokens: 64, samplesMs: [10, 20, 40], warmup: 1, itlMs: null },
    tg: null,
    parallelTg: null,
  });
}
