/**
 * The steps of `moebench bundle`, each filling one part of the staging folder that becomes the tarball:
 * the app (dist, suites, data, README), the production packages, node-llama-cpp's patched llama.cpp source
 * reduced to what a build reads, optionally the Node runtime with npm, and the launcher.
 */
import { execFileSync, spawnSync } from "node:child_process";
import {
  chmodSync,
  cpSync,
  existsSync,
  lstatSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  realpathSync,
  renameSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { dirname, join, relative } from "node:path";
import {
  binLinks,
  bundlePackages,
  keepLlamaCppPath,
  keepPackageFile,
  type LockEntry,
  type Target,
} from "../bundle/contents.js";
import { MoebenchError } from "../util/errors.js";
import { withFs } from "../util/fsErrors.js";

/** Bytes of a folder (or file) as it will be packed: regular files' sizes, links not followed. */
export function treeBytes(path: string): number {
  const st = lstatSync(path);
  if (!st.isDirectory()) return st.isFile() ? st.size : 0;
  return readdirSync(path).reduce((sum, name) => sum + treeBytes(join(path, name)), 0);
}

/**
 * The app itself: built code (no source maps), shipped suites and data, package.json, the README, the GPU smoke
 * script.
 */
export function stageApp(root: string, app: string): void {
  mkdirSync(join(app, "scripts"), { recursive: true });
  for (const part of ["package.json", "README.md", "dist", "suites", "data", "scripts/gpu-smoke.sh"]) {
    const from = join(root, part);
    if (!existsSync(from)) {
      if (part === "dist")
        throw new MoebenchError(`${from} does not exist`, "run `npm run build` before `moebench bundle`");
      continue;
    }
    cpSync(from, join(app, part), { recursive: true, filter: (p) => keepPackageFile(relative(from, p)) });
  }
}

/** The production packages of the lockfile for the target, copied as installed here, with their .bin links. */
export function stagePackages(root: string, app: string, target: Target): number {
  const lockPath = join(root, "package-lock.json");
  const lock = withFs(lockPath, "read", () => JSON.parse(readFileSync(lockPath, "utf8"))) as {
    packages?: Record<string, LockEntry>;
  };
  const packages = lock.packages ?? {};
  const shipped = bundlePackages(packages, target).filter((p) => existsSync(join(root, p)));
  for (const p of shipped) {
    const from = join(root, p);
    const nested = join(from, "node_modules");
    cpSync(from, join(app, p), {
      recursive: true,
      verbatimSymlinks: true,
      // nested packages are lockfile entries of their own (copied when they ship)
      filter: (src) => src !== nested && !src.startsWith(`${nested}/`) && keepPackageFile(relative(from, src), p),
    });
  }
  for (const { link, target: to } of binLinks(packages, shipped)) {
    const at = join(app, link);
    if (!existsSync(join(dirname(at), to))) continue;
    mkdirSync(dirname(at), { recursive: true });
    rmSync(at, { force: true });
    symlinkSync(to, at);
  }
  return shipped.length;
}

/** Copy the kept paths of a llama.cpp tree (keepLlamaCppPath) from `from` into `to`. */
function copyReduced(from: string, to: string): void {
  const walk = (rel: string): void => {
    const src = join(from, rel);
    const st = lstatSync(src);
    if (st.isDirectory()) {
      for (const name of readdirSync(src)) walk(rel ? `${rel}/${name}` : name);
      return;
    }
    if (!keepLlamaCppPath(rel)) return;
    mkdirSync(dirname(join(to, rel)), { recursive: true });
    cpSync(src, join(to, rel), { verbatimSymlinks: true });
  };
  for (const name of readdirSync(from)) if (name !== ".git") walk(name);
}

/**
 * node-llama-cpp's own `source download --skipBuild` in the staged copy (clones its git bundle and applies its
 * patches; no network), then the tree reduced to what a build reads and the 34 MB git bundle removed. The
 * `.git` left behind is a file pointing nowhere: node-llama-cpp checks that one exists before building, and
 * llama.cpp's CMake then asks git for the commit, fails, and says "unknown" (it would otherwise walk up into
 * whatever repository the bundle is unpacked in).
 */
export function stageLlamaCppSource(app: string, node: string): void {
  const nlc = join(app, "node_modules", "node-llama-cpp");
  const cli = join(nlc, "dist", "cli", "cli.js");
  const r = spawnSync(node, [cli, "source", "download", "--skipBuild", "--noUsageExample"], {
    cwd: app,
    encoding: "utf8",
    env: { ...process.env, CI: "1", NODE_LLAMA_CPP_SKIP_DOWNLOAD: "true" },
  });
  const tree = join(nlc, "llama", "llama.cpp");
  if (r.status !== 0 || !existsSync(join(tree, "CMakeLists.txt")))
    throw new MoebenchError(
      `node-llama-cpp could not unpack its llama.cpp source: ${lastLine(r.stderr || r.stdout || String(r.error))}`,
      "check that node-llama-cpp's llama/gitRelease.bundle exists (npm ci) and git is installed",
    );
  const full = `${tree}.full`;
  rmSync(full, { recursive: true, force: true });
  renameSync(tree, full);
  copyReduced(full, tree);
  rmSync(full, { recursive: true, force: true });
  writeFileSync(join(tree, ".git"), "gitdir: ./.moebench-bundle-has-no-git-history\n");
  rmSync(join(nlc, "llama", "gitRelease.bundle"), { force: true });
}

const lastLine = (text: string): string => text.trim().split("\n").pop() ?? "";

/** npm's package folder for the npm beside `node` (or on PATH). */
function npmRoot(node: string): string {
  const beside = join(dirname(node), "npm");
  const onPath = spawnSync("sh", ["-c", "command -v npm"], { encoding: "utf8" }).stdout.trim();
  for (const candidate of [beside, onPath]) {
    if (!candidate || !existsSync(candidate)) continue;
    // bin/npm → ../lib/node_modules/npm/bin/npm-cli.js
    const cliJs = realpathSync(candidate);
    const root = dirname(dirname(cliJs));
    if (existsSync(join(root, "package.json"))) return root;
  }
  throw new MoebenchError(
    `no npm found beside ${node} or on PATH`,
    "node-llama-cpp's build runs npm: install npm, or bundle without --with-node",
  );
}

/**
 * The Node runtime (this very binary unless --node names another) and npm, laid out as Node's own tarballs
 * are: node/bin/{node,npm,npx}, node/lib/node_modules/npm (without its man pages and docs).
 */
export function stageNode(app: string, node: string): { version: string } {
  const version = execFileSync(node, ["--version"], { encoding: "utf8" }).trim();
  const major = Number(/^v(\d+)/.exec(version)?.[1] ?? 0);
  if (major < 20) throw new MoebenchError(`--node ${node} is Node ${version}`, "moebench needs Node 20 or newer");
  const bin = join(app, "node", "bin");
  mkdirSync(bin, { recursive: true });
  cpSync(node, join(bin, "node"));
  chmodSync(join(bin, "node"), 0o755);
  const npm = npmRoot(node);
  const npmTo = join(app, "node", "lib", "node_modules", "npm");
  cpSync(npm, npmTo, {
    recursive: true,
    verbatimSymlinks: true,
    filter: (p) => !/^(man|docs)(\/|$)/.test(relative(npm, p)),
  });
  symlinkSync("../lib/node_modules/npm/bin/npm-cli.js", join(bin, "npm"));
  symlinkSync("../lib/node_modules/npm/bin/npx-cli.js", join(bin, "npx"));
  return { version };
}

const LAUNCHER = `#!/bin/sh
# moebench from an offline bundle: the bundled Node runtime (and its npm, which node-llama-cpp's build runs)
# when the bundle has one, else node and npm on PATH.
here=$(cd "$(dirname "$0")/.." && pwd)
if [ -x "$here/node/bin/node" ]; then
  PATH="$here/node/bin:$PATH"
  export PATH
fi
exec node "$here/dist/cli.js" "$@"
`;

export function writeLauncher(app: string): void {
  mkdirSync(join(app, "bin"), { recursive: true });
  writeFileSync(join(app, "bin", "moebench"), LAUNCHER);
  chmodSync(join(app, "bin", "moebench"), 0o755);
}

/**
 * tar (names sorted, owner root, one mtime: the same inputs give the same archive) piped into xz, written to
 * a temporary name and renamed when complete.
 */
export function packTarXz(stage: string, top: string, out: string, o: { level: number; mtime: number }): void {
  const partial = `${out}.partial-${process.pid}`;
  const tar = ["--sort=name", "--owner=0", "--group=0", "--numeric-owner", `--mtime=@${o.mtime}`, "-C", stage];
  const threads = Math.max(1, Math.min(2, globalThis.navigator?.hardwareConcurrency ?? 1));
  const script = 'tar "$@" -cf - "$TOP" | xz -T"$XZ_THREADS" -"$XZ_LEVEL" > "$OUT"';
  const r = spawnSync("bash", ["-o", "pipefail", "-c", script, "bash", ...tar], {
    encoding: "utf8",
    env: { ...process.env, TOP: top, OUT: partial, XZ_LEVEL: String(o.level), XZ_THREADS: String(threads) },
  });
  if (r.status !== 0) {
    rmSync(partial, { force: true });
    throw new MoebenchError(
      `packing ${out} failed: ${lastLine(r.stderr || String(r.error))}`,
      "moebench bundle needs bash, GNU tar and xz (apt-get install tar xz-utils) and room for the archive",
    );
  }
  renameSync(partial, out);
}
