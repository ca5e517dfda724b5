import { execFileSync } from "node:child_process";
import { cpus, hostname, platform, release, arch } from "node:os";
import { createRequire } from "node:module";
import type { Env } from "../results/schema.js";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { BUNDLE_MANIFEST, parseBundleManifest } from "../bundle/manifest.js";
import { bundledLlamaCpp } from "../util/llamaCppBuild.js";
import { moebenchRoot } from "../util/packageRoot.js";

let commitCache: string | null | undefined;
/**
 * The commit of the llama.cpp source node-llama-cpp ships (read from its git bundle; prebuilt binaries are
 * built from it).
 */
export function bundledCommit(): string | null {
  if (commitCache !== undefined) return commitCache;
  try {
    const out = execFileSync("git", ["bundle", "list-heads", bundledLlamaCpp().bundle], {
      encoding: "utf8",
      stdio: ["ignore", "pipe", "ignore"],
    });
    commitCache = out.split(/\s+/)[0]?.slice(0, 12) ?? null;
  } catch {
    commitCache = offlineBundleCommit();
  }
  return commitCache;
}

/** An offline bundle (`moebench bundle`) ships no git bundle: it wrote the commit into its BUNDLE.json. */
function offlineBundleCommit(): string | null {
  const path = join(moebenchRoot(), BUNDLE_MANIFEST);
  if (!existsSync(path)) return null;
  return parseBundleManifest(readFileSync(path, "utf8"))?.llamaCppCommit ?? null;
}

export function hostEnv(): Env {
  const require = createRequire(import.meta.url);
  const pkg = require("../../package.json") as { version: string };
  let nlc: string | null = null;
  let tag: string | null = null;
  try {
    const b = bundledLlamaCpp();
    nlc = b.nodeLlamaCppVersion;
    tag = b.tag;
  } catch {
    /* not installed */
  }
  const c = cpus();
  return {
    llamaCppRelease: tag,
    llamaCppCommit: bundledCommit(),
    nodeLlamaCpp: nlc,
    backend: "unknown",
    gpus: [],
    host: hostname(),
    os: `${platform()} ${release()} ${arch()}`,
    cpu: c[0]?.model.trim() ?? "unknown",
    cpuCores: c.length,
    node: process.version,
    moebench: pkg.version,
  };
}
