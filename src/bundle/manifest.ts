/**
 * BUNDLE.json, at the root of an unpacked offline bundle: what it was made from. Setup reads the CUDA
 * architectures it was made for; records made from the bundle take the llama.cpp commit from it (the git
 * bundle that `hostEnv` reads it from elsewhere is not shipped).
 */
import { z } from "zod";

export const BUNDLE_MANIFEST = "BUNDLE.json";

const BundleManifest = z.object({
  schemaVersion: z.literal(1),
  moebench: z.string(),
  /** the moebench git commit the bundle was built from, where known */
  gitCommit: z.string().nullable(),
  createdAt: z.string(),
  target: z.string(),
  nodeLlamaCpp: z.string(),
  llamaCppRelease: z.string(),
  /** the llama.cpp commit of node-llama-cpp's source (before its patches) */
  llamaCppCommit: z.string().nullable(),
  /** the Node runtime shipped in node/ (--with-node), else null */
  node: z.string().nullable(),
  /** --cuda-arch given when bundling: what setup builds for unless told otherwise */
  cudaArchitectures: z.string().nullable(),
  /** bytes before compression, per part */
  parts: z.record(z.string(), z.number()),
});
export type BundleManifest = z.infer<typeof BundleManifest>;

/** BUNDLE.json's text as a manifest, or null when it is not one (a reader decides whether that matters). */
export function parseBundleManifest(text: string): BundleManifest | null {
  try {
    const r = BundleManifest.safeParse(JSON.parse(text));
    return r.success ? r.data : null;
  } catch {
    return null;
  }
}
