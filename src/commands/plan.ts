import { Command, Option } from "commander";
import { planSuite, type Planned } from "../plan/planSuite.js";
import { estimateSeconds } from "../plan/estimate.js";
import type { Instance } from "../plan/types.js";
import { fmtBytes } from "../util/units.js";
import { MoebenchError } from "../util/errors.js";
import { diskModelLines, diskRefusal, diskSummary } from "../bench/cacheBudget.js";
import { ModelCache } from "../bench/modelCache.js";
import { cacheMaxOption } from "./run.js";

export function fmtDuration(s: number): string {
  if (s < 60) return `${Math.round(s)} s`;
  if (s < 3600) return `${Math.floor(s / 60)} min ${Math.round(s % 60)} s`;
  return `${Math.floor(s / 3600)} h ${Math.round((s % 3600) / 60)} min`;
}

/** --max-instances N: a positive integer. */
export function parseMaxInstances(v: string | undefined): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isSafeInteger(n) || n < 1)
    throw new MoebenchError(`--max-instances ${v}: expected a positive whole number`);
  return n;
}

function instanceLine(i: Instance): string {
  const pr = i.params;
  const threads = i.threadsAuto ? "auto" : pr.threads;
  return (
    `    ${String(i.index + 1).padStart(3)}. ${i.testId.padEnd(18)} ctx=${pr.ctx} kv=${pr.kvK}/${pr.kvV} ` +
    `fa=${pr.flashAttention ? "on" : "off"} threads=${threads} batch=${pr.batch}`
  );
}

function estimateLine(p: Planned): string {
  const reps = p.suite.repetitions;
  const est = estimateSeconds(p.instances, p.sizes, p.gpu, reps.min, p.suite.warmup);
  if (est === null) return "estimate: unknown (hf: models are not sized before download)";
  return (
    `estimate: ~${fmtDuration(est)} (${p.gpu ? "GPU" : "CPU"} roofline guess at ${reps.min} repetitions + ` +
    `${p.suite.warmup} warm-up; adaptive repetitions can add up to ${reps.max})`
  );
}

/** The plan as text: a header, each model load with its instances, the estimate and the warnings. */
export function planText(p: Planned, file: string): string {
  const loads = new Set(p.instances.map((i) => i.group)).size;
  const counts = `${p.instances.length} instances, ${p.models.length} model(s), ${loads} model load(s)`;
  const lines: string[] = [`suite ${p.suite.name} (${file}): ${counts}`];
  let group = "";
  for (const i of p.instances) {
    if (i.group !== group) {
      group = i.group;
      const s = p.sizes.get(i.model.ref);
      const size = s ? `  ${fmtBytes(s.bytes)}` : "";
      lines.push(`  ${i.model.label}  [${i.model.ref}]${size}  ngl=${i.params.gpuLayers}`);
    }
    lines.push(instanceLine(i));
  }
  lines.push(estimateLine(p));
  for (const w of p.warnings) lines.push(`warning: ${w}`);
  return `${lines.join("\n")}\n`;
}

interface PlanCliOptions {
  filter?: string;
  gpu?: boolean;
  executor: "llama" | "mock";
  json?: boolean;
  maxInstances?: string;
  cacheMax?: string;
}

/** The disk the plan's synthetic models need against the cache budget; refused (one line) if one cannot fit. */
function diskText(p: Planned, file: string, cacheMax: string | undefined): string {
  const cache = ModelCache.open({ cacheMax, note: () => undefined });
  const disk = cache.disk([...new Map(p.instances.map((i) => [i.model.ref, i.model])).values()]);
  const refusal = diskRefusal(disk.plan, cache.budget, file);
  if (refusal) throw refusal;
  if (!disk.models.length) return "";
  const lines = [
    "disk (synthetic models):",
    ...diskModelLines(disk.models),
    diskSummary(disk.plan, cache.budget, cache.dir),
  ];
  return `${lines.join("\n")}\n`;
}

export function planCommand(): Command {
  return new Command("plan")
    .description("validate a suite and print its instances in run order, with a count and a rough time estimate")
    .argument("<suite>", "suite YAML file")
    .option("--filter <expr>", "only instances matching (see `moebench run --help`)")
    .addOption(new Option("--gpu", "plan the suite's gpu: models (as on a machine with a GPU)"))
    .addOption(
      new Option("--executor <kind>", "llama (node-llama-cpp) or mock").choices(["llama", "mock"]).default("llama"),
    )
    .option("--max-instances <n>", "refuse suites that expand to more instances (default: the suite's maxInstances)")
    .option("--json", "print the instances as JSON")
    .addOption(cacheMaxOption())
    .action(async (file: string, o: PlanCliOptions) => {
      const p = await planSuite(file, {
        gpu: !!o.gpu,
        filter: o.filter,
        executor: o.executor,
        maxInstances: parseMaxInstances(o.maxInstances),
      });
      const disk = diskText(p, file, o.cacheMax);
      process.stdout.write(o.json ? `${JSON.stringify(p.instances, null, 2)}\n` : `${planText(p, file)}${disk}`);
    });
}
