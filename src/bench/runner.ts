/**
 * The parent: runs a planned suite, one worker child process per model load, appending one record
 * per instance (success or failure) as soon as it exists. A crash, OOM, or timeout becomes a record
 * and the run goes on with a fresh worker.
 */
import { fork, type ChildProcess } from "node:child_process";
import { fileURLToPath } from "node:url";
import { dirname, join } from "node:path";
import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import type { Instance, ModelRef } from "../plan/types.js";
import type { ResultRecord, ModelIdentity, Env, Status } from "../results/schema.js";
import { SCHEMA_VERSION } from "../results/schema.js";
import { appendJsonl, readJsonl } from "../results/jsonl.js";
import type { WorkerToParent, InstanceResult, WorkerOptions } from "./ipc.js";
import { materialize, identify, unknownIdentity } from "./prepareModel.js";
import { Progress } from "./progress.js";
import { rate } from "../analysis/aggregate.js";
import { NvidiaSmiSampler, epochNow } from "../telemetry/nvidiaSmi/sampler.js";
import { probeFields, nvidiaSmiPath } from "../telemetry/nvidiaSmi/probeFields.js";
import { instanceTelemetry, processVramMiB, withEnergy, type InstanceEvents } from "../telemetry/instanceTelemetry.js";
import { runWithLlamaBench } from "./llamaBenchExecutor.js";

export interface RunOptions {
  suiteName: string;
  runDir: string;
  runId: string;
  instances: Instance[];
  executor: "llama" | "mock";
  backend: string;
  seed: number;
  warmup: number;
  repetitions: { min: number; max: number; targetCi: number };
  timeoutSec: number;
  env: Env;
  resume: boolean;
  verbose?: boolean;
  /** extra warnings attached to every record (e.g. settings known to distort tg) */
  runWarnings?: string[];
  /** the suite's GPU price override, kept in env.json for reports */
  gpuPriceUsd?: number;
  /** run every instance with this llama-bench binary instead of node-llama-cpp */
  llamaBench?: string;
  /** GPU telemetry: nvidia-smi path (else MOEBENCH_NVIDIA_SMI, else PATH), sampling interval, idle baseline seconds */
  telemetry?: { nvidiaSmi?: string; intervalMs?: number; idleBaselineSec?: number; disabled?: boolean };
}

export interface RunSummary {
  written: number;
  skipped: number;
  failed: number;
  interrupted: boolean;
  resultsPath: string;
}

const WORKER = join(dirname(fileURLToPath(import.meta.url)), "worker.js");

function tail(s: string, n = 4000): string {
  return s.length > n ? s.slice(-n) : s;
}

export function describeResult(r: ResultRecord): string {
  const name = `${r.model.label} ${r.testId}`;
  if (r.status !== "ok") return `${name}: ${r.status.toUpperCase()} ${r.error?.message.split("\n")[0] ?? ""}`;
  const parts: string[] = [];
  const tps = (p: ResultRecord["pp"], label: string): void => {
    const s = rate(p);
    if (!s) return;
    parts.push(`${label} ${s.mean.toFixed(1)} tok/s ±${(s.ciRel * 100).toFixed(1)}% (n=${s.n})`);
  };
  tps(r.pp, "pp");
  tps(r.tg, "tg");
  tps(r.parallelTg, "tg(all seqs)");
  return `${name}: ${parts.join(", ")}`;
}

