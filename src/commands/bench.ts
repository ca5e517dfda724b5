import { Command } from "commander";
import { join, resolve, dirname } from "node:path";
import { fileURLToPath } from "node:url";
import { runCli } from "./run.js";
import { writeReport } from "./report.js";

/** The default job: run a suite (suites/default.yaml), then write its report and print the path and the Markdown summary. */
export function benchCommand(): Command {
  return new Command("bench")
    .description(
      "run a suite (default: the shipped suites/default.yaml) and write its report: what `npm run bench` does",
    )
    .argument("[suite]", "suite YAML file")
    .option("--resume", "continue the latest run of the suite")
    .option("--nvidia-smi <path>", "nvidia-smi to sample")
    .action(async (suite: string | undefined, o: { resume?: boolean; nvidiaSmi?: string }) => {
      const file = suite ?? join(dirname(fileURLToPath(import.meta.url)), "..", "..", "suites", "default.yaml");
      const r = await runCli(resolve(file), {
        executor: "llama",
        resume: o.resume,
        nvidiaSmi: o.nvidiaSmi,
        summary: false,
      });
      const rep = await writeReport([r.runDir], {
        format: "md,csv,json,html,svg,png",
        kwhPrice: "0.15",
        lifetimeHours: "8760",
        card: "RTX 3060 12GB",
      });
      process.stdout.write(`\n${rep.markdown}\nreport: ${join(rep.outDir, "index.html")}\n`);
      if (r.interrupted) process.exitCode = 130;
    });
}
