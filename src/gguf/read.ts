/**
 * GGUF header reader (metadata + tensor table, never tensor data), bounded before it allocates: a value
 * read from the file never sizes an allocation larger than the bytes the file still holds, and the
 * counts llama.cpp's own loader bounds (dimensions, alignment, tensor types, offsets) are checked the
 * same way (ggml/src/gguf.cpp). Split models (`-00001-of-0000N.gguf`) are read whole.
 *
 * Why not node-llama-cpp's readGgufFileInfo for local files: it trusts the counts it reads (an array
 * of 2^40 items loops over zeros past the end of the file until V8 runs out of memory), and this reader
 * is faster on our files (see README: inspect). Remote headers (hf:, https:) go through readGgufFileInfo
 * and its raw header bytes are then parsed here (src/gguf/readRemote.ts).
 */
import { closeSync, fstatSync, openSync, readSync } from "node:fs";
import { basename, dirname, join } from "node:path";
import { GGUF_TYPE_NAMES, type GgufScalarType } from "./ggufValue.js";
import { GGML_BLOCK_BY_ID, GGML_TYPE_NAMES } from "./ggmlTypes.js";
import { blockBytes } from "./weightCounts.js";
import { MoebenchError } from "../util/errors.js";
import { fsError } from "../util/fsErrors.js";

export type MetaValue = number | bigint | string | boolean | MetaValue[];

export interface GgufTensorInfo {
  name: string;
  /** GGUF order: ne0 first */
  shape: number[];
  typeId: number;
  type: string;
  /** offset from the start of the data section (of its shard) */
  offset: number;
  bytes: number;
  /** 1-based shard of a split model */
  part: number;
}

export interface GgufFile {
  path: string;
  version: number;
  /** all shards together; for a remote header, the end of the last tensor */
  fileBytes: number;
  metadata: Map<string, MetaValue>;
  /** item count of every array value (also of arrays left out with skipArrays) */
  arrayLengths: Map<string, number>;
  tensors: GgufTensorInfo[];
  /** start of the (first shard's) tensor data: the header's length */
  dataOffset: number;
  alignment: number;
  parts: number;
}

export interface ReadOptions {
  /** leave arrays of more than 4096 items out of `metadata` (their lengths stay in arrayLengths) */
  skipArrays?: boolean;
}

/** Limits beyond which a header is corrupt (llama.cpp itself: GGML_MAX_DIMS = 4, GGML_MAX_NAME = 64). */
export const GGUF_LIMITS = {
  maxKv: 1 << 16,
  maxTensors: 1 << 20,
  maxArrayItems: 1 << 24,
  maxDims: 4,
  maxTensorName: 256,
  maxParts: 999,
} as const;

const corrupt = (path: string, what: string): MoebenchError =>
  new MoebenchError(`${path}: corrupt GGUF (${what})`, "the file is not a valid GGUF; download or synthesize it again");

const SCALAR_BYTES: Readonly<Record<Exclude<GgufScalarType, "string">, number>> = {
  u8: 1,
  i8: 1,
  u16: 2,
  i16: 2,
  u32: 4,
  i32: 4,
  f32: 4,
  bool: 1,
  u64: 8,
  i64: 8,
  f64: 8,
};

/** A source of header bytes: a file read in windows, or a buffer already in memory. */
interface ByteSource {
  /** total bytes, or null when unknown (a remote header: only the header bytes are here) */
  readonly size: number | null;
  /** bytes available from `pos` on (the header buffer's end for a remote header) */
  available(pos: number): number;
  /** a buffer holding [pos, pos + n) and the offset of `pos` in it (the caller checked availability) */
  window(pos: number, n: number): { buf: Buffer; at: number };
}

function fileSource(fd: number, size: number): ByteSource {
  const w = { buf: Buffer.alloc(0), at: 0 };
  let start = 0;
  return {
    size,
    available: (pos) => size - pos,
    window(pos, n) {
      if (pos < start || pos + n > start + w.buf.length) {
        w.buf = Buffer.alloc(Math.min(Math.max(n, 4 << 20), size - pos));
        let got = 0;
        while (got < w.buf.length) {
          const r = readSync(fd, w.buf, got, w.buf.length - got, pos + got);
          if (r <= 0) break;
          got += r;
        }
        start = pos;
      }
      w.at = pos - start;
      return w;
    },
  };
}