export async function runSuite(o: RunOptions): Promise<RunSummary> {
  mkdirSync(o.runDir, { recursive: true });
  const resultsPath = join(o.runDir, "results.jsonl");
  const done = new Set<string>();
  if (o.resume && existsSync(resultsPath)) for (const r of readJsonl(resultsPath)) done.add(r.key);
  writeFileSync(
    join(o.runDir, "env.json"),
    `${JSON.stringify(
      {
        schemaVersion: SCHEMA_VERSION,
        runId: o.runId,
        suite: o.suiteName,
        env: o.env,
        argv: process.argv.slice(2),
        startedAt: new Date().toISOString(),
        ...(o.gpuPriceUsd ? { gpuPriceUsd: o.gpuPriceUsd } : {}),
      },
      null,
      2,
    )}\n`,
  );
  const todo = o.instances.filter((i) => !done.has(i.key));
  const progress = new Progress(todo.length);
  // telemetry: one nvidia-smi sampler for the whole run; where there is none, records say so and the run goes on
  let sampler: NvidiaSmiSampler | undefined;
  let telemetryReason: string | null = o.telemetry?.disabled ? "disabled (--no-telemetry)" : null;
  if (!o.telemetry?.disabled && todo.length) {
    const probe = probeFields(nvidiaSmiPath(o.telemetry?.nvidiaSmi));
    if (probe.ok) {
      sampler = new NvidiaSmiSampler(probe.bin, probe.fields, o.telemetry?.intervalMs ?? 50).start();
      await new Promise((r) => setTimeout(r, 300));
      if (!sampler.rows.length) await new Promise((r) => setTimeout(r, 1000));
      if (!sampler.rows.length) {
        sampler.stop();
        sampler = undefined;
        telemetryReason = `${probe.bin} produced no samples`;
      } else
        progress.note(
          `telemetry: ${probe.bin} every ${o.telemetry?.intervalMs ?? 50} ms (${probe.fields.length} fields${probe.missing.length ? `; unsupported here: ${probe.missing.join(", ")}` : ""})`,
        );
    } else {
      telemetryReason = probe.reason;
    }
  }
  const idleBaselineSec = sampler ? (o.telemetry?.idleBaselineSec ?? 10) : 0;
  if (done.size)
    progress.note(
      `resuming ${o.runDir}: ${o.instances.length - todo.length} instance(s) already recorded, ${todo.length} to run`,
    );
  let written = 0;
  let failed = 0;
  let interrupted = false;
  let current: ChildProcess | undefined;
  const onSigint = (): void => {
    interrupted = true;
    current?.kill("SIGKILL");
  };
  process.on("SIGINT", onSigint);
  process.on("SIGTERM", onSigint);

  const write = (rec: ResultRecord): void => {
    appendJsonl(resultsPath, rec);
    written++;
    if (rec.status !== "ok") failed++;
    progress.finish(describeResult(rec));
  };
  const baseRecord = (
    inst: Instance,
    model: ModelIdentity,
    env: Env,
    loadMs: number | null,
  ): Omit<ResultRecord, "status" | "pp" | "tg" | "parallelTg" | "memory" | "error" | "warnings"> => ({
    schemaVersion: SCHEMA_VERSION,
    runId: o.runId,
    suite: o.suiteName,
    key: inst.key,
    testId: inst.testId,
    timestamp: new Date().toISOString(),
    model,
    params: inst.params,
    env,
    telemetry: { status: "unavailable", reason: telemetryReason ?? "no telemetry" },
    loadMs,
  });
  const failRecord = (
    inst: Instance,
    model: ModelIdentity,
    env: Env,
    status: Status,
    message: string,
    stderr: string | null,
    loadMs: number | null = null,
  ): ResultRecord => ({
    ...baseRecord(inst, model, env, loadMs),
    status,
    pp: null,
    tg: null,
    parallelTg: null,
    memory: null,
    warnings: [...(o.runWarnings ?? [])],
    error: { message, stderrTail: stderr ? tail(stderr) : null },
  });

  // records are written in order, each after its energy windows are covered by telemetry samples
  let chain: Promise<void> = Promise.resolve();
  // groups in run order
  const groups: Instance[][] = [];
  for (const i of todo) {
    const g = groups[groups.length - 1];
    if (g && g[0]!.group === i.group) g.push(i);
    else groups.push([i]);
  }

  for (const group of groups) {
    if (interrupted) break;
    const ref: ModelRef = group[0]!.model;
    let path: string;
    let identity: ModelIdentity;
    let vocab: number;
    try {
      path = await materialize(ref, (s) => progress.note(s));
      ({ identity, vocab } = await identify(ref, path));
    } catch (e) {
      const msg = e instanceof Error ? e.message : String(e);
      for (const inst of group)
        write(failRecord(inst, unknownIdentity(ref, ref.kind === "path" ? ref.path : null), o.env, "error", msg, null));
      continue;
    }
    if (o.llamaBench) {
      for (const inst of group) {
        if (interrupted) break;
        progress.update(ref.label, `${inst.testId} (llama-bench)`, 0);
        write(
          await runWithLlamaBench(o.llamaBench, inst, path, identity, {
            reps: o.repetitions.min,
            extraArgs: inst.llamaBenchArgs,
            timeoutSec: o.timeoutSec,
            runId: o.runId,
            suite: o.suiteName,
            env: o.env,
          }),
        );
      }
      continue;
    }
    let remaining = [...group];
    while (remaining.length && !interrupted) {
      const outcome = await runWorker(
        remaining,
        {
          executor: o.executor,
          modelPath: path,
          vocab,
          seed: o.seed,
          warmup: o.warmup,
          repetitions: o.repetitions,
          backend: o.backend,
          idleBaselineSec,
          telemetryActive: !!sampler,
        },
        o.timeoutSec,
        (c) => {
          current = c;
        },
        (inst, res, env, loadMs, ev) => {
          chain = chain.then(async () => {
            if (sampler) await sampler.waitPast(ev.end);
            let { pp, tg, parallelTg } = res;
            let telemetry: ResultRecord["telemetry"] = {
              status: "unavailable",
              reason: telemetryReason ?? "no telemetry",
            };
            pp = withEnergy(pp, sampler);
            tg = withEnergy(tg, sampler);
            parallelTg = withEnergy(parallelTg, sampler);
            const nvml = [pp, tg, parallelTg].some((p) => p?.energyNotes?.includes("NVML total-energy counter"));
            if (sampler) {
              const t = instanceTelemetry(sampler, ev);
              const processMiB = processVramMiB(sampler.bin, ev.pid);
              telemetry = {
                status: "ok",
                reason: null,
                source: nvml ? "nvml" : t.source,
                idleWatts: t.idleWatts,
                vram: { ...t.vram, processMiB },
                throttle: t.throttle,
                samplerRestarts: sampler.restarts,
                gpu: t.gpuInfo,
              };
            } else if (nvml) {
              telemetry = { status: "ok", reason: "energy from NVML only (no nvidia-smi samples)", source: "nvml" };
            }
            const rec: ResultRecord = {
              ...baseRecord(inst, identity, env, loadMs),
              status: "ok",
              pp,
              tg,
              parallelTg,
              memory: res.memory,
              telemetry,
              params: { ...inst.params, threads: res.applied.threads, ubatch: res.applied.ubatch },
              warnings: [...(o.runWarnings ?? []), ...res.warnings],
              error: null,
            };
            write(rec);
          });
        },
        (inst, status, message, stderr, env) => {
          chain = chain.then(() => write(failRecord(inst, identity, env, status, message, stderr)));
        },
        (key, phase, tps) =>
          progress.update(`${ref.label}`, `${group.find((g) => g.key === key)?.testId ?? ""} ${phase}`, tps),
        o.env,
        o.verbose ?? false,
      );
      await chain;
      remaining = remaining.filter((i) => !outcome.finished.has(i.key));
      if (outcome.loadFailed) break;
    }
  }
  sampler?.stop();
  process.off("SIGINT", onSigint);
  process.off("SIGTERM", onSigint);
  return { written, skipped: o.instances.length - todo.length, failed, interrupted, resultsPath };
}

