/**
 * One llama_batch allocated by llama.cpp (llama_batch_init) and written in place through views of its arrays,
 * so a generation step costs no allocation. Positions are left to llama_decode (pos = NULL), which places each
 * sequence's tokens after what that sequence holds, exactly as llama_batch_get_one does for llama-bench.
 */
import type { BatchItem } from "../nativeBatch.js";
import type { Batch, LlamaCApi, NativePointer } from "./llamaCApi.js";

export class CApiBatch {
  private readonly allocated: Batch;
  private readonly token: Int32Array;
  private readonly nSeqId: Int32Array;
  private readonly seqId: Int32Array[];
  private readonly logits: Int8Array;
  /** the struct handed to llama_decode, rewritten for each call */
  private readonly call: Batch;

  constructor(
    private readonly api: LlamaCApi,
    readonly capacity: number,
  ) {
    const { koffi } = api;
    this.allocated = api.batchInit(capacity, 1);
    const view = (ptr: NativePointer | null, bytes: number): ArrayBuffer => koffi.view(ptr, bytes);
    this.token = new Int32Array(view(this.allocated.token, capacity * 4));
    this.nSeqId = new Int32Array(view(this.allocated.n_seq_id, capacity * 4));
    this.logits = new Int8Array(view(this.allocated.logits, capacity));
    const cells = koffi.decode(this.allocated.seq_id, "void *", capacity) as NativePointer[];
    this.seqId = cells.map((cell) => new Int32Array(view(cell, 4)));
    this.call = { ...this.allocated, pos: null };
  }

  /** the batch's token array (llama_batch.token), for LlamaCApi.decodeFirstSequence */
  get tokenArray(): NativePointer {
    return this.allocated.token!;
  }

  /** Write `tokens` at the start of the token array; returns how many. */
  tokens(tokens: ArrayLike<number>): number {
    this.token.set(tokens);
    return tokens.length;
  }

  /**
   * One generation step: a function that decodes `token` alone into sequence 0 (llama_batch_get_one's batch),
   * made once per generation so that each step runs as little JavaScript as possible between decodes.
   */
  stepper(context: NativePointer): (token: number) => number {
    const { api, token: view } = this;
    const array = this.tokenArray;
    return (token) => {
      view[0] = token;
      return api.decodeFirstSequence(context, 1, array);
    };
  }

  /** Several sequences' tokens in one batch; each item's last token gets logits where it asks. */
  multi(items: BatchItem[]): Batch {
    let n = 0;
    for (const item of items) {
      for (let i = 0; i < item.tokens.length; i++, n++) {
        this.token[n] = item.tokens[i]!;
        this.nSeqId[n] = 1;
        this.seqId[n]![0] = item.seq;
        this.logits[n] = item.logitLast && i === item.tokens.length - 1 ? 1 : 0;
      }
    }
    const call = this.call;
    call.n_tokens = n;
    call.n_seq_id = this.allocated.n_seq_id;
    call.seq_id = this.allocated.seq_id;
    call.logits = this.allocated.logits;
    return call;
  }

  free(): void {
    this.api.batchFree(this.allocated);
  }
}
