import { existsSync, statSync } from "node:fs";
import { isAbsolute, resolve, dirname, basename } from "node:path";
import type { Suite, ModelEntry } from "../suite/schema.js";
import type { ModelRef } from "./types.js";
import { MoebenchError } from "../util/errors.js";
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

/** Resolve suite model entries (sweeping `quants`), checking files exist and URIs parse. */
export function resolveModels(entries: readonly ModelEntry[], suiteFile: string, field = "models"): ModelRef[] {
  const base = dirname(resolve(suiteFile));
  const out: ModelRef[] = [];
  entries.forEach((e, i) => {
    const at = `${field}[${i}]`;
    if (typeof e === "string") {
      if (e.startsWith("synth:")) out.push(synthRef(e.slice(6), at, suiteFile));
      else if (e.startsWith("hf:")) {
        if (!parseHfUri(e))
          throw new MoebenchError(
            `${suiteFile}: ${at}: malformed hf: URI "${e}"`,
            "use hf:<user>/<repo>:<quant> or hf:<user>/<repo>/<file>.gguf",
          );
        out.push({ kind: "hf", ref: e, label: e.slice(3), uri: e });
      } else out.push(pathRef(e, at, suiteFile, base));
      return;
    }
    if (e.synth) {
      const quants = e.quants ?? [];
      if (quants.length === 0) out.push(synthRef(e.synth, at, suiteFile, e.scale, e.label));
      else quants.forEach((q, j) => out.push(synthRef(`${e.synth}:${q}`, `${at}.quants[${j}]`, suiteFile, e.scale)));
    } else if (e.hf) {
      const uri = e.hf.startsWith("hf:") ? e.hf : `hf:${e.hf}`;
      if (!parseHfUri(uri))
        throw new MoebenchError(
          `${suiteFile}: ${at}.hf: malformed hf: URI "${e.hf}"`,
          "use <user>/<repo>:<quant> or <user>/<repo>/<file>.gguf",
        );
      out.push({ kind: "hf", ref: uri, label: e.label ?? uri.slice(3), uri });
    } else if (e.path) {
      out.push(pathRef(e.path, `${at}.path`, suiteFile, base, e.label));
    }
  });
  return out;
}

function pathRef(p: string, at: string, file: string, base: string, label?: string): ModelRef {
  const abs = isAbsolute(p) ? p : resolve(base, p);
  if (!existsSync(abs))
    throw new MoebenchError(
      `${file}: ${at}: model file ${p} does not exist (looked at ${abs})`,
      "fix the path, or use synth:<preset>:<quant> / hf:<user>/<repo>:<quant>",
    );
  if (!statSync(abs).isFile()) throw new MoebenchError(`${file}: ${at}: ${p} is not a file`);
  return { kind: "path", ref: abs, label: label ?? basename(abs, ".gguf"), path: abs };
}

export function suiteModels(suite: Suite, suiteFile: string, gpu: boolean): ModelRef[] {
  if (gpu && suite.gpu) return resolveModels(suite.gpu.models, suiteFile, "gpu.models");
  return resolveModels(suite.models, suiteFile);
}
