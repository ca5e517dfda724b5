/**
 * A worker's stderr cut into segments at the marks the worker writes before each `started`, `failed` and
 * `loadFailed` message (STDERR_MARK). stderr and the IPC channel are separate pipes, so their order is not
 * kept; the marks restore it: the n-th message that carries a mark takes the n-th segment, which holds
 * exactly what was printed since the previous mark (llama.cpp's lines about this instance).
 */
import { STDERR_MARK } from "./ipc.js";

const KEEP = 16_000;
const MARK_LINE = `\n${STDERR_MARK}\n`;

/** Length of the longest end of `s` that is a start of the mark line (a mark split across two reads). */
function partialMark(s: string): number {
  for (let n = Math.min(MARK_LINE.length - 1, s.length); n > 0; n--) if (MARK_LINE.startsWith(s.slice(-n))) return n;
  return 0;
}

export class StderrSegments {
  private readonly done: string[] = [];
  private open = "";
  private pending = "";
  private closed = false;
  private waiters: (() => void)[] = [];

  /** New bytes from the worker's stderr; returns them without marks (for --verbose). */
  feed(text: string): string {
    this.pending += text;
    let shown = "";
    for (let i = this.pending.indexOf(MARK_LINE); i >= 0; i = this.pending.indexOf(MARK_LINE)) {
      shown += this.pending.slice(0, i);
      this.done.push((this.open + this.pending.slice(0, i)).slice(-KEEP));
      this.open = "";
      this.pending = this.pending.slice(i + MARK_LINE.length);
    }
    const keep = partialMark(this.pending);
    const settled = this.pending.slice(0, this.pending.length - keep);
    this.open = (this.open + settled).slice(-KEEP);
    this.pending = this.pending.slice(this.pending.length - keep);
    this.wake();
    return shown + settled;
  }

  /** What was printed since the last mark (a dying worker's last words). */
  get current(): string {
    return this.open + this.pending;
  }

  /** The stream ended (the process is gone): waiters get what there is. */
  close(): void {
    this.closed = true;
    this.wake();
  }

  /** The next segment, once its mark has arrived; after `ms` (a lost mark) or at the end: the open text. */
  next(ms: number): Promise<string> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => finish(true), ms);
      const finish = (force: boolean): void => {
        const segment = this.done.shift();
        if (segment === undefined && !force && !this.closed) {
          this.waiters.push(() => finish(false));
          return;
        }
        clearTimeout(timer);
        resolve(segment ?? this.current);
      };
      finish(false);
    });
  }

  private wake(): void {
    const waiting = this.waiters;
    this.waiters = [];
    for (const w of waiting) w();
  }
}
