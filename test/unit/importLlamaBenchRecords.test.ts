/**
 * llamaBenchToRecords field by field, on hand-written rows (as parseLlamaBench passes them on, or raw text
 * values): every mapped value and every default worked out by hand.
 */
import { describe, expect, it } from "vitest";
import { llamaBenchToRecords, type ModelIdentityGuess } from "../../src/results/importLlamaBench.js";
import { ResultRecord, type Env } from "../../src/results/schema.js";
import { BARE_HOST } from "../llamaBenchFixture.js";

const host: Env = { ...BARE_HOST, cpu: "host-cpu" };
const opts = { file: "f.json", runId: "r1", host };
const one = (row: Record<string, unknown>, more: Partial<typeof opts> & Record<string, unknown> = {}) =>
  llamaBenchToRecords([row], { ...opts, ...more })[0]!;
const tiny = (o: Record<string, unknown> = {}) => ({
  model_filename: "m.gguf",
  n_prompt: 0,
  n_gen: 16,
  avg_ns: 4_000_000,
  samples_ns: [2_000_000],
  ...o,
});
const NO_SAMPLES = "llama-bench wrote no per-repetition samples (samples_ns): only the mean is known";
const COMBINED =
  "llama-bench pp+tg is one combined timing (prompt and generation tokens together), recorded as tg with " +
  "tokens = n_prompt + n_gen";
const AUTO_FA = "llama-bench flash_attn = -1 (auto): recorded as off; the raw value is in extra.flash_attn";

describe("a full llama-bench row", () => {
  const row = {
    build_commit: "abc1234",
    build_number: 7,
    cpu_info: "EPYC 9654",
    gpu_info: "NVIDIA H100",
    backends: "CUDA",
    model_filename: "/models/moe/m.gguf",
    model_type: "qwen3moe 30B.A3B Q4_K - Medium",
    model_size: 123,
    model_n_params: 456,
    n_batch: 2048,
    n_ubatch: 512,
    n_threads: 8,
    type_k: "q8_0",
    type_v: "q4_0",
    n_gpu_layers: 99,
    flash_attn: 1,
    n_prompt: 512,
    n_gen: 0,
    n_depth: 4096,
    test_time: "2026-01-02T03:04:05Z",
    avg_ns: 2_000_000,
    samples_ns: [1_000_000, 3_000_000],
  };
  it("is a valid record", () => {
    const r = one(row);
    expect(ResultRecord.parse(r)).toBeTruthy();
    expect(r.status).toBe("ok");
  });
  it("maps every field", () => {
    const r = one(row);
    expect(r.runId).toBe("r1");
    expect(r.suite).toBe("llama-bench-import");
    expect(r.executor).toBe("import");
    expect(r.testId).toBe("pp512@d4096");
    expect(r.key).toBe("llama-bench|/models/moe/m.gguf|pp512@d4096|t=8|b=2048|ub=512|kv=q8_0/q4_0|fa=1|ngl=max|#0");
    expect(r.timestamp).toBe("2026-01-02T03:04:05Z");
    expect(r.params).toEqual({
      pp: 512,
      tg: 0,
      depth: 4096,
      parallel: 1,
      // 512 + 0 + 4096
      ctx: 4608,
      kvK: "q8_0",
      kvV: "q4_0",
      flashAttention: true,
      gpuLayers: "max",
      threads: 8,
      batch: 2048,
      ubatch: 512,
      backend: "cuda",
      tgMode: "decode",
    });
    // samples_ns / 1e6
    expect(r.pp).toEqual({ tokens: 512, samplesMs: [1, 3], warmup: 1, itlMs: null });
    expect(r.tg).toBeNull();
    expect(r.model).toEqual({
      ref: "/models/moe/m.gguf",
      label: "m",
      path: "/models/moe/m.gguf",
      sizeBytes: 123,
      headerSha256: null,
      arch: null,
      fileType: "qwen3moe 30B.A3B Q4_K - Medium",
      quant: null,
      params: 456,
      activeParams: null,
      isMoe: null,
      synthetic: null,
    });
    expect(r.env).toEqual({
      ...host,
      llamaCppRelease: "build 7",
      llamaCppCommit: "abc1234",
      nodeLlamaCpp: null,
      backend: "llama-bench (CUDA)",
      gpus: [{ name: "NVIDIA H100", uuid: null, driver: null, vramBytes: null }],
      cpu: "EPYC 9654",
    });
    expect(r.telemetry).toEqual({ status: "unavailable", reason: "imported from llama-bench" });
    expect(r.warnings).toEqual([]);
    expect(r.extra).toEqual({ source: "llama-bench", file: "f.json", ...row });
  });
});

