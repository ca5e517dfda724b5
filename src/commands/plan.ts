import { Command, Option } from "commander";
import { planSuite } from "../plan/planSuite.js";
import { estimateSeconds } from "../plan/estimate.js";
import { fmtBytes } from "../util/units.js";

export function fmtDuration(s: number): string {
  if (s < 60) return `${Math.round(s)} s`;
  if (s < 3600) return `${Math.floor(s / 60)} min ${Math.round(s % 60)} s`;
  return `${Math.floor(s / 3600)} h ${Math.round((s % 3600) / 60)} min`;
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
    .option("--json", "print the instances as JSON")
    .action(async (file: string, o: { filter?: string; gpu?: boolean; executor: "llama" | "mock"; json?: boolean }) => {
      const p = await planSuite(file, { gpu: !!o.gpu, filter: o.filter, executor: o.executor });
      if (o.json) {
        process.stdout.write(`${JSON.stringify(p.instances, null, 2)}\n`);
        return;
      }
      const lines: string[] = [
        `suite ${p.suite.name} (${file}): ${p.instances.length} instances, ${p.models.length} model(s), ${new Set(p.instances.map((i) => i.group)).size} model load(s)`,
      ];
      let g = "";
      for (const i of p.instances) {
        if (i.group !== g) {
          g = i.group;
          const s = p.sizes.get(i.model.ref);
          lines.push(
            `  ${i.model.label}  [${i.model.ref}]${s ? `  ${fmtBytes(s.bytes)}` : ""}  ngl=${i.params.gpuLayers}`,
          );
        }
        const pr = i.params;
        lines.push(
          `    ${String(i.index + 1).padStart(3)}. ${i.testId.padEnd(18)} ctx=${pr.ctx} kv=${pr.kvK}/${pr.kvV} fa=${pr.flashAttention ? "on" : "off"} threads=${i.threadsAuto ? "auto" : pr.threads} batch=${pr.batch}`,
        );
      }
      const est = estimateSeconds(p.instances, p.sizes, p.gpu, p.suite.repetitions.min, p.suite.warmup);
      lines.push(
        est === null
          ? "estimate: unknown (hf: models are not sized before download)"
          : `estimate: ~${fmtDuration(est)} (${p.gpu ? "GPU" : "CPU"} roofline guess at ${p.suite.repetitions.min} repetitions + ${p.suite.warmup} warm-up; adaptive repetitions can add up to ${p.suite.repetitions.max})`,
      );
      for (const w of p.warnings) lines.push(`warning: ${w}`);
      process.stdout.write(`${lines.join("\n")}\n`);
    });
}
