/**
 * A measured serving run on this machine: llama-server (built from the llama.cpp source node-llama-cpp
 * ships, on node-llama-cpp's own CPU backend) serving small-scale synthetic MoE and dense models on
 * 127.0.0.1 with --parallel 4, swept at concurrency 1, 2, 4 through moebench's http executor.
 * Usage: npx tsx scripts/serve-real.ts [--threads 1] [--out dir]
 */
import { spawn, spawnSync } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { ensureLlamaTools, llamaBenchOnBindingCpu } from "../src/util/llamaCppBuild.js";
import { synthesize } from "../src/gguf/synth/synthesize.js";

const args = process.argv.slice(2);
const threads = args.includes("--threads") ? args[args.indexOf("--threads") + 1]! : "1";
const out = resolve(
  args.includes("--out")
    ? args[args.indexOf("--out") + 1]!
    : join("results", "serve-real", new Date().toISOString().replace(/[:.]/g, "-")),
);
const bin = ensureLlamaTools(["llama-bench", "llama-server"]);
const binding = llamaBenchOnBindingCpu(bin);
const exe = binding ? join(binding.exe, "..", "llama-server") : join(bin, "llama-server");
const env = binding?.env ?? process.env;
const dir = mkdtempSync(join(tmpdir(), "moebench-serve-"));
const models = [
  ["lfm2-8b-a1b", "MoE lfm2-8b-a1b small Q4_K_M", 18091],
  ["llama-3.1-8b", "dense llama-3.1-8b small Q4_K_M", 18092],
] as const;
const servers = [];
for (const [preset, , port] of models) {
  const path = join(dir, `${preset}.gguf`);
  await synthesize({ preset, quant: "Q4_K_M", scale: "small" }, path);
  servers.push(
    spawn(
      exe,
      [
        "-m",
        path,
        "--host",
        "127.0.0.1",
        "--port",
        String(port),
        "--parallel",
        "4",
        "-c",
        "4096",
        "-t",
        threads,
        "-b",
        "512",
        "-ub",
        "512",
        "--no-webui",
      ],
      { env, stdio: "ignore" },
    ),
  );
}
try {
  for (const [, , port] of models) {
    for (let i = 0; i < 100; i++) {
      const ok = await fetch(`http://127.0.0.1:${port}/health`).then(
        (r) => r.ok,
        () => false,
      );
      if (ok) break;
      await new Promise((r) => setTimeout(r, 300));
    }
  }
  const suite = join(dir, "serve.yaml");
  writeFileSync(
    suite,
    [
      "name: serve-real",
      "endpoints:",
      ...models.map(
        ([, label, port]) => `  - {kind: llama-server, url: "http://127.0.0.1:${port}", label: "${label}"}`,
      ),
      "concurrency: [1, 2, 4]",
      "http: {promptTokens: 128, maxTokens: 64, requests: 12}",
    ].join("\n"),
  );
  const r = spawnSync(process.execPath, [resolve("dist/cli.js"), "run", suite, "--out", out], {
    stdio: "inherit",
    env: { ...process.env, CI: "1" },
  });
  spawnSync(process.execPath, [resolve("dist/cli.js"), "report", out], { stdio: "inherit" });
  process.exitCode = r.status ?? 1;
} finally {
  for (const s of servers) s.kill();
}
