import { Command, Option } from "commander";
import { readdirSync, existsSync, statSync } from "node:fs";
import { join, resolve } from "node:path";
import { planSuite, type Planned } from "../plan/planSuite.js";
import { measureQuality, DEFAULT_TEXT } from "./quality.js";
import { readGguf } from "../gguf/read.js";
import { modelFacts } from "../gguf/modelFacts.js";
import { writeFileSync, mkdirSync } from "node:fs";
import { runHttpSweep } from "../serve/httpRunner.js";
import { runSuite } from "../bench/runner.js";
import { hostEnv } from "../bench/hostEnv.js";
import { detectGpu } from "../bench/detectGpu.js";
import { MoebenchError } from "../util/errors.js";
import { fmtBytes } from "../util/units.js";
import { readJsonl } from "../results/jsonl.js";
import { summaryTable } from "../export/summaryTable.js";

export function newRunId(d = new Date()): string {
  return d
    .toISOString()
    .replace(/[:]/g, "-")
    .replace(/\.\d+Z$/, "Z");
}

function latestRunDir(base: string): string | undefined {
  if (!existsSync(base)) return undefined;
  const dirs = readdirSync(base)
    .filter((d) => existsSync(join(base, d, "results.jsonl")))
    .sort();
  return dirs.length ? join(base, dirs[dirs.length - 1]!) : undefined;
}

export interface RunCliOptions {
  out?: string;
  resume?: boolean;
  filter?: string;
  executor: "llama" | "mock";
  backend?: string;
  verbose?: boolean;
  summary?: boolean;
  nvidiaSmi?: string;
  telemetry?: boolean;
  sampleMs?: string;
  idleBaseline?: string;
  llamaBench?: string;
}

/** quality: true — each model file against the F16/BF16 file of the same model in the suite; written to <runDir>/quality.json. */
async function suiteQuality(models: Planned["models"], runDir: string): Promise<void> {
  const files = models.filter((m): m is Extract<typeof m, { kind: "path" }> => m.kind === "path");
  if (models.some((m) => m.kind === "synth"))
    process.stderr.write(
      "quality: synthetic quants have independent random weights, so a KL divergence against the synthetic F16 means nothing; quantize an F16 file with llama-quantize and list the files (README: quality)\n",
    );
  const facts = await Promise.all(
    files.map(async (m) => ({ m, f: modelFacts(await readGguf(m.path, { skipArrays: true })) })),
  );
  const rows: unknown[] = [];
  for (const ref of facts.filter((x) => /^(F16|BF16|ALL_F32)$/.test(x.f.fileType ?? ""))) {
    const same = facts.filter(
      (x) => x !== ref && x.f.arch === ref.f.arch && x.f.vocab === ref.f.vocab && x.f.params === ref.f.params,
    );
    if (!same.length) continue;
    const r = await measureQuality(
      same.map((x) => x.m.path),
      ref.m.path,
      { text: DEFAULT_TEXT, tokens: 512, threads: 1 },
    );
    rows.push(...r.rows);
  }
  if (rows.length) {
    writeFileSync(join(runDir, "quality.json"), `${JSON.stringify({ rows }, null, 2)}\n`);
    process.stderr.write(`quality: ${rows.length} model(s) against their F16 → ${join(runDir, "quality.json")}\n`);
  } else
    process.stderr.write(
      "quality: no model file has an F16/BF16 sibling of the same model in this suite; nothing measured\n",
    );
}

function num(flag: string, v: string | undefined, dflt: number, min: number, max: number): number {
  if (v === undefined) return dflt;
  const n = Number(v);
  if (!Number.isFinite(n) || n < min || n > max)
    throw new MoebenchError(`${flag} ${v}: expected a number from ${min} to ${max}`);
  return n;
}

