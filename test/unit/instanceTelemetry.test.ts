/** VRAM figures of a record from nvidia-smi memory.used readings around the load (hand-built rows). */
import { describe, expect, it } from "vitest";
import { instanceTelemetry, vramGrowth } from "../../src/telemetry/instanceTelemetry.js";
import type { NvidiaSmiSampler, SampleRow } from "../../src/telemetry/nvidiaSmi/sampler.js";

function fakeSampler(rows: SampleRow[]): NvidiaSmiSampler {
  return {
    rows,
    power: () => ({ samples: [], field: null }),
    between: (a: number, b: number) => rows.filter((r) => r.t >= a && r.t <= b),
    nearest: () => rows[0],
  } as unknown as NvidiaSmiSampler;
}

const row = (t: number, used: number): SampleRow => ({ t, gpu: 0, v: { "memory.used": used } });

describe("measured VRAM", () => {
  it("weights = after load − before load; context = after context − after load", () => {
    expect(vramGrowth({ beforeLoadMiB: 512, afterLoadMiB: 5120, afterContextMiB: 5632 })).toEqual({
      weightsMiB: 4608, // 5120 − 512
      contextMiB: 512, // 5632 − 5120
    });
    expect(vramGrowth({ beforeLoadMiB: null, afterLoadMiB: 5120, afterContextMiB: null })).toEqual({
      weightsMiB: null,
      contextMiB: null,
    });
  });

  it("from the sampler: the last reading before the load, the first after each event, the peak in the instance", () => {
    // load 1000–2000 ms, context created at 2500, instance 3000–4000
    const rows = [row(900, 300), row(950, 310), row(2100, 4410), row(2600, 4900), row(3500, 5000), row(4500, 9999)];
    const t = instanceTelemetry(fakeSampler(rows), {
      loadStart: 1000,
      loadEnd: 2000,
      contextCreated: 2500,
      start: 3000,
      end: 4000,
    });
    expect(t.vram).toEqual({
      beforeLoadMiB: 310,
      afterLoadMiB: 4410,
      afterContextMiB: 4900,
      peakMiB: 5000,
      weightsMiB: 4100, // 4410 − 310
      contextMiB: 490, // 4900 − 4410
    });
  });
});
