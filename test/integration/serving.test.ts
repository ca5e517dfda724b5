/** Serving benchmarks over HTTP against a deterministic fake server on 127.0.0.1 (all three protocols). */
import { describe, it, expect, beforeAll, afterAll } from "vitest";
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { cli, tmp, ROOT, CLI } from "../helpers.js";
import { readJsonl } from "../../src/results/jsonl.js";

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
const DEFAULTS = {
  msPerToken: 2,
  pairs: false,
  truncateAt: 0,
  eosAt: 0,
  hangHealth: false,
  flood: 0,
  dropFirstAttempt: false,
};
async function control(o: Record<string, unknown>): Promise<void> {
  const body = JSON.stringify({ ...DEFAULTS, reset: true, ...o });
  // a fresh connection each time: an idle keep-alive socket may be closed by the server just as it is reused
  await fetch(`${url}/__control`, { method: "POST", body, headers: { connection: "close" } });
}
async function stats(): Promise<{ requests: number; repeats: number }> {
  return (await (await fetch(`${url}/__stats`, { headers: { connection: "close" } })).json()) as {
    requests: number;
    repeats: number;
  };
}
beforeAll(async () => {
  [server, url] = await start([]);
  [nostream, nsUrl] = await start(["--no-stream"]);
});
afterAll(() => {
  server?.kill();
  nostream?.kill();
});

function suite(d: string, lines: string[]): string {
  const f = join(d, "s.yaml");
  writeFileSync(f, ["name: serve", ...lines].join("\n"));
  return f;
}
const llamaOnly = (http: string, concurrency = "[1]") => [
  "endpoints:",
  `  - {kind: llama-server, url: "${url}", label: llama-server}`,
  `concurrency: ${concurrency}`,
  `http: ${http}`,
];

