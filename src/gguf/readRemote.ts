/**
 * The header of a remote GGUF (hf: URIs, https: URLs) without downloading the model: node-llama-cpp's
 * readGgufFileInfo fetches only the header's byte ranges (resolving hf: URIs, split files and tokens), and
 * its raw header bytes are then parsed by our bounded reader, so the result is the same GgufFile a local
 * file gives. Offline or unreachable: one line, quickly (few retries, a time limit).
 */
import { bufferSource, mergeParts, parseGguf, type GgufFile, type ReadOptions } from "./read.js";
import { MoebenchError } from "../util/errors.js";

export const isRemoteModel = (ref: string): boolean => /^(hf:|huggingface:|hf\.co\/|https?:\/\/)/i.test(ref);

export async function readRemoteGguf(ref: string, opts: ReadOptions & { timeoutMs?: number } = {}): Promise<GgufFile> {
  const { readGgufFileInfo } = await import("node-llama-cpp");
  let info: Awaited<ReturnType<typeof readGgufFileInfo>>;
  try {
    info = await readGgufFileInfo(ref, {
      readTensorInfo: true,
      logWarnings: false,
      fetchRetryOptions: { retries: 1, factor: 2, minTimeout: 500, maxTimeout: 2000 },
      signal: AbortSignal.timeout(opts.timeoutMs ?? 60_000),
    });
  } catch (e) {
    const why = (e instanceof Error ? e.message : String(e)).split("\n")[0];
    throw new MoebenchError(
      `${ref}: cannot read the GGUF header (${why})`,
      "check the URI and your network, or download the file and pass its path",
    );
  }
  const parts = info.sourceData.map((d, i) => {
    if (d.type !== "buffer") throw new MoebenchError(`${ref}: node-llama-cpp read it as a local file`);
    return parseGguf(bufferSource(Buffer.from(d.buffer)), ref, opts, i + 1);
  });
  if (parts.length === 0) throw new MoebenchError(`${ref}: no GGUF header was read`);
  return mergeParts(ref, parts);
}
