import { Command } from "commander";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { outcomeLine } from "../results/outcome.js";
import { writeReport } from "./report.js";
import { allowFailuresOption, backendOption, runCli } from "./run.js";
import { addLlamaBenchOptions, type LlamaBenchCliOptions } from "./llamaBenchOptions.js";

interface BenchOptions extends LlamaBenchCliOptions {
  resume?: boolean;
  nvidiaSmi?: string;
  backend?: string;
  allowFailures?: string;
}

/** The default job: run a suite (suites/default.yaml), then write its report; exit code as for `run`. */
export function benchCommand(): Command {
  const cmd = new Command("bench")
    .description(
      "run a suite (default: the shipped suites/default.yaml) and write its report: what `npm run bench` does",
    )
    .argument("[suite]", "suite YAML file")
    .option("--resume", "continue the latest run of the suite")
    .addOption(backendOption())
    .addOption(allowFailuresOption())
    .option("--nvidia-smi <path>", "nvidia-smi to sample");
  return addLlamaBenchOptions(cmd).action(async (suite: string | undefined, o: BenchOptions) => {
    // -m without a suite: the command line's models alone; otherwise the default job, flags overriding it
    const shipped = join(dirname(fileURLToPath(import.meta.url)), "..", "..", "suites", "default.yaml");
    const file = suite ?? (o.model?.length ? undefined : shipped);
    const r = await runCli(file && resolve(file), {
      ...o,
      executor: "llama",
      resume: o.resume,
      nvidiaSmi: o.nvidiaSmi,
      backend: o.backend,
      allowFailures: o.allowFailures,
      summary: false,
    });
    // with -o, stdout carries llama-bench's format alone
    const out = o.output ? process.stderr : process.stdout;
    if (!r.interrupted && r.outcome.ok + r.outcome.failed > 0) {
      const rep = await writeReport([r.runDir], {
        format: "md,csv,json,html,svg,png",
        kwhPrice: "0.15",
        lifetimeHours: "8760",
        card: "RTX 3060 12GB",
      });
      out.write(`\n${rep.markdown}\nreport: ${join(rep.outDir, "index.html")}\n`);
    }
    out.write(`${outcomeLine(r.outcome)}\n`);
    process.exitCode = r.exitCode;
  });
}