export async function runCli(
  file: string,
  o: RunCliOptions,
): Promise<{ runDir: string; failed: number; interrupted: boolean }> {
  const probe = await planSuite(file, { gpu: false, filter: o.filter, executor: o.executor });
  const backend = o.backend ?? (o.executor === "mock" ? "mock" : probe.suite.backend);
  const det = o.executor === "mock" ? { gpu: false as const, vramBytes: null, names: [] } : await detectGpu(backend);
  let p =
    det.gpu && probe.suite.gpu ? await planSuite(file, { gpu: true, filter: o.filter, executor: o.executor }) : probe;
  const notes: string[] = [];
  if (det.gpu && det.vramBytes && probe.suite.gpu) {
    // only the models whose weights fit the card (90% of VRAM, leaving room for KV and compute buffers)
    const fits = p.instances.filter((i) => (p.sizes.get(i.model.ref)?.bytes ?? 0) < det.vramBytes! * 0.9);
    const skipped = new Set(p.instances.filter((i) => !fits.includes(i)).map((i) => i.model.label));
    if (skipped.size)
      notes.push(
        `skipping models whose weights do not fit ${fmtBytes(det.vramBytes)} of VRAM: ${[...skipped].join(", ")}`,
      );
    p = { ...p, instances: fits.map((i, index) => ({ ...i, index })) };
  }
  if (o.llamaBench && !existsSync(o.llamaBench))
    throw new MoebenchError(
      `--llama-bench ${o.llamaBench}: no such file`,
      "build llama-bench from the llama.cpp commit you want to test (see README: other builds)",
    );
  const mode = o.llamaBench
    ? `llama-bench ${o.llamaBench}`
    : det.gpu
      ? `GPU (${det.gpu}: ${det.names.join(", ") || "unknown device"})`
      : o.executor === "mock"
        ? "mock executor (synthetic timings, no llama.cpp)"
        : "CPU (no GPU found by node-llama-cpp)";
  const env = hostEnv();
  const base = resolve("results", p.suite.name);
  let runDir: string;
  if (o.out) runDir = resolve(o.out);
  else if (o.resume) {
    const last = latestRunDir(base);
    if (!last)
      throw new MoebenchError(
        `--resume: no earlier run of suite ${p.suite.name} under ${base}`,
        "give the run folder with --out",
      );
    runDir = last;
  } else runDir = join(base, newRunId());
  if (o.out && existsSync(runDir) && !statSync(runDir).isDirectory())
    throw new MoebenchError(`--out ${o.out} is a file`, "give a folder");
  const runId = runDir.split(/[\\/]/).pop()!;
  process.stderr.write(`moebench run: suite ${p.suite.name}, ${p.instances.length} instances on ${mode}\n`);
  for (const n of [...notes, ...p.warnings]) process.stderr.write(`warning: ${n}\n`);
  process.stderr.write(`results → ${join(runDir, "results.jsonl")}\n`);
  const res: Awaited<ReturnType<typeof runSuite>> = await runSuite({
    suiteName: p.suite.name,
    runDir,
    runId,
    instances: p.instances,
    executor: o.executor,
    backend,
    seed: p.suite.seed,
    warmup: p.suite.warmup,
    repetitions: p.suite.repetitions,
    timeoutSec: p.suite.timeoutSec,
    env: { ...env, backend },
    resume: !!o.resume,
    gpuPriceUsd: p.suite.gpuPriceUsd,
    verbose: o.verbose,
    llamaBench: o.llamaBench ? resolve(o.llamaBench) : undefined,
    telemetry: {
      disabled: o.telemetry === false,
      nvidiaSmi: o.nvidiaSmi,
      intervalMs: num("--sample-ms", o.sampleMs, 50, 5, 10_000),
      idleBaselineSec: num("--idle-baseline", o.idleBaseline, 10, 0, 600),
    },
  });
  if (p.suite.endpoints.length && !res.interrupted) {
    let interrupted = false;
    const onInt = (): void => {
      interrupted = true;
    };
    process.once("SIGINT", onInt);
    const h = p.suite.http;
    mkdirSync(runDir, { recursive: true });
    await runHttpSweep(
      {
        endpoints: p.suite.endpoints,
        concurrency: p.suite.concurrency,
        promptTokens: h.promptTokens,
        maxTokens: h.maxTokens,
        requests: h.requests,
        requestTimeoutSec: h.requestTimeoutSec,
        levelTimeoutSec: h.levelTimeoutSec,
      },
      {
        runId,
        suite: p.suite.name,
        env: { ...env, backend: "http" },
        resultsPath: res.resultsPath,
        seed: p.suite.seed,
        isInterrupted: () => interrupted,
        onRecord: (r) =>
          process.stderr.write(
            `${r.model.label} ${r.testId}: ${r.status === "ok" ? `${r.serving!.aggregateTokPerSec.toFixed(1)} tok/s aggregate, TTFT p99 ${r.serving!.ttftMs?.p99.toFixed(0)} ms, ${r.serving!.failed} failed` : `ERROR ${r.error?.message}`}\n`,
          ),
      },
    );
    process.off("SIGINT", onInt);
    if (interrupted) res.interrupted = true;
  }
  if (p.suite.quality && !res.interrupted) await suiteQuality(p.models, runDir);
  if (res.interrupted)
    process.stderr.write(
      `interrupted: ${res.written} record(s) written to ${res.resultsPath}; continue with --resume --out ${runDir}\n`,
    );
  if (o.summary !== false && existsSync(res.resultsPath)) {
    const all = readJsonl(res.resultsPath);
    process.stdout.write(`\n${summaryTable(all)}\n`);
    const http = all.filter((r) => r.serving).length;
    process.stdout.write(
      `\nran on ${mode}; ${res.written} instance(s) measured${http ? `, ${http} serving level(s) over HTTP` : ""}${res.skipped ? `, ${res.skipped} already recorded` : ""}${res.failed ? `, ${res.failed} failed (see status column)` : ""}\nresults: ${res.resultsPath}\n`,
    );
  }
  return { runDir, failed: res.failed, interrupted: res.interrupted };
}

