// npm run bench:synth — write the full-size lfm2-8b-a1b Q4_K_M and compare the synthesizer's throughput
// with the disk's own sequential write speed measured in the same run (dd … conv=fdatasync).
// Target: ≥ 0.8 of the disk. MOEBENCH_BENCH_DIR picks the folder (default: the OS temp folder).
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { synthesize } from "../dist/gguf/synth/synthesize.js";

const dir = mkdtempSync(join(process.env.MOEBENCH_BENCH_DIR ?? tmpdir(), "moebench-bench-synth-"));
try {
  const out = join(dir, "lfm2-8b-a1b-Q4_K_M.gguf");
  const dd = (mb) => {
    execFileSync("sync");
    const t = performance.now();
    execFileSync("dd", ["if=/dev/zero", `of=${join(dir, "dd.bin")}`, "bs=1M", `count=${mb}`, "conv=fdatasync"], {
      stdio: "ignore",
    });
    const s = (performance.now() - t) / 1000;
    rmSync(join(dir, "dd.bin"));
    return (mb * (1 << 20)) / 1e6 / s;
  };
  // disk speed before and after (page-cache writeback of earlier files disturbs either one alone)
  const ddBefore = dd(4810);
  execFileSync("sync");
  const t0 = performance.now();
  const res = await synthesize({ preset: "lfm2-8b-a1b", quant: "Q4_K_M" }, out);
  const synthS = (performance.now() - t0) / 1000;
  const bytes = statSync(out).size;
  rmSync(out);
  const ddAfter = dd(Math.ceil(bytes / (1 << 20)));
  const synthRate = bytes / 1e6 / synthS;
  const ddRate = (ddBefore + ddAfter) / 2;
  console.log(
    `synth  lfm2-8b-a1b Q4_K_M: ${(bytes / 1e9).toFixed(2)} GB (${res.tensors.length} tensors) ` +
      `in ${synthS.toFixed(1)} s = ${synthRate.toFixed(0)} MB/s (includes fsync)`,
  );
  console.log(
    `dd     same size, conv=fdatasync: ${ddBefore.toFixed(0)} MB/s before, ${ddAfter.toFixed(0)} MB/s after, ` +
      `mean ${ddRate.toFixed(0)} MB/s`,
  );
  console.log(`ratio  ${(synthRate / ddRate).toFixed(2)} of the disk's sequential write speed (target ≥ 0.80)`);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
