/**
 * Which CUDA architectures `moebench setup` compiles for. ggml's default list is seven architectures (several
 * times the nvcc time of one); a build for the card at hand is one: its compute capability from
 * `nvidia-smi --query-gpu=compute_cap` ("9.0" → CMake's "90"), unless the user names the list.
 */
import { MoebenchError } from "../util/errors.js";

/** A CMAKE_CUDA_ARCHITECTURES entry: 75, 90, 90a, 120a, 86-real, 90-virtual. */
const ARCH = /^\d{2,3}[af]?(-real|-virtual)?$/;

/** "--cuda-arch 90,89" (or "90;89") → ["90", "89"]; anything else is a one-line error naming the flag. */
export function parseCudaArchList(text: string, flag = "--cuda-arch"): string[] {
  const archs = text
    .split(/[,;\s]+/)
    .map((s) => s.trim())
    .filter(Boolean);
  const bad = archs.find((a) => !ARCH.test(a));
  if (archs.length === 0 || bad !== undefined)
    throw new MoebenchError(
      `${flag} ${text}: ${bad === undefined ? "no architecture given" : `"${bad}" is not a CUDA architecture`}`,
      "give compute capabilities without the dot, e.g. 90 for H100/H200, 89 for L4/RTX 40xx, 86 for A10/RTX 30xx",
    );
  return [...new Set(archs)];
}

/** nvidia-smi's compute_cap ("9.0", "12.0") as a CMake architecture ("90", "120"); null if it is not one. */
export function archOfComputeCap(cap: string): string | null {
  const m = /^\s*(\d{1,2})\.(\d)\s*$/.exec(cap);
  return m ? `${m[1]}${m[2]}` : null;
}

export interface ArchChoice {
  archs: string[];
  /** where the list came from, for the setup log */
  source: "--cuda-arch" | "bundle" | "nvidia-smi";
  /** a detected card the chosen list does not cover */
  warning?: string;
}

/**
 * The list to build for: the setup flag, else the list the bundle was made with, else every distinct compute
 * capability nvidia-smi reported. Explicit lists win (they may target another card) but a detected card they
 * do not cover is a warning: its kernels would be missing at run time.
 */
export function chooseCudaArchs(o: { flag?: string; bundled?: string; detectedCaps: string[] }): ArchChoice {
  const detected = [...new Set(o.detectedCaps.map(archOfComputeCap).filter((a): a is string => a !== null))];
  let choice: ArchChoice;
  if (o.flag !== undefined) choice = { archs: parseCudaArchList(o.flag), source: "--cuda-arch" };
  else if (o.bundled !== undefined) choice = { archs: parseCudaArchList(o.bundled, "bundle"), source: "bundle" };
  else if (detected.length) return { archs: detected, source: "nvidia-smi" };
  else
    throw new MoebenchError(
      "setup: no CUDA architecture to build for (nvidia-smi reported no compute capability)",
      "give one with --cuda-arch, e.g. --cuda-arch 90 for H100/H200",
    );
  const base = (a: string): string => a.replace(/[af]?(-real|-virtual)?$/, "");
  const missing = detected.filter((d) => !choice.archs.some((a) => base(a) === d));
  if (missing.length)
    choice.warning =
      `this machine's GPU is compute capability ${missing.join(", ")}, which the ${choice.source} list ` +
      `(${choice.archs.join(",")}) does not include: its kernels will be missing`;
  return choice;
}
