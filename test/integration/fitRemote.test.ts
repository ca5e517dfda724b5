/**
 * `fit https://…` and `fit hf:…` read the GGUF header only (node-llama-cpp's readGgufFileInfo over HTTP
 * ranges, parsed by moebench's bounded reader): the same figures as the local file from a few MB of a
 * 1.9 GB model; offline, one line.
 */
import { describe, it, expect } from "vitest";
import { spawn } from "node:child_process";
import { createReadStream, statSync } from "node:fs";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { synthesize } from "../../src/gguf/synth/synthesize.js";
import { CLI, tmp } from "../helpers.js";

/** The CLI without blocking this process's event loop (the HTTP server below runs in it). */
function cliAsync(args: string[]): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const c = spawn(process.execPath, [CLI, ...args], { env: { ...process.env, CI: "1" } });
    let stdout = "";
    let stderr = "";
    c.stdout.on("data", (b: Buffer) => (stdout += b.toString()));
    c.stderr.on("data", (b: Buffer) => (stderr += b.toString()));
    c.on("close", (status) => resolve({ status, stdout, stderr }));
  });
}

interface FitJson {
  rows: { ctx: number; kv: string; weights: unknown; kvCache: unknown; compute: unknown; total: number }[];
  facts: { ctxTrain: number; nLayer: number };
}

describe("fit reads a remote GGUF's header only", () => {
  it("https-style URL (a local HTTP server with ranges): same figures as the file, a few MB transferred", async () => {
    const d = tmp();
    const path = join(d, "llama-3.2-3b-Q4_K_M.gguf");
    await synthesize({ preset: "llama-3.2-3b", quant: "Q4_K_M", sparse: true }, path);
    const size = statSync(path).size;
    let served = 0;
    const server = createServer((req, res) => {
      const m = /bytes=(\d+)-(\d*)/.exec(req.headers.range ?? "");
      const start = m ? Number(m[1]) : 0;
      const end = m?.[2] ? Math.min(Number(m[2]), size - 1) : size - 1;
      res.writeHead(m ? 206 : 200, {
        "content-length": end - start + 1,
        "content-range": `bytes ${start}-${end}/${size}`,
        "accept-ranges": "bytes",
      });
      if (req.method === "HEAD") return res.end();
      const s = createReadStream(path, { start, end });
      s.on("data", (b) => (served += b.length));
      s.pipe(res);
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    try {
      const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/llama-3.2-3b-Q4_K_M.gguf`;
      const remote = await cliAsync(["fit", url, "--ctx", "8k,32k", "--json"]);
      expect(remote.status, remote.stderr).toBe(0);
      const local = await cliAsync(["fit", path, "--ctx", "8k,32k", "--json"]);
      const a = JSON.parse(remote.stdout) as FitJson;
      const b = JSON.parse(local.stdout) as FitJson;
      expect(a.rows).toEqual(b.rows);
      expect(a.facts.ctxTrain).toBe(131072);
      // the header of a 128k-token vocabulary is a few MB; the file is ~1.9 GB
      expect(served).toBeLessThan(32 << 20);
      expect(size).toBeGreaterThan(1.5e9);
    } finally {
      server.close();
    }
  });

  it("hf: without a network (or an unknown repo): one line, quickly", async () => {
    const t0 = Date.now();
    const r = await cliAsync(["fit", "hf:moebench-nonexistent-user/nonexistent-repo-GGUF:Q4_K_M"]);
    expect(r.status).toBe(2);
    expect(r.stderr.trim().split("\n")).toHaveLength(1);
    expect(r.stderr).toMatch(/cannot read the GGUF header .*check the URI and your network/);
    expect(Date.now() - t0).toBeLessThan(90_000);
  });
});
