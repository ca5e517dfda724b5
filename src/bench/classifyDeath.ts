/**
 * What a worker's early end means, from what happened rather than from the signal alone:
 * - the user interrupted (the parent was interrupting, or the worker got SIGINT/SIGTERM/SIGHUP — a
 *   terminal's Ctrl-C reaches the whole process group and the worker often dies first): nothing is
 *   recorded, the instances stay to-do for --resume;
 * - the parent killed it for taking too long: `timeout`;
 * - stderr says an allocation failed, or it was SIGKILLed while memory (RAM, or the GPU's per telemetry)
 *   was exhausted (the kernel's OOM killer says nothing on stderr): `oom`;
 * - anything else (SIGKILL from elsewhere, SIGSEGV, an abort, a non-zero exit): `crash`.
 */
import { isOomText } from "../util/oom.js";
import { type MemoryEvidence, memoryExhausted } from "./memoryWatch.js";

export interface DeathFacts {
  /** the parent was interrupting (SIGINT/SIGTERM reached it) when the worker ended */
  interrupting: boolean;
  /** the parent killed the worker because the instance (or the load) ran past timeoutSec */
  timedOut: boolean;
  timeoutSec: number;
  code: number | null;
  signal: NodeJS.Signals | null;
  /** the worker's stderr since the current instance (or the load) started */
  stderr: string;
  memory: MemoryEvidence | null;
  /** the GPU's memory was at its limit when the worker died (telemetry's last reading): "VRAM 24100 of 24576 MiB" */
  vramFull?: string | null;
  /** what the worker was doing */
  during: "load" | "instance" | "between instances";
}

export type Death = { kind: "interrupted" } | { kind: "failed"; status: "timeout" | "oom" | "crash"; message: string };

const USER_SIGNALS = new Set<string>(["SIGINT", "SIGTERM", "SIGHUP"]);
/** exit codes of a process that handled SIGINT (130) / SIGTERM (143) itself */
const USER_CODES = new Set<number>([130, 143]);

function how(f: DeathFacts): string {
  return f.signal ? `killed by ${f.signal}` : `exited with code ${f.code}`;
}

export function classifyDeath(f: DeathFacts): Death {
  if (f.interrupting || (f.signal && USER_SIGNALS.has(f.signal)) || (f.code !== null && USER_CODES.has(f.code)))
    return { kind: "interrupted" };
  const what = {
    load: "loading the model",
    instance: "running the instance",
    "between instances": "between instances",
  }[f.during];
  if (f.timedOut)
    return {
      kind: "failed",
      status: "timeout",
      message: `${f.during === "load" ? "model load" : "instance"} took over ${f.timeoutSec} s (worker killed)`,
    };
  const oomLine = f.stderr.split("\n").find((line) => isOomText(line));
  if (oomLine) return { kind: "failed", status: "oom", message: `worker ${how(f)} while ${what}: ${oomLine.trim()}` };
  const exhausted = f.signal === "SIGKILL" ? ((f.memory && memoryExhausted(f.memory)) ?? f.vramFull ?? null) : null;
  if (exhausted)
    return {
      kind: "failed",
      status: "oom",
      message: `worker killed by SIGKILL while ${what} with memory exhausted (${exhausted}): the kernel's OOM killer`,
    };
  return { kind: "failed", status: "crash", message: `worker ${how(f)} while ${what}, without a result` };
}
