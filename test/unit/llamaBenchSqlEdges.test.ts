/** llama-bench -o sql edges: file-type and size names, build numbers, the timed phase, skips, imported values. */
import { describe, expect, it } from "vitest";
import { ftypeName, llamaBenchRow, llamaBenchSql, timingFields } from "../../src/export/llamaBenchSql.js";
import type { ResultRecord } from "../../src/results/schema.js";
import { makeRecord, phase } from "./makeRecord.js";

const rowOf = (r: ResultRecord): Record<string, string> => {
  const made = llamaBenchRow(r);
  if (!("row" in made)) throw new Error(`skipped: ${made.skip}`);
  return made.row;
};

const withModel = (m: Partial<ResultRecord["model"]>): ResultRecord => {
  const r = makeRecord();
  return { ...r, model: { ...r.model, ...m } };
};
const withEnv = (e: Partial<ResultRecord["env"]>): ResultRecord => {
  const r = makeRecord();
  return { ...r, env: { ...r.env, ...e } };
};
const withParams = (p: Partial<ResultRecord["params"]>): ResultRecord => {
  const r = makeRecord();
  return { ...r, params: { ...r.params, ...p } };
};

describe("ftypeName", () => {
  it.each([
    ["Q4_K_M", "Q4_K - Medium"],
    ["Q5_K_S", "Q5_K - Small"],
    ["Q3_K_L", "Q3_K - Large"],
    ["Q2_K", "Q2_K - Medium"],
    ["F32", "all F32"],
    ["Q8_0", "Q8_0"],
    ["XQ4_K_M", "XQ4_K_M"],
    ["Q4_K_MX", "Q4_K_MX"],
    ["Q4_K_X", "Q4_K_X"],
    ["Q10_K_M", "Q10_K_M"],
  ])("%s → %s", (quant, name) => {
    expect(ftypeName(quant)).toBe(name);
  });
});

describe("model_type: <arch> <size class> <file type>", () => {
  it.each([
    [1e9, "1B"],
    [8.03e9, "8B"],
    [999_999_999, "1000M"],
    [5_843_472, "6M"],
    [1_400_000, "1M"],
    [0, "?B"],
    [null, "?B"],
  ])("%s parameters → %s", (params, size) => {
    expect(rowOf(withModel({ params })).model_type).toBe(`llama ${size} Q4_K - Medium`);
  });

  it("unknown arch and quant: '?'; the file type where the quant is unknown", () => {
    expect(rowOf(withModel({ arch: null, quant: null, fileType: "F32" })).model_type).toBe("? 1B all F32");
    expect(rowOf(withModel({ quant: null, fileType: null })).model_type).toBe("llama 1B ?");
  });

  it("model_n_params and model_size: the numbers, 0 where unknown", () => {
    expect(rowOf(makeRecord())).toMatchObject({ model_n_params: "1000000000", model_size: "1" });
    expect(rowOf(withModel({ params: null, sizeBytes: null }))).toMatchObject({ model_n_params: "0", model_size: "0" });
  });

  it("model_filename: the file's name, from the ref where there is no path", () => {
    expect(rowOf(makeRecord()).model_filename).toBe("m-Q4_K_M.gguf");
    expect(rowOf(withModel({ path: null })).model_filename).toBe("m:Q4_K_M");
  });
});

describe("build fields", () => {
  it.each([
    ["b4000", "4000"],
    ["build 12", "12"],
    ["xb4000", "0"],
    ["b4000x", "0"],
    ["v1.2", "0"],
    [null, "0"],
  ])("release %s → build_number %s", (release, n) => {
    expect(rowOf(withEnv({ llamaCppRelease: release })).build_number).toBe(n);
  });

  it("build_commit: the commit's first 7, else the release, else 'unknown'", () => {
    expect(rowOf(withEnv({ llamaCppCommit: "0123456789ab" })).build_commit).toBe("0123456");
    expect(rowOf(withEnv({ llamaCppCommit: null, llamaCppRelease: "b4000" })).build_commit).toBe("b4000");
    expect(rowOf(withEnv({ llamaCppCommit: null, llamaCppRelease: null })).build_commit).toBe("unknown");
  });
});

