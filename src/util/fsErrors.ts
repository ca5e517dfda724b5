/**
 * One-line errors for file-system failures at every command. Node's own messages are stack traces with
 * syscall names; a user needs the path, what moebench was doing, and what to do about it.
 */
import { MoebenchError } from "./errors.js";

const HINTS: Record<string, string> = {
  ENOENT: "check the path",
  EISDIR: "give a file, not a folder",
  ENOTDIR: "a parent of that path is a file, not a folder",
  EACCES: "check its permissions (or run as a user who may access it)",
  EPERM: "check its permissions (or run as a user who may access it)",
  EROFS: "the file system is read-only: choose another location",
  ENOSPC: "the disk is full: free space, then continue (run --resume where the command has it)",
  EDQUOT: "the disk quota is used up: free space, then continue (run --resume where the command has it)",
  EEXIST: "it already exists: choose another name or remove it",
  EMFILE: "too many open files: raise the limit (ulimit -n)",
  ENAMETOOLONG: "the path is too long",
  ELOOP: "too many symbolic links in the path",
  EIO: "an I/O error from the disk: check the device",
};

const DESCRIPTIONS: Record<string, string> = {
  ENOENT: "no such file or folder",
  EISDIR: "is a folder",
  ENOTDIR: "not a folder",
  EACCES: "permission denied",
  EPERM: "operation not permitted",
  EROFS: "read-only file system",
  ENOSPC: "no space left on device",
  EDQUOT: "disk quota exceeded",
  EEXIST: "already exists",
  EMFILE: "too many open files",
  ENAMETOOLONG: "name too long",
  ELOOP: "too many symbolic links",
  EIO: "input/output error",
};

/** The errno code of a Node file-system error, if it is one. */
export function fsErrorCode(e: unknown): string | undefined {
  const code = (e as NodeJS.ErrnoException | null)?.code;
  return typeof code === "string" && /^E[A-Z]+$/.test(code) ? code : undefined;
}

/**
 * Turn a file-system error into a one-line MoebenchError: `cannot <action> <path>: <what> (<hint>)`.
 * Anything that is not a file-system error is returned unchanged (so callers can `throw fsError(…)`).
 */
export function fsError(e: unknown, path: string, action: string): unknown {
  if (e instanceof MoebenchError) return e;
  const code = fsErrorCode(e);
  if (!code) return e;
  const what = DESCRIPTIONS[code] ?? code;
  return new MoebenchError(`cannot ${action} ${path}: ${what} (${code})`, HINTS[code]);
}

/** Run a synchronous file-system operation; a failure becomes a one-line error naming the path. */
export function withFs<T>(path: string, action: string, op: () => T): T {
  try {
    return op();
  } catch (e) {
    throw fsError(e, path, action);
  }
}
