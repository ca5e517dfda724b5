import { describe, it, expect } from "vitest";
import { spawn } from "node:child_process";
import { existsSync, readdirSync, statSync, utimesSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { synthesize, planSynth } from "../../src/gguf/synth/synthesize.js";
import { readGguf, splitParts } from "../../src/gguf/read.js";
import { modelFacts } from "../../src/gguf/modelFacts.js";
import { comparable } from "../../src/gguf/provenance.js";
import { encodeHeader, removeStalePartials, writeGguf } from "../../src/gguf/write.js";
import type { GgufValue } from "../../src/gguf/ggufValue.js";
import { CLI, tmp } from "../helpers.js";

describe("split GGUFs are read whole", () => {
  it("splitParts names every shard from any one of them", () => {
    expect(splitParts("/m/model-00002-of-00003.gguf")).toEqual([
      "/m/model-00001-of-00003.gguf",
      "/m/model-00002-of-00003.gguf",
      "/m/model-00003-of-00003.gguf",
    ]);
    expect(splitParts("/m/model.gguf")).toEqual(["/m/model.gguf"]);
  });

  it("two shards: the first shard's metadata, both shards' tensors and bytes", async () => {
    const d = tmp();
    const plan = planSynth({ preset: "llama-3.1-8b", quant: "Q8_0", scale: "tiny" });
    const half = Math.floor(plan.tensors.length / 2);
    const kv: [string, GgufValue][] = [
      ["general.architecture", { type: "string", value: "llama" }],
      ["llama.block_count", { type: "u32", value: plan.hparams.nLayer }],
      ["llama.embedding_length", { type: "u32", value: plan.hparams.nEmbd }],
      ["split.no", { type: "u16", value: 0 }],
      ["split.count", { type: "u16", value: 2 }],
    ];
    const zero = function* (_t: unknown, bytes: number): Iterable<Uint8Array> {
      yield Buffer.alloc(bytes);
    };
    const a = await writeGguf(join(d, "m-00001-of-00002.gguf"), kv, plan.tensors.slice(0, half), zero);
    const b = await writeGguf(
      join(d, "m-00002-of-00002.gguf"),
      [["split.no", { type: "u16", value: 1 }]],
      plan.tensors.slice(half),
      zero,
    );
    const g = await readGguf(join(d, "m-00001-of-00002.gguf"));
    expect(g.parts).toBe(2);
    expect(g.tensors.map((t) => t.name)).toEqual(plan.tensors.map((t) => t.name));
    expect(g.fileBytes).toBe(a.fileBytes + b.fileBytes);
    expect(modelFacts(g).tensorBytes).toBe(plan.tensorBytes);
    expect(g.tensors.filter((t) => t.part === 2)).toHaveLength(plan.tensors.length - half);
  });

  it("a missing shard is a one-line error naming it", async () => {
    const d = tmp();
    const plan = planSynth({ preset: "llama-3.1-8b", quant: "Q8_0", scale: "tiny" });
    await writeGguf(join(d, "m-00001-of-00002.gguf"), [], plan.tensors.slice(0, 2), function* (_t, n) {
      yield Buffer.alloc(n);
    });
    await expect(readGguf(join(d, "m-00001-of-00002.gguf"))).rejects.toThrow(/m-00002-of-00002\.gguf: no such file/);
  });
});

describe("provenance: which quant was made from which reference", () => {
  it("a synthesized quant has its own weights; a llama-quantize copy of the F16 keeps the F16's", async () => {
    const d = tmp();
    await synthesize({ preset: "llama-3.1-8b", quant: "F16", scale: "tiny" }, join(d, "f16.gguf"));
    await synthesize({ preset: "llama-3.1-8b", quant: "Q8_0", scale: "tiny" }, join(d, "q8.gguf"));
    const f16 = await readGguf(join(d, "f16.gguf"), { skipArrays: true });
    const q8 = await readGguf(join(d, "q8.gguf"), { skipArrays: true });
    const c = comparable(f16, q8);
    expect(c.ok).toBe(false);
    if (!c.ok) expect(c.reason).toMatch(/has its own random weights/);
    // what llama-quantize writes: the F16's keys, a new general.file_type (7 = Q8_0) and Q8_0 tensors
    const derived = { ...q8, metadata: new Map(f16.metadata).set("general.file_type", 7) };
    expect(comparable(f16, derived)).toEqual({ ok: true, synthetic: true });
    // a synthetic file against a real one (no moebench keys), or another model: refused
    const real = { ...derived, metadata: new Map([...derived.metadata].filter(([k]) => !k.startsWith("moebench."))) };
    expect(comparable(f16, real).ok).toBe(false);
    const other = { ...q8, tensors: q8.tensors.slice(1) };
    expect(comparable(f16, other).ok).toBe(false);
  });
});

describe("temporary files of interrupted writes", () => {
  it("stale .partial-PID files older than a day are removed; fresh ones and live writers' are kept", () => {
    const d = tmp();
    const old = join(d, ".a.gguf.partial-999999999");
    const fresh = join(d, ".b.gguf.partial-999999998");
    const live = join(d, `.c.gguf.partial-${process.ppid}`);
    for (const f of [old, fresh, live]) writeFileSync(f, "x");
    const twoDaysAgo = Date.now() / 1000 - 2 * 86400;
    utimesSync(old, twoDaysAgo, twoDaysAgo);
    utimesSync(live, twoDaysAgo, twoDaysAgo);
    writeFileSync(join(d, "model.gguf"), "keep");
    expect(removeStalePartials(d)).toEqual([old]);
    expect(readdirSync(d).sort()).toEqual([
      ".b.gguf.partial-999999998",
      `.c.gguf.partial-${process.ppid}`,
      "model.gguf",
    ]);
  });

  it("in a process with its own SIGINT handler (the runner), a write is not cut short: it completes", async () => {
    const d = tmp();
    const own = (): void => undefined;
    process.on("SIGINT", own);
    try {
      const plan = planSynth({ preset: "llama-3.1-8b", quant: "Q8_0", scale: "tiny" });
      const chunks = function* (_t: unknown, bytes: number): Iterable<Uint8Array> {
        process.emit("SIGINT", "SIGINT"); // Ctrl-C arrives mid-write
        yield Buffer.alloc(bytes);
      };
      const res = await writeGguf(join(d, "m.gguf"), [], plan.tensors, chunks);
      expect(statSync(join(d, "m.gguf")).size).toBe(res.fileBytes);
      expect(readdirSync(d)).toEqual(["m.gguf"]);
    } finally {
      process.removeListener("SIGINT", own);
    }
  });

  it("synth interrupted by SIGINT removes its temporary file and exits by the signal", async () => {
    const d = tmp();
    const out = join(d, "big.gguf");
    // ~1.3 GB: long enough to be interrupted mid-write on any disk
    const child = spawn(process.execPath, [CLI, "synth", "llama-3.2-3b", "-q", "Q2_K", "-o", out], { stdio: "ignore" });
    const partial = join(d, `.big.gguf.partial-${child.pid}`);
    for (let i = 0; i < 600 && !(existsSync(partial) && statSync(partial).size > 1 << 20); i++)
      await new Promise((r) => setTimeout(r, 50));
    expect(existsSync(partial), "the write started").toBe(true);
    child.kill("SIGINT");
    const code = await new Promise<NodeJS.Signals | number | null>((r) => child.on("exit", (c, s) => r(s ?? c)));
    expect(code).toBe("SIGINT");
    expect(readdirSync(d)).toEqual([]);
  });
});

describe("the header encoder and reader agree on offsets", () => {
  it("every tensor offset is a multiple of the alignment", () => {
    const plan = planSynth({ preset: "lfm2-8b-a1b", quant: "Q4_K_M", scale: "tiny" });
    const { offsets } = encodeHeader([], plan.tensors);
    expect(offsets.every((o) => o % 32 === 0)).toBe(true);
  });
});
