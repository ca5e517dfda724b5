/**
 * The one place that counts a model's weights (pure): parameters, tensor bytes, active parameters per
 * token and the weight bytes a generated token reads. Used for real files (the tensor table) and for
 * synth plans alike, so `inspect`, `fit`, `plan` and reports agree.
 */

export interface WeightTensor {
  name: string;
  /** GGUF order: ne0 (row length) first */
  shape: readonly number[];
  bytes: number;
}

export interface WeightCounts {
  params: number;
  tensorBytes: number;
  /** parameters of the routed experts (`*_exps.*` tensors) */
  expertParams: number;
  /**
   * Parameters used per token: every non-expert tensor plus n_used/n_expert of the expert tensors
   * (the model-card convention: LFM2-8B-A1B "1.5B active" counts its embedding).
   */
  activeParams: number;
  /**
   * Weight bytes one generated token reads: the active share of every matrix, without the input
   * embedding of an untied model (a lookup reads one row of it); with tied embeddings the same matrix is
   * the output projection and is read whole. This is what bounds generation speed by memory bandwidth.
   */
  activeBytesPerToken: number;
}

export const elementCount = (shape: readonly number[]): number => shape.reduce((a, b) => a * b, 1);

/** Bytes of a tensor from its type's block: `block` = [elements per block, bytes per block]. */
export function blockBytes(block: readonly [number, number], shape: readonly number[]): number {
  const ne0 = shape[0] ?? 1;
  if (ne0 % block[0] !== 0) throw new Error(`row of ${ne0} elements is not a multiple of the block of ${block[0]}`);
  return (elementCount(shape) / block[0]) * block[1];
}

const isExpert = (name: string): boolean => /_exps\./.test(name);

export function weightCounts(tensors: readonly WeightTensor[], nExpert: number, nExpertUsed: number): WeightCounts {
  const moe = nExpert > 1;
  const share = moe ? Math.min(1, nExpertUsed / nExpert) : 1;
  const tied = !tensors.some((t) => t.name === "output.weight");
  let params = 0;
  let tensorBytes = 0;
  let expertParams = 0;
  let activeBytes = 0;
  for (const t of tensors) {
    const n = elementCount(t.shape);
    params += n;
    tensorBytes += t.bytes;
    if (moe && isExpert(t.name)) {
      expertParams += n;
      activeBytes += t.bytes * share;
    } else if (t.name !== "token_embd.weight" || tied) activeBytes += t.bytes;
  }
  return {
    params,
    tensorBytes,
    expertParams,
    activeParams: Math.round(params - expertParams * (1 - share)),
    activeBytesPerToken: Math.round(activeBytes),
  };
}