interface WorkerOutcome {
  finished: Set<string>;
  loadFailed: boolean;
}

function runWorker(
  instances: Instance[],
  options: WorkerOptions,
  timeoutSec: number,
  setCurrent: (c: ChildProcess | undefined) => void,
  onResult: (inst: Instance, res: InstanceResult, env: Env, loadMs: number | null, ev: InstanceEvents) => void,
  onFail: (inst: Instance, status: Status, message: string, stderr: string | null, env: Env) => void,
  onProgress: (key: string, phase: string, tps: number) => void,
  baseEnv: Env,
  verbose: boolean,
): Promise<WorkerOutcome> {
  return new Promise((resolve) => {
    const finished = new Set<string>();
    const byKey = new Map(instances.map((i) => [i.key, i]));
    let env: Env = baseEnv;
    let loadMs: number | null = null;
    let stderr = "";
    let currentKey: string | undefined;
    let loadEv: Partial<InstanceEvents> = {};
    let instStart = 0;
    let ctxCreated: number | undefined;
    let timer: NodeJS.Timeout | undefined;
    let timedOut = false;
    let settled = false;
    const child = fork(WORKER, [], { stdio: ["ignore", "pipe", "pipe", "ipc"], serialization: "advanced" });
    setCurrent(child);
    child.stdout?.on("data", (d: Buffer) => {
      if (verbose) process.stderr.write(d);
    });
    child.stderr?.on("data", (d: Buffer) => {
      stderr = tail(stderr + d.toString(), 16000);
      if (verbose) process.stderr.write(d);
    });
    const arm = (): void => {
      clearTimeout(timer);
      timer = setTimeout(() => {
        timedOut = true;
        child.kill("SIGKILL");
      }, timeoutSec * 1000);
    };
    arm(); // covers loading too
    child.on("message", (m: WorkerToParent) => {
      switch (m.type) {
        case "env":
          env = { ...baseEnv, ...m.env, gpus: m.env.gpus ?? [] } as Env;
          loadMs = m.loadMs;
          loadEv = m.events;
          break;
        case "loadFailed":
          for (const inst of instances) {
            onFail(inst, m.oom ? "oom" : "error", `model load failed: ${m.message}`, stderr, env);
            finished.add(inst.key);
          }
          settled = true;
          clearTimeout(timer);
          resolve({ finished, loadFailed: true });
          break;
        case "contextCreated":
          ctxCreated = m.t;
          break;
        case "started":
          instStart = epochNow();
          currentKey = m.key;
          stderr = "";
          arm();
          break;
        case "progress":
          onProgress(m.key, m.phase, m.tokPerSec);
          break;
        case "result": {
          const inst = byKey.get(m.key);
          if (inst) {
            onResult(inst, m.result, env, loadMs, {
              ...loadEv,
              pid: child.pid,
              contextCreated: ctxCreated,
              start: instStart,
              end: epochNow(),
            });
            finished.add(m.key);
          }
          currentKey = undefined;
          break;
        }
        case "failed": {
          const inst = byKey.get(m.key);
          if (inst) {
            onFail(inst, m.oom ? "oom" : "error", m.message, stderr, env);
            finished.add(m.key);
          }
          currentKey = undefined;
          break;
        }
        case "done":
          break;
      }
    });
    child.on("exit", (code, signal) => {
      clearTimeout(timer);
      setCurrent(undefined);
      if (settled) return;
      const victim = currentKey ? byKey.get(currentKey) : instances.find((i) => !finished.has(i.key));
      if (victim && !finished.has(victim.key)) {
        if (timedOut) onFail(victim, "timeout", `no result within ${timeoutSec} s (worker killed)`, stderr, env);
        else if (signal === "SIGKILL" && !timedOut) {
          /* interrupted by the user: not recorded */ resolve({ finished, loadFailed: false });
          return;
        } else {
          const oom = /out of memory|failed to allocate|std::bad_alloc/i.test(stderr);
          onFail(
            victim,
            oom ? "oom" : "crash",
            `worker exited (${signal ?? `code ${code}`}) without a result${currentKey ? "" : " while loading the model"}`,
            stderr,
            env,
          );
        }
        finished.add(victim.key);
        // a crash while loading dooms every instance of this model
        if (!currentKey && loadMs === null) {
          for (const inst of instances)
            if (!finished.has(inst.key)) {
              onFail(
                inst,
                timedOut ? "timeout" : "crash",
                timedOut
                  ? `model load took over ${timeoutSec} s (worker killed)`
                  : "worker died while loading the model",
                stderr,
                env,
              );
              finished.add(inst.key);
            }
          resolve({ finished, loadFailed: true });
          return;
        }
      }
      resolve({ finished, loadFailed: false });
    });
    child.send({ type: "run", options, instances });
  });
}
