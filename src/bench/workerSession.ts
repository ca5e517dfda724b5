/**
 * One worker process, seen from the parent as a stream of typed events: it loads one model, runs the
 * given instances in order and ends. The parent interrupts it through an AbortSignal; a worker that
 * ends early produces one `died` event classified by what happened (classifyDeath.ts).
 */
import { type ChildProcess, fork } from "node:child_process";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import type { Instance } from "../plan/types.js";
import type { Env } from "../results/schema.js";
import type { InstanceEvents } from "../telemetry/instanceTelemetry.js";
import { epochNow } from "../util/time.js";
import { type Death, classifyDeath, type DeathFacts } from "./classifyDeath.js";
import { type InstanceResult, type LoadEvents, STDERR_MARK, type WorkerOptions, type WorkerToParent } from "./ipc.js";
import { watchMemory } from "./memoryWatch.js";

export type SessionEvent =
  | { type: "loaded"; env: Partial<Env>; loadMs: number }
  | { type: "loadFailed"; message: string; stderr: string }
  | { type: "started"; key: string }
  | { type: "progress"; key: string; phase: string; tokPerSec: number }
  | { type: "result"; key: string; result: InstanceResult; events: InstanceEvents }
  | { type: "failed"; key: string; message: string; stderr: string }
  /** the worker ended before it was done; `key`: the instance it was running, if any */
  | { type: "died"; death: Death; key: string | undefined; during: DeathFacts["during"]; stderr: string }
  | { type: "done" };

export interface SessionOptions {
  /** per instance, and for the load (+ idle baseline) */
  timeoutSec: number;
  /** the user's interrupt: kills the worker; the session then ends with a `died` event of kind interrupted */
  signal: AbortSignal;
  /** copy the worker's stdout/stderr (llama.cpp's log) to ours */
  verbose?: boolean;
}

const WORKER = join(dirname(fileURLToPath(import.meta.url)), "worker.js");
const STDERR_KEEP = 16_000;
/** how long to wait for a failing worker's stderr to catch up with its failure message */
const STDERR_WAIT_MS = 2000;

/** A minimal async queue: producers push, the generator awaits. */
function queue<T>(): { push: (item: T) => void; end: () => void; items: () => AsyncGenerator<T> } {
  const buffer: T[] = [];
  let ended = false;
  let wake: (() => void) | undefined;
  const notify = (): void => {
    wake?.();
    wake = undefined;
  };
  return {
    push: (item) => {
      buffer.push(item);
      notify();
    },
    end: () => {
      ended = true;
      notify();
    },
    async *items() {
      for (;;) {
        const next = buffer.shift();
        if (next !== undefined) yield next;
        else if (ended) return;
        else await new Promise<void>((r) => (wake = r));
      }
    },
  };
}

/** What the parent knows about the worker as it runs. */
class SessionState {
  stderr = "";
  loaded = false;
  loadEvents: Partial<LoadEvents> = {};
  current: string | undefined;
  instanceStart = 0;
  contextCreated: number | undefined;
  timedOut = false;
  done = false;
  /** stderr marks seen / consumed (one per failure the worker reported) */
  marks = 0;
  private consumed = 0;
  private closed = false;
  private waiters: (() => void)[] = [];

  /** Resolve when the next failure's stderr mark has arrived (or the worker is gone, or after `ms`). */
  awaitMark(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const check = (): void => {
        if (this.marks > this.consumed || this.closed) {
          if (this.marks > this.consumed) this.consumed++;
          clearTimeout(timer);
          resolve();
        } else this.waiters.push(check);
      };
      const timer = setTimeout(() => {
        this.waiters = this.waiters.filter((w) => w !== check);
        resolve();
      }, ms);
      check();
    });
  }

  /** a mark arrived (or, with `closed`, the worker's stderr ended): let waiters look again */
  wakeMarks(closed = false): void {
    if (closed) this.closed = true;
    const waiting = this.waiters;
    this.waiters = [];
    for (const w of waiting) w();
  }

  during(): DeathFacts["during"] {
    if (!this.loaded) return "load";
    return this.current ? "instance" : "between instances";
  }
}