describe("a bare row: the defaults", () => {
  it("defaults", () => {
    const r = one({ model_filename: "m.gguf", n_prompt: 0, n_gen: 16, avg_ns: 4_000_000 });
    expect(ResultRecord.parse(r)).toBeTruthy();
    expect(r.testId).toBe("tg16");
    expect(r.key).toBe("llama-bench|m.gguf|tg16|t=0|b=0|ub=0|kv=undefined/undefined|fa=undefined|ngl=0|#0");
    expect(r.timestamp).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d/);
    expect(r.params).toMatchObject({
      ctx: 16,
      kvK: "f16",
      kvV: "f16",
      flashAttention: false,
      gpuLayers: 0,
      threads: 0,
      batch: 1,
      ubatch: 1,
      backend: "cpu",
    });
    // the mean, 4 ms, is the one sample
    expect(r.tg).toEqual({ tokens: 16, samplesMs: [4], warmup: 1, itlMs: null });
    expect(r.pp).toBeNull();
    expect(r.model).toMatchObject({ label: "m", sizeBytes: null, fileType: null, params: null });
    expect(r.env).toEqual({ ...host, backend: "llama-bench", llamaCppRelease: null, llamaCppCommit: null, gpus: [] });
    expect(r.warnings).toEqual([NO_SAMPLES]);
  });
  it("no model file name is 'unknown'; no timing at all is no sample", () => {
    const u = one({ n_gen: 4 });
    expect(u.model.ref).toBe("unknown");
    expect(u.tg!.samplesMs).toEqual([]);
  });
  it("rows are numbered in their keys", () => {
    const rs = llamaBenchToRecords([tiny(), tiny()], opts);
    expect(rs.map((x) => x.key.split("|").pop())).toEqual(["#0", "#1"]);
  });
});

describe("tests", () => {
  it("pp+tg is one tg phase of both token counts, and says so", () => {
    const r = one(tiny({ n_prompt: 64, n_gen: 16, n_depth: 8 }));
    expect(r.testId).toBe("pp64+tg16@d8");
    expect(r.pp).toBeNull();
    expect(r.tg).toEqual({ tokens: 80, samplesMs: [2], warmup: 1, itlMs: null });
    // 64 + 16 + 8
    expect(r.params.ctx).toBe(88);
    expect(r.warnings).toEqual([COMBINED]);
  });
  it("tg alone: tokens = n_gen, no warning", () => {
    const r = one(tiny());
    expect(r.tg!.tokens).toBe(16);
    expect(r.warnings).toEqual([]);
  });
  it("pp alone", () => {
    const r = one(tiny({ n_prompt: 32, n_gen: 0 }));
    expect(r.pp).toEqual({ tokens: 32, samplesMs: [2], warmup: 1, itlMs: null });
    expect(r.tg).toBeNull();
  });
});

