/**
 * `fit` against what llama.cpp itself allocates, read from llama.cpp's own log:
 * - CPU, through node-llama-cpp: KV-cache bytes exactly for every preset and f16/q8_0/q4_0; compute buffers
 *   within 10% for every preset at 8k and 32k with flash attention on and off (full-size sparse synth files:
 *   they allocate like the real ones).
 * - Offload: on a machine without a GPU, Mesa's lavapipe (a Vulkan driver running on the CPU, unpacked into
 *   the cache, see test/lavapipe.ts) is a real llama.cpp device, so llama.cpp's per-buffer log splits the
 *   model between "Vulkan0" (the device) and host buffers exactly as it would on a GPU: weights, KV cache and
 *   recurrent state must equal fit's device/host figures for `-ngl 6` (node-llama-cpp's gpuLayers) and for
 *   `--n-cpu-moe 6` (llama-bench built from the bundled source, with node-llama-cpp's Vulkan backend).
 */
import { describe, it, expect, beforeAll, afterAll } from "vitest";
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { getLlama, LlamaLogLevel, type Llama } from "node-llama-cpp";
import { synthesize, planSynth, PRESET_NAMES } from "../../src/gguf/synth/synthesize.js";
import { fitFactsFromPlan } from "../../src/gguf/fitFacts.js";
import { fitRow, weightsOnDevice } from "../../src/gguf/fit.js";
import { ensureLlamaTools, nodeLlamaCppRoot } from "../../src/util/llamaCppBuild.js";
import { lavapipeEnv } from "../lavapipe.js";
import { ROOT, tmp } from "../helpers.js";

const MiB = 2 ** 20;
let llama: Llama;
let log: string[] = [];
const dir = tmp();
beforeAll(async () => {
  llama = await getLlama({
    gpu: false,
    build: "never",
    logLevel: LlamaLogLevel.debug,
    logger: (_l, m) => {
      if (/buffer size|size =/.test(m)) log.push(m);
    },
  });
});
afterAll(async () => {
  await llama?.dispose();
});

const mib = (lines: readonly string[], re: RegExp): number | undefined => {
  for (const l of lines) {
    const m = re.exec(l);
    if (m) return Number(m[1]);
  }
  return undefined;
};

type Model = Awaited<ReturnType<Llama["loadModel"]>>;

