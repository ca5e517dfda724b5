/**
 * Every value that sizes memory is bounded before anything is allocated (issue 14): each bad input below
 * gets a one-line error with exit 2 from inspect, fit and quality, run under a 256 MB V8 heap (a header value
 * that made moebench allocate per layer, or loop over a count, would die of OOM or time out instead).
 */
import { describe, it, expect } from "vitest";
import { spawnSync } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { ByteSink, type GgufValue } from "../../src/gguf/ggufValue.js";
import { CLI, tmp } from "../helpers.js";

interface RawTensor {
  name: string;
  dims: (number | bigint)[];
  type: number;
  offset: number | bigint;
}

/** A GGUF header written field by field, so that any field can hold a bad value. */
function gguf(o: {
  kv?: [string, GgufValue][];
  tensors?: RawTensor[];
  nTensors?: bigint;
  nKv?: bigint;
  data?: number;
  raw?: (s: ByteSink) => void;
}): Buffer {
  const s = new ByteSink();
  s.u32(0x46554747);
  s.u32(3);
  const tensors = o.tensors ?? [];
  const kv = o.kv ?? [];
  s.u64(o.nTensors ?? BigInt(tensors.length));
  s.u64(o.nKv ?? BigInt(kv.length + (o.raw ? 1 : 0)));
  for (const [k, v] of kv) {
    s.str(k);
    s.value(v);
  }
  o.raw?.(s);
  for (const t of tensors) {
    s.str(t.name);
    s.u32(t.dims.length);
    for (const d of t.dims) s.u64(d);
    s.u32(t.type);
    s.u64(t.offset);
  }
  s.pad(32);
  return Buffer.concat([s.bytes(), Buffer.alloc(o.data ?? 512)]);
}

const u32 = (value: number): GgufValue => ({ type: "u32", value });
const llama = (extra: [string, GgufValue][] = []): [string, GgufValue][] => [
  ["general.architecture", { type: "string", value: "llama" }],
  ["llama.block_count", u32(2)],
  ["llama.embedding_length", u32(64)],
  ["llama.attention.head_count", u32(4)],
  ["llama.attention.head_count_kv", u32(4)],
  ...extra.filter(([k]) => !["llama.block_count", "llama.embedding_length"].includes(k)),
  ...extra.filter(([k]) => ["llama.block_count", "llama.embedding_length"].includes(k)),
];
const okTensor: RawTensor = { name: "token_embd.weight", dims: [32, 2], type: 0, offset: 0 };

const cases: [string, Buffer, RegExp][] = [
  [
    "llama.block_count = 100000000 (a 2 MB file)",
    gguf({
      kv: [
        ...llama(),
        ["llama.block_count", u32(100_000_000)],
        ["padding", { type: "array", itemType: "u8", value: new Array(2_000_000).fill(0) }],
      ],
      tensors: [okTensor],
    }),
    /llama\.block_count = 100000000 is out of range \(1…512\)/,
  ],
  [
    "head count 10^9",
    gguf({ kv: llama([["llama.attention.head_count", u32(1e9)]]), tensors: [okTensor] }),
    /head_count = 1000000000 is out of range/,
  ],
  [
    "embedding length 0",
    gguf({ kv: llama([["llama.embedding_length", u32(0)]]), tensors: [okTensor] }),
    /embedding_length = 0 is out of range/,
  ],
  [
    "per-layer KV heads for the wrong number of blocks",
    gguf({
      kv: [
        ...llama().filter(([k]) => k !== "llama.attention.head_count_kv"),
        ["llama.attention.head_count_kv", { type: "array", itemType: "u32", value: [4, 0, 4] }],
      ],
      tensors: [okTensor],
    }),
    /head_count_kv has 3 entries for 2 blocks/,
  ],
  [
    "general.alignment = 0",
    gguf({ kv: [...llama(), ["general.alignment", u32(0)]], tensors: [okTensor] }),
    /general\.alignment = 0, not a power of two/,
  ],
  [
    "general.alignment = 48",
    gguf({ kv: [...llama(), ["general.alignment", u32(48)]], tensors: [okTensor] }),
    /general\.alignment = 48, not a power of two/,
  ],
  [
    "a misaligned tensor offset",
    gguf({ kv: llama(), tensors: [{ ...okTensor, offset: 16 }], data: 512 }),
    /data offset 16, not a multiple of the alignment 32/,
  ],
  [
    "an array of 2^40 items",
    gguf({
      kv: llama(),
      raw: (s) => {
        s.str("huge");
        s.u32(9); // array
        s.u32(0); // of u8
        s.u64(2n ** 40n);
      },
    }),
    /huge: array of 1099511627776 items, more than the file can hold/,
  ],
  [
    "a string of 2^50 bytes",
    gguf({
      kv: llama(),
      raw: (s) => {
        s.str("x");
        s.u32(8); // string
        s.u64(2n ** 50n);
      },
    }),
    /x of 1125899906842624 bytes/,
  ],
  ["2^40 tensors", gguf({ kv: llama(), nTensors: 2n ** 40n }), /1099511627776 tensors, more than the file can hold/],
  ["2^40 metadata keys", gguf({ kv: llama(), nKv: 2n ** 40n }), /1099511627776 metadata keys/],
  [
    "a 5-dimensional tensor",
    gguf({ kv: llama(), tensors: [{ ...okTensor, dims: [1, 1, 1, 1, 1] }] }),
    /has 5 dimensions/,
  ],
  ["a dimension of 0", gguf({ kv: llama(), tensors: [{ ...okTensor, dims: [32, 0] }] }), /dimension 1 = 0/],
  [
    "2^40 × 2^40 elements",
    gguf({ kv: llama(), tensors: [{ ...okTensor, dims: [2 ** 40, 2 ** 40] }] }),
    /dimension 1 = 1099511627776/,
  ],
  ["an unknown tensor type", gguf({ kv: llama(), tensors: [{ ...okTensor, type: 99 }] }), /unknown ggml type 99/],
  [
    "tensor data past the end of the file",
    gguf({ kv: llama(), tensors: [{ ...okTensor, dims: [4096, 4096] }] }),
    /truncated GGUF/,
  ],
  ["not a GGUF", Buffer.from("this is not a model file, just some text long enough"), /not a GGUF file \(bad magic\)/],
];

