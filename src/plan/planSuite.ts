/** Shared by `plan` and `run`: load + validate a suite and expand it into ordered instances. */
import { loadSuite } from "../suite/loadSuite.js";
import type { Suite } from "../suite/schema.js";
import { suiteModels } from "./resolveModels.js";
import { expandSuite, planWarnings } from "./expandSuite.js";
import type { Instance, ModelRef } from "./types.js";
import { planSynth } from "../gguf/synth/synthesize.js";
import { readGguf } from "../gguf/read.js";
import { modelFacts } from "../gguf/modelFacts.js";
import type { ModelSize } from "./estimate.js";
import { MoebenchError } from "../util/errors.js";
import { parseFilter } from "./filter.js";

export interface Planned {
  suite: Suite & { name: string };
  models: ModelRef[];
  instances: Instance[];
  warnings: string[];
  sizes: Map<string, ModelSize>;
  gpu: boolean;
}

export async function planSuite(
  file: string,
  opts: { gpu: boolean; filter?: string; executor: "llama" | "mock" },
): Promise<Planned> {
  const suite = loadSuite(file);
  const models = suiteModels(suite, file, opts.gpu);
  let instances = expandSuite(suite, models);
  if (opts.filter) {
    const f = parseFilter(opts.filter);
    instances = instances.filter(f).map((i, index) => ({ ...i, index }));
    if (instances.length === 0)
      throw new MoebenchError(
        `--filter "${opts.filter}" matches no instance of ${file}`,
        "run `moebench plan` to see the instance keys",
      );
  }
  const sizes = new Map<string, ModelSize>();
  const warnings = planWarnings(instances);
  for (const m of models) {
    if (m.kind === "synth") {
      const p = planSynth({ preset: m.preset, quant: m.quant, scale: m.scale });
      const active = p.tensors
        .filter((t) => /_exps\./.test(t.name))
        .reduce((s, t) => s + t.shape.reduce((a, b) => a * b, 1), 0);
      const h = p.hparams;
      const activeParams = h.nExpert ? p.params - active * (1 - (h.nExpertUsed ?? 0) / h.nExpert) : p.params;
      sizes.set(m.ref, { bytes: p.tensorBytes, params: p.params, activeParams });
    } else if (m.kind === "path") {
      try {
        const f = modelFacts(await readGguf(m.path, { skipArrays: true }));
        sizes.set(m.ref, { bytes: f.tensorBytes, params: f.params, activeParams: f.activeParams });
      } catch (e) {
        // recorded as an error record when its turn comes; the rest of the suite still runs
        warnings.push(`${m.label}: ${(e as Error).message}; its instances will be error records`);
      }
    }
  }
  if (opts.executor === "llama" && suite.ubatch.some((u, _i) => !suite.batch.includes(u))) {
    warnings.push(
      "node-llama-cpp sets ubatch = batch: the suite's ubatch values are recorded as the batch size actually used (run through --llama-bench to sweep ubatch)",
    );
  }
  return { suite, models, instances, warnings, sizes, gpu: opts.gpu };
}
