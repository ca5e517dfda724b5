/** The whole sampler path against the replay nvidia-smi (a real capture played back in time). */
import { describe, it, expect } from "vitest";
import { join } from "node:path";
import { spawnSync } from "node:child_process";
import { writeFileSync } from "node:fs";
import { NvidiaSmiSampler } from "../../src/telemetry/nvidiaSmi/sampler.js";
import { probeFields } from "../../src/telemetry/nvidiaSmi/probeFields.js";
import { integrateWindow } from "../../src/telemetry/energy.js";
import { readJsonl } from "../../src/results/jsonl.js";
import { ROOT, cli, tmp } from "../helpers.js";

const REPLAY = join(ROOT, "test/fixtures/nvidia-smi/replay-nvidia-smi.mjs");
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe("nvidia-smi sampler (replay)", () => {
  it("probes the fields, samples at the interval and integrates energy", async () => {
    const p = probeFields(REPLAY);
    expect(p.ok).toBe(true);
    if (!p.ok) return;
    expect(p.fields).toContain("power.draw.instant");
    const s = new NvidiaSmiSampler(REPLAY, p.fields, 20).start();
    await sleep(1200);
    const t0 = s.rows[2]!.t;
    await sleep(300);
    s.stop();
    expect(s.rows.length).toBeGreaterThan(20);
    const { samples, field } = s.power();
    expect(field).toBe("power.draw.instant");
    const e = integrateWindow(samples, t0, t0 + 500);
    // the A100 capture idles at 56–60 W: half a second is ~28–30 J
    expect(e.joules).toBeGreaterThan(50 * 0.5);
    expect(e.joules).toBeLessThan(70 * 0.5);
    // bounded by the lowest and highest power sampled in and around the window, times 0.5 s
    const near = samples.filter((x) => x.t >= t0 - 100 && x.t <= t0 + 600).map((x) => x.w);
    expect(e.joules).toBeGreaterThanOrEqual(Math.min(...near) * 0.5 - 1e-9);
    expect(e.joules).toBeLessThanOrEqual(Math.max(...near) * 0.5 + 1e-9);
    // and within 2% of a plain rectangle sum over the samples inside the window (an independent estimate)
    const inside = samples.filter((x) => x.t >= t0 && x.t < t0 + 500);
    const rect = inside.reduce((sum, x, i) => sum + x.w * (((inside[i + 1]?.t ?? t0 + 500) - x.t) / 1000), 0);
    expect(Math.abs(e.joules - rect) / rect).toBeLessThan(0.02);
  });

  it("restarts a dying nvidia-smi and records the gap", async () => {
    const p = probeFields(REPLAY);
    if (!p.ok) throw new Error(p.reason);
    process.env.REPLAY_DIE_AFTER = "10";
    try {
      const s = new NvidiaSmiSampler(REPLAY, p.fields, 20).start();
      await sleep(2500);
      s.stop();
      expect(s.restarts).toBeGreaterThanOrEqual(1);
      expect(s.gaps.length).toBeGreaterThanOrEqual(1);
      const [a, b] = s.gaps[0]!;
      expect(b).toBeGreaterThan(a);
    } finally {
      delete process.env.REPLAY_DIE_AFTER;
    }
  });

  it("a missing nvidia-smi is reported, not thrown", () => {
    const p = probeFields("/nonexistent/nvidia-smi");
    expect(p).toMatchObject({ ok: false, reason: "/nonexistent/nvidia-smi not found" });
  });

  it("a run records energy per repetition, idle baseline and VRAM; without nvidia-smi it records 'unavailable' and goes on", () => {
    const d = tmp();
    const f = join(d, "t.yaml");
    writeFileSync(
      f,
      "name: tel\nmodels: [synth:lfm2-8b-a1b:Q4_K_M:tiny]\ntests: [pp64, tg16]\nrepetitions: {min: 3, max: 3}\n",
    );
    const env = { MOEBENCH_CACHE: join(d, "c"), MOEBENCH_MOCK_REALTIME: "1", MOEBENCH_MOCK_SLOWDOWN: "300" };
    let r = cli(
      [
        "run",
        f,
        "--executor",
        "mock",
        "--out",
        join(d, "a"),
        "--nvidia-smi",
        REPLAY,
        "--idle-baseline",
        "1",
        "--sample-ms",
        "20",
      ],
      { env },
    );
    expect(r.status, r.stderr).toBe(0);
    const recs = readJsonl(join(d, "a", "results.jsonl"));
    for (const x of recs) {
      expect(x.telemetry.status).toBe("ok");
      expect(x.telemetry.source).toBe("power.draw.instant");
      expect(x.telemetry.idleWatts).toBeGreaterThan(50);
      expect(x.telemetry.gpu?.name).toBe("NVIDIA A100-SXM4-40GB");
      expect(x.telemetry.vram?.peakMiB).toBe(1024);
      const ph = x.pp ?? x.tg!;
      expect(ph.joules).toHaveLength(3);
      for (const j of ph.joules!) expect(j).toBeGreaterThan(0);
      // the measured windows add up to under 1 s: an energy pass repeats the operation until they cover 1 s
      expect(ph.energyPass!.windowsEpochMs.reduce((s, [a, b]) => s + b - a, 0)).toBeGreaterThanOrEqual(1000);
      expect(ph.energyPass!.joules).toBeGreaterThan(50);
    }
    r = cli(["run", f, "--executor", "mock", "--out", join(d, "b"), "--nvidia-smi", "/nonexistent/nvidia-smi"], {
      env: { MOEBENCH_CACHE: join(d, "c") },
    });
    expect(r.status, r.stderr).toBe(0);
    const b = readJsonl(join(d, "b", "results.jsonl"));
    expect(
      b.every(
        (x) => x.status === "ok" && x.telemetry.status === "unavailable" && /not found/.test(x.telemetry.reason ?? ""),
      ),
    ).toBe(true);
  });
});

describe("per-process VRAM and NVML", () => {
  it("reads one process's VRAM from --query-compute-apps", async () => {
    const { processVramMiB } = await import("../../src/telemetry/instanceTelemetry.js");
    process.env.REPLAY_APPS = "4242, 1536\\n77, 10";
    try {
      expect(processVramMiB(REPLAY, 4242)).toBe(1536);
      expect(processVramMiB(REPLAY, 1)).toBeNull();
    } finally {
      delete process.env.REPLAY_APPS;
    }
  });
  it("without libnvidia-ml, NVML is reported unavailable (the trapezoid is used)", async () => {
    const { openNvmlEnergy } = await import("../../src/telemetry/nvml.js");
    const n = await openNvmlEnergy(0);
    // what this machine has decides the exact answer: an NVIDIA driver's library, or none
    const ldconfig = spawnSync("ldconfig", ["-p"], { encoding: "utf8" }).stdout ?? "";
    if (/libnvidia-ml\.so/.test(ldconfig)) expect("read" in n ? typeof n.read() : n.unavailable).toBe("bigint");
    else expect(n).toEqual({ unavailable: "libnvidia-ml not found" });
  });
  it("NVML joules, when present, replace the trapezoid", async () => {
    const { withEnergy } = await import("../../src/telemetry/instanceTelemetry.js");
    const p = withEnergy(
      {
        tokens: 10,
        samplesMs: [500, 500],
        warmup: 1,
        windowsEpochMs: [
          [0, 500],
          [600, 1100],
        ],
        nvmlJoules: [40.5, 41],
      },
      undefined,
    );
    expect(p!.joules).toEqual([40.5, 41]);
    expect(p!.energyNotes![0]).toBe("NVML total-energy counter");
  });
});