describe("hardware and parameters", () => {
  it("GPUs joined with ', '; backends from the instance, else the env, else as recorded", () => {
    const gpus = ["A", "B"].map((name) => ({ name, uuid: null, driver: "1", vramBytes: 1 }));
    expect(rowOf(withEnv({ gpus, backend: "cuda" }))).toMatchObject({ gpu_info: "A, B", backends: "CUDA" });
    expect(rowOf(withEnv({ gpus: [] })).gpu_info).toBe("");
    const vk = { ...makeRecord(), params: { ...makeRecord().params, backend: "vulkan" } };
    expect(rowOf({ ...vk, env: { ...vk.env, backend: "cuda" } }).backends).toBe("Vulkan");
    expect(rowOf(withEnv({ backend: "metal" })).backends).toBe("Metal");
    expect(rowOf(withEnv({ backend: "rocm" })).backends).toBe("rocm");
  });

  it("type_k/type_v, n_gpu_layers, flash_attn", () => {
    expect(rowOf(withParams({ kvK: "q8_0", kvV: "q4_0", gpuLayers: 20, flashAttention: false }))).toMatchObject({
      type_k: "q8_0",
      type_v: "q4_0",
      n_gpu_layers: "20",
      flash_attn: "0",
    });
    expect(rowOf(withParams({ kvK: null, kvV: null, flashAttention: true }))).toMatchObject({
      type_k: "",
      type_v: "",
      n_gpu_layers: "-1",
      flash_attn: "1",
    });
  });
});

describe("the timed phase", () => {
  it("pp+tg with different repetition counts: as many as both have, durations added", () => {
    const r = makeRecord({ pp: 64, tg: 16, ppPhase: phase(64, [100, 100, 100]), tgPhase: phase(16, [1000, 1000]) });
    // 2 repetitions of 1100 ms for 80 tokens: 72.727273 tok/s
    expect(rowOf(r)).toMatchObject({
      avg_ns: "1100000000",
      stddev_ns: "0",
      avg_ts: "72.727273",
      stddev_ts: "0.000000",
    });
  });

  it("one repetition: the spread is 0, not NaN", () => {
    expect(timingFields(16, [20])).toEqual({
      avg_ns: "20000000",
      stddev_ns: "0",
      avg_ts: "800.000000",
      stddev_ts: "0.000000",
    });
  });

  it("no samples, no phase, serving: skipped and counted", () => {
    const none = makeRecord({ tgPhase: phase(16, []) });
    const nothing: ResultRecord = { ...makeRecord(), pp: null, tg: null };
    const serving = { ...makeRecord(), serving: {} as NonNullable<ResultRecord["serving"]> };
    expect(llamaBenchRow(none)).toEqual({ skip: "no samples" });
    expect(llamaBenchRow(nothing)).toEqual({ skip: "no samples" });
    expect(llamaBenchRow(serving)).toEqual({ skip: "serving" });
    const out = llamaBenchSql([none, nothing, serving, makeRecord()]);
    expect(out.rows).toBe(1);
    expect(out.skipped).toEqual({ "no samples": 2, serving: 1 });
  });
});

describe("an imported record", () => {
  it("llama-bench's own values win; missing or null ones are computed; booleans as 0/1", () => {
    const r = makeRecord({
      extra: { source: "llama-bench", n_threads: 16, poll: null, embeddings: true, devices: "CUDA0" },
    });
    expect(rowOf(r)).toMatchObject({
      n_threads: "16",
      poll: "50",
      embeddings: "1",
      devices: "CUDA0",
      cpu_mask: "0x0",
      n_batch: "512",
    });
    // not from llama-bench: extra is ignored
    const other = makeRecord({ extra: { source: "other", n_threads: 16 } });
    expect(rowOf(other).n_threads).toBe("1");
  });
});
