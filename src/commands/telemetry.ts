import { Command } from "commander";
import { readFileSync, statSync } from "node:fs";
import { parseQueryCsv, parseNvTimestamp, type ParsedTable } from "../telemetry/nvidiaSmi/parseCsv.js";
import { integrateWindow, sampleInterval, type PowerSample } from "../telemetry/energy.js";
import { MoebenchError } from "../util/errors.js";
import { withFs } from "../util/fsErrors.js";

/** ~2 hours of a 20-field log at 50 ms; parsing a larger file in one piece would take GBs of memory. */
const MAX_LOG_BYTES = 32 << 20;
/** No GPU draws 100 kW: a reading above this (or below 0) is a corrupt line, not a measurement. */
const MAX_PLAUSIBLE_W = 100_000;

function readLog(file: string): string {
  const st = withFs(file, "read", () => statSync(file));
  if (st.isDirectory()) throw new MoebenchError(`${file}: is a folder`, "pass an nvidia-smi --query-gpu log file");
  if (st.size > MAX_LOG_BYTES)
    throw new MoebenchError(
      `${file}: ${st.size} bytes is too large to read in one piece (at most ${MAX_LOG_BYTES})`,
      "cut out the part you need first (e.g. with sed -n '1p;START,ENDp')",
    );
  return withFs(file, "read", () => readFileSync(file, "utf8"));
}

function load(file: string, fields?: string): ParsedTable {
  const t = parseQueryCsv(readLog(file), { fields: fields?.split(",").map((s) => s.trim()) });
  if (t.rows.length === 0)
    throw new MoebenchError(`${file}: no rows`, "is it an nvidia-smi --query-gpu … --format=csv log?");
  if (t.fields.every((f) => /^col\d+$/.test(f)))
    throw new MoebenchError(
      `${file}: no header line`,
      "give the --query-gpu field list with --fields (the log was written with noheader)",
    );
  return t;
}

function powerField(t: ParsedTable, file: string): "power.draw.instant" | "power.draw" {
  if (t.fields.includes("power.draw.instant") && t.rows.some((r) => typeof r["power.draw.instant"] === "number"))
    return "power.draw.instant";
  if (t.fields.includes("power.draw")) return "power.draw";
  throw new MoebenchError(`${file}: no power.draw or power.draw.instant column`, "log with --query-gpu=power.draw,…");
}

/** Timestamped power samples of one GPU, in time order; an implausible reading is an error naming its row. */
function powerSamples(t: ParsedTable, file: string, field: string, gpu: number): PowerSample[] {
  const samples: PowerSample[] = [];
  t.rows.forEach((r, i) => {
    if (t.fields.includes("index") && r.index !== gpu) return;
    const time = parseNvTimestamp(String(r.timestamp));
    const w = r[field];
    if (time === null || typeof w !== "number") return;
    if (!(w >= 0 && w <= MAX_PLAUSIBLE_W))
      throw new MoebenchError(
        `${file}: row ${i + 1} (${r.timestamp}): ${field} ${w} W is not a plausible reading`,
        "the log is corrupt there; remove that line",
      );
    samples.push({ t: time, w });
  });
  return samples.sort((a, b) => a.t - b.t);
}

/** --from/--to: a timestamp as in the log, or seconds from the first sample. */
function timeOf(s: string | undefined, dflt: number, first: number): number {
  if (s === undefined) return dflt;
  if (/^\d+(\.\d+)?$/.test(s)) return first + Number(s) * 1000;
  const v = parseNvTimestamp(s);
  if (v === null)
    throw new MoebenchError(`--from/--to "${s}": use the log's timestamp format or seconds from the first row`);
  return v;
}

interface EnergyOptions {
  from?: string;
  to?: string;
  gpu: string;
  fields?: string;
  json?: boolean;
}