export function runCommand(): Command {
  return new Command("run")
    .description("run a suite: one worker process per model load, one JSONL record per instance (success or failure)")
    .argument("<suite>", "suite YAML file")
    .option("--out <dir>", "run folder (default results/<suite>/<runId>)")
    .option("--resume", "skip instances already recorded in the run folder (the latest run of the suite without --out)")
    .option(
      "--filter <expr>",
      "only matching instances: comma-separated field=value / field~regex / text (fields: model, quant, test, depth, parallel, ctx, kv, fa, ngl, threads)",
    )
    .addOption(
      new Option("--executor <kind>", "llama (node-llama-cpp) or mock (deterministic synthetic timings, for tests)")
        .choices(["llama", "mock"])
        .default("llama"),
    )
    .addOption(
      new Option("--backend <b>", "override the suite's backend").choices(["auto", "cuda", "vulkan", "metal", "cpu"]),
    )
    .option(
      "--llama-bench <binary>",
      "run every instance with this llama-bench binary (any llama.cpp build) instead of node-llama-cpp; the suite's llamaBenchArgs sweep extra flags such as --n-cpu-moe",
    )
    .option("--nvidia-smi <path>", "nvidia-smi to sample (default: MOEBENCH_NVIDIA_SMI, else nvidia-smi on PATH)")
    .option("--no-telemetry", "do not sample GPU power/VRAM")
    .option("--sample-ms <ms>", "telemetry sampling interval (default 50)")
    .option("--idle-baseline <s>", "seconds of loaded-idle power measured after each model load (default 10; 0 = none)")
    .option("-v, --verbose", "show llama.cpp's log")
    .action(async (file: string, o: RunCliOptions) => {
      const r = await runCli(file, o);
      if (r.interrupted) process.exitCode = 130;
    });
}
