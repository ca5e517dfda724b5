import type { InstanceParams } from "../results/schema.js";

/** A model as the suite names it, resolved to how it will be obtained. */
export type ModelRef =
  | { kind: "path"; ref: string; label: string; path: string }
  | { kind: "hf"; ref: string; label: string; uri: string }
  | { kind: "synth"; ref: string; label: string; preset: string; quant: string; scale: "full" | "small" | "tiny" };

/** One measurement to make: every sweep dimension reduced to a scalar. */
export interface Instance {
  /** position in run order (0-based) */
  index: number;
  key: string;
  testId: string;
  model: ModelRef;
  params: InstanceParams;
  /** "auto" threads resolved at run time to the physical core count */
  threadsAuto: boolean;
  /** group id: instances sharing a model load run in one worker */
  group: string;
  /** extra llama-bench arguments (external executor only) */
  llamaBenchArgs: string;
}
