/**
 * plan.json: written into every shard's run folder. It holds the whole partition (every planned instance
 * key and the shard it belongs to), so `merge` can name the missing instances even of a shard whose folder
 * never arrived. One schema, one writer, one validated reader.
 */
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { z } from "zod";
import { MoebenchError } from "../util/errors.js";
import { withFs } from "../util/fsErrors.js";
import { readJsonFile } from "../util/jsonFile.js";
import { validationMessage } from "./record.js";

export const PLAN_FILE = "plan.json";

export const PlanFile = z.object({
  planVersion: z.literal(1),
  planHash: z.string(),
  suite: z.string(),
  runId: z.string(),
  count: z.number().int().positive(),
  /** estimated load of each shard (index 0 = shard 1), in `unit` */
  loads: z.array(z.number().nonnegative()),
  unit: z.enum(["s", "instances"]),
  /** every planned instance, in plan order, with its shard (1-based) */
  instances: z.array(z.object({ key: z.string(), testId: z.string(), model: z.string(), shard: z.number().int() })),
});
export type PlanFile = z.infer<typeof PlanFile>;

export function writePlanFile(runDir: string, content: Omit<PlanFile, "planVersion">): void {
  const file = PlanFile.parse({ planVersion: 1, ...content });
  const path = join(runDir, PLAN_FILE);
  withFs(path, "write", () => writeFileSync(path, `${JSON.stringify(file, null, 1)}\n`));
}

/** `<runDir>/plan.json`, or null where there is none; a one-line error naming the field when it is wrong. */
export function readPlanFile(runDir: string): PlanFile | null {
  const path = join(runDir, PLAN_FILE);
  const obj = readJsonFile(path, "copy it again from the shard's run folder");
  if (obj === undefined) return null;
  const parsed = PlanFile.safeParse(obj);
  if (!parsed.success)
    throw new MoebenchError(`${path}: ${validationMessage(parsed.error)}`, "copy it again from the shard's run folder");
  return parsed.data;
}
