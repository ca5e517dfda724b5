/** `quality: true` in a suite: the step of `run` that measures each model file against its F16/BF16 sibling. */
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { modelFacts } from "../gguf/modelFacts.js";
import { readGguf } from "../gguf/read.js";
import { comparable } from "../gguf/provenance.js";
import type { Planned } from "../plan/planSuite.js";
import { withFs } from "../util/fsErrors.js";
import { DEFAULT_TEXT, measureQuality } from "./quality.js";

/**
 * quality: true — each model file against the F16/BF16 file of the same model in the suite; written to
 * <runDir>/quality.json.
 */
export async function suiteQuality(models: Planned["models"], runDir: string): Promise<void> {
  const files = models.filter((m): m is Extract<typeof m, { kind: "path" }> => m.kind === "path");
  if (models.some((m) => m.kind === "synth"))
    process.stderr.write(
      "quality: synthetic quants have independent random weights, so a KL divergence against the synthetic F16 " +
        "means nothing; make quants with `moebench synth <preset> -q <Q> --from <F16.gguf>` and list the files " +
        "(README: quality)\n",
    );
  const facts = await Promise.all(
    files.map(async (m) => {
      const g = await readGguf(m.path, { skipArrays: true });
      return { m, g, f: modelFacts(g) };
    }),
  );
  const rows: unknown[] = [];
  for (const ref of facts.filter((x) => /^(F16|BF16|ALL_F32)$/.test(x.f.fileType ?? ""))) {
    // only the quants made from this reference's weights (gguf/provenance)
    const same = facts.filter((x) => x !== ref && comparable(ref.g, x.g).ok);
    if (!same.length) continue;
    const r = await measureQuality(
      same.map((x) => x.m.path),
      ref.m.path,
      { text: DEFAULT_TEXT, tokens: 512, threads: 1 },
    );
    rows.push(...r.rows);
  }
  if (rows.length) {
    const path = join(runDir, "quality.json");
    withFs(path, "write", () => writeFileSync(path, `${JSON.stringify({ rows }, null, 2)}\n`));
    process.stderr.write(`quality: ${rows.length} model(s) against their F16 → ${join(runDir, "quality.json")}\n`);
  } else
    process.stderr.write(
      "quality: no model file has an F16/BF16 sibling of the same model in this suite; nothing measured\n",
    );
}
