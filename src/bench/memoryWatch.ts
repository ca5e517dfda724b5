/**
 * Evidence for classifying a worker's death: how much memory it held, against how much there was. The
 * kernel's OOM killer sends SIGKILL without a word on stderr; a worker killed by SIGKILL while its peak
 * resident set was near the memory limit (or while the machine had almost nothing left) is `oom`.
 */
import { readFileSync } from "node:fs";
import { freemem, totalmem } from "node:os";

export interface MemoryEvidence {
  /** the worker's peak resident set (VmHWM), bytes, as last read; null where /proc cannot tell */
  peakRssBytes: number | null;
  /** the memory the worker could have: the cgroup's limit where one is set, else the machine's RAM */
  limitBytes: number;
  /** the least memory the machine had available while the worker lived, bytes */
  minAvailableBytes: number;
}

function readNumber(path: string): number | null {
  try {
    const n = Number(readFileSync(path, "utf8").trim());
    return Number.isFinite(n) && n > 0 ? n : null;
  } catch {
    return null;
  }
}

/** The cgroup (v2, then v1) memory limit, or the machine's RAM when there is none. */
export function memoryLimitBytes(): number {
  const total = totalmem();
  const cgroup = readNumber("/sys/fs/cgroup/memory.max") ?? readNumber("/sys/fs/cgroup/memory/memory.limit_in_bytes");
  return cgroup !== null && cgroup < total ? cgroup : total;
}

/** VmHWM (peak resident set) of a live process from /proc, bytes. */
function peakRss(pid: number): number | null {
  try {
    const m = /^VmHWM:\s+(\d+)\s+kB/m.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
    return m ? Number(m[1]) * 1024 : null;
  } catch {
    return null;
  }
}

/** Poll a process's peak RSS and the machine's available memory until stopped. */
export function watchMemory(pid: number, everyMs = 250): { evidence: () => MemoryEvidence; stop: () => void } {
  const limitBytes = memoryLimitBytes();
  let peak: number | null = null;
  let minAvailable = freemem();
  const poll = (): void => {
    const p = peakRss(pid);
    if (p !== null) peak = Math.max(peak ?? 0, p);
    minAvailable = Math.min(minAvailable, freemem());
  };
  poll();
  const timer = setInterval(poll, everyMs);
  timer.unref();
  return {
    evidence: () => ({ peakRssBytes: peak, limitBytes, minAvailableBytes: minAvailable }),
    stop: () => clearInterval(timer),
  };
}

/** Was memory exhausted? Peak RSS ≥ 90% of the limit, or under 2% of the limit left available. */
export function memoryExhausted(e: MemoryEvidence): string | null {
  const gib = (b: number): string => `${(b / 2 ** 30).toFixed(1)} GiB`;
  if (e.peakRssBytes !== null && e.peakRssBytes >= 0.9 * e.limitBytes)
    return `peak RSS ${gib(e.peakRssBytes)} of a ${gib(e.limitBytes)} limit`;
  if (e.minAvailableBytes < 0.02 * e.limitBytes) return `the machine had ${gib(e.minAvailableBytes)} left`;
  return null;
}
