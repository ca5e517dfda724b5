import type { Instance } from "./types.js";
import { MoebenchError } from "../util/errors.js";

const FIELDS: Record<string, (i: Instance) => string> = {
  model: (i) => `${i.model.ref} ${i.model.label}`,
  quant: (i) => (i.model.kind === "synth" ? i.model.quant : i.model.label),
  test: (i) => i.testId,
  depth: (i) => String(i.params.depth),
  parallel: (i) => String(i.params.parallel),
  ctx: (i) => String(i.params.ctx),
  kv: (i) => `${i.params.kvK}/${i.params.kvV}`,
  fa: (i) => (i.params.flashAttention ? "1" : "0"),
  ngl: (i) => String(i.params.gpuLayers),
  threads: (i) => String(i.params.threads),
};

/**
 * --filter: comma-separated conditions, all of which must hold. `field=value` matches exactly
 * (field: model (substring), quant, test, depth, parallel, ctx, kv, fa, ngl, threads); `field~regex`
 * matches a regular expression; bare text matches a substring of the instance key.
 */
export function parseFilter(expr: string): (i: Instance) => boolean {
  const conds = expr
    .split(",")
    .map((s) => s.trim())
    .filter(Boolean)
    .map((c) => {
      const m = /^(\w+)\s*(=|~)\s*(.+)$/.exec(c);
      if (!m) return (i: Instance) => i.key.includes(c);
      const [, field, op, val] = m as unknown as [string, string, string, string];
      const get = FIELDS[field];
      if (!get)
        throw new MoebenchError(`--filter: unknown field "${field}"`, `fields: ${Object.keys(FIELDS).join(", ")}`);
      if (op === "~") {
        let re: RegExp;
        try {
          re = new RegExp(val);
        } catch {
          throw new MoebenchError(`--filter: bad regular expression ${val}`);
        }
        return (i: Instance) => re.test(get(i));
      }
      if (field === "model") return (i: Instance) => get(i).includes(val);
      return (i: Instance) => get(i) === val;
    });
  return (i) => conds.every((c) => c(i));
}
