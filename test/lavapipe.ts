/**
 * Mesa's lavapipe (a Vulkan driver that runs on the CPU), unpacked into moebench's cache and visible only to
 * the processes given its environment: a real llama.cpp "device" on a machine without a GPU, so tests can
 * read llama.cpp's own device/host buffer split (fit's offload figures). Nothing is installed system-wide
 * (a system-wide lavapipe would make every other process see a Vulkan device).
 */
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { cacheDir } from "../src/util/llamaCppBuild.js";

const LIB = "usr/lib/x86_64-linux-gnu";

/** The environment that shows lavapipe to llama.cpp (unpacking it with apt-get download + dpkg -x once). */
export function lavapipeEnv(): Record<string, string> {
  const dir = join(cacheDir(), "lavapipe");
  const icd = join(dir, "lvp_icd.json");
  if (!existsSync(icd)) {
    const tmp = mkdtempSync(join(tmpdir(), "lavapipe-"));
    try {
      execFileSync("apt-get", ["download", "mesa-vulkan-drivers", "libvulkan1"], { cwd: tmp, stdio: "ignore" });
      mkdirSync(join(dir, "root"), { recursive: true });
      for (const deb of readdirSync(tmp).filter((f) => f.endsWith(".deb")))
        execFileSync("dpkg", ["-x", join(tmp, deb), join(dir, "root")]);
    } finally {
      rmSync(tmp, { recursive: true, force: true });
    }
    const src = JSON.parse(readFileSync(join(dir, "root/usr/share/vulkan/icd.d/lvp_icd.x86_64.json"), "utf8")) as {
      ICD: { library_path: string };
    };
    src.ICD.library_path = join(dir, "root", LIB, "libvulkan_lvp.so");
    writeFileSync(icd, JSON.stringify(src));
  }
  return {
    // ggml-vulkan skips CPU-type devices unless they are named explicitly
    GGML_VK_VISIBLE_DEVICES: "0",
    LD_LIBRARY_PATH: join(dir, "root", LIB),
    VK_ICD_FILENAMES: icd,
  };
}
