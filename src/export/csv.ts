/**
 * One CSV row per instance with every measured number (csv-stringify; pure). Rates are the mean with its 95%
 * CI ("mean (95% CI)"); sizes in bytes; energy in joules.
 */
import { stringify } from "csv-stringify/sync";
import type { Report } from "../analysis/buildReport.js";
import { deviceOf, scaleOf } from "../analysis/runInfo.js";
import { percentiles, type Summary } from "../util/stats.js";

const num = (v: number | null | undefined): number | string => (v === null || v === undefined ? "" : v);

/** The harness's µs per generated token of a tg phase: the median over its repetitions (absent: unknown). */
const harnessUs = (perRep: readonly number[] | undefined): number | null =>
  perRep?.length ? percentiles(perRep, [0.5])[0]! : null;

/** pp_tok_s_mean, pp_tok_s_ci95_low, … for one rate. */
function rateColumns(prefix: string, s: Summary | null): Record<string, number | string> {
  return {
    [`${prefix}_tok_s_mean`]: num(s?.mean),
    [`${prefix}_tok_s_ci95_low`]: num(s?.ciLow),
    [`${prefix}_tok_s_ci95_high`]: num(s?.ciHigh),
    [`${prefix}_tok_s_sd`]: num(s?.sd),
    [`${prefix}_n`]: num(s?.n),
    [`${prefix}_ci_method`]: s?.method ?? "",
    [`${prefix}_noisy`]: s ? Number(s.noisy) : "",
  };
}

export function reportCsv(r: Report): string {
  const rows = r.rows.map((x, i) => {
    const p = x.record.params;
    const d = deviceOf(x.record);
    const c = r.rowCosts[i];
    const gen = x.tg ?? x.parallelTg;
    return {
      run_id: x.record.runId,
      suite: x.record.suite,
      model: x.model,
      model_ref: x.record.model.ref,
      model_header_sha256: x.record.model.headerSha256 ?? "",
      arch: x.record.model.arch ?? "",
      quant: x.quant,
      scale: scaleOf(x.record),
      params: num(x.record.model.params),
      active_params: num(x.record.model.activeParams),
      test: x.testId,
      pp: p.pp,
      tg: p.tg,
      depth: p.depth,
      parallel: p.parallel,
      ctx: p.ctx,
      kv_k: p.kvK,
      kv_v: p.kvV,
      flash_attn: Number(p.flashAttention),
      gpu_layers: p.gpuLayers,
      threads: p.threads,
      batch: p.batch,
      ubatch: p.ubatch,
      tg_mode: p.tgMode,
      executor_args: x.identity.args === "none" ? "" : x.identity.args,
      backend: x.record.env.backend,
      device: d.kind === "gpu" || d.kind === "cpu" ? `${d.kind}: ${d.name}` : d.kind,
      llama_cpp: x.record.env.llamaCppRelease ?? "",
      llama_cpp_commit: x.record.env.llamaCppCommit ?? "",
      status: x.status,
      ...rateColumns("pp", x.pp),
      ...rateColumns("tg", gen),
      tg_itl_p50_ms: num(x.record.tg?.itlMs?.p50),
      tg_itl_p99_ms: num(x.record.tg?.itlMs?.p99),
      tg_harness_us_per_token: num(harnessUs(x.record.tg?.harnessUsPerToken)),
      tg_tok_per_j: num(x.tgTokPerJ?.gross),
      tg_tok_per_j_net: num(x.tgTokPerJ?.net),
      pp_tok_per_j: num(x.ppTokPerJ?.gross),
      pp_tok_per_j_net: num(x.ppTokPerJ?.net),
      tg_watts: num(x.tgWatts),
      idle_watts: num(x.record.telemetry.idleWatts),
      tg_tok_s_per_usd: num(c?.tokPerSecPerDollar),
      usd_per_mtok_electricity: num(c?.electricityPerMTok),
      usd_per_mtok_hardware: num(c?.hardwarePerMTok),
      usd_per_mtok: num(c?.totalPerMTok),
      vram_before_load_mib: num(x.record.telemetry.vram?.beforeLoadMiB),
      vram_after_load_mib: num(x.record.telemetry.vram?.afterLoadMiB),
      vram_after_context_mib: num(x.record.telemetry.vram?.afterContextMiB),
      error: x.record.error?.message.split("\n")[0] ?? "",
    };
  });
  return stringify(rows, { header: true });
}