describe("values as llama-bench text (CSV, SQL) or odd values", () => {
  it.each([
    [4, 4],
    ["4", 4],
    ["", 0],
    [" ", 0],
    ["abc", 0],
    [Number.NaN, 0],
    [Number.POSITIVE_INFINITY, 0],
    [null, 0],
    [true, 0],
  ])("n_threads %j → %j", (v, threads) => {
    expect(one(tiny({ n_threads: v })).params.threads).toBe(threads);
  });
  it.each([
    [
      [2_000_000, 6_000_000],
      [2, 6],
    ],
    ["[2000000, 6000000]", [2, 6]],
    ["[ 2000000, 6000000 ]", [2, 6]],
    ['"2000000 6000000"', [2, 6]],
    [["2000000"], [2]],
    // no samples: the mean (avg_ns 4 ms)
    ["", [4]],
    [" ", [4]],
    [undefined, [4]],
    [7, [4]],
  ])("samples_ns %j → %j ms", (v, ms) => {
    expect(one(tiny({ samples_ns: v })).tg!.samplesMs).toEqual(ms);
  });
  it.each([
    [-1, "max"],
    [0, 0],
    [1, 1],
    [98, 98],
    [99, "max"],
    [100, "max"],
    ["99", "max"],
    ["12", 12],
    [undefined, 0],
  ])("n_gpu_layers %j → %j", (v, ngl) => {
    expect(one(tiny({ n_gpu_layers: v })).params.gpuLayers).toBe(ngl);
  });
  it.each([
    [true, true, []],
    ["true", true, []],
    [1, true, []],
    ["1", true, []],
    [0, false, []],
    [false, false, []],
    ["false", false, []],
    [2, false, []],
    [-1, false, [AUTO_FA]],
    ["-1", false, [AUTO_FA]],
  ])("flash_attn %j → %j", (v, fa, warnings) => {
    const r = one(tiny({ flash_attn: v }));
    expect(r.params.flashAttention).toBe(fa);
    expect(r.warnings).toEqual(warnings);
  });
  it("batch and ubatch: at least 1", () => {
    expect(one(tiny({ n_batch: "256", n_ubatch: 0 })).params).toMatchObject({ batch: 256, ubatch: 1 });
  });
  it("text model size and parameter count", () => {
    expect(one(tiny({ model_size: "1000", model_n_params: "20" })).model).toMatchObject({
      sizeBytes: 1000,
      params: 20,
    });
    expect(one(tiny({ model_size: 0, model_n_params: 0 })).model).toMatchObject({ sizeBytes: null, params: null });
  });
});

describe("model and environment", () => {
  it.each([
    ["m.gguf", "m"],
    ["/a/b/m.gguf", "m"],
    ["C:\\models\\m.gguf", "m"],
    ["m.gguf.part1", "m.gguf.part1"],
    ["dir.gguf/m", "m"],
  ])("%s is labelled %s", (file, label) => {
    expect(one(tiny({ model_filename: file })).model.label).toBe(label);
  });
  it("the model's identity, when known, wins over the row", () => {
    const ident: ModelIdentityGuess = {
      headerSha256: "ab".repeat(32),
      sizeBytes: 9,
      quant: "Q4_K_M",
      arch: "qwen3moe",
      params: 30,
      activeParams: 3,
      isMoe: true,
      synthetic: null,
    };
    const asked: string[] = [];
    const r = one(tiny({ model_filename: "/m/x.gguf", model_size: 123, model_n_params: 456 }), {
      modelIdentity: (f: string) => {
        asked.push(f);
        return ident;
      },
    });
    expect(asked).toEqual(["/m/x.gguf"]);
    expect(r.model).toMatchObject({ ...ident, ref: "/m/x.gguf", label: "x" });
    expect(one(tiny({ model_size: 123 }), { modelIdentity: () => null }).model.sizeBytes).toBe(123);
  });
  it.each([
    [{ backends: "Vulkan" }, "llama-bench (Vulkan)", "vulkan"],
    [{ backend: "CUDA" }, "llama-bench (CUDA)", "cuda"],
    [{ backends: "Metal", backend: "CUDA" }, "llama-bench (Metal)", "metal"],
    [{}, "llama-bench", "cpu"],
  ])("%j → %s, %s", (o, env, backend) => {
    const r = one(tiny(o));
    expect(r.env.backend).toBe(env);
    expect(r.params.backend).toBe(backend);
  });
  it("build number 0, no commit, no GPU, the row's CPU", () => {
    const r = one(tiny({ build_number: 0, build_commit: "", gpu_info: "", cpu_info: "Xeon" }));
    expect(r.env).toMatchObject({ llamaCppRelease: "build 0", llamaCppCommit: null, gpus: [], cpu: "Xeon" });
  });
});
