/**
 * `moebench bundle`: one tarball that installs moebench on an offline Linux x64 machine (see README:
 * air-gapped GPU servers). Stage the parts into a temporary folder (bundleStage.ts), describe them in
 * BUNDLE.json, pack with tar + xz. On the target, `moebench/bin/moebench setup` builds for its card.
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { Command } from "commander";
import { bundledCommit } from "../bench/hostEnv.js";
import { LINUX_X64 } from "../bundle/contents.js";
import { parseCudaArchList } from "../bundle/cudaArch.js";
import { BUNDLE_MANIFEST, type BundleManifest } from "../bundle/manifest.js";
import { MoebenchError } from "../util/errors.js";
import { withFs } from "../util/fsErrors.js";
import { bundledLlamaCpp } from "../util/llamaCppBuild.js";
import { moebenchRoot } from "../util/packageRoot.js";
import { fmtBytes } from "../util/units.js";
import {
  packTarXz,
  stageApp,
  stageLlamaCppSource,
  stageNode,
  stagePackages,
  treeBytes,
  writeLauncher,
} from "./bundleStage.js";

export interface BundleCliOptions {
  out?: string;
  cudaArch?: string;
  withNode?: boolean;
  /** the Node binary to ship with --with-node (default: the one running moebench) */
  node?: string;
  /** xz preset, 0–9 */
  compression?: string;
}

export interface BundleResult {
  out: string;
  bytes: number;
  seconds: number;
  manifest: BundleManifest;
}

function git(root: string, args: string[]): string | null {
  try {
    return execFileSync("git", args, { cwd: root, encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] }).trim();
  } catch {
    return null;
  }
}

function compressionLevel(v: string | undefined): number {
  if (v === undefined) return 9;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0 || n > 9) throw new MoebenchError(`--compression ${v}: expected 0 to 9`);
  return n;
}

const note = (line: string): void => {
  process.stderr.write(`${line}\n`);
};

export function bundleCli(o: BundleCliOptions): BundleResult {
  const level = compressionLevel(o.compression);
  const cudaArchitectures = o.cudaArch ? parseCudaArchList(o.cudaArch).join(";") : null;
  if (process.platform !== "linux" || process.arch !== "x64")
    throw new MoebenchError(
      `moebench bundle runs on linux-x64 only (this is ${process.platform}-${process.arch})`,
      "the bundle ships the packages installed here, which must be the target's",
    );
  const root = moebenchRoot();
  const pkgPath = join(root, "package.json");
  const { version } = JSON.parse(withFs(pkgPath, "read", () => readFileSync(pkgPath, "utf8"))) as { version: string };
  const out = resolve(o.out ?? `moebench-${version}-linux-x64${o.withNode ? "-node" : ""}.tar.xz`);
  const t0 = performance.now();
  const stage = mkdtempSync(join(tmpdir(), "moebench-bundle-"));
  try {
    const app = join(stage, "moebench");
    note(`bundle: staging in ${stage}`);
    stageApp(root, app);
    const packages = stagePackages(root, app, LINUX_X64);
    note(`bundle: ${packages} production packages (without node-llama-cpp's prebuilt GPU binaries)`);
    stageLlamaCppSource(app, process.execPath);
    note("bundle: llama.cpp source patched by node-llama-cpp, reduced to what a build reads");
    const node = o.withNode ? stageNode(app, resolve(o.node ?? process.execPath)) : null;
    if (node) note(`bundle: Node ${node.version} and npm`);
    writeLauncher(app);
    const llama = bundledLlamaCpp();
    const llamaCppTree = join(app, "node_modules", "node-llama-cpp", "llama", "llama.cpp");
    const nodeBytes = node ? treeBytes(join(app, "node")) : 0;
    const modulesBytes = treeBytes(join(app, "node_modules"));
    const sourceBytes = treeBytes(llamaCppTree);
    const manifest: BundleManifest = {
      schemaVersion: 1,
      moebench: version,
      gitCommit: git(root, ["rev-parse", "--short=12", "HEAD"]),
      createdAt: new Date().toISOString(),
      target: `${LINUX_X64.os}-${LINUX_X64.cpu}`,
      nodeLlamaCpp: llama.nodeLlamaCppVersion,
      llamaCppRelease: llama.tag,
      llamaCppCommit: bundledCommit(),
      node: node?.version ?? null,
      cudaArchitectures,
      parts: {
        app: treeBytes(app) - nodeBytes - modulesBytes,
        packages: modulesBytes - sourceBytes,
        llamaCppSource: sourceBytes,
        node: nodeBytes,
      },
    };
    writeFileSync(join(app, BUNDLE_MANIFEST), `${JSON.stringify(manifest, null, 2)}\n`);
    const mtime = Number(git(root, ["log", "-1", "--format=%ct"]) ?? Math.floor(Date.now() / 1000));
    note(`bundle: packing ${fmtBytes(treeBytes(app))} with xz -${level}`);
    packTarXz(stage, "moebench", out, { level, mtime });
    const bytes = statSync(out).size;
    return { out, bytes, seconds: (performance.now() - t0) / 1000, manifest };
  } finally {
    rmSync(stage, { recursive: true, force: true });
  }
}

export function bundleCommand(): Command {
  return new Command("bundle")
    .description(
      "pack moebench for an offline Linux x64 machine: built moebench, production packages, the llama.cpp " +
        "source to build for its GPU, optionally Node; unpack there and run moebench/bin/moebench setup",
    )
    .option("--out <file>", "the archive (default moebench-<version>-linux-x64[-node].tar.xz here)")
    .option("--cuda-arch <list>", "CUDA architectures setup builds for unless told otherwise, e.g. 90,89")
    .option("--with-node", "include this Node runtime and its npm (the target needs neither then)")
    .option("--node <binary>", "with --with-node: ship this Node binary instead of the running one")
    .option("--compression <0-9>", "xz preset (default 9)")
    .action((o: BundleCliOptions) => {
      const r = bundleCli(o);
      const parts = Object.entries(r.manifest.parts)
        .filter(([, bytes]) => bytes > 0)
        .map(([part, bytes]) => `${part} ${fmtBytes(bytes)}`)
        .join(", ");
      process.stdout.write(
        `${r.out}: ${fmtBytes(r.bytes)} (${r.bytes} bytes) in ${r.seconds.toFixed(0)} s; unpacked: ${parts}\n` +
          "on the target: tar xJf <archive> && moebench/bin/moebench setup\n",
      );
    });
}
