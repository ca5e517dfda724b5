import { Command, Option } from "commander";
import { statfs } from "node:fs/promises";
import { dirname, resolve } from "node:path";
import { planSynth, synthesize, PRESET_NAMES, QUANT_NAMES, type SynthRequest } from "../gguf/synth/synthesize.js";
import { PRESETS, PRESET_ALIASES, SCALES, type Scale } from "../gguf/synth/presets.js";
import { MoebenchError } from "../util/errors.js";
import { fmtBytes, fmtCount } from "../util/units.js";

function parseSet(
  v: string,
  prev: Record<string, number | boolean | number[]> = {},
): Record<string, number | boolean | number[]> {
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

export function synthCommand(): Command {
  const presetsHelp = Object.entries(PRESETS)
    .map(([k, h]) => `  ${k.padEnd(16)} ${h.arch.padEnd(8)} ${h.note}`)
    .join("\n");
  return new Command("synth")
    .description(
      "write a GGUF with random weights and the exact tensor shapes and per-tensor quant types of a real model",
    )
    .argument(
      "<preset>",
      `model preset: ${PRESET_NAMES.join(", ")} (aliases: ${Object.keys(PRESET_ALIASES).join(", ")})`,
    )
    .requiredOption("-q, --quant <Q>", `file type: ${QUANT_NAMES.join(", ")}`)
    .option("-o, --out <file>", "output path (default: <preset>-<scale>-<quant>.gguf in the current folder)")
    .addOption(
      new Option(
        "--scale <scale>",
        "full (real shapes), small or tiny (same structure and quant rules, narrower and shallower, for CPU tests)",
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
      "header and tensor table only; the data is a sparse hole (zeros). Loads and allocates like the real file: for memory and load tests, NEVER for speed",
    )
    .option("--dry-run", "print the plan instead of writing")
    .option("--json", "with --dry-run: print JSON {preset, quant, params, tensorBytes, tensors[]}")
    .addHelpText(
      "after",
      `\nPresets (shapes from each model's published config.json):\n${presetsHelp}\n\nThe seed article's LFM2.5-8B-A1B is synthesized with LFM2-8B-A1B's published config (alias lfm2.5-8b-a1b).\nRandom weights benchmark like the real model (llama.cpp's speed does not depend on values); quality figures on them measure quantization noise only.`,
    )
    .action(
      async (
        presetArg: string,
        o: {
          quant: string;
          out?: string;
          scale: Scale;
          set?: Record<string, number | boolean | number[]>;
          seed: number;
          sparse?: boolean;
          dryRun?: boolean;
          json?: boolean;
        },
      ) => {
        if (!Number.isInteger(o.seed) || o.seed < 0)
          throw new MoebenchError(`--seed ${o.seed}: expected a non-negative integer`);
        const req: SynthRequest = {
          preset: presetArg,
          quant: o.quant,
          scale: o.scale,
          set: o.set,
          seed: o.seed,
          sparse: !!o.sparse,
        };
        const plan = planSynth(req);
        if (o.dryRun) {
          if (o.json) {
            const out = {
              preset: plan.preset,
              quant: plan.quant,
              params: plan.params,
              tensorBytes: plan.tensorBytes,
              tensors: plan.tensors.map((t) => ({
                name: t.name,
                type: t.type.name,
                shape: t.shape,
                bytes: (t.shape.reduce((a, b) => a * b, 1) / t.type.blockSize) * t.type.typeSize,
              })),
            };
            process.stdout.write(`${JSON.stringify(out, null, 2)}\n`);
          } else {
            process.stdout.write(
              `${plan.preset} ${plan.quant} (${plan.scale}): ${plan.tensors.length} tensors, ${fmtCount(plan.params)} parameters, ${fmtBytes(plan.tensorBytes)} of tensor data\n`,
            );
          }
          return;
        }
        const out = resolve(o.out ?? `${plan.preset}-${plan.scale}-${plan.quant}${o.sparse ? "-sparse" : ""}.gguf`);
        if (!o.sparse) {
          const fs = await statfs(dirname(out)).catch(() => undefined);
          if (fs && fs.bavail * fs.bsize < plan.tensorBytes + (64 << 20)) {
            throw new MoebenchError(
              `${out}: needs ${fmtBytes(plan.tensorBytes)} but only ${fmtBytes(fs.bavail * fs.bsize)} is free`,
              "free space, write elsewhere with -o, or use --sparse for memory tests",
            );
          }
        }
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
        process.stdout.write(
          `${res.path}: ${res.preset} ${res.quant} (${res.scale}${o.sparse ? ", sparse" : ""}), ${res.tensors.length} tensors, ${fmtCount(res.params)} params, ${fmtBytes(res.fileBytes)} in ${s.toFixed(1)} s (${(res.fileBytes / 1e6 / s).toFixed(0)} MB/s)\n`,
        );
      },
    );
}
