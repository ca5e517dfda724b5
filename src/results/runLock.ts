/**
 * One writer per run folder: `<runDir>/.moebench.lock` holds the writer's PID, host and process start
 * time. A second writer gets a one-line error naming the holder. A lock whose process is gone (killed
 * with -9, the machine rebooted, the PID reused by another program) is stale and taken over.
 */
import { closeSync, openSync, readFileSync, renameSync, unlinkSync, writeSync } from "node:fs";
import { hostname } from "node:os";
import { join } from "node:path";
import { MoebenchError } from "../util/errors.js";
import { fsError, fsErrorCode } from "../util/fsErrors.js";

export const LOCK_FILE = ".moebench.lock";

interface Holder {
  pid: number;
  host: string;
  /** /proc/<pid>/stat start time (clock ticks since boot): tells a reused PID from the holder */
  procStart: string | null;
  startedAt: string;
}

function procStart(pid: number): string | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    // fields after the command name (which may contain spaces) start after the last ')'
    return stat.slice(stat.lastIndexOf(")") + 2).split(" ")[19] ?? null;
  } catch {
    return null;
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return fsErrorCode(e) === "EPERM";
  }
}

/** Is the process that wrote this lock still running (on this host)? Another host's lock is never stale. */
function holderAlive(h: Holder): boolean {
  if (h.host !== hostname()) return true;
  if (!alive(h.pid)) return false;
  const now = procStart(h.pid);
  return h.procStart === null || now === null || now === h.procStart;
}

function readHolder(path: string): Holder | null {
  try {
    const h = JSON.parse(readFileSync(path, "utf8")) as Partial<Holder>;
    return typeof h.pid === "number" && typeof h.host === "string"
      ? { pid: h.pid, host: h.host, procStart: h.procStart ?? null, startedAt: h.startedAt ?? "?" }
      : null;
  } catch {
    return null;
  }
}

function tryCreate(path: string, me: Holder): boolean {
  let fd: number;
  try {
    fd = openSync(path, "wx");
  } catch (e) {
    if (fsErrorCode(e) === "EEXIST") return false;
    throw fsError(e, path, "create the run lock");
  }
  try {
    writeSync(fd, JSON.stringify(me));
  } finally {
    closeSync(fd);
  }
  return true;
}

export interface RunLock {
  readonly path: string;
  /** true when a stale lock (its writer gone) was taken over */
  readonly tookOver: Holder | null;
  release(): void;
}

/** Take the run folder's lock or fail with one line naming the PID that holds it. */
export function lockRunDir(dir: string): RunLock {
  return lockFile(join(dir, LOCK_FILE), dir);
}

/** The same lock for any file moebench rewrites (`what` names it in the message, e.g. a results database). */
export function lockFile(path: string, what: string): RunLock {
  const me: Holder = {
    pid: process.pid,
    host: hostname(),
    procStart: procStart(process.pid),
    startedAt: new Date().toISOString(),
  };
  let tookOver: Holder | null = null;
  for (let attempt = 0; !tryCreate(path, me); attempt++) {
    const holder = readHolder(path);
    if (holder && holderAlive(holder))
      throw new MoebenchError(
        `${what} is being written by moebench PID ${holder.pid} on ${holder.host} (since ${holder.startedAt})`,
        "wait for it to finish, or stop it; one run writes a run folder at a time",
      );
    if (attempt >= 3) throw new MoebenchError(`${path}: could not take over the stale lock`, "remove the file");
    // stale (or unreadable): move it aside under a name of our own, then create ours
    const aside = `${path}.stale-${process.pid}`;
    try {
      renameSync(path, aside);
      unlinkSync(aside);
    } catch {
      /* another process took it over first: loop and look again */
    }
    tookOver = holder;
  }
  const release = (): void => {
    process.off("exit", release);
    if (readHolder(path)?.pid !== process.pid) return;
    try {
      unlinkSync(path);
    } catch {
      /* already gone */
    }
  };
  process.on("exit", release);
  return { path, tookOver, release };
}
