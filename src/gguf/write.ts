import { open, rename, unlink } from "node:fs/promises";
import { dirname, basename, join } from "node:path";
import type { GgmlType } from "./ggmlTypes.js";
import { tensorBytes } from "./ggmlTypes.js";
import { ByteSink, type GgufValue } from "./ggufValue.js";
import { MoebenchError } from "../util/errors.js";

export const GGUF_ALIGNMENT = 32;

export interface TensorToWrite {
  name: string;
  shape: readonly number[];
  type: GgmlType;
}

/** Source of one tensor's bytes, yielded in chunks (their total must equal the tensor's size). */
export type TensorData = (t: TensorToWrite, bytes: number) => Iterable<Uint8Array>;

export interface WriteResult {
  path: string;
  fileBytes: number;
  tensorBytes: number;
  headerBytes: number;
}

const align = (n: number): number => Math.ceil(n / GGUF_ALIGNMENT) * GGUF_ALIGNMENT;

/** The GGUF header (magic, KV metadata, tensor infos, padding) and each tensor's data offset. */
export function encodeHeader(
  kv: readonly [string, GgufValue][],
  tensors: readonly TensorToWrite[],
): { header: Buffer; offsets: number[]; sizes: number[] } {
  const s = new ByteSink();
  s.u32(0x46554747); // "GGUF"
  s.u32(3);
  s.u64(tensors.length);
  s.u64(kv.length);
  for (const [k, v] of kv) {
    s.str(k);
    s.value(v);
  }
  const offsets: number[] = [];
  const sizes: number[] = [];
  let off = 0;
  for (const t of tensors) {
    s.str(t.name);
    s.u32(t.shape.length);
    for (const d of t.shape) s.u64(d);
    s.u32(t.type.id);
    s.u64(off);
    offsets.push(off);
    const n = tensorBytes(t.type, t.shape);
    sizes.push(n);
    off = align(off + n);
  }
  s.pad(GGUF_ALIGNMENT);
  return { header: Buffer.from(s.bytes()), offsets, sizes };
}

/**
 * Write a GGUF file: streamed tensor by tensor with bounded memory, into a temporary name in the
 * same folder, renamed onto `path` only when complete. `sparse` leaves the data as a hole (zeros).
 */
export async function writeGguf(
  path: string,
  kv: readonly [string, GgufValue][],
  tensors: readonly TensorToWrite[],
  data: TensorData,
  opts: { sparse?: boolean; onProgress?: (done: number, total: number) => void } = {},
): Promise<WriteResult> {
  const { header, offsets, sizes } = encodeHeader(kv, tensors);
  const dataBytes = tensors.length ? align(offsets[offsets.length - 1]! + sizes[sizes.length - 1]!) : 0;
  const total = header.length + dataBytes;
  const tmp = join(dirname(path), `.${basename(path)}.partial-${process.pid}`);
  let fh;
  try {
    fh = await open(tmp, "w");
  } catch (e) {
    throw fsError(e, path);
  }
  try {
    await fh.write(header, 0, header.length, 0);
    if (opts.sparse) {
      await fh.truncate(total);
    } else {
      // chunks are gathered (by reference, no copy) into batches of up to 64 MiB per writev: one
      // large vectored write per batch reaches the disk's sequential speed, small writes do not
      const zeros = Buffer.alloc(GGUF_ALIGNMENT);
      const batch: Uint8Array[] = [];
      let batchBytes = 0;
      let batchPos = header.length;
      const flush = async (): Promise<void> => {
        let at = batchPos;
        let i = 0;
        while (i < batch.length) {
          const part = batch.slice(i, i + 1024); // IOV_MAX
          const r = await fh!.writev(part, at);
          const want = part.reduce((a, b) => a + b.length, 0);
          if (r.bytesWritten !== want) throw new Error(`short write (${r.bytesWritten} of ${want} bytes)`);
          at += want;
          i += part.length;
        }
        batchPos = at;
        batch.length = 0;
        batchBytes = 0;
      };
      const push = async (chunk: Uint8Array): Promise<void> => {
        batch.push(chunk);
        batchBytes += chunk.length;
        if (batchBytes >= 64 << 20) await flush();
      };
      let pos = header.length;
      let written = 0;
      for (let i = 0; i < tensors.length; i++) {
        const t = tensors[i]!;
        const start = header.length + offsets[i]!;
        if (pos < start) {
          await push(zeros.subarray(0, start - pos));
          pos = start;
        }
        let got = 0;
        for (const chunk of data(t, sizes[i]!)) {
          await push(chunk);
          pos += chunk.length;
          got += chunk.length;
        }
        if (got !== sizes[i]) throw new Error(`internal: tensor ${t.name} produced ${got} bytes, expected ${sizes[i]}`);
        written += got;
        opts.onProgress?.(written, total);
      }
      if (pos < total) await push(zeros.subarray(0, total - pos));
      await flush();
    }
    await fh.sync();
    await fh.close();
    fh = undefined;
    await rename(tmp, path);
  } catch (e) {
    await fh?.close().catch(() => undefined);
    await unlink(tmp).catch(() => undefined);
    throw fsError(e, path);
  }
  return { path, fileBytes: total, tensorBytes: sizes.reduce((a, b) => a + b, 0), headerBytes: header.length };
}

function fsError(e: unknown, path: string): Error {
  const code = (e as NodeJS.ErrnoException).code;
  if (code === "ENOSPC")
    return new MoebenchError(
      `${path}: disk full while writing`,
      "free space or write elsewhere with -o; nothing was left under that name",
    );
  if (code === "EACCES" || code === "EPERM" || code === "EROFS")
    return new MoebenchError(`${path}: not writable (${code})`, "choose a writable folder with -o");
  if (code === "ENOENT")
    return new MoebenchError(`${path}: folder does not exist`, "create it first or choose another -o");
  return e instanceof Error ? e : new Error(String(e));
}
