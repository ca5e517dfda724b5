/**
 * The plan for this machine: the suite expanded for the backend that will actually run. node-llama-cpp is
 * asked which device it would use (detectGpu.ts); where a real GPU is found the suite's `gpu:` model list
 * replaces the CPU one, keeping the models whose weights fit the card. Sparse synthetic files are refused
 * (every instance of `run` is a speed test).
 */
import { modelFacts } from "../gguf/modelFacts.js";
import { readGguf } from "../gguf/read.js";
import { resolve } from "node:path";
import { type Planned, planSuite, type SuiteSource } from "../plan/planSuite.js";
import { loadSuite } from "../suite/loadSuite.js";
import type { Suite } from "../suite/schema.js";
import { MoebenchError } from "../util/errors.js";
import { fmtBytes } from "../util/units.js";
import { type Device, detectDevice } from "./detectGpu.js";

export interface MachinePlan extends Planned {
  device: Device;
  /** what the workers ask node-llama-cpp for: a GPU kind, "cpu", or "mock" */
  backend: string;
  /** the header's "on …": the executor and the device that will run */
  runsOn: string;
  notes: string[];
}

export interface PlanOptions {
  filter?: string;
  executor: "llama" | "mock";
  /** --backend, else the suite's */
  backend?: string;
  llamaBench?: string;
}

/** Only the models whose weights fit the card (90% of VRAM, leaving room for KV and compute buffers). */
function fitCard(p: Planned, vramBytes: number): { plan: Planned; note?: string } {
  const fits = p.instances.filter((i) => (p.sizes.get(i.model.ref)?.bytes ?? 0) < vramBytes * 0.9);
  const skipped = new Set(p.instances.filter((i) => !fits.includes(i)).map((i) => i.model.label));
  const plan = { ...p, instances: fits.map((i, index) => ({ ...i, index })) };
  if (!skipped.size) return { plan };
  return {
    plan,
    note: `skipping models whose weights do not fit ${fmtBytes(vramBytes)} of VRAM: ${[...skipped].join(", ")}`,
  };
}

/** A sparse synthetic file (`synth --sparse`: the data is a hole of zeros) has no meaningful speed. */
async function refuseSparse(p: Planned): Promise<void> {
  for (const m of p.models) {
    if (m.kind !== "path") continue;
    let sparse = false;
    try {
      sparse = modelFacts(await readGguf(m.path, { skipArrays: true })).synthetic?.sparse === true;
    } catch {
      continue; // unreadable: recorded as an error record when its turn comes
    }
    if (sparse)
      throw new MoebenchError(
        `${m.path}: a sparse synthetic file (its weights are a hole of zeros): its speed means nothing`,
        "synthesize it without --sparse for speed tests; sparse files are for fit and load tests",
      );
  }
}

function describe(o: PlanOptions, device: Device): string {
  if (o.llamaBench) return `llama-bench ${o.llamaBench}`;
  if (o.executor === "mock") return "MOCK executor (synthetic timings, no llama.cpp)";
  if (device.gpu) return `${device.gpu} (${[device.names.join(", "), device.note].filter(Boolean).join("; ")})`;
  return `CPU (${device.note ?? "node-llama-cpp found no GPU"})`;
}

/** The suite, with --backend in place of its own backend (instance keys and params then say so). */
function suiteSource(file: string | SuiteSource, backend: string | undefined): SuiteSource {
  const src = typeof file === "string" ? { suite: loadSuite(file), origin: file, baseDir: resolve(file, "..") } : file;
  return backend ? { ...src, suite: { ...src.suite, backend: backend as Suite["backend"] } } : src;
}

/** `file`: a suite file, or a suite from the command line (llama-bench flags, suite/commandLine.ts). */
export async function planForMachine(file: string | SuiteSource, o: PlanOptions): Promise<MachinePlan> {
  const source = suiteSource(file, o.backend);
  const cpuPlan = await planSuite(source, { gpu: false, filter: o.filter, executor: o.executor });
  const requested = o.executor === "mock" ? "mock" : cpuPlan.suite.backend;
  // an external llama-bench picks its own device; node-llama-cpp is not asked
  const device = await detectDevice(o.llamaBench ? "cpu" : requested);
  const notes: string[] = [];
  let plan = cpuPlan;
  if (device.gpu && !device.cpuType && cpuPlan.suite.gpu) {
    plan = await planSuite(source, { gpu: true, filter: o.filter, executor: o.executor });
    if (device.vramBytes) {
      const fitted = fitCard(plan, device.vramBytes);
      plan = fitted.plan;
      if (fitted.note) notes.push(fitted.note);
    }
  }
  await refuseSparse(plan);
  const backend = o.executor === "mock" ? "mock" : device.backend;
  return { ...plan, device, backend, runsOn: describe(o, device), notes };
}