async function allocate(
  model: Model,
  ctx: number,
  kv: string,
  fa: boolean,
): Promise<{ kvMiB?: number; rsMiB?: number; computeMiB?: number; cells?: number; layers?: number }> {
  log = [];
  const c = await model.createContext({
    contextSize: ctx,
    flashAttention: fa,
    batchSize: 512,
    threads: 1,
    experimentalKvCacheKeyType: kv.toUpperCase() as never,
    experimentalKvCacheValueType: kv.toUpperCase() as never,
  });
  // llama.cpp's log reaches JS asynchronously: wait for this context's lines, then let stragglers arrive
  const done = (): boolean =>
    log.some((l) => /compute buffer size/.test(l)) && log.some((l) => /(KV|RS) buffer size/.test(l));
  for (let i = 0; i < 100 && !done(); i++) await new Promise((r) => setTimeout(r, 20));
  await new Promise((r) => setTimeout(r, 50));
  const size = log.map((l) => /size =\s+[\d.]+ MiB \(\s*(\d+) cells,\s+(\d+) layers/.exec(l)).find(Boolean);
  const out = {
    kvMiB: mib(log, /KV buffer size =\s+([\d.]+) MiB/),
    rsMiB: mib(log, /RS buffer size =\s+([\d.]+) MiB/),
    computeMiB: mib(log, /compute buffer size =\s+([\d.]+) MiB/),
    cells: size ? Number(size[1]) : undefined,
    layers: size ? Number(size[2]) : undefined,
  };
  await c.dispose();
  return out;
}

const ALL = { parallel: 1, batch: 512, vramBytes: null, overheadBytes: 0 };

async function fullSparse(preset: string): Promise<string> {
  const path = join(dir, `${preset}-full-sparse.gguf`);
  if (!existsSync(path)) await synthesize({ preset, quant: "Q4_K_M", sparse: true }, path);
  return path;
}

describe("fit vs llama.cpp's own allocation (CPU)", () => {
  for (const preset of PRESET_NAMES) {
    it(`${preset} (small): KV cache bytes exact for f16, q8_0, q4_0`, async () => {
      const path = join(dir, `${preset}.gguf`);
      await synthesize({ preset, quant: "Q4_K_M", scale: "small" }, path);
      const facts = fitFactsFromPlan(planSynth({ preset, quant: "Q4_K_M", scale: "small" }));
      const model = await llama.loadModel({ modelPath: path });
      try {
        for (const kv of ["f16", "q8_0", "q4_0"]) {
          const got = await allocate(model, 4096, kv, true);
          const ours = fitRow(facts, 4096, kv, true, ALL);
          // llama.cpp prints MiB with two decimals (printf rounds 10.125 to 10.12): equal at that precision,
          // and the same cells and layers
          const oursKv = ours.kvCache.device / MiB;
          expect(
            Math.abs(got.kvMiB! - oursKv),
            `${preset} ${kv}: llama.cpp ${got.kvMiB} MiB, ours ${oursKv}`,
          ).toBeLessThanOrEqual(0.0051);
          expect(got.cells).toBe(ours.cells);
          expect(got.layers).toBe(facts.attentionLayers.length);
          if (facts.recurrentLayers.length)
            expect(Math.abs(got.rsMiB! - ours.recurrentState.device / MiB)).toBeLessThanOrEqual(0.0051);
        }
      } finally {
        await model.dispose();
      }
    });
  }

  // Every preset: the output phase (vocabulary), the attention phase (heads × context, flash attention off)
  // and the layer phase (FFN width and the flash-attention mask: Mistral-7B-v0.3's small vocabulary) each
  // decide the compute buffer somewhere in this grid.
  for (const preset of PRESET_NAMES) {
    it(`${preset} (full size, sparse): compute buffer within 10% at 8k and 32k, FA on and off`, async () => {
      const path = await fullSparse(preset);
      const facts = fitFactsFromPlan(planSynth({ preset, quant: "Q4_K_M" }));
      const model = await llama.loadModel({ modelPath: path });
      try {
        // 32k without flash attention (a 2 GiB attention buffer, the same formula for every preset) only where
        // the seed's pair is concerned: it keeps this file's CI time near three minutes
        const grid: [number, boolean][] = [
          [8192, false],
          [8192, true],
          [32768, true],
        ];
        if (preset === "lfm2-8b-a1b" || preset === "llama-3.1-8b") grid.push([32768, false]);
        for (const [ctx, fa] of grid) {
          const got = await allocate(model, ctx, "f16", fa);
          const ours = fitRow(facts, ctx, "f16", fa, ALL);
          expect(Math.abs(got.kvMiB! - ours.kvCache.device / MiB)).toBeLessThanOrEqual(0.0051);
          const oursMiB = ours.compute.device / MiB;
          const rel = Math.abs(oursMiB - got.computeMiB!) / got.computeMiB!;
          expect(
            rel,
            `${preset} ctx=${ctx} fa=${fa}: ours ${oursMiB.toFixed(1)} MiB vs llama.cpp ${got.computeMiB} MiB`,
          ).toBeLessThan(0.1);
        }
      } finally {
        await model.dispose();
      }
    });
  }
});

/** Model, KV and RS buffer sizes per side from llama.cpp's log: "Vulkan0 …" is the device, anything else host. */
function buffers(lines: readonly string[]): Record<"model" | "KV" | "RS", { device: number; host: number }> {
  const out = { model: { device: 0, host: 0 }, KV: { device: 0, host: 0 }, RS: { device: 0, host: 0 } };
  for (const l of lines) {
    const m = /(\S+)\s+(model|KV|RS) buffer size =\s+([\d.]+) MiB/.exec(l);
    if (!m) continue;
    const side = m[1]!.startsWith("Vulkan0") ? "device" : "host";
    out[m[2] as "model" | "KV" | "RS"][side] += Number(m[3]);
  }
  return out;
}

/** llama.cpp rounds every buffer to 0.01 MiB in its log (and sums of two buffers to 0.02). */
const near = (got: number, bytes: number, what: string): void => {
  expect(
    Math.abs(got - bytes / MiB),
    `${what}: llama.cpp ${got} MiB, fit ${(bytes / MiB).toFixed(2)} MiB`,
  ).toBeLessThanOrEqual(0.02);
};

describe("fit's device/host split vs llama.cpp on a CPU Vulkan device (lavapipe)", () => {
  const preset = "lfm2-8b-a1b";
  const facts = fitFactsFromPlan(planSynth({ preset, quant: "Q4_K_M" }));

  it("-ngl 6: weights, KV cache and recurrent state on the device and in host memory, exact", async () => {
    const path = await fullSparse(preset);
    const env = { ...process.env, ...lavapipeEnv() };
    const r = spawnSync(
      process.execPath,
      [join(ROOT, "test/fixtures/fit/allocLog.mjs"), path, "vulkan", "6", "8192", "1"],
      {
        encoding: "utf8",
        env,
        timeout: 600_000,
      },
    );
    expect(r.status, r.stderr.slice(-2000)).toBe(0);
    const got = JSON.parse(r.stdout.trim().split("\n").pop()!) as { gpu: string; lines: string[] };
    expect(got.gpu).toBe("vulkan");
    expect(
      got.lines.some((l) => /offloaded 6\/25 layers/.test(l)),
      got.lines.join("\n"),
    ).toBe(true);
    const b = buffers(got.lines);
    const ours = fitRow(facts, 8192, "f16", true, {
      ...ALL,
      offload: { gpuLayers: 6, cpuMoe: 0, expertsOnHost: false },
    });
    near(b.model.device, ours.weights.device, "device weights");
    near(b.model.host, ours.weights.host, "host weights");
    near(b.KV.device, ours.kvCache.device, "device KV");
    near(b.KV.host, ours.kvCache.host, "host KV");
    near(b.RS.device, ours.recurrentState.device, "device recurrent state");
    near(b.RS.host, ours.recurrentState.host, "host recurrent state");
  });

  it("--n-cpu-moe 6 (all layers on the device): the experts of blocks 0…5 stay in host memory, exact", async () => {
    const path = await fullSparse(preset);
    const bin = ensureLlamaTools(["llama-bench"]);
    const vulkan = join(
      nodeLlamaCppRoot(),
      "..",
      "@node-llama-cpp/linux-x64-vulkan/bins/linux-x64-vulkan/libggml-vulkan.so",
    );
    const env = { ...process.env, ...lavapipeEnv(), GGML_BACKEND_PATH: vulkan };
    // -lm none: with mmap the host buffer is the file range spanning the host tensors (it would include blocks
    // 0–1 between token_embd and the experts); without it, llama.cpp allocates exactly the host tensors
    const args = [
      "-m",
      path,
      "-ngl",
      "99",
      "--n-cpu-moe",
      "6",
      "-lm",
      "none",
      "-p",
      "0",
      "-n",
      "1",
      "-r",
      "1",
      "-t",
      "1",
      "-v",
    ];
    const r = spawnSync(join(bin, "llama-bench"), args, {
      encoding: "utf8",
      env,
      timeout: 600_000,
      maxBuffer: 64 << 20,
    });
    const lines = `${r.stdout}\n${r.stderr}`.split("\n");
    expect(r.status, lines.slice(-30).join("\n")).toBe(0);
    expect(lines.some((l) => /offloaded 25\/25 layers/.test(l))).toBe(true);
    const b = buffers(lines);
    const ours = weightsOnDevice(facts, { gpuLayers: null, cpuMoe: 6, expertsOnHost: false });
    near(b.model.device, ours.device, "device weights");
    near(b.model.host, ours.host, "host weights");
  });
});
