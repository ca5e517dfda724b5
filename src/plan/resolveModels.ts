import { existsSync, statSync } from "node:fs";
import { isAbsolute, resolve, basename } from "node:path";
import type { Suite, ModelEntry } from "../suite/schema.js";
import type { ModelRef } from "./types.js";
import { MoebenchError } from "../util/errors.js";
import { withFs } from "../util/fsErrors.js";
import { resolvePreset, resolveQuant } from "../gguf/synth/synthesize.js";

const HF_RE = /^hf:([\w.-]+)\/([\w.-]+)(?:(?::([\w.-]+))|(?:\/([\w./-]+\.gguf)))?$/;

export function parseHfUri(uri: string): boolean {
  return HF_RE.test(uri);
}

function synthRef(spec: string, at: string, file: string, scaleOverride?: string, label?: string): ModelRef {
  const parts = spec.split(":");
  const [preset, quant, scale] = parts;
  if (!preset || !quant || parts.length > 3)
    throw new MoebenchError(
      `${file}: ${at}: "synth:${spec}" must be synth:<preset>:<quant>[:<scale>]`,
      "e.g. synth:lfm2-8b-a1b:Q4_K_M:small",
    );
  let p: string, q: string;
  try {
    p = resolvePreset(preset);
  } catch (e) {
    throw new MoebenchError(`${file}: ${at}: ${(e as Error).message}`, (e as MoebenchError).hint);
  }
  try {
    q = resolveQuant(quant);
  } catch (e) {
    throw new MoebenchError(`${file}: ${at}: ${(e as Error).message}`, (e as MoebenchError).hint);
  }
  const s = scaleOverride ?? scale ?? "full";
  if (!["full", "small", "tiny"].includes(s))
    throw new MoebenchError(`${file}: ${at}: scale "${s}" is not one of full, small, tiny`);
  const ref = `synth:${p}:${q}:${s}`;
  return {
    kind: "synth",
    ref,
    label: label ?? `${p}${s === "full" ? "" : `-${s}`} ${q}`,
    preset: p,
    quant: q,
    scale: s as "full" | "small" | "tiny",
  };
}

/** Where a suite's model list came from: `origin` names it in messages, relative paths start at `baseDir`. */
export interface ModelSource {
  origin: string;
  baseDir: string;
}

function hfRef(uri: string, at: string, origin: string, label?: string): ModelRef {
  if (!parseHfUri(uri))
    throw new MoebenchError(
      `${origin}: ${at}: malformed hf: URI "${uri}"`,
      "use hf:<user>/<repo>:<quant> or hf:<user>/<repo>/<file>.gguf",
    );
  return { kind: "hf", ref: uri, label: label ?? uri.slice(3), uri };
}

function entryRefs(e: ModelEntry, at: string, src: ModelSource): ModelRef[] {
  const { origin, baseDir } = src;
  if (typeof e === "string") {
    if (e.startsWith("synth:")) return [synthRef(e.slice(6), at, origin)];
    if (e.startsWith("hf:")) return [hfRef(e, at, origin)];
    return [pathRef(e, at, origin, baseDir)];
  }
  if (e.synth) {
    const quants = e.quants ?? [];
    if (quants.length === 0) return [synthRef(e.synth, at, origin, e.scale, e.label)];
    return quants.map((q, j) => synthRef(`${e.synth}:${q}`, `${at}.quants[${j}]`, origin, e.scale));
  }
  if (e.hf) return [hfRef(e.hf.startsWith("hf:") ? e.hf : `hf:${e.hf}`, `${at}.hf`, origin, e.label)];
  if (e.path) return [pathRef(e.path, `${at}.path`, origin, baseDir, e.label)];
  return [];
}

/** Resolve suite model entries (sweeping `quants`), checking files exist and URIs parse. */
export function resolveModels(entries: readonly ModelEntry[], src: ModelSource, field = "models"): ModelRef[] {
  return entries.flatMap((e, i) => entryRefs(e, `${field}[${i}]`, src));
}

function pathRef(p: string, at: string, file: string, base: string, label?: string): ModelRef {
  const abs = isAbsolute(p) ? p : resolve(base, p);
  if (!existsSync(abs))
    throw new MoebenchError(
      `${file}: ${at}: model file ${p} does not exist (looked at ${abs})`,
      "fix the path, or use synth:<preset>:<quant> / hf:<user>/<repo>:<quant>",
    );
  if (!withFs(abs, "read model file", () => statSync(abs)).isFile())
    throw new MoebenchError(`${file}: ${at}: ${p} is not a file`, "give a .gguf file");
  return { kind: "path", ref: abs, label: label ?? basename(abs, ".gguf"), path: abs };
}

export function suiteModels(suite: Suite, src: ModelSource, gpu: boolean): ModelRef[] {
  if (gpu && suite.gpu) return resolveModels(suite.gpu.models, src, "gpu.models");
  return resolveModels(suite.models, src);
}
