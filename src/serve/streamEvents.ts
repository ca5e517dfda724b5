/**
 * Split a streamed response body into event payloads in linear time and bounded memory: SSE through
 * eventsource-parser, NDJSON by lines. A body that never ends an event (a 64 MB line) fails at
 * `maxEventChars` instead of being re-scanned on every chunk.
 */
import { createParser } from "eventsource-parser";

/** An event larger than this is not a token stream (llama-server's largest, the final one, is a few kB). */
export const MAX_EVENT_CHARS = 1 << 20;

export interface EventSink {
  /** one payload; `read` counts the network reads so far (events of one read arrived together) */
  payload(data: string, read: number): void;
}

export interface EventSplitter {
  feed(chunk: string, read: number): void;
  /** an event or line that grew past the limit, if any */
  readonly overflow: boolean;
}

export function sseSplitter(sink: EventSink, maxEventChars = MAX_EVENT_CHARS): EventSplitter {
  let read = 0;
  let overflow = false;
  const parser = createParser({
    onEvent: (e) => sink.payload(e.data, read),
    onError: (e) => {
      if (e.type === "max-buffer-size-exceeded") overflow = true;
    },
    maxBufferSize: maxEventChars,
  });
  return {
    feed(chunk: string, r: number) {
      if (overflow) return;
      read = r;
      parser.feed(chunk);
    },
    get overflow() {
      return overflow;
    },
  };
}

/** Newline-delimited JSON: fragments are kept until a newline arrives, then joined once. */
export function ndjsonSplitter(sink: EventSink, maxEventChars = MAX_EVENT_CHARS): EventSplitter {
  const pending: string[] = [];
  let pendingChars = 0;
  let overflow = false;
  return {
    feed(chunk: string, read: number) {
      if (overflow) return;
      if (!chunk.includes("\n")) {
        pending.push(chunk);
        pendingChars += chunk.length;
        overflow = pendingChars > maxEventChars;
        return;
      }
      pending.push(chunk);
      const lines = pending.join("").split("\n");
      pending.length = 0;
      const rest = lines.pop() ?? "";
      for (const line of lines) if (line.trim()) sink.payload(line.trim(), read);
      pending.push(rest);
      pendingChars = rest.length;
      overflow = pendingChars > maxEventChars;
    },
    get overflow() {
      return overflow;
    },
  };
}