describe("moebench run with endpoints", () => {
  it("sweeps concurrency for every protocol, a new prompt per request, nothing invented", async () => {
    // 10 ms a token (not the default 2): the 1-vs-4 comparison below must outlast timer and scheduling delays on a
    // busy 2-core CI machine, where 2 ms tokens once gave concurrency 4 half the rate of concurrency 1
    await control({ msPerToken: 10 });
    const d = tmp();
    const f = suite(d, [
      "endpoints:",
      `  - {kind: llama-server, url: "${url}", label: llama-server}`,
      `  - {kind: openai, url: "${url}", model: fake-model, label: openai}`,
      `  - {kind: ollama, url: "${url}", model: fake-model, label: ollama}`,
      "concurrency: [1, 4]",
      "http: {promptTokens: 32, maxTokens: 16, requests: 8}",
    ]);
    const r = cli(["run", f, "--out", join(d, "o")]);
    expect(r.status, r.stderr).toBe(0);
    // 3 endpoints × 2 levels × 8 requests + 3 preflight probes, none of them a prompt the server saw before
    expect(await stats()).toEqual({ requests: 51, repeats: 0 });
    const recs = readJsonl(join(d, "o", "results.jsonl"));
    expect(recs).toHaveLength(6);
    for (const x of recs) {
      expect(x.status).toBe("ok");
      expect(x.executor).toBe("http");
      expect(x.serving!.ok).toBe(8);
      expect(x.serving!.ttftMs!.p99).toBeGreaterThan(0);
      expect(x.serving!.itlMs!.p50).toBeGreaterThan(0);
      // a client cannot know the server's context, KV types, flash attention, layers, threads or batch
      expect(x.params).toMatchObject({ ctx: null, kvK: null, flashAttention: null, gpuLayers: null, batch: null });
      expect(x.params.threads).toBeNull();
      // llama-server and Ollama report their own timings; the OpenAI protocol has none
      if (x.model.label === "openai") expect(x.serving!.serverGenTokPerSec).toBeNull();
      else expect(x.serving!.serverGenTokPerSec!.p50).toBeGreaterThan(0);
      // 16 tokens: 15 gaps timed after the first token
      expect(x.tg!.tokens).toBe(15);
      expect(x.tg!.samplesMs).toHaveLength(8);
      expect(x.parallelTg!.tokens).toBe(8 * 16);
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

  it("tokens that arrive together share their read's gap: inter-token latency is not 0", async () => {
    await control({ pairs: true, msPerToken: 10 });
    const d = tmp();
    const r = cli(["run", suite(d, llamaOnly("{promptTokens: 8, maxTokens: 16, requests: 4}")), "--out", join(d, "o")]);
    expect(r.status, r.stderr).toBe(0);
    const [x] = readJsonl(join(d, "o", "results.jsonl"));
    expect(x!.serving!.itlMs!.p50).toBeGreaterThan(0);
    expect(x!.warnings.join(" ")).toMatch(/tokens arrived in the same network read as another/);
  });

  it("a connection the server closes before answering is sent again once, and said so", async () => {
    await control({ dropFirstAttempt: true });
    const d = tmp();
    const r = cli(["run", suite(d, llamaOnly("{promptTokens: 8, maxTokens: 8, requests: 3}")), "--out", join(d, "o")]);
    expect(r.status, r.stderr).toBe(0);
    const [x] = readJsonl(join(d, "o", "results.jsonl"));
    expect(x!.serving).toMatchObject({ ok: 3, failed: 0 });
    expect(x!.warnings).toContain(
      "3 request(s) sent again once: the server had closed the idle connection they went out on",
    );
  });

  it("a stream that ends early without a stop reason is a failed request, never extrapolated", async () => {
    await control({ truncateAt: 4 });
    const d = tmp();
    const f = suite(d, llamaOnly("{promptTokens: 8, maxTokens: 8, requests: 3}"));
    const r = cli(["run", f, "--out", join(d, "o")]);
    expect(r.status, r.stderr).toBe(1);
    const [x] = readJsonl(join(d, "o", "results.jsonl"));
    expect(x!.status).toBe("error");
    expect(x!.error!.message).toBe("the stream ended after 4 of 8 tokens without a stop reason");
    expect(x!.tg).toBeNull();
  });

  it("an answer cut short by the model (a stop reason) is recorded as short and left out of tg", async () => {
    await control({ eosAt: 5 });
    const d = tmp();
    const r = cli(["run", suite(d, llamaOnly("{promptTokens: 8, maxTokens: 8, requests: 3}")), "--out", join(d, "o")]);
    expect(r.status, r.stderr).toBe(0);
    const [x] = readJsonl(join(d, "o", "results.jsonl"));
    expect(x!.status).toBe("ok");
    expect(x!.tg).toBeNull();
    expect(x!.parallelTg!.tokens).toBe(15);
    expect(x!.warnings[0]).toBe(
      "3 request(s) stopped before 8 tokens (stop reason: eos): timed as they were, left out of tg",
    );
  });

  it("bad endpoints: one line each, before the sweep", async () => {
    await control({});
    const d = tmp();
    const f = join(d, "s.yaml");
    const run = (ep: string, http = "{requests: 1, maxTokens: 4}") => {
      writeFileSync(f, `name: bad\nendpoints: [${ep}]\nconcurrency: [1]\nhttp: ${http}\n`);
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
    // a /health that never answers: the suite's request timeout, not forever
    await control({ hangHealth: true });
    r = run(
      `{kind: llama-server, url: "${url}"}`,
      "{requests: 1, maxTokens: 4, requestTimeoutSec: 2, levelTimeoutSec: 5}",
    );
    expect(r.status).toBe(2);
    expect(r.stderr.trim().split("\n").pop()).toBe(
      `moebench: endpoints[0] (${url}): cannot reach ${url}/health (no answer within 2 s) ` +
        "(start the server, or fix endpoints[].url)",
    );
  });

  it("a 64 MB answer without a newline fails in bounded memory", async () => {
    await control({ flood: 64 << 20 });
    const d = tmp();
    const f = suite(d, llamaOnly("{promptTokens: 8, maxTokens: 8, requests: 1}"));
    const r = spawnSync(process.execPath, ["--max-old-space-size=256", CLI, "run", f, "--out", join(d, "o")], {
      encoding: "utf8",
      timeout: 120_000,
    });
    expect(r.status, r.stderr).toBe(2);
    expect(r.stderr).toMatch(/a test request failed: an event longer than 1048576 characters: not a token stream/);
  });

  it("Ctrl-C aborts the level in flight (nothing recorded, exit 130); --resume runs what is missing", async () => {
    await control({});
    const d = tmp();
    const f = suite(d, llamaOnly("{promptTokens: 8, maxTokens: 16, requests: 4, requestTimeoutSec: 600}", "[1, 2]"));
    const out = join(d, "o");
    const child = spawn(process.execPath, [CLI, "run", f, "--out", out], {
      cwd: ROOT,
      env: { ...process.env, CI: "1" },
      stdio: ["ignore", "ignore", "pipe"],
    });
    let err = "";
    const exit = new Promise<string>((resolve) => child.on("exit", (c, sig) => resolve(`${c}/${sig}`)));
    await new Promise<void>((resolve) => {
      child.on("exit", () => resolve());
      child.stderr!.on("data", async (b: Buffer) => {
        err += b.toString();
        if (!/tok\/s aggregate/.test(err) || child.killed) return;
        // level c=1 is recorded; make c=2 slow (16 tokens × 2 s) and interrupt it
        await control({ msPerToken: 2000 });
        setTimeout(() => child.kill("SIGINT"), 300);
        resolve();
      });
    });
    expect(await exit, err).toBe("130/null");
    const first = readFileSync(join(out, "results.jsonl"), "utf8");
    expect(first.trim().split("\n")).toHaveLength(1);
    await control({});
    const r = cli(["run", f, "--out", out, "--resume"]);
    expect(r.status, r.stderr).toBe(0);
    const recs = readJsonl(join(out, "results.jsonl"));
    expect(recs.map((x) => x.params.parallel)).toEqual([1, 2]);
    expect(readFileSync(join(out, "results.jsonl"), "utf8").startsWith(first)).toBe(true);
  });
});
