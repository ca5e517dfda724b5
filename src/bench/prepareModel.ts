/**
 * Turn a ModelRef into a file on disk and its identity (synth: write into the cache once; hf: node-llama-cpp
 * downloads).
 */
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, openSync, readSync, closeSync } from "node:fs";
import { join } from "node:path";
import type { ModelRef } from "../plan/types.js";
import type { ModelIdentity } from "../results/schema.js";
import { readGguf } from "../gguf/read.js";
import { modelFacts } from "../gguf/modelFacts.js";
import { planSynth, synthesize } from "../gguf/synth/synthesize.js";
import { cacheDir } from "../util/llamaCppBuild.js";
import { MoebenchError } from "../util/errors.js";

/**
 * Cache file of a synthetic model; the name carries a hash of the exact plan, so a changed preset never
 * reuses a stale file.
 */
export function synthCachePath(m: Extract<ModelRef, { kind: "synth" }>, seed = 42): string {
  const plan = planSynth({ preset: m.preset, quant: m.quant, scale: m.scale });
  const h = createHash("sha256")
    .update(JSON.stringify({ h: plan.hparams, t: plan.tensors.map((t) => [t.name, t.type.name, t.shape]) }))
    .digest("hex")
    .slice(0, 10);
  return join(cacheDir(), "models", `${m.preset}-${m.scale}-${m.quant}-seed${seed}-${h}.gguf`);
}

export async function materialize(m: ModelRef, log: (s: string) => void): Promise<string> {
  if (m.kind === "path") return m.path;
  if (m.kind === "synth") {
    const p = synthCachePath(m);
    if (!existsSync(p)) {
      mkdirSync(join(cacheDir(), "models"), { recursive: true });
      log(`synthesizing ${m.ref} → ${p}`);
      await synthesize({ preset: m.preset, quant: m.quant, scale: m.scale }, p);
    }
    return p;
  }
  const { resolveModelFile } = await import("node-llama-cpp");
  try {
    return await resolveModelFile(m.uri, { directory: join(cacheDir(), "hf"), cli: false });
  } catch (e) {
    throw new MoebenchError(
      `${m.ref}: could not resolve or download (${(e as Error).message.split("\n")[0]})`,
      "check the URI and your network, or download the file and pass its path",
    );
  }
}

/** sha256 over the GGUF header bytes (metadata + tensor table) and the file size. */
function headerHash(path: string, headerBytes: number, size: number): string {
  const fd = openSync(path, "r");
  try {
    const h = createHash("sha256");
    const buf = Buffer.alloc(Math.min(headerBytes, 1 << 20));
    let pos = 0;
    while (pos < headerBytes) {
      const n = readSync(fd, buf, 0, Math.min(buf.length, headerBytes - pos), pos);
      if (n <= 0) break;
      h.update(buf.subarray(0, n));
      pos += n;
    }
    h.update(String(size));
    return h.digest("hex");
  } finally {
    closeSync(fd);
  }
}

export async function identify(m: ModelRef, path: string): Promise<{ identity: ModelIdentity; vocab: number }> {
  const g = await readGguf(path, { skipArrays: true });
  const f = modelFacts(g);
  return {
    vocab: f.vocab,
    identity: {
      ref: m.ref,
      label: m.label,
      path,
      sizeBytes: g.fileBytes,
      headerSha256: headerHash(path, g.dataOffset, g.fileBytes),
      arch: f.arch,
      fileType: f.fileType,
      quant: m.kind === "synth" ? m.quant : f.fileType,
      params: f.params,
      activeParams: f.activeParams,
      isMoe: f.isMoe,
      synthetic: f.synthetic,
    },
  };
}

/** Identity for a model that could not be read (missing/corrupt): the record still says what it was. */
export function unknownIdentity(m: ModelRef, path: string | null): ModelIdentity {
  return {
    ref: m.ref,
    label: m.label,
    path,
    sizeBytes: null,
    headerSha256: null,
    arch: null,
    fileType: null,
    quant: m.kind === "synth" ? m.quant : null,
    params: null,
    activeParams: null,
    isMoe: null,
    synthetic: null,
  };
}
