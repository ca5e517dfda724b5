import { spawnSync } from "node:child_process";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { hostname } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { LOCK_FILE, lockRunDir } from "../../src/results/runLock.js";
import { tmp } from "../helpers.js";

/** The PID of a process that has already exited. */
function deadPid(): number {
  const r = spawnSync(process.execPath, ["-e", "process.stdout.write(String(process.pid))"], { encoding: "utf8" });
  return Number(r.stdout);
}

describe("run-folder lock", () => {
  it("a second writer is refused with one line naming the holder's PID; release frees it", () => {
    const d = tmp();
    const lock = lockRunDir(d);
    expect(JSON.parse(readFileSync(join(d, LOCK_FILE), "utf8")).pid).toBe(process.pid);
    expect(() => lockRunDir(d)).toThrow(new RegExp(`is being written by moebench PID ${process.pid} on `));
    lock.release();
    expect(existsSync(join(d, LOCK_FILE))).toBe(false);
    lockRunDir(d).release();
  });

  it("a stale lock (its process gone) is taken over", () => {
    const d = tmp();
    const pid = deadPid();
    writeFileSync(join(d, LOCK_FILE), JSON.stringify({ pid, host: hostname(), procStart: "1", startedAt: "x" }));
    const lock = lockRunDir(d);
    expect(lock.tookOver?.pid).toBe(pid);
    expect(JSON.parse(readFileSync(join(d, LOCK_FILE), "utf8")).pid).toBe(process.pid);
    lock.release();
  });

  it("a live PID that is another process (the PID was reused) is stale too", () => {
    const d = tmp();
    // our own PID, but a start time that is not ours
    const stale = { pid: process.pid, host: hostname(), procStart: "1", startedAt: "x" };
    writeFileSync(join(d, LOCK_FILE), JSON.stringify(stale));
    const lock = lockRunDir(d);
    expect(lock.tookOver?.pid).toBe(process.pid);
    lock.release();
  });
});
