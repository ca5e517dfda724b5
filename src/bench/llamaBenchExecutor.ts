/**
 * The external executor: run an instance with any llama-bench binary (any llama.cpp commit or build) and
 * read its JSON. Through it a suite can also sweep what node-llama-cpp cannot set, such as MoE expert
 * offload to the CPU (--n-cpu-moe N, -ot …): the suite's `llamaBenchArgs` list.
 */
import { spawn } from "node:child_process";
import type { Instance } from "../plan/types.js";
import { llamaBenchToRecords } from "../results/importLlamaBench.js";
import { failedRecord, okRecord, type RecordBase } from "../results/record.js";
import type { ResultRecord } from "../results/schema.js";
import { isOomText } from "../util/oom.js";
import { classifyDeath } from "./classifyDeath.js";

export function llamaBenchArgs(
  inst: Instance,
  modelPath: string,
  reps: number,
  extra: string[],
): string[] | { unsupported: string } {
  const p = inst.params;
  if (p.parallel > 1) return { unsupported: "llama-bench has no parallel-sequence test" };
  const args = [
    "-m",
    modelPath,
    "-r",
    String(reps),
    "-o",
    "json",
    "-t",
    String(p.threads || Math.max(1, (globalThis.navigator?.hardwareConcurrency ?? 2) - 1)),
    "-b",
    String(p.batch),
    "-ub",
    String(p.ubatch),
    "-ctk",
    p.kvK,
    "-ctv",
    p.kvV,
    "-fa",
    p.flashAttention ? "1" : "0",
    "-ngl",
    p.gpuLayers === "max" ? "99" : String(p.gpuLayers),
    "-d",
    String(p.depth),
  ];
  if (p.pp && p.tg) args.push("-p", String(p.pp), "-n", String(p.tg));
  else if (p.pp) args.push("-p", String(p.pp), "-n", "0");
  else args.push("-p", "0", "-n", String(p.tg));
  return [...args, ...extra];
}

/** Split "--n-cpu-moe 8 -ot 'a=CPU'" into argv (simple quotes supported). */
export function splitArgs(s: string): string[] {
  return [...s.matchAll(/'([^']*)'|"([^"]*)"|(\S+)/g)].map((m) => m[1] ?? m[2] ?? m[3]!);
}

interface ProcessResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  out: string;
  err: string;
  timedOut: boolean;
}

function runProcess(bin: string, args: string[], timeoutSec: number, signal: AbortSignal): Promise<ProcessResult> {
  return new Promise((resolve) => {
    const child = spawn(bin, args, { stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    let err = "";
    let timedOut = false;
    const kill = (): void => {
      child.kill("SIGKILL");
    };
    const timer = setTimeout(() => {
      timedOut = true;
      kill();
    }, timeoutSec * 1000);
    signal.addEventListener("abort", kill, { once: true });
    child.stdout.on("data", (b: Buffer) => {
      out += b.toString();
    });
    child.stderr.on("data", (b: Buffer) => {
      err = (err + b.toString()).slice(-8000);
    });
    child.on("error", (e) => {
      err += e.message;
    });
    child.on("close", (code, sig) => {
      clearTimeout(timer);
      signal.removeEventListener("abort", kill);
      resolve({ code, signal: sig, out, err, timedOut });
    });
  });
}

/** The thread count llama-bench reports having used (its n_threads), else the one we passed with -t. */
function threadsRan(rows: Record<string, unknown>[], args: string[]): number {
  const reported = Number(rows[0]?.n_threads);
  if (Number.isInteger(reported) && reported > 0) return reported;
  return Number(args[args.indexOf("-t") + 1]) || 0;
}

/**
 * One instance through llama-bench. `base` is the record's identity (the runner's); the result is an ok
 * record or a failure, or null when the user interrupted (nothing is recorded for it).
 */
export async function runWithLlamaBench(
  bin: string,
  inst: Instance,
  modelPath: string,
  base: RecordBase,
  o: { reps: number; extraArgs: string; timeoutSec: number; signal: AbortSignal },
): Promise<ResultRecord | null> {
  const args = llamaBenchArgs(inst, modelPath, o.reps, splitArgs(o.extraArgs));
  const extra = { executor: "llama-bench", binary: bin, llamaBenchArgs: o.extraArgs };
  const lbBase: RecordBase = {
    ...base,
    executor: "llama-bench",
    env: { ...base.env, backend: "llama-bench" },
    telemetry: { status: "unavailable", reason: "not sampled for llama-bench runs" },
    extra,
  };
  if (!Array.isArray(args)) return failedRecord(lbBase, { status: "error", message: args.unsupported });
  const res = await runProcess(bin, args, o.timeoutSec, o.signal);
  const death = classifyDeath({
    interrupting: o.signal.aborted,
    timedOut: res.timedOut,
    timeoutSec: o.timeoutSec,
    code: res.code,
    signal: res.signal,
    stderr: res.err,
    memory: null,
    during: "instance",
  });
  if (death.kind === "interrupted") return null;
  if (res.timedOut || res.code !== 0) {
    const status = res.timedOut || res.signal || isOomText(res.err) ? death.status : "error";
    const last = res.err.trim().split("\n").pop() ?? "";
    const message = status === "error" ? `llama-bench exited ${res.code}: ${last}` : death.message;
    return failedRecord(lbBase, { status, message, stderr: res.err });
  }
  let rows: Record<string, unknown>[];
  try {
    rows = JSON.parse(res.out) as Record<string, unknown>[];
  } catch {
    return failedRecord(lbBase, { status: "error", message: "llama-bench did not print JSON", stderr: res.err });
  }
  const recs = llamaBenchToRecords(rows, { file: bin, runId: base.runId, host: base.env, modelIdentity: () => null });
  const first = rows[0] ?? {};
  return okRecord(
    {
      ...lbBase,
      params: { ...inst.params, threads: threadsRan(rows, args) },
      env: {
        ...base.env,
        backend: `llama-bench (${String(first.backends ?? "?")})`,
        llamaCppRelease: first.build_number !== undefined ? `build ${String(first.build_number)}` : null,
        llamaCppCommit: first.build_commit ? String(first.build_commit) : null,
        nodeLlamaCpp: null,
      },
      warnings: [...(base.warnings ?? []), ...new Set(recs.flatMap((r) => r.warnings))],
      extra: { ...extra, args, raw: rows },
    },
    {
      pp: recs.find((r) => r.params.pp > 0 && r.params.tg === 0)?.pp ?? null,
      tg: recs.find((r) => r.params.tg > 0 && r.params.pp === 0)?.tg ?? null,
      parallelTg: null,
    },
  );
}
