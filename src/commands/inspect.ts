import { Command } from "commander";
import { readGguf } from "../gguf/read.js";
import { modelFacts, type ModelFacts } from "../gguf/modelFacts.js";
import { fmtBytes, fmtCount } from "../util/units.js";

export function formatFacts(f: ModelFacts, path: string): string {
  const lines = [
    `${path}`,
    `  architecture   ${f.arch}${f.name ? `  (${f.name})` : ""}${f.synthetic ? `  [synthetic: ${f.synthetic.preset} ${f.synthetic.scale}${f.synthetic.sparse ? ", sparse" : ""}]` : ""}`,
    `  file type      ${f.fileType ?? "?"}   ${fmtBytes(f.fileBytes)} file, ${fmtBytes(f.tensorBytes)} tensor data, ${f.bitsPerWeight.toFixed(2)} bits/weight`,
    `  parameters     ${fmtCount(f.params)} total${f.isMoe ? `, ${fmtCount(f.activeParams)} active per token (${f.nExpertUsed} of ${f.nExpert} experts)` : ""}`,
    `  shape          ${f.nLayer} blocks, n_embd ${f.nEmbd}, vocab ${f.vocab}${f.ctxTrain ? `, trained context ${f.ctxTrain}` : ""}`,
    `  attention      ${f.attentionLayers.length} of ${f.nLayer} blocks (${f.attentionLayers.length === f.nLayer ? "all" : f.attentionLayers.join(",")}), ${f.nHead} query / ${f.nHeadKv} KV heads, head dim ${f.headDimK}`,
  ];
  if (f.recurrentLayers.length) lines.push(`  short-conv     ${f.recurrentLayers.length} blocks (L=${f.convLCache})`);
  lines.push("  tensor types:");
  for (const r of f.histogram)
    lines.push(
      `    ${r.type.padEnd(6)} ${String(r.tensors).padStart(4)} tensors  ${fmtCount(r.params).padStart(8)} params  ${fmtBytes(r.bytes).padStart(11)}  ${r.bitsPerWeight.toFixed(2)} bpw`,
    );
  return `${lines.join("\n")}\n`;
}

export function inspectCommand(): Command {
  return new Command("inspect")
    .description(
      "architecture, file type, parameters (total and active), tensor-type histogram and attention facts of a GGUF file",
    )
    .argument("<file>", "GGUF model file (real or synthetic)")
    .option("--json", "print JSON (with the full tensor table)")
    .action(async (file: string, o: { json?: boolean }) => {
      const g = await readGguf(file, { skipArrays: true });
      const f = modelFacts(g);
      if (o.json)
        process.stdout.write(
          `${JSON.stringify(
            { ...f, tensors: g.tensors.map(({ name, type, shape, bytes }) => ({ name, type, shape, bytes })) },
            null,
            2,
          )}\n`,
        );
      else process.stdout.write(formatFacts(f, file));
    });
}
