/**
 * Every preset × quant at small scale loads in node-llama-cpp and generates tokens on CPU (CI runs a
 * representative subset at tiny scale: test/integration/synthLoads.test.ts). Prints a table; exit 1 on any failure.
 * Usage: npx tsx scripts/load-all.ts [--scale small|tiny]
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { getLlama, LlamaLogLevel } from "node-llama-cpp";
import { synthesize, PRESET_NAMES, QUANT_NAMES } from "../src/gguf/synth/synthesize.js";

const scale = (process.argv.includes("--scale") ? process.argv[process.argv.indexOf("--scale") + 1] : "small") as
  | "small"
  | "tiny";
const dir = mkdtempSync(join(tmpdir(), "moebench-loadall-"));
const llama = await getLlama({ gpu: false, build: "never", logLevel: LlamaLogLevel.error });
let failed = 0;
const rows: string[] = [`| preset | ${QUANT_NAMES.join(" | ")} |`, `|---|${QUANT_NAMES.map(() => "---").join("|")}|`];
try {
  for (const preset of PRESET_NAMES) {
    const cells: string[] = [];
    for (const quant of QUANT_NAMES) {
      const path = join(dir, `${preset}-${quant}.gguf`);
      try {
        await synthesize({ preset, quant, scale }, path);
        const model = await llama.loadModel({ modelPath: path });
        const ctx = await model.createContext({ contextSize: 512, threads: 1 });
        const seq = ctx.getSequence();
        const toks: number[] = [];
        const t0 = performance.now();
        for await (const t of seq.evaluate([300, 301] as never, { temperature: 0 })) {
          toks.push(t as unknown as number);
          if (toks.length >= 16) break;
        }
        const tps = 16 / ((performance.now() - t0) / 1000);
        await ctx.dispose();
        await model.dispose();
        cells.push(toks.length === 16 ? `ok ${tps.toFixed(0)} tok/s` : `FAIL (${toks.length} tokens)`);
        if (toks.length !== 16) failed++;
      } catch (e) {
        failed++;
        cells.push(`FAIL: ${(e as Error).message.slice(0, 40)}`);
      } finally {
        rmSync(path, { force: true });
      }
    }
    rows.push(`| ${preset} | ${cells.join(" | ")} |`);
  }
} finally {
  await llama.dispose();
  rmSync(dir, { recursive: true, force: true });
}
console.log(rows.join("\n"));
console.log(
  failed
    ? `\n${failed} failed`
    : `\nall ${PRESET_NAMES.length * QUANT_NAMES.length} load and generate (${scale} scale, CPU)`,
);
process.exitCode = failed ? 1 : 0;
