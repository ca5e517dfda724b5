/**
 * What an offline bundle holds, decided from data (the lockfile, paths), not from the file system:
 * - the production packages of package-lock.json for linux-x64, without node-llama-cpp's prebuilt GPU binaries
 *   (the CUDA ones are 540 MB and the wrong build for most cards: setup compiles for the card instead) and
 *   without other platforms' packages; node-llama-cpp's prebuilt CPU binary stays (fit, quality and CPU runs);
 * - node-llama-cpp's patched llama.cpp source reduced to what a build needs (its CMake tree, ggml, src,
 *   common, vendor, tools for llama-bench, licenses), without the 34 MB git bundle it was cloned from.
 */

/** The fields of a package-lock.json v3 `packages` entry that decide whether it ships. */
export interface LockEntry {
  bin?: Record<string, string>;
  dev?: boolean;
  devOptional?: boolean;
  optional?: boolean;
  link?: boolean;
  os?: string[];
  cpu?: string[];
}

export interface Target {
  /** Node's process.platform / process.arch of the machine the bundle is for */
  os: string;
  cpu: string;
}

export const LINUX_X64: Target = { os: "linux", cpu: "x64" };

/** npm's os/cpu lists: allowed names, or "!name" exclusions. */
function allows(list: readonly string[] | undefined, value: string): boolean {
  if (!list || list.length === 0) return true;
  if (list.includes(`!${value}`)) return false;
  const positive = list.filter((x) => !x.startsWith("!"));
  return positive.length === 0 || positive.includes(value);
}

/** node-llama-cpp's prebuilt binary packages: only the CPU one for the target ships. */
function isUnwantedPrebuilt(path: string, target: Target): boolean {
  const m = /(?:^|\/)node_modules\/@node-llama-cpp\/([^/]+)$/.exec(path);
  return m !== null && m[1] !== `${target.os}-${target.cpu}`;
}

/**
 * The lockfile paths (`node_modules/…`) of the packages to ship: production dependencies (optional ones
 * included) for the target platform, minus node-llama-cpp's GPU and other-platform prebuilt binaries.
 */
export function bundlePackages(packages: Readonly<Record<string, LockEntry>>, target: Target): string[] {
  const unwanted = Object.keys(packages).filter((path) => isUnwantedPrebuilt(path, target));
  return Object.entries(packages)
    .filter(([path]) => path.startsWith("node_modules/"))
    .filter(([, e]) => !e.dev && !e.devOptional && !e.link)
    .filter(([, e]) => allows(e.os, target.os) && allows(e.cpu, target.cpu))
    .filter(([path]) => !unwanted.some((u) => path === u || path.startsWith(`${u}/`)))
    .map(([path]) => path)
    .sort();
}

/** Top-level entries of the llama.cpp tree a build of node-llama-cpp, or of llama-bench, reads. */
const LLAMA_CPP_KEEP = [
  "CMakeLists.txt",
  "LICENSE",
  "cmake",
  "common",
  "ggml",
  "include",
  "licenses",
  "src",
  "tools",
  "vendor",
];

/** Inside what is kept: the web UI's sources (needs npm + network to build; llama-server is not needed) and media. */
const LLAMA_CPP_DROP = [/^tools\/ui(\/|$)/, /\.(png|jpe?g|gif|webp|mp3|mp4|wav|pdf)$/i];

/** Whether a path of the llama.cpp tree (relative, "/"-separated) goes into the bundle. */
export function keepLlamaCppPath(rel: string): boolean {
  const top = rel.split("/")[0]!;
  if (!LLAMA_CPP_KEEP.includes(top)) return false;
  return !LLAMA_CPP_DROP.some((re) => re.test(rel));
}

/**
 * Packages that ship many builds of themselves, reduced to the one Node loads: sql.js's `dist` holds 30 MB of
 * asm.js, browser, worker and debug variants beside the 0.7 MB its package.json's Node entry uses.
 */
const ONLY_IN_DIST: Readonly<Record<string, readonly string[]>> = {
  "node_modules/sql.js": ["dist/sql-wasm.js", "dist/sql-wasm.wasm"],
};

/**
 * Whether a file of a shipped package (`rel` inside the package at lockfile path `pkg`) goes into the bundle:
 * never source maps (not read at run time), and for the packages above only the files Node loads from `dist`.
 */
export function keepPackageFile(rel: string, pkg?: string): boolean {
  if (/\.map$/.test(rel)) return false;
  const only = pkg === undefined ? undefined : ONLY_IN_DIST[pkg];
  return !only || !rel.startsWith("dist/") || only.includes(rel);
}

/** A `node_modules/.bin` link: where it goes and what it points at (relative to the link's folder). */
export interface BinLink {
  link: string;
  target: string;
}

/**
 * The `.bin` links npm would make for the shipped packages (node-llama-cpp's build runs `npm run cmake-js-llama`,
 * which finds cmake-js through node_modules/.bin).
 */
export function binLinks(packages: Readonly<Record<string, LockEntry>>, shipped: readonly string[]): BinLink[] {
  const links: BinLink[] = [];
  for (const path of shipped) {
    const parent = path.slice(0, path.lastIndexOf("/node_modules/") + "/node_modules".length);
    const pkg = path.slice(parent.length + 1);
    for (const [name, file] of Object.entries(packages[path]?.bin ?? {})) {
      const rel = file.replace(/^\.\//, "");
      links.push({ link: `${parent}/.bin/${name}`, target: `../${pkg}/${rel}` });
    }
  }
  return links;
}