export function bufferSource(b: Buffer): ByteSource {
  const w = { buf: b, at: 0 };
  return {
    size: null,
    available: (pos) => b.length - pos,
    window(pos) {
      w.at = pos;
      return w;
    },
  };
}

/** Synchronous little-endian cursor; every read checks that the bytes exist first. */
class Cursor {
  pos = 0;
  constructor(
    private readonly src: ByteSource,
    readonly path: string,
  ) {}
  left(): number {
    return this.src.available(this.pos);
  }
  /** the window holding the next n bytes; advances past them */
  private take(n: number): { buf: Buffer; at: number } {
    if (n > this.left())
      throw new MoebenchError(
        `${this.path}: truncated GGUF header ` +
          `(needs byte ${this.pos + n}, ${this.src.size === null ? "header" : "file"} has ${this.pos + this.left()})`,
        "the file is incomplete; download or synthesize it again",
      );
    const w = this.src.window(this.pos, n);
    this.pos += n;
    return w;
  }
  skip(n: number): void {
    if (n > this.left()) this.take(n);
    this.pos += n;
  }
  u32(): number {
    const w = this.take(4);
    return w.buf.readUInt32LE(w.at);
  }
  /** a u64 count or offset: refused above 2^53 (no file is that large) */
  count(what: string): number {
    const w = this.take(8);
    const lo = w.buf.readUInt32LE(w.at);
    const hi = w.buf.readUInt32LE(w.at + 4);
    if (hi > 0x1fffff) throw corrupt(this.path, `${what} of ${w.buf.readBigUInt64LE(w.at)} at byte ${this.pos - 8}`);
    return hi * 2 ** 32 + lo;
  }
  /** a string's byte length, checked against the bytes left */
  strLength(what: string): number {
    const n = this.count(`${what} length`);
    if (n > this.left()) throw corrupt(this.path, `${what} of ${n} bytes at byte ${this.pos - 8}, past the end`);
    return n;
  }
  str(what: string): string {
    const n = this.strLength(what);
    const w = this.take(n);
    return w.buf.toString("utf8", w.at, w.at + n);
  }
  scalar(t: Exclude<GgufScalarType, "string">): number | bigint | boolean {
    const { buf: b, at } = this.take(SCALAR_BYTES[t]);
    switch (t) {
      case "u8":
        return b.readUInt8(at);
      case "i8":
        return b.readInt8(at);
      case "u16":
        return b.readUInt16LE(at);
      case "i16":
        return b.readInt16LE(at);
      case "u32":
        return b.readUInt32LE(at);
      case "i32":
        return b.readInt32LE(at);
      case "f32":
        return b.readFloatLE(at);
      case "bool":
        return b.readUInt8(at) !== 0;
      case "f64":
        return b.readDoubleLE(at);
      default: {
        const v = t === "u64" ? b.readBigUInt64LE(at) : b.readBigInt64LE(at);
        return v <= BigInt(Number.MAX_SAFE_INTEGER) && v >= BigInt(Number.MIN_SAFE_INTEGER) ? Number(v) : v;
      }
    }
  }
}

const typeName = (c: Cursor, id: number): GgufScalarType | "array" => {
  const t = GGUF_TYPE_NAMES[id];
  if (t === undefined) throw corrupt(c.path, `unknown value type ${id} at byte ${c.pos - 4}`);
  return t;
};

