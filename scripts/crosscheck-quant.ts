/**
 * Cross-check of the synthesizer's quant mixes against llama.cpp's own llama-quantize (built from the
 * source node-llama-cpp ships). For every preset × quant:
 *  - full scale: an F16 file (sparse, so it costs no disk) goes through `llama-quantize --dry-run`, whose
 *    per-tensor plan (name, order, type) is compared with ours; bytes follow from shape and type;
 *  - small scale (--real): a real F16 file is quantized for real and the output's tensor table
 *    (names, order, types, shapes, data offsets and bytes) is compared with our own file of that quant.
 * Usage: npx tsx scripts/crosscheck-quant.ts [--real] [--presets a,b] [--quants Q4_K_M,…]
 */
import { execFileSync, spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { planSynth, synthesize, PRESET_NAMES, QUANT_NAMES } from "../src/gguf/synth/synthesize.js";
import { readGguf } from "../src/gguf/read.js";
import { ensureLlamaTools } from "../src/util/llamaCppBuild.js";
import { GGML_BLOCK_BY_ID, GGML_TYPE_NAMES } from "../src/gguf/ggmlTypes.js";

const args = process.argv.slice(2);
const opt = (k: string): string | undefined => {
  const i = args.indexOf(k);
  return i >= 0 ? args[i + 1] : undefined;
};
const presets = opt("--presets")?.split(",") ?? PRESET_NAMES;
const quants = opt("--quants")?.split(",") ?? QUANT_NAMES;
const real = args.includes("--real");
const fixtureOut = opt("--write-fixture");
const fixture: Record<string, { names: string[]; quants: Record<string, string[]> }> = {};
const bin = ensureLlamaTools(["llama-quantize"]);
const quantize = join(bin, "llama-quantize");
const dir = mkdtempSync(join(tmpdir(), "moebench-xcheck-"));
const idByName = Object.fromEntries(Object.entries(GGML_TYPE_NAMES).map(([id, n]) => [n.toLowerCase(), Number(id)]));
const bytesOf = (type: string, shape: number[]): number => {
  const blk = GGML_BLOCK_BY_ID[idByName[type.toLowerCase()]!]!;
  return (shape.reduce((a, b) => a * b, 1) / blk[0]) * blk[1];
};

let failures = 0;
/** One Markdown row; numbers with thousands separators. */
const row = (cells: (string | number)[]): string =>
  `| ${cells.map((c) => (typeof c === "number" ? c.toLocaleString("en-US") : c)).join(" | ")} |`;
const verdict = (problems: string[], same: string): string =>
  problems.length ? `DIFF: ${problems.slice(0, 3).join("; ")}` : same;
const rows: string[] = [
  "| preset | quant | scale | tensors | tensor bytes (ours) | tensor bytes (llama-quantize) | types | verdict |",
  "|---|---|---|---:|---:|---:|---|---|",
];
try {
  for (const preset of presets) {
    const f16 = join(dir, `${preset}-full-F16.gguf`);
    await synthesize({ preset, quant: "F16", scale: "full", sparse: true }, f16);
    for (const quant of quants) {
      const ours = planSynth({ preset, quant, scale: "full" });
      let theirs: { name: string; type: string; shape: number[] }[];
      if (quant === "F16") {
        theirs = (await readGguf(f16, { skipArrays: true })).tensors.map((t) => ({
          name: t.name,
          type: t.type,
          shape: t.shape,
        }));
      } else {
        const r = spawnSync(quantize, ["--dry-run", f16, quant], { encoding: "utf8", maxBuffer: 64 << 20 });
        if (r.status !== 0) throw new Error(`llama-quantize --dry-run ${quant} failed: ${r.stderr.slice(-500)}`);
        const out = r.stdout + r.stderr;
        theirs = [];
        for (const line of out.split("\n")) {
          const m = /^\[\s*\d+\/\s*\d+\]\s+(\S+)\s+-\s+\[([\d,\s]+)\],\s+type =\s+(\w+),.*?(?:\((\w+)\))?\s*$/.exec(
            line,
          );
          if (!m) continue;
          const shape = m[2]!.split(",").map((s) => Number(s.trim()));
          while (shape.length > 1 && shape[shape.length - 1] === 1) shape.pop();
          theirs.push({ name: m[1]!, type: (m[4] ?? m[3]!).toUpperCase(), shape });
        }
      }
      fixture[preset] ??= { names: theirs.map((t) => t.name), quants: {} };
      fixture[preset].quants[quant] = theirs.map((t) => t.type);
      const problems: string[] = [];
      if (theirs.length !== ours.tensors.length) problems.push(`${ours.tensors.length} tensors vs ${theirs.length}`);
      let theirBytes = 0;
      theirs.forEach((t, i) => {
        theirBytes += bytesOf(t.type, t.shape);
        const o = ours.tensors[i];
        if (!o) return;
        if (o.name !== t.name) problems.push(`#${i}: ${o.name} vs ${t.name}`);
        else if (o.type.name !== t.type) problems.push(`${t.name}: ${o.type.name} vs ${t.type}`);
      });
      if (theirBytes !== ours.tensorBytes) problems.push(`bytes ${ours.tensorBytes} vs ${theirBytes}`);
      const types = [...new Set(ours.tensors.map((t) => t.type.name))].join(" ");
      rows.push(
        row([
          preset,
          quant,
          "full",
          ours.tensors.length,
          ours.tensorBytes,
          theirBytes,
          types,
          verdict(problems, "identical"),
        ]),
      );
      if (problems.length) failures++;
    }
    rmSync(f16, { force: true });
    if (real) {
      const sf16 = join(dir, `${preset}-small-F16.gguf`);
      await synthesize({ preset, quant: "F16", scale: "small" }, sf16);
      for (const quant of quants.filter((q) => q !== "F16")) {
        const theirsPath = join(dir, `${preset}-small-${quant}-llamaq.gguf`);
        const oursPath = join(dir, `${preset}-small-${quant}-ours.gguf`);
        execFileSync(quantize, [sf16, theirsPath, quant, "2"], { stdio: "ignore" });
        await synthesize({ preset, quant, scale: "small" }, oursPath);
        const a = (await readGguf(oursPath, { skipArrays: true })).tensors;
        const b = (await readGguf(theirsPath, { skipArrays: true })).tensors;
        const problems: string[] = [];
        if (a.length !== b.length) problems.push(`${a.length} tensors vs ${b.length}`);
        a.forEach((t, i) => {
          const u = b[i];
          if (!u) return;
          if (
            t.name !== u.name ||
            t.type !== u.type ||
            t.bytes !== u.bytes ||
            t.offset !== u.offset ||
            t.shape.join() !== u.shape.join()
          )
            problems.push(`${t.name}: ${t.type}/${t.bytes}@${t.offset} vs ${u.name} ${u.type}/${u.bytes}@${u.offset}`);
        });
        const sum = (x: typeof a): number => x.reduce((s, t) => s + t.bytes, 0);
        rows.push(
          row([
            preset,
            quant,
            "small (real quantize)",
            a.length,
            sum(a),
            sum(b),
            [...new Set(a.map((t) => t.type))].join(" "),
            verdict(problems, "identical (types, shapes, offsets, bytes)"),
          ]),
        );
        if (problems.length) failures++;
        rmSync(theirsPath, { force: true });
        rmSync(oursPath, { force: true });
      }
      rmSync(sf16, { force: true });
    }
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
console.log(rows.join("\n"));
if (fixtureOut) {
  const { writeFileSync } = await import("node:fs");
  writeFileSync(
    fixtureOut,
    `${JSON.stringify({
      source: "llama-quantize --dry-run (llama.cpp bundled with node-llama-cpp), full-scale F16 synth files",
      presets: fixture,
    })}\n`,
  );
  console.log(`wrote ${fixtureOut}`);
}
console.log(failures ? `\n${failures} combination(s) differ` : "\nall combinations identical");
process.exitCode = failures ? 1 : 0;
