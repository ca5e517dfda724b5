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
import type { InstanceResult, LoadEvents, WorkerOptions, WorkerToParent } from "./ipc.js";
import { watchMemory } from "./memoryWatch.js";
import { StderrSegments } from "./stderrSegments.js";

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
  /** evidence that the GPU's memory is full right now (from telemetry), for classifying a SIGKILL */
  vramFull?: () => string | null;
  /** copy the worker's stdout/stderr (llama.cpp's log) to ours */
  verbose?: boolean;
}

const WORKER = join(dirname(fileURLToPath(import.meta.url)), "worker.js");
/** how long to wait for a worker's stderr to catch up with a message it marked */
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
  readonly stderr = new StderrSegments();
  loaded = false;
  loadEvents: Partial<LoadEvents> = {};
  current: string | undefined;
  instanceStart = 0;
  contextCreated: number | undefined;
  timedOut = false;
  done = false;

  during(): DeathFacts["during"] {
    if (!this.loaded) return "load";
    return this.current ? "instance" : "between instances";
  }
}

/** Map one worker message to the session's events, updating what the parent knows. */
function onMessage(
  m: WorkerToParent,
  st: SessionState,
  ctx: { child: ChildProcess; rearm: () => void; stderr: string },
): SessionEvent[] {
  switch (m.type) {
    case "env":
      st.loaded = true;
      st.loadEvents = m.events;
      return [{ type: "loaded", env: m.env, loadMs: m.loadMs }];
    case "loadFailed":
      st.done = true;
      return [{ type: "loadFailed", message: m.message, stderr: ctx.stderr }];
    case "contextCreated":
      st.contextCreated = m.t;
      return [];
    case "started":
      st.current = m.key;
      st.instanceStart = epochNow();
      ctx.rearm();
      return [{ type: "started", key: m.key }];
    case "progress":
      return [{ type: "progress", key: m.key, phase: m.phase, tokPerSec: m.tokPerSec }];
    case "result": {
      st.current = undefined;
      const events: InstanceEvents = {
        ...st.loadEvents,
        pid: ctx.child.pid,
        contextCreated: st.contextCreated,
        start: st.instanceStart,
        end: epochNow(),
      };
      return [{ type: "result", key: m.key, result: m.result, events }];
    }
    case "failed":
      st.current = undefined;
      return [{ type: "failed", key: m.key, message: m.message, stderr: ctx.stderr }];
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
    const shown = st.stderr.feed(d.toString());
    if (session.verbose) process.stderr.write(shown);
  });
  // messages are handled in order; those the worker marked on stderr take their stderr segment first
  let handled = Promise.resolve();
  child.on("message", (m: WorkerToParent) => {
    handled = handled.then(async () => {
      const marked = m.type === "started" || m.type === "failed" || m.type === "loadFailed";
      const stderr = marked ? await st.stderr.next(STDERR_WAIT_MS) : "";
      for (const e of onMessage(m, st, { child, rearm: arm, stderr })) events.push(e);
    });
  });
  child.on("error", (e) => {
    st.stderr.feed(`\n${e.message}\n`);
  });
  // "close": the process has exited and its stdio is drained (all of stderr is in)
  child.on("close", async (code, signal) => {
    clearTimeout(timer);
    memory?.stop();
    session.signal.removeEventListener("abort", kill);
    st.stderr.close();
    await handled;
    if (!st.done) {
      const death = classifyDeath({
        interrupting: session.signal.aborted,
        timedOut: st.timedOut,
        timeoutSec: session.timeoutSec,
        code,
        signal,
        stderr: st.stderr.current,
        memory: memory?.evidence() ?? null,
        vramFull: session.vramFull?.() ?? null,
        during: st.during(),
      });
      events.push({ type: "died", death, key: st.current, during: st.during(), stderr: st.stderr.current });
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
