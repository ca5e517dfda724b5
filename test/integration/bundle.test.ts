/**
 * `moebench bundle` end to end: build the offline tarball (with Node, xz -0 to keep CI quick: the size is
 * measured with the default -9 by hand, see README), unpack it into an empty folder outside the repository,
 * then `setup` and a tiny CPU run from it with a bare environment (PATH=/usr/bin:/bin, no NODE_PATH): what
 * runs must be the bundle's Node and the bundle's node-llama-cpp, never the repository's node_modules.
 */
import { afterAll, describe, expect, it } from "vitest";
import { spawnSync } from "node:child_process";
import {
  existsSync,
  lstatSync,
  mkdirSync,
  readFileSync,
  readlinkSync,
  realpathSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { join } from "node:path";
import { cli, ROOT, tmp } from "../helpers.js";
import { readJsonl } from "../../src/results/jsonl.js";
import { parseBundleManifest } from "../../src/bundle/manifest.js";

describe("moebench bundle → unpack elsewhere → setup → run", () => {
  const d = tmp("moebench-bundle-test-");
  const archive = join(d, "moebench.tar.xz");
  const app = join(d, "unpacked", "moebench");
  const launcher = join(app, "bin", "moebench");
  // a bare environment: no node, npm or git on PATH (only what the launcher needs), no repository paths, no
  // NODE_PATH, a private cache and home
  const tools = join(d, "tools");
  const bare = { PATH: tools, HOME: join(d, "home"), MOEBENCH_CACHE: join(d, "cache"), LANG: "C.UTF-8" };
  afterAll(() => rmSync(d, { recursive: true, force: true })); // ~400 MB
  const inBundle = (args: string[], timeout = 600_000) =>
    spawnSync(launcher, args, { cwd: join(d, "unpacked"), env: bare, encoding: "utf8", timeout });

  it("bundles with Node and without node-llama-cpp's GPU binaries or git bundle", () => {
    const r = cli(["bundle", "--with-node", "--compression", "0", "--out", archive], { timeout: 900_000 });
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toContain(archive);
    for (const dir of [join(d, "unpacked"), bare.HOME, tools]) mkdirSync(dir, { recursive: true });
    for (const tool of ["sh", "dirname"]) symlinkSync(`/usr/bin/${tool}`, join(tools, tool));
    const x = spawnSync("tar", ["-xJf", archive, "-C", join(d, "unpacked")], { encoding: "utf8" });
    expect(x.status, x.stderr).toBe(0);
    const nm = join(app, "node_modules");
    expect(existsSync(join(nm, "@node-llama-cpp", "linux-x64", "bins"))).toBe(true); // the CPU binary stays
    for (const gpu of ["linux-x64-cuda", "linux-x64-cuda-ext", "linux-x64-vulkan", "linux-arm64"])
      expect(existsSync(join(nm, "@node-llama-cpp", gpu)), gpu).toBe(false);
    const llama = join(nm, "node-llama-cpp", "llama");
    expect(existsSync(join(llama, "gitRelease.bundle"))).toBe(false);
    expect(existsSync(join(llama, "llama.cpp", "ggml", "src", "ggml-cuda", "ggml-cuda.cu"))).toBe(true);
    expect(existsSync(join(llama, "llama.cpp", "tools", "llama-bench", "llama-bench.cpp"))).toBe(true);
    expect(existsSync(join(llama, "llama.cpp", "tools", "ui"))).toBe(false);
    expect(existsSync(join(llama, "llama.cpp", "docs"))).toBe(false);
    // node-llama-cpp's patch (llama/patches/PR-22566.diff) is applied: a line it adds is in the source
    const loader = readFileSync(join(llama, "llama.cpp", "src", "llama-model-loader.cpp"), "utf8");
    expect(loader).toContain("GGML_ASSERT(files.size() != 1 || static_cast<int64_t>(n_tensors) == gguf_get_n_tensors");
    // npm run finds cmake-js through node_modules/.bin; the bundled npm is a link into the bundled lib
    expect(realpathSync(join(nm, ".bin", "cmake-js"))).toBe(join(nm, "cmake-js", "bin", "cmake-js"));
    expect(readlinkSync(join(app, "node", "bin", "npm"))).toBe("../lib/node_modules/npm/bin/npm-cli.js");
    expect(lstatSync(join(app, "node", "bin", "node")).size).toBe(lstatSync(process.execPath).size);
    const manifest = parseBundleManifest(readFileSync(join(app, "BUNDLE.json"), "utf8"));
    expect(manifest?.node).toBe(process.version);
    expect(manifest?.llamaCppCommit).toMatch(/^[0-9a-f]{12}$/);
  });

  it("setup on a machine without nvidia-smi: the prebuilt CPU binary, recorded, smoke test ok", () => {
    const r = inBundle(["setup"]);
    expect(r.status, `${r.stdout}\n${r.stderr}`).toBe(0);
    expect(r.stderr).toMatch(/no NVIDIA GPU \(nvidia-smi not found\)/);
    expect(r.stdout).toMatch(/^smoke: lfm2-8b-a1b-tiny Q4_K_M on cpu/m);
    expect(r.stdout).toMatch(/^smoke: ok$/m);
    const record = join(app, "node_modules", "node-llama-cpp", "llama", "localBuilds", "moebench-build.json");
    expect(JSON.parse(readFileSync(record, "utf8"))).toMatchObject({ backend: "cpu", cmakeOptions: {} });
    // --no-build: the recorded build, the smoke test only
    const again = inBundle(["setup", "--no-build"]);
    expect(again.status, again.stderr).toBe(0);
    expect(again.stderr).toMatch(/using the recorded cpu build \(prebuilt/);
    expect(again.stdout).toMatch(/^smoke: ok$/m);
  });

  it("a tiny CPU run from the bundle uses only the bundle's Node and node-llama-cpp", () => {
    const suite = join(d, "unpacked", "tiny.yaml");
    writeFileSync(
      suite,
      [
        "name: tiny",
        "models: [synth:llama-3.1-8b:Q4_K_M:tiny]",
        "tests: [pp32, tg8]",
        "repetitions: {min: 2, max: 2}",
        "threads: [1]",
        "backend: cpu",
      ].join("\n"),
    );
    const r = inBundle(["run", suite, "--out", "run"]);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout.trim().split("\n").pop()).toBe("2 ok, 0 failed");
    const recs = readJsonl(join(d, "unpacked", "run", "results.jsonl"));
    expect(recs).toHaveLength(2);
    const manifest = parseBundleManifest(readFileSync(join(app, "BUNDLE.json"), "utf8"))!;
    for (const rec of recs) {
      expect(rec.status).toBe("ok");
      expect(rec.env.backend).toBe("cpu");
      // no node on PATH: this is the bundled one (the same binary as the test's)
      expect(rec.env.node).toBe(process.version);
      // the git bundle is not shipped: the commit comes from BUNDLE.json
      expect(rec.env.llamaCppCommit).toBe(manifest.llamaCppCommit);
      const libs = rec.env.timing?.libraries ?? [];
      expect(libs.length).toBeGreaterThan(0);
      for (const lib of libs) {
        expect(lib.startsWith(`${app}/node_modules/@node-llama-cpp/linux-x64/`), lib).toBe(true);
        expect(lib.startsWith(ROOT)).toBe(false);
      }
    }
    // the results database (sql.js, pruned to the build Node loads) works from the bundle
    const db = inBundle(["db", "add", "run", "--db", "runs.sqlite"]);
    expect(db.status, db.stderr).toBe(0);
    expect(inBundle(["db", "list", "--db", "runs.sqlite"]).stdout).toContain(recs[0]!.runId);
  });
});
