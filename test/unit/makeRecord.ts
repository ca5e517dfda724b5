/** Hand-made result records for unit tests of analysis and exporters (every field explicit, nothing computed). */
import type { Phase, ResultRecord } from "../../src/results/schema.js";

export interface RecordSpec {
  model?: string;
  quant?: string;
  moe?: boolean | null;
  preset?: string;
  scale?: "full" | "small" | "tiny";
  runId?: string;
  testId?: string;
  pp?: number;
  tg?: number;
  depth?: number;
  parallel?: number;
  ctx?: number;
  kv?: string;
  fa?: boolean;
  threads?: number;
  batch?: number;
  backend?: string;
  gpu?: string;
  status?: ResultRecord["status"];
  ppPhase?: Phase | null;
  tgPhase?: Phase | null;
  parallelPhase?: Phase | null;
  extra?: Record<string, unknown>;
  telemetry?: ResultRecord["telemetry"];
  sha?: string;
}

export const phase = (tokens: number, samplesMs: number[], more: Partial<Phase> = {}): Phase => ({
  tokens,
  samplesMs,
  warmup: 1,
  ...more,
});

function testIdOf(pp: number, tg: number): string {
  if (pp && tg) return `pp${pp}+tg${tg}`;
  return pp ? `pp${pp}` : `tg${tg}`;
}

function phases(s: RecordSpec, pp: number, tg: number): Pick<ResultRecord, "pp" | "tg" | "parallelTg"> {
  if ((s.status ?? "ok") !== "ok") return { pp: null, tg: null, parallelTg: null };
  const parallel = (s.parallel ?? 1) > 1;
  const ppDefault = pp ? phase(pp, [100, 100, 100]) : null;
  const tgDefault = tg && !parallel ? phase(tg, [1000, 1000, 1000]) : null;
  return { pp: s.ppPhase ?? ppDefault, tg: s.tgPhase ?? tgDefault, parallelTg: s.parallelPhase ?? null };
}

function modelOf(s: RecordSpec): ResultRecord["model"] {
  const model = s.model ?? "m";
  const quant = s.quant ?? "Q4_K_M";
  return {
    ref: `${model}:${quant}${s.scale ? `:${s.scale}` : ""}`,
    label: `${model} ${quant}`,
    path: `/m/${model}-${quant}.gguf`,
    sizeBytes: 1,
    headerSha256: s.sha ?? null,
    arch: s.moe ? "lfm2moe" : "llama",
    fileType: quant,
    quant,
    params: 1e9,
    activeParams: s.moe ? 2e8 : 1e9,
    isMoe: s.moe === undefined ? false : s.moe,
    synthetic: s.preset ? { preset: s.preset, scale: s.scale ?? "full", sparse: false } : null,
  };
}

function envOf(s: RecordSpec): ResultRecord["env"] {
  const gpus = s.gpu ? [{ name: s.gpu, uuid: null, driver: "570.1", vramBytes: 12 * 1024 ** 3 }] : [];
  return {
    llamaCppRelease: "b1",
    llamaCppCommit: "abc",
    nodeLlamaCpp: "3.22.1",
    backend: s.backend ?? (s.gpu ? "cuda" : "cpu"),
    gpus,
    host: "h",
    os: "linux",
    cpu: "Test CPU",
    cpuCores: 2,
    node: "v20",
    moebench: "0",
  };
}

export function makeRecord(s: RecordSpec = {}): ResultRecord {
  const pp = s.pp ?? 0;
  const tg = s.tg ?? 128;
  const testId = s.testId ?? testIdOf(pp, tg);
  const status = s.status ?? "ok";
  const model = modelOf(s);
  return {
    schemaVersion: 1,
    runId: s.runId ?? "run1",
    suite: "s",
    key: `${model.ref}|${testId}|ctx=${s.ctx ?? 512}`,
    testId,
    status,
    timestamp: "2026-01-01T00:00:00Z",
    model,
    params: {
      pp,
      tg,
      depth: s.depth ?? 0,
      parallel: s.parallel ?? 1,
      ctx: s.ctx ?? 512,
      kvK: s.kv ?? "f16",
      kvV: s.kv ?? "f16",
      flashAttention: s.fa ?? false,
      gpuLayers: "max",
      threads: s.threads ?? 1,
      batch: s.batch ?? 512,
      ubatch: s.batch ?? 512,
      backend: "auto",
      tgMode: "decode",
    },
    env: envOf(s),
    ...phases(s, pp, tg),
    telemetry: s.telemetry ?? { status: "unavailable", reason: "cpu" },
    memory: null,
    loadMs: null,
    warnings: [],
    error: status === "ok" ? null : { message: `${status}: boom`, stderrTail: null },
    ...(s.extra ? { extra: s.extra } : {}),
  };
}
