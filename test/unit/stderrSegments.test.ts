import { describe, expect, it } from "vitest";
import { STDERR_MARK } from "../../src/bench/ipc.js";
import { StderrSegments } from "../../src/bench/stderrSegments.js";

const MARK = `\n${STDERR_MARK}\n`;

describe("a worker's stderr cut at its marks", () => {
  it("each marked message gets what was printed since the previous mark (a mark split across reads too)", async () => {
    const s = new StderrSegments();
    const text = `load log${MARK}instance 1: failed to allocate buffer of size 8${MARK}instance 2 log${MARK}tail`;
    const cut = 30 + STDERR_MARK.length; // inside the second mark
    const shown = s.feed(text.slice(0, cut)) + s.feed(text.slice(cut));
    expect(shown).toBe("load loginstance 1: failed to allocate buffer of size 8instance 2 logtail");
    expect(await s.next(10)).toBe("load log");
    expect(await s.next(10)).toBe("instance 1: failed to allocate buffer of size 8");
    expect(await s.next(10)).toBe("instance 2 log");
    expect(s.current).toBe("tail");
  });

  it("a message that arrives before its stderr waits for the mark", async () => {
    const s = new StderrSegments();
    const pending = s.next(5000);
    s.feed("failed to allocate buffer of size 1024");
    s.feed(MARK);
    expect(await pending).toBe("failed to allocate buffer of size 1024");
  });

  it("a lost mark or a closed stream gives the open text instead of waiting forever", async () => {
    const s = new StderrSegments();
    s.feed("partial");
    expect(await s.next(20)).toBe("partial");
    const waiting = s.next(60_000);
    s.close();
    expect(await waiting).toBe("partial");
  });
});