export function energyOf(file: string, o: EnergyOptions) {
  const t = load(file, o.fields);
  if (!t.fields.includes("timestamp"))
    throw new MoebenchError(`${file}: no timestamp column`, "log with --query-gpu=timestamp,… to integrate energy");
  const field = powerField(t, file);
  const gpu = Number(o.gpu);
  if (!Number.isInteger(gpu) || gpu < 0) throw new MoebenchError(`--gpu ${o.gpu}: expected a GPU index (0, 1, …)`);
  const samples = powerSamples(t, file, field, gpu);
  if (samples.length < 2)
    throw new MoebenchError(
      `${file}: fewer than 2 power samples${t.fields.includes("index") ? ` for GPU ${gpu}` : ""}`,
    );
  const first = samples[0]!.t;
  const last = samples[samples.length - 1]!.t;
  const from = timeOf(o.from, first, first);
  const to = timeOf(o.to, last, first);
  if (!(to > from)) throw new MoebenchError("--from/--to: empty window", "--to must be later than --from");
  const span = `${((from - first) / 1000).toFixed(3)}–${((to - first) / 1000).toFixed(3)} s`;
  if (from < first || to > last)
    throw new MoebenchError(
      `--from/--to: the window ${span} is not inside the log (it spans 0–${((last - first) / 1000).toFixed(3)} s)`,
      "choose a window the log covers",
    );
  const intervalMs = sampleInterval(samples);
  const e = integrateWindow(samples, from, to, intervalMs);
  if (!Number.isFinite(e.joules) || !Number.isFinite(e.meanW))
    throw new MoebenchError(`${file}: no energy for the window ${span} (${e.reasons.join("; ") || "no samples"})`);
  return {
    field,
    seconds: e.seconds,
    joules: e.joules,
    meanW: e.meanW,
    peakW: e.peakW,
    samples: e.samples,
    intervalMs,
    gaps: e.gaps.length,
    notes: [...e.reasons, ...(field === "power.draw" ? ["power.draw is a ~1 s average on Ampere and newer GPUs"] : [])],
  };
}

function energyText(file: string, out: ReturnType<typeof energyOf>): string {
  const notes = out.notes.length ? `\n  note: ${out.notes.join("; ")}` : "";
  return (
    `${file}: ${out.joules.toFixed(2)} J over ${out.seconds.toFixed(3)} s, mean ${out.meanW.toFixed(1)} W, ` +
    `peak ${out.peakW.toFixed(1)} W (${out.field}, ${out.samples} samples every ~${out.intervalMs.toFixed(0)} ms)` +
    `${notes}\n`
  );
}

export function telemetryCommand(): Command {
  const cmd = new Command("telemetry").description("read nvidia-smi logs you already have");
  cmd
    .command("parse")
    .description(
      "parse an nvidia-smi --query-gpu/--query-compute-apps log (any --format variant) into JSON rows keyed by " +
        "field name; numbers in base units, null for N/A-like values",
    )
    .argument("<file>")
    .option("--fields <list>", "field names of a noheader log, comma-separated (the --query-gpu list)")
    .option("--json", "print JSON (the default)")
    .action((file: string, o: { fields?: string }) => {
      const t = load(file, o.fields);
      process.stdout.write(`${JSON.stringify(t.rows, null, 2)}\n`);
    });
  cmd
    .command("energy")
    .description(
      "joules, mean and peak watts over a log (power.draw.instant where present, else power.draw), by the " +
        "log's own timestamps",
    )
    .argument("<file>")
    .option("--from <t>", "start: a timestamp as in the log (YYYY/MM/DD HH:MM:SS.mmm) or seconds from the first row")
    .option("--to <t>", "end, same forms")
    .option("--gpu <index>", "GPU index for multi-GPU logs", "0")
    .option("--fields <list>", "field names of a noheader log")
    .option("--json", "print JSON")
    .action((file: string, o: EnergyOptions) => {
      const out = energyOf(file, o);
      process.stdout.write(o.json ? `${JSON.stringify(out, null, 2)}\n` : energyText(file, out));
    });
  return cmd;
}
