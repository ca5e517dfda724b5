import { describe, expect, it } from "vitest";
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fsError, withFs } from "../../src/util/fsErrors.js";
import { MoebenchError } from "../../src/util/errors.js";
import { isSafePathComponent, safePathComponent } from "../../src/util/safeName.js";

describe("fsError", () => {
  it("turns EISDIR into one line naming the path, the action and a hint", () => {
    const dir = mkdtempSync(join(tmpdir(), "moebench-fs-"));
    let caught: unknown;
    try {
      withFs(dir, "read", () => readFileSync(dir));
    } catch (e) {
      caught = e;
    }
    expect(caught).toBeInstanceOf(MoebenchError);
    const line = (caught as MoebenchError).line();
    expect(line).toBe(`cannot read ${dir}: is a folder (EISDIR) (give a file, not a folder)`);
    expect(line).not.toContain("\n");
  });
  it("names ENOSPC and says how to continue", () => {
    const e = Object.assign(new Error("ENOSPC: no space left on device, write"), { code: "ENOSPC" });
    const m = fsError(e, "/r/results.jsonl", "append to") as MoebenchError;
    expect(m.line()).toBe(
      "cannot append to /r/results.jsonl: no space left on device (ENOSPC) " +
        "(the disk is full: free space, then continue (run --resume where the command has it))",
    );
  });
  it("passes through errors that are not file-system errors", () => {
    const e = new TypeError("x is not a function");
    expect(fsError(e, "/p", "read")).toBe(e);
  });
});

describe("safePathComponent", () => {
  it.each([
    ["..", "unnamed"],
    [".", "unnamed"],
    ["...", "unnamed"],
    ["../../etc", "_.._etc"],
    ["a/b", "a_b"],
    ["a\\b", "a_b"],
    ["my suite", "my-suite"],
    ["ok-name_1.2", "ok-name_1.2"],
    ["x\u0000y", "xy"],
  ])("%j → %j", (input, expected) => {
    expect(safePathComponent(input)).toBe(expected);
  });
  it("bounds the length", () => {
    expect(safePathComponent("a".repeat(500))).toHaveLength(120);
  });
  it("tells safe names from unsafe ones", () => {
    expect(isSafePathComponent("default")).toBe(true);
    expect(isSafePathComponent("..")).toBe(false);
    expect(isSafePathComponent("a/b")).toBe(false);
    expect(isSafePathComponent("")).toBe(false);
  });
});
