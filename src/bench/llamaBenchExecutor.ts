/**
 * The external executor: run an instance with any llama-bench binary (any llama.cpp commit or build) and
 * read its JSON. Through it a suite can also sweep what node-llama-cpp cannot set, such as MoE expert
 * offload to the CPU (--n-cpu-moe N, -ot …): the suite's `llamaBenchArgs` list.
 */
import { spawn } from "node:child_process";
import type { Instance } from "../plan/types.js";
import type { ResultRecord, ModelIdentity, Env } from "../results/schema.js";
import { llamaBenchToRecords } from "../results/importLlamaBench.js";

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

export async function runWithLlamaBench(
  bin: string,
  inst: Instance,
  modelPath: string,
  identity: ModelIdentity,
  o: { reps: number; extraArgs: string; timeoutSec: number; runId: string; suite: string; env: Env },
): Promise<ResultRecord> {
  const extra = splitArgs(o.extraArgs);
  const args = llamaBenchArgs(inst, modelPath, o.reps, extra);
  const base = (status: ResultRecord["status"], message: string, stderr: string | null): ResultRecord => ({
    schemaVersion: 1,
    runId: o.runId,
    suite: o.suite,
    key: inst.key,
    testId: inst.testId,
    status,
    timestamp: new Date().toISOString(),
    model: identity,
    params: inst.params,
    env: { ...o.env, backend: "llama-bench" },
    pp: null,
    tg: null,
    parallelTg: null,
    telemetry: { status: "unavailable", reason: "not sampled for llama-bench runs" },
    memory: null,
    loadMs: null,
    warnings: [],
    error: { message, stderrTail: stderr },
    extra: { executor: "llama-bench", binary: bin, llamaBenchArgs: o.extraArgs },
  });
  if (!Array.isArray(args)) return base("error", args.unsupported, null);
  const res = await new Promise<{
    code: number | null;
    signal: string | null;
    out: string;
    err: string;
    timedOut: boolean;
  }>((resolve) => {
    const child = spawn(bin, args, { stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    let err = "";
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill("SIGKILL");
    }, o.timeoutSec * 1000);
    child.stdout.on("data", (b: Buffer) => {
      out += b.toString();
    });
    child.stderr.on("data", (b: Buffer) => {
      err = (err + b.toString()).slice(-8000);
    });
    child.on("error", (e) => {
      err += e.message;
    });
    child.on("close", (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, out, err, timedOut });
    });
  });
  if (res.timedOut) return base("timeout", `llama-bench took over ${o.timeoutSec} s`, res.err);
  if (res.code !== 0) {
    const oom = /out of memory|failed to allocate/i.test(res.err);
    return base(
      oom ? "oom" : res.signal ? "crash" : "error",
      `llama-bench exited ${res.signal ?? res.code}: ${res.err.trim().split("\n").pop() ?? ""}`,
      res.err,
    );
  }
  let rows: Record<string, unknown>[];
  try {
    rows = JSON.parse(res.out) as Record<string, unknown>[];
  } catch {
    return base("error", "llama-bench did not print JSON", res.err);
  }
  const recs = llamaBenchToRecords(rows, { file: bin, runId: o.runId, host: o.env, modelIdentity: () => null });
  const pp = recs.find((r) => r.params.pp > 0 && r.params.tg === 0)?.pp ?? null;
  const tg = recs.find((r) => r.params.tg > 0 && r.params.pp === 0)?.tg ?? null;
  const first = rows[0] ?? {};
  return {
    ...base("ok", "", null),
    error: null,
    pp,
    tg,
    env: {
      ...o.env,
      backend: `llama-bench (${String(first.backends ?? "?")})`,
      llamaCppRelease: first.build_number !== undefined ? `build ${String(first.build_number)}` : null,
      llamaCppCommit: first.build_commit ? String(first.build_commit) : null,
      nodeLlamaCpp: null,
    },
    warnings: recs.flatMap((r) => r.warnings).filter((w, i, a) => a.indexOf(w) === i),
    extra: { executor: "llama-bench", binary: bin, llamaBenchArgs: o.extraArgs, args, raw: rows },
  };
}
