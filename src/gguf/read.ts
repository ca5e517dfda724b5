import { open, stat } from "node:fs/promises";
import { GGUF_TYPE_NAMES } from "./ggufValue.js";
import { GGML_BLOCK_BY_ID, GGML_TYPE_NAMES } from "./ggmlTypes.js";
import { MoebenchError } from "../util/errors.js";

export type MetaValue = number | bigint | string | boolean | MetaValue[];

export interface GgufTensorInfo {
  name: string;
  /** GGUF order: ne0 first */
  shape: number[];
  typeId: number;
  type: string;
  /** offset from the start of the data section */
  offset: number;
  bytes: number;
}

export interface GgufFile {
  path: string;
  version: number;
  fileBytes: number;
  metadata: Map<string, MetaValue>;
  tensors: GgufTensorInfo[];
  dataOffset: number;
  alignment: number;
}

/** Buffered little-endian cursor over a file (headers can be several MB: 150k-token vocabularies). */
class Cursor {
  private buf = Buffer.alloc(0);
  private bufStart = 0;
  pos = 0;
  constructor(
    private readonly fh: import("node:fs/promises").FileHandle,
    private readonly size: number,
    private readonly path: string,
  ) {}
  private async need(n: number): Promise<void> {
    if (this.pos + n <= this.bufStart + this.buf.length) return;
    if (this.pos + n > this.size)
      throw new MoebenchError(
        `${this.path}: truncated GGUF header (needs byte ${this.pos + n}, file has ${this.size})`,
        "the file is incomplete; download or synthesize it again",
      );
    const len = Math.max(n, 1 << 20);
    const b = Buffer.alloc(Math.min(len, this.size - this.pos));
    await this.fh.read(b, 0, b.length, this.pos);
    this.buf = b;
    this.bufStart = this.pos;
  }
  private at(): number {
    return this.pos - this.bufStart;
  }
  async u8(): Promise<number> {
    await this.need(1);
    const v = this.buf.readUInt8(this.at());
    this.pos += 1;
    return v;
  }
  async u32(): Promise<number> {
    await this.need(4);
    const v = this.buf.readUInt32LE(this.at());
    this.pos += 4;
    return v;
  }
  async u64(): Promise<bigint> {
    await this.need(8);
    const v = this.buf.readBigUInt64LE(this.at());
    this.pos += 8;
    return v;
  }
  async num(fn: (b: Buffer, o: number) => number | bigint, n: number): Promise<number | bigint> {
    await this.need(n);
    const v = fn(this.buf, this.at());
    this.pos += n;
    return v;
  }
  async str(): Promise<string> {
    const n = Number(await this.u64());
    if (n > 1 << 26)
      throw new MoebenchError(
        `${this.path}: corrupt GGUF (string of ${n} bytes at ${this.pos})`,
        "the file is not a valid GGUF",
      );
    await this.need(n);
    const s = this.buf.toString("utf8", this.at(), this.at() + n);
    this.pos += n;
    return s;
  }
}

async function readValue(c: Cursor, typeId: number, path: string): Promise<MetaValue> {
  const t = GGUF_TYPE_NAMES[typeId];
  switch (t) {
    case "u8":
      return c.u8();
    case "i8":
      return Number(await c.num((b, o) => b.readInt8(o), 1));
    case "u16":
      return Number(await c.num((b, o) => b.readUInt16LE(o), 2));
    case "i16":
      return Number(await c.num((b, o) => b.readInt16LE(o), 2));
    case "u32":
      return c.u32();
    case "i32":
      return Number(await c.num((b, o) => b.readInt32LE(o), 4));
    case "f32":
      return Number(await c.num((b, o) => b.readFloatLE(o), 4));
    case "bool":
      return (await c.u8()) !== 0;
    case "string":
      return c.str();
    case "u64": {
      const v = await c.u64();
      return v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v;
    }
    case "i64":
      return Number(await c.num((b, o) => b.readBigInt64LE(o), 8));
    case "f64":
      return Number(await c.num((b, o) => b.readDoubleLE(o), 8));
    case "array": {
      const it = await c.u32();
      const n = Number(await c.u64());
      const out: MetaValue[] = [];
      for (let i = 0; i < n; i++) out.push(await readValue(c, it, path));
      return out;
    }
    default:
      throw new MoebenchError(
        `${path}: corrupt GGUF (unknown value type ${typeId} at byte ${c.pos})`,
        "the file is not a valid GGUF",
      );
  }
}

/** Read a GGUF file's header: metadata and tensor table (no tensor data). Works on real files too. */
export async function readGguf(path: string, opts: { skipArrays?: boolean } = {}): Promise<GgufFile> {
  let size: number;
  try {
    size = (await stat(path)).size;
  } catch {
    throw new MoebenchError(`${path}: no such file`, "check the path, or synthesize one with `moebench synth`");
  }
  const fh = await open(path, "r");
  try {
    const c = new Cursor(fh, size, path);
    if (size < 24) throw new MoebenchError(`${path}: not a GGUF file (${size} bytes)`, "pass a .gguf model file");
    const magic = await c.u32();
    if (magic !== 0x46554747)
      throw new MoebenchError(`${path}: not a GGUF file (bad magic)`, "pass a .gguf model file");
    const version = await c.u32();
    if (version < 2 || version > 3)
      throw new MoebenchError(`${path}: GGUF version ${version} is not supported`, "use a GGUF v2 or v3 file");
    const nTensors = Number(await c.u64());
    const nKv = Number(await c.u64());
    const metadata = new Map<string, MetaValue>();
    for (let i = 0; i < nKv; i++) {
      const k = await c.str();
      const typeId = await c.u32();
      const v = await readValue(c, typeId, path);
      metadata.set(k, opts.skipArrays && Array.isArray(v) && v.length > 4096 ? [] : v);
    }
    const alignment = Number(metadata.get("general.alignment") ?? 32);
    const tensors: GgufTensorInfo[] = [];
    for (let i = 0; i < nTensors; i++) {
      const name = await c.str();
      const nd = await c.u32();
      const shape: number[] = [];
      for (let d = 0; d < nd; d++) shape.push(Number(await c.u64()));
      const typeId = await c.u32();
      const offset = Number(await c.u64());
      const blk = GGML_BLOCK_BY_ID[typeId];
      if (!blk)
        throw new MoebenchError(
          `${path}: tensor ${name} has unknown ggml type ${typeId}`,
          "this llama.cpp type is newer than moebench; please report it",
        );
      const nEl = shape.reduce((a, b) => a * b, 1);
      tensors.push({
        name,
        shape,
        typeId,
        type: GGML_TYPE_NAMES[typeId] ?? `type${typeId}`,
        offset,
        bytes: (nEl / blk[0]) * blk[1],
      });
    }
    const dataOffset = Math.ceil(c.pos / alignment) * alignment;
    const last = tensors.reduce((m, t) => Math.max(m, t.offset + t.bytes), 0);
    if (dataOffset + last > size) {
      throw new MoebenchError(
        `${path}: truncated GGUF (tensor data ends at byte ${dataOffset + last}, file has ${size})`,
        "the file is incomplete; download or synthesize it again",
      );
    }
    return { path, version, fileBytes: size, metadata, tensors, dataOffset, alignment };
  } finally {
    await fh.close();
  }
}
