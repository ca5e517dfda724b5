/**
 * What `moebench setup` finds on the machine before it builds: the GPUs nvidia-smi reports, and the build
 * tools node-llama-cpp's CUDA build runs (cmake, a C++ compiler, make or ninja, nvcc, node and npm).
 */
import { spawnSync } from "node:child_process";
import { existsSync, readdirSync } from "node:fs";
import { delimiter, dirname, join } from "node:path";
import { MoebenchError } from "../util/errors.js";

export interface GpuQuery {
  name: string;
  computeCap: string;
  driver: string;
  memoryTotal: string;
}

/** `nvidia-smi --query-gpu=…`: one entry per GPU, or the reason there is none. */
export function queryGpus(nvidiaSmi: string): GpuQuery[] | { reason: string } {
  const r = spawnSync(
    nvidiaSmi,
    ["--query-gpu=name,compute_cap,driver_version,memory.total", "--format=csv,noheader"],
    {
      encoding: "utf8",
      timeout: 20_000,
    },
  );
  if (r.error)
    return {
      reason: (r.error as NodeJS.ErrnoException).code === "ENOENT" ? `${nvidiaSmi} not found` : r.error.message,
    };
  if (r.status !== 0) return { reason: `${nvidiaSmi} exited ${r.status}: ${(r.stderr || r.stdout).trim()}` };
  const gpus = r.stdout
    .split("\n")
    .map((l) => l.split(",").map((f) => f.trim()))
    .filter((f) => f.length >= 4 && f[0])
    .map(([name, computeCap, driver, memoryTotal]) => ({
      name: name!,
      computeCap: computeCap!,
      driver: driver!,
      memoryTotal: memoryTotal!,
    }));
  return gpus.length ? gpus : { reason: `${nvidiaSmi} listed no GPU` };
}

/** The first line a tool prints for --version, or null when it is not there. */
function versionOf(cmd: string, args = ["--version"]): string | null {
  const r = spawnSync(cmd, args, { encoding: "utf8", timeout: 20_000 });
  if (r.error || r.status !== 0) return null;
  const lines = `${r.stdout}${r.stderr}`.split("\n").filter((l) => l.trim());
  // nvcc prints its release on the last line ("Cuda compilation tools, release 12.8, V12.8.93")
  return (cmd.endsWith("nvcc") ? lines.find((l) => /release/.test(l)) : lines[0])?.trim() ?? null;
}

/** nvcc: CUDACXX, PATH, CUDA_PATH/CUDA_HOME, then the usual install folders (newest /usr/local/cuda-* first). */
export function findNvcc(env: NodeJS.ProcessEnv = process.env): string | null {
  const candidates: string[] = [];
  if (env.CUDACXX) candidates.push(env.CUDACXX);
  for (const dir of (env.PATH ?? "").split(delimiter).filter(Boolean)) candidates.push(join(dir, "nvcc"));
  for (const home of [env.CUDA_PATH, env.CUDA_HOME]) if (home) candidates.push(join(home, "bin", "nvcc"));
  candidates.push("/usr/local/cuda/bin/nvcc");
  try {
    const versioned = readdirSync("/usr/local")
      .filter((d) => /^cuda-\d/.test(d))
      .sort((a, b) => b.localeCompare(a, undefined, { numeric: true }));
    for (const d of versioned) candidates.push(join("/usr/local", d, "bin", "nvcc"));
  } catch {
    /* no /usr/local */
  }
  candidates.push("/opt/cuda/bin/nvcc", "/usr/bin/nvcc");
  return candidates.find((c) => existsSync(c)) ?? null;
}

export interface BuildTools {
  /** tool → its version line */
  found: Record<string, string>;
  nvcc: string | null;
}

/**
 * Check the tools a CUDA build needs, all at once: a missing one is a one-line error naming every missing tool.
 * `path` is the PATH the build will run with (the bundled node first).
 */
export function checkBuildTools(path: string, env: NodeJS.ProcessEnv = process.env): BuildTools {
  const withPath = { ...env, PATH: path };
  const found: Record<string, string> = {};
  const missing: string[] = [];
  const look = (label: string, cmds: string[]): void => {
    for (const cmd of cmds) {
      const v = spawnSync("sh", ["-c", `command -v ${cmd}`], { encoding: "utf8", env: withPath }).stdout.trim();
      const version = v ? versionOf(v) : null;
      if (version) {
        found[label] = `${version} (${v})`;
        return;
      }
    }
    missing.push(label);
  };
  look("cmake", ["cmake"]);
  look("C++ compiler", ["c++", "g++", "clang++"]);
  look("make or ninja", ["ninja", "make"]);
  look("npm", ["npm"]);
  const nvcc = findNvcc(withPath);
  const nvccVersion = nvcc ? versionOf(nvcc) : null;
  if (nvcc && nvccVersion) found.nvcc = `${nvccVersion} (${nvcc})`;
  else missing.push("nvcc (the CUDA toolkit)");
  if (missing.length)
    throw new MoebenchError(
      `setup: a CUDA build needs ${missing.join(", ")}, not found on this machine`,
      "install them (Debian: cmake g++ make; NVIDIA's CUDA toolkit), or point CUDACXX at nvcc",
    );
  return { found, nvcc };
}

/** PATH with the running node's folder first: node-llama-cpp's build runs `node` and `npm` from PATH. */
export function pathWithNode(env: NodeJS.ProcessEnv = process.env): string {
  return [dirname(process.execPath), env.PATH ?? ""].filter(Boolean).join(delimiter);
}
