#!/usr/bin/env node
import { Command, CommanderError } from "commander";
import { createRequire } from "node:module";
import { MoebenchError } from "./util/errors.js";
import { normalizeLlamaBenchArgv } from "./suite/commandLine.js";
import { synthCommand } from "./commands/synth.js";
import { inspectCommand } from "./commands/inspect.js";
import { planCommand } from "./commands/plan.js";
import { runCommand } from "./commands/run.js";
import { telemetryCommand } from "./commands/telemetry.js";
import { reportCommand } from "./commands/report.js";
import { benchCommand } from "./commands/bench.js";
import { fitCommand } from "./commands/fit.js";
import { compareCommand } from "./commands/compare.js";
import { importCommand } from "./commands/importCmd.js";
import { qualityCommand } from "./commands/quality.js";
import { mergeCommand } from "./commands/merge.js";
import { dbCommand } from "./commands/db.js";
import { historyCommand } from "./commands/history.js";
import { bundleCommand } from "./commands/bundle.js";
import { setupCommand } from "./commands/setup.js";
import { applyRecordedBuild } from "./util/localBuild.js";

const require = createRequire(import.meta.url);
const pkg = require("../package.json") as { version: string };

export function buildProgram(): Command {
  const program = new Command("moebench")
    .description(
      "Measured numbers for MoE vs dense GGUF models on llama.cpp (node-llama-cpp): fit, speed, energy, cost, quality",
    )
    .version(pkg.version)
    .showHelpAfterError("(run with --help for usage)");
  program.addCommand(synthCommand());
  program.addCommand(inspectCommand());
  program.addCommand(planCommand());
  program.addCommand(runCommand());
  program.addCommand(reportCommand());
  program.addCommand(benchCommand());
  program.addCommand(fitCommand());
  program.addCommand(compareCommand());
  program.addCommand(importCommand());
  program.addCommand(qualityCommand());
  program.addCommand(mergeCommand());
  program.addCommand(dbCommand());
  program.addCommand(historyCommand());
  program.addCommand(telemetryCommand());
  program.addCommand(bundleCommand());
  program.addCommand(setupCommand());
  for (const c of program.commands) c.showHelpAfterError("(run with --help for usage)");
  program.exitOverride();
  for (const c of program.commands) c.exitOverride();
  return program;
}

export async function main(argv: string[]): Promise<number> {
  try {
    // the llama.cpp build `moebench setup` made is found only with the CMake options it was made with
    applyRecordedBuild();
    await buildProgram().parseAsync(normalizeLlamaBenchArgv(argv));
    return typeof process.exitCode === "number" ? process.exitCode : 0;
  } catch (e) {
    if (e instanceof CommanderError) return e.exitCode === 0 ? 0 : 2;
    if (e instanceof MoebenchError) {
      process.stderr.write(`moebench: ${e.line()}\n`);
      return e.exitCode;
    }
    process.stderr.write(`moebench: internal error: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
    return 3;
  }
}

// `moebench … | head`: a closed pipe is not an error
process.stdout.on("error", (e: NodeJS.ErrnoException) => {
  if (e.code === "EPIPE") process.exit(0);
  throw e;
});

main(process.argv).then((code) => {
  process.exitCode = code;
});