/** Map one worker message to the session's events, updating what the parent knows. */
function onMessage(m: WorkerToParent, st: SessionState, child: ChildProcess, rearm: () => void): SessionEvent[] {
  switch (m.type) {
    case "env":
      st.loaded = true;
      st.loadEvents = m.events;
      return [{ type: "loaded", env: m.env, loadMs: m.loadMs }];
    case "loadFailed":
      st.done = true;
      return [{ type: "loadFailed", message: m.message, stderr: st.stderr }];
    case "contextCreated":
      st.contextCreated = m.t;
      return [];
    case "started":
      st.current = m.key;
      st.instanceStart = epochNow();
      st.stderr = "";
      rearm();
      return [{ type: "started", key: m.key }];
    case "progress":
      return [{ type: "progress", key: m.key, phase: m.phase, tokPerSec: m.tokPerSec }];
    case "result": {
      st.current = undefined;
      const events: InstanceEvents = {
        ...st.loadEvents,
        pid: child.pid,
        contextCreated: st.contextCreated,
        start: st.instanceStart,
        end: epochNow(),
      };
      return [{ type: "result", key: m.key, result: m.result, events }];
    }
    case "failed":
      st.current = undefined;
      return [{ type: "failed", key: m.key, message: m.message, stderr: st.stderr }];
    case "done":
      st.done = true;
      return [{ type: "done" }];
  }
}

export async function* workerSession(
  instances: Instance[],
  options: WorkerOptions,
  session: SessionOptions,
): AsyncGenerator<SessionEvent> {
  const events = queue<SessionEvent>();
  const st = new SessionState();
  const child = fork(WORKER, [], { stdio: ["ignore", "pipe", "pipe", "ipc"], serialization: "advanced" });
  const memory = child.pid ? watchMemory(child.pid) : undefined;
  let timer: NodeJS.Timeout | undefined;
  const arm = (): void => {
    clearTimeout(timer);
    timer = setTimeout(() => {
      st.timedOut = true;
      child.kill("SIGKILL");
    }, session.timeoutSec * 1000);
  };
  const kill = (): void => {
    child.kill("SIGKILL");
  };
  session.signal.addEventListener("abort", kill, { once: true });
  child.stdout?.on("data", (d: Buffer) => {
    if (session.verbose) process.stderr.write(d);
  });
  child.stderr?.on("data", (d: Buffer) => {
    const text = d.toString();
    const marks = text.split(STDERR_MARK).length - 1;
    st.stderr = (st.stderr + text.replaceAll(`\n${STDERR_MARK}\n`, "").replaceAll(STDERR_MARK, "")).slice(-STDERR_KEEP);
    st.marks += marks;
    if (marks) st.wakeMarks();
    if (session.verbose) process.stderr.write(text.replaceAll(`${STDERR_MARK}\n`, ""));
  });
  // messages are handled in order; a failure first waits for the stderr that explains it
  let handled = Promise.resolve();
  child.on("message", (m: WorkerToParent) => {
    handled = handled.then(async () => {
      if (m.type === "failed" || m.type === "loadFailed") await st.awaitMark(STDERR_WAIT_MS);
      for (const e of onMessage(m, st, child, arm)) events.push(e);
    });
  });
  child.on("error", (e) => {
    st.stderr += `\n${e.message}`;
  });
  // "close": the process has exited and its stdio is drained (all of stderr is in)
  child.on("close", async (code, signal) => {
    clearTimeout(timer);
    memory?.stop();
    session.signal.removeEventListener("abort", kill);
    st.wakeMarks(true);
    await handled;
    if (!st.done) {
      const death = classifyDeath({
        interrupting: session.signal.aborted,
        timedOut: st.timedOut,
        timeoutSec: session.timeoutSec,
        code,
        signal,
        stderr: st.stderr,
        memory: memory?.evidence() ?? null,
        during: st.during(),
      });
      events.push({ type: "died", death, key: st.current, during: st.during(), stderr: st.stderr });
    }
    events.end();
  });
  arm(); // covers the load (and the idle baseline) too
  if (session.signal.aborted) kill();
  else child.send({ type: "run", options, instances });
  try {
    yield* events.items();
  } finally {
    // the consumer stopped early (or the worker is done): never leave a worker behind
    if (child.exitCode === null && child.signalCode === null) kill();
  }
}