/** One array value; one of more than `keepUpTo` items is walked over without storing its items. */
function readArray(c: Cursor, key: string, keepUpTo: number): { value: MetaValue[]; length: number } {
  const item = typeName(c, c.u32());
  const n = c.count(`${key}: array length`);
  if (item === "array") throw corrupt(c.path, `${key}: nested arrays are not GGUF`);
  // every item takes at least one byte (a string 8): a count larger than the bytes left is corrupt
  const min = item === "string" ? 8 : SCALAR_BYTES[item];
  if (n > GGUF_LIMITS.maxArrayItems || n * min > c.left())
    throw corrupt(c.path, `${key}: array of ${n} items, more than the file can hold`);
  const keep = n <= keepUpTo;
  const value: MetaValue[] = [];
  if (keep) for (let i = 0; i < n; i++) value.push(item === "string" ? c.str(`${key}[${i}]`) : c.scalar(item));
  else if (item === "string") for (let i = 0; i < n; i++) c.skip(c.strLength(`${key}[${i}]`));
  else c.skip(n * min);
  return { value, length: n };
}

function readMetadata(
  c: Cursor,
  nKv: number,
  opts: ReadOptions,
): { metadata: Map<string, MetaValue>; arrayLengths: Map<string, number> } {
  const metadata = new Map<string, MetaValue>();
  const arrayLengths = new Map<string, number>();
  for (let i = 0; i < nKv; i++) {
    const key = c.str("metadata key");
    const t = typeName(c, c.u32());
    if (t === "array") {
      const a = readArray(c, key, opts.skipArrays ? 4096 : GGUF_LIMITS.maxArrayItems);
      arrayLengths.set(key, a.length);
      metadata.set(key, a.value);
    } else metadata.set(key, t === "string" ? c.str(key) : c.scalar(t));
  }
  return { metadata, arrayLengths };
}

interface RawTensor {
  name: string;
  shape: number[];
  typeId: number;
  offset: number;
}

function readTensorInfo(c: Cursor, index: number): RawTensor {
  const name = c.str(`tensor #${index} name`);
  if (name.length > GGUF_LIMITS.maxTensorName) throw corrupt(c.path, `tensor #${index} name of ${name.length} bytes`);
  const nd = c.u32();
  if (nd < 1 || nd > GGUF_LIMITS.maxDims) throw corrupt(c.path, `tensor ${name} has ${nd} dimensions (1…4)`);
  const shape: number[] = [];
  let elements = 1;
  for (let d = 0; d < nd; d++) {
    const ne = c.count(`tensor ${name} dimension`);
    elements *= ne;
    if (ne < 1 || elements > Number.MAX_SAFE_INTEGER)
      throw corrupt(c.path, `tensor ${name} has dimension ${d} = ${ne}`);
    shape.push(ne);
  }
  const typeId = c.u32();
  const offset = c.count(`tensor ${name} offset`);
  return { name, shape, typeId, offset };
}

/** Type, row length and alignment checks of one tensor (gguf.cpp refuses the same files). */
function tensorFrom(path: string, raw: RawTensor, alignment: number, part: number): GgufTensorInfo {
  const blk = GGML_BLOCK_BY_ID[raw.typeId];
  if (!blk)
    throw new MoebenchError(
      `${path}: tensor ${raw.name} has unknown ggml type ${raw.typeId}`,
      "this llama.cpp type is newer than moebench, or the file is corrupt",
    );
  if (raw.shape[0]! % blk[0] !== 0)
    throw corrupt(path, `tensor ${raw.name}: row of ${raw.shape[0]} is not a multiple of its block of ${blk[0]}`);
  if (raw.offset % alignment !== 0)
    throw corrupt(
      path,
      `tensor ${raw.name} at data offset ${raw.offset}, not a multiple of the alignment ${alignment}`,
    );
  return { ...raw, type: GGML_TYPE_NAMES[raw.typeId] ?? `type${raw.typeId}`, bytes: blockBytes(blk, raw.shape), part };
}

function alignmentOf(path: string, metadata: Map<string, MetaValue>): number {
  const a = metadata.get("general.alignment");
  if (a === undefined) return 32;
  if (typeof a !== "number" || !Number.isInteger(a) || a < 1 || a > 2 ** 30 || (a & (a - 1)) !== 0)
    throw corrupt(path, `general.alignment = ${String(a)}, not a power of two`);
  return a;
}