const d = tmp();

function run(args: string[]): { status: number | null; stderr: string; stdout: string } {
  // a 256 MB heap: nothing here may allocate from a header value (a per-layer array of 10^8 would not fit)
  const r = spawnSync(process.execPath, ["--max-old-space-size=256", CLI, ...args], {
    encoding: "utf8",
    timeout: 60_000,
    env: { ...process.env, CI: "1" },
  });
  return { status: r.status, stderr: r.stderr, stdout: r.stdout };
}

describe("bad GGUF headers: one line, exit 2, bounded memory", () => {
  cases.forEach(([what, bytes, message], i) => {
    it(what, () => {
      const f = join(d, `bad${i}.gguf`);
      writeFileSync(f, bytes);
      // inspect, fit and quality share the reader and modelFacts: all three for the header values and the
      // first count, inspect alone for the rest (keeps this file's CI time down)
      const commands = [
        ["inspect", f],
        ["fit", f],
        ["quality", f, "--reference", f],
      ].slice(0, i < 5 ? 3 : 1);
      for (const args of commands) {
        const r = run(args);
        expect(r.status, `${args[0]}: ${r.stderr}`).toBe(2);
        const lines = r.stderr.trim().split("\n");
        expect(lines, `${args[0]}: ${r.stderr}`).toHaveLength(1);
        expect(lines[0]).toMatch(message);
      }
    });
  });
});

describe("file-system errors and bounded options: one line, exit 2", () => {
  const folder = join(d, "a-folder");
  mkdirSync(folder, { recursive: true });
  const file = join(d, "plain.txt");
  writeFileSync(file, "x");
  const table: [string, string[], RegExp][] = [
    ["inspect a folder", ["inspect", folder], /cannot read .*a-folder: is a folder \(EISDIR\)/],
    ["fit a folder", ["fit", folder], /cannot read .*a-folder: is a folder \(EISDIR\)/],
    [
      "quality with a folder",
      ["quality", folder, "--reference", folder],
      /cannot read .*a-folder: is a folder \(EISDIR\)/,
    ],
    [
      "inspect a path under a file",
      ["inspect", join(file, "x.gguf")],
      /cannot read .*plain\.txt\/x\.gguf: not a folder \(ENOTDIR\)/,
    ],
    [
      "inspect a missing file",
      ["inspect", join(d, "nope.gguf")],
      /cannot read .*nope\.gguf: no such file or folder \(ENOENT\)/,
    ],
    [
      "synth -o a folder",
      ["synth", "llama-3.1-8b", "-q", "Q8_0", "--scale", "tiny", "-o", folder],
      /cannot write .*a-folder: is a folder/,
    ],
    [
      "synth --set nLayer=1e9",
      ["synth", "llama-3.1-8b", "-q", "Q8_0", "--set", "nLayer=1e9", "--dry-run"],
      /nLayer=1000000000: expected an integer from 1 to 512/,
    ],
    [
      "synth --set vocab=10",
      ["synth", "llama-3.1-8b", "-q", "Q8_0", "--set", "vocab=10", "--dry-run"],
      /vocab=10: expected an integer from 275/,
    ],
    [
      "synth --set nEmbd=1e12",
      ["synth", "qwen3-8b", "-q", "F16", "--set", "nEmbd=1e12", "--dry-run"],
      /nEmbd=1000000000000: expected an integer/,
    ],
    [
      "fit --ctx 1e9 tokens",
      ["fit", "synth:llama-3.1-8b:Q4_K_M", "--ctx", "1000000000"],
      /--ctx 1000000000: expected a token count/,
    ],
    ["fit --parallel 10^6", ["fit", "synth:llama-3.1-8b:Q4_K_M", "--parallel", "1000000"], /--parallel 1000000/],
    [
      "fit -ot for something it does not model",
      ["fit", "synth:lfm2-8b-a1b:Q4_K_M", "-ot", "attn=CPU"],
      /only expert tensors to the CPU are modelled/,
    ],
  ];
  for (const [what, args, message] of table)
    it(what, () => {
      const r = run(args);
      expect(r.status, r.stderr).toBe(2);
      expect(r.stderr.trim().split("\n"), r.stderr).toHaveLength(1);
      expect(r.stderr).toMatch(message);
    });
});
