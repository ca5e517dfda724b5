/**
 * The one place that touches node-llama-cpp's private API (3.22.x): a context's native object (`_ctx`)
 * with the batch calls its own dispatcher uses, and a sequence's id (`_sequenceId`). Timing through it does
 * exactly llama-bench's work (pp: one output row at the end; tg: one token with its logits per step, no
 * sampling), without evaluate()'s per-token sampling round trip. If node-llama-cpp changes these internals,
 * `NativeBatch.attach` returns undefined (one feature check) and callers fall back to the public API.
 */
import type { LlamaContext, LlamaContextSequence } from "node-llama-cpp";

/** node-llama-cpp's native context (3.22.x): the batch API its own dispatcher uses. */
interface NativeContext {
  initBatch(size: number): void;
  addToBatch(
    sequenceId: number,
    firstTokenIndex: number,
    tokens: Uint32Array,
    logitIndexes: Uint32Array,
  ): Uint32Array | number[];
  decodeBatch(): Promise<void>;
  disposeSequence(sequenceId: number): void;
}

/** One sequence's slice of a batch: its tokens, and whether the last one's logits are computed. */
export interface BatchItem {
  /** index of the sequence (0 … parallel−1) */
  seq: number;
  tokens: number[];
  logitLast: boolean;
}

function nativeContextOf(context: LlamaContext): NativeContext | undefined {
  const native = (context as unknown as { _ctx?: Partial<NativeContext> })._ctx;
  const complete =
    native !== undefined &&
    typeof native.initBatch === "function" &&
    typeof native.addToBatch === "function" &&
    typeof native.decodeBatch === "function" &&
    typeof native.disposeSequence === "function";
  return complete ? (native as NativeContext) : undefined;
}

function sequenceIdsOf(sequences: LlamaContextSequence[]): number[] | undefined {
  const ids = sequences.map((s) => (s as unknown as { _sequenceId?: unknown })._sequenceId);
  return ids.every((id) => typeof id === "number") ? (ids as number[]) : undefined;
}

export class NativeBatch {
  /** tokens decoded through this adapter per sequence since the last clear (node-llama-cpp does not see them) */
  private readonly decoded: number[];

  private constructor(
    private readonly native: NativeContext,
    private readonly sequences: LlamaContextSequence[],
    private readonly ids: number[],
  ) {
    this.decoded = sequences.map(() => 0);
  }

  /** The adapter for `context`, or undefined where node-llama-cpp's internals are not the expected ones. */
  static attach(context: LlamaContext, sequences: LlamaContextSequence[]): NativeBatch | undefined {
    const native = nativeContextOf(context);
    const ids = sequenceIdsOf(sequences);
    return native && ids ? new NativeBatch(native, sequences, ids) : undefined;
  }

  /** Decode one batch holding each item's tokens, placed after what its sequence already holds. */
  async decode(items: BatchItem[]): Promise<void> {
    const size = items.reduce((sum, item) => sum + item.tokens.length, 0);
    this.native.initBatch(size);
    for (const item of items) {
      const first = this.sequences[item.seq]!.nextTokenIndex + this.decoded[item.seq]!;
      const logits = item.logitLast ? Uint32Array.from([item.tokens.length - 1]) : new Uint32Array(0);
      this.native.addToBatch(this.ids[item.seq]!, first, Uint32Array.from(item.tokens), logits);
      this.decoded[item.seq]! += item.tokens.length;
    }
    await this.native.decodeBatch();
  }

  /** Forget what this adapter decoded (node-llama-cpp's clearHistory does not know about it). */
  clear(): void {
    for (const id of this.ids) this.native.disposeSequence(id);
    this.decoded.fill(0);
  }
}
