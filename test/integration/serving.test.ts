/** Serving benchmarks over HTTP against a deterministic fake server on 127.0.0.1 (all three protocols). */
import { describe, it, expect, beforeAll, afterAll } from "vitest";
import { spawn, type ChildProcess } from "node:child_process";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { cli, tmp, ROOT } from "../helpers.js";
import { readJsonl } from "../../src/results/jsonl.js";
import { parseEvent } from "../../src/serve/protocols.js";

let server: ChildProcess;
let url = "";
let nostream: ChildProcess;
let nsUrl = "";
const start = (args: string[]): Promise<[ChildProcess, string]> =>
  new Promise((resolve) => {
    const c = spawn(process.execPath, [join(ROOT, "test/fixtures/fake-llm-server.mjs"), ...args], {
      stdio: ["ignore", "pipe", "inherit"],
    });
    c.stdout!.once("data", (b: Buffer) => resolve([c, b.toString().trim()]));
  });
beforeAll(async () => {
  [server, url] = await start([]);
  [nostream, nsUrl] = await start(["--no-stream"]);
});
afterAll(() => {
  server?.kill();
  nostream?.kill();
});

describe("protocol parsing (public API shapes)", () => {
  it("llama-server, OpenAI and Ollama stream events", () => {
    expect(parseEvent("llama-server", JSON.stringify({ content: " a", stop: false }))).toMatchObject({
      piece: true,
      done: false,
    });
    expect(
      parseEvent(
        "llama-server",
        JSON.stringify({
          content: "",
          stop: true,
          timings: { prompt_n: 10, prompt_ms: 5, predicted_n: 4, predicted_ms: 8 },
        }),
      ).server,
    ).toEqual({ promptMs: 5, genMs: 8, promptTokens: 10, genTokens: 4 });
    expect(parseEvent("openai", JSON.stringify({ choices: [{ text: "x" }] }))).toMatchObject({ piece: true });
    expect(parseEvent("openai", "[DONE]")).toMatchObject({ done: true });
    expect(
      parseEvent(
        "ollama",
        JSON.stringify({
          response: "",
          done: true,
          prompt_eval_count: 3,
          prompt_eval_duration: 2e6,
          eval_count: 5,
          eval_duration: 1e7,
        }),
      ).server,
    ).toEqual({ promptMs: 2, genMs: 10, promptTokens: 3, genTokens: 5 });
  });
});

describe("moebench run with endpoints", () => {
  it("sweeps concurrency for every protocol; throughput rises and latency grows with load", () => {
    const d = tmp();
    const f = join(d, "s.yaml");
    writeFileSync(
      f,
      [
        `name: serve`,
        `endpoints:`,
        `  - {kind: llama-server, url: "${url}", label: llama-server}`,
        `  - {kind: openai, url: "${url}", model: fake-model, label: openai}`,
        `  - {kind: ollama, url: "${url}", model: fake-model, label: ollama}`,
        `concurrency: [1, 4]`,
        `http: {promptTokens: 32, maxTokens: 16, requests: 8}`,
      ].join("\n"),
    );
    const r = cli(["run", f, "--out", join(d, "o")]);
    expect(r.status, r.stderr).toBe(0);
    const recs = readJsonl(join(d, "o", "results.jsonl"));
    expect(recs).toHaveLength(6);
    for (const x of recs) {
      expect(x.status).toBe("ok");
      expect(x.serving!.ok).toBe(8);
      expect(x.serving!.ttftMs!.p99).toBeGreaterThan(0);
      expect(x.serving!.itlMs!.p50).toBeGreaterThan(0);
      // llama-server and Ollama report their own timings; the OpenAI protocol has none
      if (x.model.label === "openai") expect(x.serving!.serverGenTokPerSec).toBeNull();
      else expect(x.serving!.serverGenTokPerSec!.p50).toBeGreaterThan(0);
      expect(x.tg!.samplesMs).toHaveLength(8);
    }
    for (const label of ["llama-server", "openai", "ollama"]) {
      const [c1, c4] = [1, 4].map(
        (c) => recs.find((x) => x.model.label === label && x.params.parallel === c)!.serving!,
      );
      expect(c4!.aggregateTokPerSec).toBeGreaterThan(c1!.aggregateTokPerSec);
      expect(c4!.itlMs!.p50).toBeGreaterThan(c1!.itlMs!.p50);
    }
    const rep = cli(["report", join(d, "o"), "--format", "md", "--out", join(d, "rep")]);
    expect(rep.status, rep.stderr).toBe(0);
  });

  it("bad endpoints: one line each, before the sweep", () => {
    const d = tmp();
    const f = join(d, "s.yaml");
    const run = (ep: string) => {
      writeFileSync(f, `name: bad\nendpoints: [${ep}]\nconcurrency: [1]\nhttp: {requests: 1, maxTokens: 4}\n`);
      return cli(["run", f, "--out", join(d, "o")]);
    };
    let r = run(`{kind: ollama, url: "${url}", model: nope}`);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/does not know model "nope"/);
    r = run(`{kind: llama-server, url: "http://127.0.0.1:9"}`);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/cannot reach http:\/\/127\.0\.0\.1:9/);
    r = run(`{kind: llama-server, url: "${nsUrl}"}`);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/did not stream/);
  });
});
