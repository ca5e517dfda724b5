import { Command, Option } from "commander";
import { spawnSync } from "node:child_process";
import { statSync } from "node:fs";
import { rename, statfs, unlink } from "node:fs/promises";
import { cpus } from "node:os";
import { dirname, resolve } from "node:path";
import {
  planSynth,
  synthesize,
  PRESET_NAMES,
  QUANT_NAMES,
  type SynthPlan,
  type SynthRequest,
} from "../gguf/synth/synthesize.js";
import { PRESETS, PRESET_ALIASES, SCALES, type Scale } from "../gguf/synth/presets.js";
import { scaleFidelity } from "../gguf/synth/scaleFidelity.js";
import { readGguf } from "../gguf/read.js";
import { originOf } from "../gguf/provenance.js";
import { partialName, removeStalePartials } from "../gguf/write.js";
import { tensorBytes } from "../gguf/ggmlTypes.js";
import { MoebenchError } from "../util/errors.js";
import { fsError } from "../util/fsErrors.js";
import { ensureLlamaTools } from "../util/llamaCppBuild.js";
import { fmtBytes, fmtCount } from "../util/units.js";

type SetValues = Record<string, number | boolean | number[]>;

interface SynthCliOptions {
  quant: string;
  out?: string;
  scale: Scale;
  set?: SetValues;
  seed: number;
  sparse?: boolean;
  from?: string;
  dryRun?: boolean;
  json?: boolean;
}

function parseSet(v: string, prev: SetValues = {}): SetValues {
  const m = /^([A-Za-z]\w*)=(.+)$/.exec(v);
  if (!m) throw new MoebenchError(`--set ${v}: expected key=value`, "e.g. --set nLayer=4");
  const raw = m[2]!;
  let val: number | boolean | number[];
  if (raw === "true" || raw === "false") val = raw === "true";
  else if (raw.includes(",")) val = raw.split(",").map(Number);
  else val = Number(raw);
  if (typeof val === "number" && !Number.isFinite(val)) throw new MoebenchError(`--set ${v}: "${raw}" is not a number`);
  if (Array.isArray(val) && val.some((x) => !Number.isFinite(x)))
    throw new MoebenchError(`--set ${v}: "${raw}" is not a list of numbers`);
  return { ...prev, [m[1]!]: val };
}

function dryRunJson(plan: SynthPlan): string {
  const out = {
    preset: plan.preset,
    quant: plan.quant,
    scale: plan.scale,
    vocab: plan.hparams.vocab,
    ctxTrain: plan.hparams.ctxTrain,
    source: plan.hparams.source ?? null,
    params: plan.params,
    activeParams: plan.activeParams,
    activeBytesPerToken: plan.activeBytesPerToken,
    tensorBytes: plan.tensorBytes,
    scaleFidelity: plan.scale === "full" ? null : scaleFidelity(plan.preset, plan.quant, plan.scale),
    hparams: plan.hparams,
    tensors: plan.tensors.map((t) => ({
      name: t.name,
      type: t.type.name,
      shape: t.shape,
      bytes: tensorBytes(t.type, t.shape),
    })),
  };
  return `${JSON.stringify(out, null, 2)}\n`;
}

/** An existing folder given to -o is an error before anything is written (not 4.7 GiB later). */
function checkOut(out: string): void {
  let isDir = false;
  try {
    isDir = statSync(out).isDirectory();
  } catch {
    return;
  }
  if (isDir) throw fsError(Object.assign(new Error(), { code: "EISDIR" }), out, "write");
}

async function checkSpace(out: string, bytes: number): Promise<void> {
  const fs = await statfs(dirname(out)).catch(() => undefined);
  if (fs && fs.bavail * fs.bsize < bytes + (64 << 20))
    throw new MoebenchError(
      `${out}: needs ${fmtBytes(bytes)} but only ${fmtBytes(fs.bavail * fs.bsize)} is free`,
      "free space, write elsewhere with -o, or use --sparse for memory tests",
    );
}

/**
 * The honest path to quality figures on synthetic models: quantize an F16 synth file with llama-quantize
 * (built from the llama.cpp source node-llama-cpp ships). The output keeps the F16's moebench metadata with
 * a new file type, which is how `quality` knows it was made from the reference's weights.
 */
async function quantizeFrom(from: string, preset: string, quant: string, outArg: string | undefined): Promise<void> {
  const origin = originOf(await readGguf(from, { skipArrays: true }));
  if (!origin.fileType || !/^(F16|BF16|ALL_F32)$/.test(origin.fileType))
    throw new MoebenchError(
      `--from ${from}: is ${origin.fileType ?? "an unknown type"}, not F16/BF16/F32`,
      "quantize from the full-precision file",
    );
  if (origin.synthetic && origin.synthetic.preset !== preset)
    throw new MoebenchError(`--from ${from}: is a synthetic ${origin.synthetic.preset}, not ${preset}`);
  const scale = origin.synthetic?.scale ?? "real";
  const out = resolve(outArg ?? `${preset}-${scale}-${quant}-from-${origin.fileType}.gguf`);
  checkOut(out);
  removeStalePartials(dirname(out));
  const bin = ensureLlamaTools(["llama-quantize"]);
  const tmp = partialName(out, process.pid);
  const threads = String(Math.max(1, cpus().length - 1));
  const r = spawnSync(`${bin}/llama-quantize`, [from, tmp, quant, threads], { encoding: "utf8", maxBuffer: 64 << 20 });
  if (r.status !== 0) {
    await unlink(tmp).catch(() => undefined);
    const last = `${r.stderr ?? ""}${r.stdout ?? ""}`.trim().split("\n").pop() ?? "";
    throw new MoebenchError(`llama-quantize ${quant} of ${from} failed: ${last}`, "check the file and the quant name");
  }
  await rename(tmp, out).catch((e: unknown) => {
    throw fsError(e, out, "write");
  });
  process.stdout.write(
    `${out}: ${quant} quantized by llama-quantize from ${from}; quality against it: ` +
      `moebench quality ${out} --reference ${from} (random-weight model: quantization noise, not language quality)\n`,
  );
}

