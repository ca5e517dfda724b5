import { Command } from "commander";
import { readFileSync, existsSync } from "node:fs";
import { parseQueryCsv, parseNvTimestamp } from "../telemetry/nvidiaSmi/parseCsv.js";
import { integrateWindow, sampleInterval } from "../telemetry/energy.js";
import { MoebenchError } from "../util/errors.js";

function load(file: string, fields?: string): ReturnType<typeof parseQueryCsv> {
  if (!existsSync(file)) throw new MoebenchError(`${file}: no such file`, "pass an nvidia-smi --query-gpu log");
  const t = parseQueryCsv(readFileSync(file, "utf8"), { fields: fields?.split(",").map((s) => s.trim()) });
  if (t.rows.length === 0)
    throw new MoebenchError(`${file}: no rows`, "is it an nvidia-smi --query-gpu … --format=csv log?");
  if (t.fields.every((f) => /^col\d+$/.test(f)))
    throw new MoebenchError(
      `${file}: no header line`,
      "give the --query-gpu field list with --fields (the log was written with noheader)",
    );
  return t;
}

export function telemetryCommand(): Command {
  const cmd = new Command("telemetry").description("read nvidia-smi logs you already have");
  cmd
    .command("parse")
    .description(
      "parse an nvidia-smi --query-gpu/--query-compute-apps log (any --format variant) into JSON rows keyed by field name; numbers in base units, null for N/A-like values",
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
      "joules, mean and peak watts over a log (power.draw.instant where present, else power.draw), by the log's own timestamps",
    )
    .argument("<file>")
    .option("--from <t>", "start: a timestamp as in the log (YYYY/MM/DD HH:MM:SS.mmm) or seconds from the first row")
    .option("--to <t>", "end, same forms")
    .option("--gpu <index>", "GPU index for multi-GPU logs", "0")
    .option("--fields <list>", "field names of a noheader log")
    .option("--json", "print JSON")
    .action((file: string, o: { from?: string; to?: string; gpu: string; fields?: string; json?: boolean }) => {
      const t = load(file, o.fields);
      if (!t.fields.includes("timestamp"))
        throw new MoebenchError(`${file}: no timestamp column`, "log with --query-gpu=timestamp,… to integrate energy");
      const field =
        t.fields.includes("power.draw.instant") && t.rows.some((r) => typeof r["power.draw.instant"] === "number")
          ? "power.draw.instant"
          : t.fields.includes("power.draw")
            ? "power.draw"
            : null;
      if (!field) throw new MoebenchError(`${file}: no power.draw or power.draw.instant column`);
      const gpu = Number(o.gpu);
      const rows = t.rows.filter((r) => !t.fields.includes("index") || r.index === gpu);
      const samples = rows
        .map((r) => ({ t: parseNvTimestamp(String(r.timestamp)) ?? NaN, w: r[field] as number }))
        .filter((s) => Number.isFinite(s.t) && typeof s.w === "number")
        .sort((a, b) => a.t - b.t);
      if (samples.length < 2)
        throw new MoebenchError(
          `${file}: fewer than 2 power samples${t.fields.includes("index") ? ` for GPU ${gpu}` : ""}`,
        );
      const at = (s: string | undefined, dflt: number): number => {
        if (s === undefined) return dflt;
        if (/^\d+(\.\d+)?$/.test(s)) return samples[0]!.t + Number(s) * 1000;
        const v = parseNvTimestamp(s);
        if (v === null)
          throw new MoebenchError(`--from/--to "${s}": use the log's timestamp format or seconds from the first row`);
        return v;
      };
      const from = at(o.from, samples[0]!.t);
      const to = at(o.to, samples[samples.length - 1]!.t);
      if (!(to > from)) throw new MoebenchError(`--from/--to: empty window`);
      const e = integrateWindow(samples, from, to, sampleInterval(samples));
      const out = {
        field,
        seconds: e.seconds,
        joules: e.joules,
        meanW: e.meanW,
        peakW: e.peakW,
        samples: e.samples,
        intervalMs: sampleInterval(samples),
        gaps: e.gaps.length,
        notes: [
          ...e.reasons,
          ...(field === "power.draw" ? ["power.draw is a ~1 s average on Ampere and newer GPUs"] : []),
        ],
      };
      if (o.json) process.stdout.write(`${JSON.stringify(out, null, 2)}\n`);
      else
        process.stdout.write(
          `${file}: ${out.joules.toFixed(2)} J over ${out.seconds.toFixed(3)} s, mean ${out.meanW.toFixed(1)} W, peak ${out.peakW.toFixed(1)} W (${field}, ${out.samples} samples every ~${out.intervalMs.toFixed(0)} ms)${out.notes.length ? `\n  note: ${out.notes.join("; ")}` : ""}\n`,
        );
    });
  return cmd;
}
