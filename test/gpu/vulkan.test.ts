/**
 * moebench's GPU code paths on a software Vulkan device (Mesa's lavapipe) with node-llama-cpp's prebuilt Vulkan
 * binaries: backend selection, gpuLayers reaching llama.cpp, the layers llama.cpp actually offloaded, device names
 * and the VRAM fields in records. Not CUDA, not real VRAM accounting, not OOM (lavapipe's "VRAM" is host memory).
 *
 * Opt-in: MOEBENCH_TEST_VULKAN=1 (.ci/run sets it). The driver: Mesa's lavapipe installed system-wide if it is
 * (Debian: mesa-vulkan-drivers libvulkan1), else the same packages unpacked into moebench's cache and shown only
 * to these runs (test/lavapipe.ts), so no other test sees a Vulkan device. Without either, or without the
 * opt-in, every test here is skipped and the reason is printed. ggml hides CPU-type Vulkan devices unless
 * GGML_VK_VISIBLE_DEVICES names them: the runs set GGML_VK_VISIBLE_DEVICES=0.
 */
import { spawnSync } from "node:child_process";
import { existsSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { beforeAll, describe, expect, it } from "vitest";
import { planSynth } from "../../src/gguf/synth/synthesize.js";
import { readJsonl } from "../../src/results/jsonl.js";
import { CLI, cli, ROOT, tmp } from "../helpers.js";
import { lavapipeEnv } from "../lavapipe.js";

/** The environment that shows lavapipe: the system's driver, else a private copy (needs apt-get download once). */
function lavapipe(): Record<string, string> | string {
  if (existsSync("/usr/share/vulkan/icd.d/lvp_icd.x86_64.json")) return { GGML_VK_VISIBLE_DEVICES: "0" };
  try {
    return lavapipeEnv();
  } catch (e) {
    return `Mesa's lavapipe is neither installed nor unpackable here (${(e as Error).message.split("\n")[0]})`;
  }
}

/** node-llama-cpp's Vulkan binary asked for its devices in a child process (a missing driver must not crash us). */
function vulkanDevices(show: Record<string, string>): string[] | string {
  // a file, not -e: node-llama-cpp tests its binary in a child forked with our execArgv
  const probe = join(tmp("moebench-vulkan-probe-"), "probe.mjs");
  const entry = pathToFileURL(join(ROOT, "node_modules", "node-llama-cpp", "dist", "index.js")).href;
  writeFileSync(
    probe,
    `const { getLlama, LlamaLogLevel } = await import(${JSON.stringify(entry)});
    const llama = await getLlama({ gpu: "vulkan", build: "never", logLevel: LlamaLogLevel.error });
    console.log(JSON.stringify(await llama.getGpuDeviceNames()));`,
  );
  const r = spawnSync(process.execPath, [probe], {
    cwd: ROOT,
    encoding: "utf8",
    env: { ...process.env, ...show },
    timeout: 60_000,
  });
  if (r.status !== 0) return `node-llama-cpp's Vulkan binary does not load: ${(r.stderr || "").trim().split("\n")[0]}`;
  const names = JSON.parse(r.stdout.trim().split("\n").pop() ?? "[]") as string[];
  return names.length ? names : "the Vulkan loader found no device (install mesa-vulkan-drivers libvulkan1)";
}

function readiness(): { show: Record<string, string> } | { reason: string } {
  if (process.env.MOEBENCH_TEST_VULKAN !== "1")
    return { reason: "MOEBENCH_TEST_VULKAN is not 1 (opt-in: runs on Mesa's lavapipe, mesa-vulkan-drivers)" };
  const show = lavapipe();
  if (typeof show === "string") return { reason: show };
  const d = vulkanDevices(show);
  return typeof d === "string" ? { reason: d } : { show };
}

const ready = readiness();
const skipReason = "reason" in ready ? ready.reason : undefined;
const SHOW_LAVAPIPE = "show" in ready ? ready.show : {};
if (skipReason) process.stderr.write(`test/gpu/vulkan.test.ts: every test skipped: ${skipReason}\n`);

describe.skipIf(skipReason !== undefined)(
  `GPU code paths on Mesa's software Vulkan device${skipReason ? ` (skipped: ${skipReason})` : ""}`,
  () => {
    const d = tmp("moebench-vulkan-");
    const suite = join(d, "vulkan.yaml");
    const out = join(d, "run");
    const env = { ...SHOW_LAVAPIPE, MOEBENCH_CACHE: join(d, "cache") };
    // llama.cpp counts the output layer as one more layer than the model's blocks
    const layers = planSynth({ preset: "llama-3.1-8b", quant: "Q4_K_M", scale: "tiny" }).hparams.nLayer + 1;

    beforeAll(() => {
      writeFileSync(
        suite,
        [
          "name: vulkan",
          "models: [synth:llama-3.1-8b:Q4_K_M:tiny]",
          "tests: [pp32, tg4]",
          "gpuLayers: [max, 2]",
          "threads: [1]",
          "repetitions: {min: 2, max: 2}",
          "warmup: 1",
          "backend: vulkan",
        ].join("\n"),
      );
    });

    it("backend vulkan runs on the software device, offloads what gpuLayers says, labels its VRAM", () => {
      const r = cli(["run", suite, "--out", out, "--idle-baseline", "0"], { env });
      expect(r.status, r.stderr).toBe(0);
      expect(r.stderr).toMatch(/on vulkan \(llvmpipe .*; a software device, chosen explicitly\)/);
      const recs = readJsonl(join(out, "results.jsonl"));
      expect(recs).toHaveLength(4);
      for (const rec of recs) {
        expect(rec.status).toBe("ok");
        expect(rec.env.backend).toBe("vulkan");
        expect(rec.env.gpus.map((g) => g.name)).toEqual([expect.stringMatching(/^llvmpipe/)]);
        const gpu = rec.env.gpus[0]!;
        expect(gpu.software).toBe(true);
        // node-llama-cpp's VRAM figures are present and are the software device's (its heap, host memory)
        expect(gpu.vramBytes).toBeGreaterThan(0);
        expect(rec.memory?.vramTotalBytes).toBe(gpu.vramBytes);
        expect(rec.telemetry.status).toBe("unavailable"); // no nvidia-smi: said, not faked
        // the C-API timing path finds the Vulkan build's libraries (libllama.vulkan.v0.5.0.so): no fallback
        expect(rec.env.timing?.path).toBe("c-api");
        expect(rec.env.timing?.libraries.some((l) => l.includes("linux-x64-vulkan"))).toBe(true);
        const want = rec.params.gpuLayers === "max" ? layers : 2;
        expect(rec.env.offload, rec.key).toEqual({ layers: want, of: layers });
      }
      expect(new Set(recs.map((x) => x.params.gpuLayers))).toEqual(new Set(["max", 2]));
    });

    it("backend auto does not take the software device for a GPU, and says so", () => {
      const r = cli(["plan", suite], { env });
      expect(r.status, r.stderr).toBe(0);
      const run = cli(["run", suite, "--backend", "auto", "--out", join(d, "auto"), "--filter", "test=pp32"], { env });
      expect(run.status, run.stderr).toBe(0);
      expect(run.stderr).toMatch(/on CPU \(vulkan offers only a software device: llvmpipe/);
      for (const rec of readJsonl(join(d, "auto", "results.jsonl"))) {
        expect(rec.env.backend).toBe("cpu");
        expect(rec.env.offload).toBeUndefined();
      }
    });

    it("without GGML_VK_VISIBLE_DEVICES the device is hidden: backend vulkan is one line, not a CPU run", () => {
      const hidden: NodeJS.ProcessEnv = { ...process.env, ...SHOW_LAVAPIPE, MOEBENCH_CACHE: env.MOEBENCH_CACHE };
      delete hidden.GGML_VK_VISIBLE_DEVICES;
      const r = spawnSync(process.execPath, [CLI, "run", suite, "--out", join(d, "hidden")], {
        encoding: "utf8",
        env: hidden,
      });
      expect(r.status, r.stderr).toBe(2);
      expect(r.stderr.trim()).toMatch(
        /^moebench: backend vulkan: node-llama-cpp's vulkan backend loads but sees no dev/,
      );
    });
  },
);