async function writeSynth(req: SynthRequest, plan: SynthPlan, outArg: string | undefined): Promise<void> {
  const out = resolve(outArg ?? `${plan.preset}-${plan.scale}-${plan.quant}${req.sparse ? "-sparse" : ""}.gguf`);
  checkOut(out);
  if (!req.sparse) await checkSpace(out, plan.tensorBytes);
  const t0 = performance.now();
  const tty = process.stderr.isTTY;
  let lastPct = -1;
  const res = await synthesize(req, out, (done, total) => {
    const pct = Math.floor((done / total) * 100);
    if (tty && pct !== lastPct) {
      process.stderr.write(`\rwriting ${pct}%`);
      lastPct = pct;
    }
  });
  if (tty) process.stderr.write("\r");
  const s = (performance.now() - t0) / 1000;
  const what = `${res.preset} ${res.quant} (${res.scale}${req.sparse ? ", sparse" : ""})`;
  process.stdout.write(
    `${res.path}: ${what}, ${res.tensors.length} tensors, ${fmtCount(res.params)} params, ` +
      `${fmtBytes(res.fileBytes)} in ${s.toFixed(1)} s (${(res.fileBytes / 1e6 / s).toFixed(0)} MB/s)\n`,
  );
}

async function synthAction(presetArg: string, o: SynthCliOptions): Promise<void> {
  if (!Number.isInteger(o.seed) || o.seed < 0 || o.seed > 0xffffffff)
    throw new MoebenchError(`--seed ${o.seed}: expected an integer from 0 to 4294967295`);
  const req: SynthRequest = {
    preset: presetArg,
    quant: o.quant,
    scale: o.scale,
    set: o.set,
    seed: o.seed,
    sparse: !!o.sparse,
  };
  const plan = planSynth(req);
  if (o.from) return quantizeFrom(o.from, plan.preset, plan.quant, o.out);
  if (!o.dryRun) return writeSynth(req, plan, o.out);
  if (o.json) process.stdout.write(dryRunJson(plan));
  else
    process.stdout.write(
      `${plan.preset} ${plan.quant} (${plan.scale}): ${plan.tensors.length} tensors, ` +
        `${fmtCount(plan.params)} parameters (${fmtCount(plan.activeParams)} active), ` +
        `vocabulary ${plan.hparams.vocab}, ${fmtBytes(plan.tensorBytes)} of tensor data\n`,
    );
}

const HELP_AFTER = (presets: string): string => `
Presets (shapes from each model's published config.json or model card; \`--dry-run --json\` shows the source):
${presets}

Random weights benchmark like the real model: llama.cpp's speed does not depend on the values.
They say nothing about language quality, and two synthesized files share no weights: a KL divergence
between them means nothing. For quality figures, quantize a synthetic F16 with llama-quantize:
  moebench synth <preset> -q F16 -o ref.gguf && moebench synth <preset> -q Q4_K_M --from ref.gguf
then \`moebench quality\` measures quantization noise of a random-weight model (not language quality).`;

export function synthCommand(): Command {
  const presetsHelp = Object.entries(PRESETS)
    .map(([k, h]) => `  ${k.padEnd(16)} ${h.arch.padEnd(8)} ${h.note}`)
    .join("\n");
  const aliases = Object.keys(PRESET_ALIASES).join(", ");
  return new Command("synth")
    .description(
      "write a GGUF with random weights and the exact tensor shapes and per-tensor quant types of a real model",
    )
    .argument("<preset>", `model preset: ${PRESET_NAMES.join(", ")} (aliases: ${aliases})`)
    .requiredOption("-q, --quant <Q>", `file type: ${QUANT_NAMES.join(", ")}`)
    .option("-o, --out <file>", "output path (default: <preset>-<scale>-<quant>.gguf in the current folder)")
    .addOption(
      new Option(
        "--scale <scale>",
        "full (real shapes); small (same structure and quant rules, ~1/120 of the bytes per token, ratios kept: " +
          "see inspect) or tiny (structure only, for tests)",
      )
        .choices(SCALES as string[])
        .default("full"),
    )
    .option(
      "--set <key=value>",
      "override a hyperparameter (repeatable), e.g. --set nLayer=4 --set vocab=32000",
      parseSet,
    )
    .option("--seed <n>", "random seed for the weights", (v) => Number(v), 42)
    .option(
      "--sparse",
      "header and tensor table only; the data is a sparse hole (zeros). Loads and allocates like the real file: " +
        "for memory and load tests, NEVER for speed",
    )
    .option(
      "--from <F16.gguf>",
      "quantize this F16 file with llama-quantize instead (the way to make files `quality` can compare)",
    )
    .option("--dry-run", "print the plan instead of writing")
    .option(
      "--json",
      "with --dry-run: print JSON {preset, quant, vocab, params, activeParams, tensorBytes, tensors[], …}",
    )
    .addHelpText("after", HELP_AFTER(presetsHelp))
    .action(synthAction);
}
