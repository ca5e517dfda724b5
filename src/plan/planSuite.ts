/** Shared by `plan` and `run`: load + validate a suite and expand it into ordered instances. */
import { resolve } from "node:path";
import { loadSuite, type NamedSuite } from "../suite/loadSuite.js";
import { suiteModels } from "./resolveModels.js";
import { countInstances, expandSuite, planWarnings, type ModelLimits } from "./expandSuite.js";
import type { Instance, ModelRef } from "./types.js";
import { planSynth } from "../gguf/synth/synthesize.js";
import { readGguf } from "../gguf/read.js";
import { modelFacts } from "../gguf/modelFacts.js";
import type { ModelSize } from "./estimate.js";
import { MoebenchError } from "../util/errors.js";
import { parseFilter } from "./filter.js";

export interface Planned {
  suite: NamedSuite;
  models: ModelRef[];
  instances: Instance[];
  warnings: string[];
  sizes: Map<string, ModelSize>;
  gpu: boolean;
}

/**
 * A suite already validated (from a file, from command-line flags, or both): `origin` names it in
 * messages, `baseDir` is where relative model paths start.
 */
export interface SuiteSource {
  suite: NamedSuite;
  origin: string;
  baseDir: string;
}

export interface PlanOptions {
  gpu: boolean;
  filter?: string;
  executor: "llama" | "mock";
  /** overrides the suite's maxInstances */
  maxInstances?: number;
}

interface ModelInfo {
  sizes: Map<string, ModelSize>;
  limits: Map<string, ModelLimits>;
  warnings: string[];
}

/** Size and trained context of every model known before it runs (synth plans, GGUF headers; not hf:). */
async function modelInfo(models: readonly ModelRef[]): Promise<ModelInfo> {
  const info: ModelInfo = { sizes: new Map(), limits: new Map(), warnings: [] };
  for (const m of models) {
    if (m.kind === "synth") {
      // the plan counts its active parameters (gguf/weightCounts: one function for every caller)
      const p = planSynth({ preset: m.preset, quant: m.quant, scale: m.scale });
      info.sizes.set(m.ref, { bytes: p.tensorBytes, params: p.params, activeParams: p.activeParams });
      info.limits.set(m.ref, { ctxTrain: p.hparams.ctxTrain });
    } else if (m.kind === "path") {
      try {
        const f = modelFacts(await readGguf(m.path, { skipArrays: true }));
        info.sizes.set(m.ref, { bytes: f.tensorBytes, params: f.params, activeParams: f.activeParams });
        info.limits.set(m.ref, { ctxTrain: f.ctxTrain });
      } catch (e) {
        // recorded as an error record when its turn comes; the rest of the suite still runs
        info.warnings.push(`${m.label}: ${(e as Error).message}; its instances will be error records`);
      }
    }
  }
  return info;
}

function fmtCount(n: number): string {
  return Number.isSafeInteger(n) ? n.toLocaleString("en-US") : n.toExponential(2);
}

function overTrainedWarning(o: ReturnType<typeof expandSuite>["overTrained"][number]): string {
  return (
    `${o.model.label}: ${o.count} instance(s) need more context than its trained ${o.cap} tokens ` +
    `(e.g. ${o.example} needs ${o.needed}) and are left out; set beyondTrainedContext: true, ` +
    "or give contexts: [N] explicitly, to run them anyway"
  );
}

/** Load (when given a file), validate, count, resolve and expand a suite into the instances to run. */
export async function planSuite(source: string | SuiteSource, opts: PlanOptions): Promise<Planned> {
  const src: SuiteSource =
    typeof source === "string" ? { suite: loadSuite(source), origin: source, baseDir: resolve(source, "..") } : source;
  const { suite, origin } = src;
  const models = suiteModels(suite, src, opts.gpu);
  const limit = opts.maxInstances ?? suite.maxInstances;
  const count = countInstances(suite, models.length);
  if (count > limit)
    throw new MoebenchError(
      `${origin}: the suite expands to ${fmtCount(count)} instances, more than the limit of ${fmtCount(limit)}`,
      "sweep fewer values, or raise maxInstances (suite) / --max-instances if you mean it",
    );
  const info = await modelInfo(models);
  const expansion = expandSuite(suite, models, info.limits);
  let instances = expansion.instances;
  if (opts.filter) {
    const f = parseFilter(opts.filter);
    instances = instances.filter(f).map((i, index) => ({ ...i, index }));
    if (instances.length === 0)
      throw new MoebenchError(
        `--filter "${opts.filter}" matches no instance of ${origin}`,
        "run `moebench plan` to see the instance keys",
      );
  }
  if (instances.length === 0 && suite.endpoints.length === 0)
    throw new MoebenchError(
      `${origin}: no instance fits its model's trained context`,
      "lower depths/tests, or set beyondTrainedContext: true",
    );
  const warnings = [...planWarnings(instances), ...expansion.overTrained.map(overTrainedWarning), ...info.warnings];
  if (opts.executor === "llama" && suite.ubatch.some((u) => !suite.batch.includes(u))) {
    warnings.push(
      "node-llama-cpp sets ubatch = batch: the suite's ubatch values are recorded as the batch size actually " +
        "used (run through --llama-bench to sweep ubatch)",
    );
  }
  return { suite, models, instances, warnings, sizes: info.sizes, gpu: opts.gpu };
}
