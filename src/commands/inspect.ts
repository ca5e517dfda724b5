import { Command } from "commander";
import { readGguf } from "../gguf/read.js";
import { modelFacts, type ModelFacts } from "../gguf/modelFacts.js";
import { scaleFidelity, type ScaleFidelity } from "../gguf/synth/scaleFidelity.js";
import { PRESETS, SCALES, type Scale } from "../gguf/synth/presets.js";
import { fmtBytes, fmtCount } from "../util/units.js";

/** A synthetic file's two ratios against full size (null for real files, or presets/quants moebench no longer has). */
export function fidelityOf(f: ModelFacts): ScaleFidelity | null {
  const s = f.synthetic;
  if (!s || !PRESETS[s.preset] || !SCALES.includes(s.scale as Scale) || !f.fileType) return null;
  try {
    return scaleFidelity(s.preset, f.fileType, s.scale as Scale);
  } catch {
    return null;
  }
}

const pct = (a: number, b: number): string => `${a >= b ? "+" : "−"}${Math.abs((a / b - 1) * 100).toFixed(0)}%`;

function fidelityLines(x: ScaleFidelity): string[] {
  if (x.scale === "full") return [];
  const keeps = x.scale === "small" ? "kept within ±15% at small scale" : "NOT kept at tiny scale (structure only)";
  return [
    `  vs full size   active/total ${x.activeShare.toFixed(3)} ` +
      `(full size ${x.activeShareFull.toFixed(3)}, ${pct(x.activeShare, x.activeShareFull)}); ` +
      `reads 1/${(x.activeBytesPerTokenFull / x.activeBytesPerToken).toFixed(0)} of the full-size bytes per token`,
    `                 ${x.pair.moe} ÷ ${x.pair.dense} bytes per token ${x.pair.ratio.toFixed(3)} ` +
      `(full size ${x.pair.ratioFull.toFixed(3)}, ${pct(x.pair.ratio, x.pair.ratioFull)}): ${keeps}`,
  ];
}

export function formatFacts(f: ModelFacts, path: string, fidelity: ScaleFidelity | null = null): string {
  const syn = f.synthetic
    ? `  [synthetic: ${f.synthetic.preset} ${f.synthetic.scale}${f.synthetic.sparse ? ", sparse" : ""}]`
    : "";
  const moe = f.isMoe
    ? `, ${fmtCount(f.activeParams)} active per token (${f.nExpertUsed} of ${f.nExpert} experts), ` +
      `active/total ${(f.activeParams / f.params).toFixed(3)}`
    : "";
  const attn = f.attentionLayers.length === f.nLayer ? "all" : f.attentionLayers.join(",");
  const lines = [
    `${path}`,
    `  architecture   ${f.arch}${f.name ? `  (${f.name})` : ""}${syn}`,
    `  file type      ${f.fileType ?? "?"}   ${fmtBytes(f.fileBytes)} file, ${fmtBytes(f.tensorBytes)} tensor data, ` +
      `${f.bitsPerWeight.toFixed(2)} bits/weight`,
    `  parameters     ${fmtCount(f.params)} total${moe}`,
    `  per token      ${fmtBytes(f.activeBytesPerToken)} of weights read per generated token`,
    `  shape          ${f.nLayer} blocks, n_embd ${f.nEmbd}, vocab ${f.vocab}` +
      `${f.ctxTrain ? `, trained context ${f.ctxTrain}` : ""}`,
    `  attention      ${f.attentionLayers.length} of ${f.nLayer} blocks (${attn}), ` +
      `${f.nHead} query / ${f.nHeadKv} KV heads, head dim ${f.headDimK}`,
  ];
  if (f.recurrentLayers.length) lines.push(`  short-conv     ${f.recurrentLayers.length} blocks (L=${f.convLCache})`);
  if (fidelity) lines.push(...fidelityLines(fidelity));
  lines.push("  tensor types:");
  for (const r of f.histogram)
    lines.push(
      `    ${r.type.padEnd(6)} ${String(r.tensors).padStart(4)} tensors  ${fmtCount(r.params).padStart(8)} params  ` +
        `${fmtBytes(r.bytes).padStart(11)}  ${r.bitsPerWeight.toFixed(2)} bpw`,
    );
  return `${lines.join("\n")}\n`;
}

export function inspectCommand(): Command {
  return new Command("inspect")
    .description(
      "architecture, file type, parameters (total and active), tensor-type histogram and attention facts of a GGUF",
    )
    .argument("<file>", "GGUF model file (real or synthetic; a split model's first shard reads all shards)")
    .option("--json", "print JSON (with the full tensor table)")
    .action(async (file: string, o: { json?: boolean }) => {
      const g = await readGguf(file, { skipArrays: true });
      const f = modelFacts(g);
      const fidelity = fidelityOf(f);
      if (o.json) {
        const tensors = g.tensors.map(({ name, type, shape, bytes, part }) => ({ name, type, shape, bytes, part }));
        process.stdout.write(
          `${JSON.stringify({ ...f, parts: g.parts, scaleFidelity: fidelity, tensors }, null, 2)}\n`,
        );
      } else process.stdout.write(formatFacts(f, file, fidelity));
    });
}
