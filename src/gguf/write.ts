import { readdirSync, statSync, unlinkSync } from "node:fs";
import { open, rename, stat, unlink, type FileHandle } from "node:fs/promises";
import { dirname, basename, join } from "node:path";
import type { GgmlType } from "./ggmlTypes.js";
import { tensorBytes } from "./ggmlTypes.js";
import { ByteSink, type GgufValue } from "./ggufValue.js";
import { MoebenchError } from "../util/errors.js";
import { fsError } from "../util/fsErrors.js";

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

/** Bytes of the GGUF file with this encoded header: the header, then every tensor's data, aligned. */
export function ggufFileBytes(encoded: {
  header: Buffer;
  offsets: readonly number[];
  sizes: readonly number[];
}): number {
  const last = encoded.offsets.length - 1;
  return encoded.header.length + (last >= 0 ? align(encoded.offsets[last]! + encoded.sizes[last]!) : 0);
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
  const total = ggufFileBytes({ header, offsets, sizes });
  const existing = await stat(path).catch(() => undefined);
  if (existing?.isDirectory()) throw fsError(Object.assign(new Error(), { code: "EISDIR" }), path, "write");
  removeStalePartials(dirname(path));
  const tmp = partialName(path, process.pid);
  let fh: FileHandle | undefined;
  try {
    fh = await open(tmp, "w");
  } catch (e) {
    throw fsError(e, path, "write");
  }
  const guard = removeOnSignal(tmp);
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
          if (guard.interrupted) throw new MoebenchError(`${path}: interrupted; nothing was left under that name`);
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
    throw fsError(e, path, "write");
  } finally {
    guard.dispose();
  }
  return { path, fileBytes: total, tensorBytes: sizes.reduce((a, b) => a + b, 0), headerBytes: header.length };
}

/** The temporary name a file is written under until it is complete (same folder, so rename is atomic). */
export const partialName = (path: string, pid: number): string =>
  join(dirname(path), `.${basename(path)}.partial-${pid}`);

const PARTIAL = /^\..+\.partial-(\d+)$/;
const DAY_MS = 24 * 3600 * 1000;

const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === "EPERM";
  }
};

/**
 * Remove temporary files of writes that never finished (a killed process leaves a `.name.partial-PID` of up
 * to the model's full size): older than a day and not held by a live process. Best effort.
 */
export function removeStalePartials(dir: string, now = Date.now(), maxAgeMs = DAY_MS): string[] {
  const removed: string[] = [];
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return removed;
  }
  for (const name of names) {
    const m = PARTIAL.exec(name);
    if (!m) continue;
    const p = join(dir, name);
    try {
      if (now - statSync(p).mtimeMs > maxAgeMs && !(Number(m[1]) !== process.pid && alive(Number(m[1])))) {
        unlinkSync(p);
        removed.push(p);
      }
    } catch {
      /* raced with another cleaner, or not ours to remove */
    }
  }
  return removed;
}

/**
 * While a file is being written by a process that does not handle SIGINT/SIGTERM itself (`moebench synth`):
 * on the signal, remove the temporary file at once (synchronously: the process is about to die) and die of
 * the signal as Node would have (exit 130 for SIGINT). A process with its own handler (the runner
 * synthesizing a suite's models) decides for itself: the write then completes, and a user interrupt never
 * turns into a failed model; what a killed process leaves behind is removed a day later.
 */
const ourHandlers = new Set<(...args: unknown[]) => void>();

function removeOnSignal(tmp: string): { readonly interrupted: boolean; dispose(): void } {
  const state = { interrupted: false };
  const handlers = new Map<NodeJS.Signals, () => void>();
  const dispose = (): void => {
    for (const [sig, h] of handlers) {
      process.removeListener(sig, h);
      ourHandlers.delete(h);
    }
    handlers.clear();
  };
  for (const sig of ["SIGINT", "SIGTERM"] as const) {
    const h = (): void => {
      // someone else handles the signal: not ours to act on
      if (process.listeners(sig).some((l) => !ourHandlers.has(l as (...args: unknown[]) => void))) return;
      state.interrupted = true;
      try {
        unlinkSync(tmp);
      } catch {
        /* already gone */
      }
      dispose();
      // die of the signal once every write has removed its file (listeners run in one emit)
      if (process.listenerCount(sig) === 0) process.kill(process.pid, sig);
    };
    handlers.set(sig, h);
    ourHandlers.add(h);
    process.on(sig, h);
  }
  return {
    get interrupted() {
      return state.interrupted;
    },
    dispose,
  };
}