/** Parse one GGUF header from a byte source (a local file or a remote header's bytes). */
export function parseGguf(src: ByteSource, path: string, opts: ReadOptions = {}, part = 1): GgufFile {
  const c = new Cursor(src, path);
  if (src.size !== null && src.size < 24)
    throw new MoebenchError(`${path}: not a GGUF file (${src.size} bytes)`, "pass a .gguf model file");
  if (c.u32() !== 0x46554747)
    throw new MoebenchError(`${path}: not a GGUF file (bad magic)`, "pass a .gguf model file");
  const version = c.u32();
  if (version < 2 || version > 3)
    throw new MoebenchError(`${path}: GGUF version ${version} is not supported`, "use a GGUF v2 or v3 file");
  const nTensors = c.count("tensor count");
  const nKv = c.count("metadata count");
  // each tensor info takes at least 28 bytes, each key/value at least 13
  if (nTensors > GGUF_LIMITS.maxTensors || nTensors * 28 > c.left())
    throw corrupt(path, `${nTensors} tensors, more than the file can hold`);
  if (nKv > GGUF_LIMITS.maxKv || nKv * 13 > c.left()) throw corrupt(path, `${nKv} metadata keys`);
  const { metadata, arrayLengths } = readMetadata(c, nKv, opts);
  const alignment = alignmentOf(path, metadata);
  const raws: RawTensor[] = [];
  for (let i = 0; i < nTensors; i++) raws.push(readTensorInfo(c, i));
  const tensors = raws.map((r) => tensorFrom(path, r, alignment, part));
  const dataOffset = Math.ceil(c.pos / alignment) * alignment;
  const end = tensors.reduce((m, t) => Math.max(m, t.offset + t.bytes), 0);
  if (src.size !== null && dataOffset + end > src.size)
    throw new MoebenchError(
      `${path}: truncated GGUF (tensor data ends at byte ${dataOffset + end}, file has ${src.size})`,
      "the file is incomplete; download or synthesize it again",
    );
  const fileBytes = src.size ?? dataOffset + end;
  return { path, version, fileBytes, metadata, arrayLengths, tensors, dataOffset, alignment, parts: 1 };
}

function readOne(path: string, opts: ReadOptions, part: number): GgufFile {
  let fd: number;
  try {
    fd = openSync(path, "r");
  } catch (e) {
    throw fsError(e, path, "read");
  }
  try {
    const st = fstatSync(fd);
    if (st.isDirectory()) throw fsError(Object.assign(new Error("EISDIR"), { code: "EISDIR" }), path, "read");
    return parseGguf(fileSource(fd, st.size), path, opts, part);
  } catch (e) {
    throw fsError(e, path, "read");
  } finally {
    closeSync(fd);
  }
}

const SPLIT = /-(\d{5})-of-(\d{5})\.gguf$/;

/** The shard paths of a split model (`name-00001-of-00003.gguf`), or just `path`. */
export function splitParts(path: string): string[] {
  const m = SPLIT.exec(basename(path));
  if (!m) return [path];
  const n = Number(m[2]);
  if (n < 2 || n > GGUF_LIMITS.maxParts || Number(m[1]) > n || Number(m[1]) < 1) return [path];
  const stem = basename(path).slice(0, -m[0].length);
  return Array.from({ length: n }, (_, i) =>
    join(dirname(path), `${stem}-${String(i + 1).padStart(5, "0")}-of-${m[2]}.gguf`),
  );
}

/** Shards → one model: the first shard's metadata, every shard's tensors and bytes. */
export function mergeParts(path: string, parts: GgufFile[]): GgufFile {
  const first = parts[0]!;
  if (parts.length === 1) return first;
  return {
    ...first,
    path,
    fileBytes: parts.reduce((s, p) => s + p.fileBytes, 0),
    tensors: parts.flatMap((p) => p.tensors),
    parts: parts.length,
  };
}

/** Read a GGUF file's header: metadata and tensor table (no tensor data); a split model whole. */
export async function readGguf(path: string, opts: ReadOptions = {}): Promise<GgufFile> {
  const paths = splitParts(path);
  return mergeParts(
    path,
    paths.map((p, i) => readOne(p, opts, i + 1)),
  );
}
