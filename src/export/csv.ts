/** One CSV row per instance with every measured number (csv-stringify; pure). */
import { stringify } from "csv-stringify/sync";
import type { Report } from "../analysis/buildReport.js";

export function reportCsv(r: Report): string {
  const rows = r.rows.map((x) => {
    const p = x.record.params;
    return {
      run_id: x.record.runId,
      model: x.model,
      model_ref: x.record.model.ref,
      arch: x.record.model.arch ?? "",
      quant: x.quant,
      params: x.record.model.params ?? "",
      active_params: x.record.model.activeParams ?? "",
      test: x.testId,
      pp: p.pp,
      tg: p.tg,
      depth: p.depth,
      parallel: p.parallel,
      ctx: p.ctx,
      kv_k: p.kvK,
      kv_v: p.kvV,
      flash_attn: p.flashAttention ? 1 : 0,
      gpu_layers: p.gpuLayers,
      threads: p.threads,
      batch: p.batch,
      ubatch: p.ubatch,
      backend: x.record.env.backend,
      llama_cpp: x.record.env.llamaCppRelease ?? "",
      status: x.status,
      pp_tok_s_mean: x.pp?.mean ?? "",
      pp_tok_s_sd: x.pp?.sd ?? "",
      pp_ci_low: x.pp?.ciLow ?? "",
      pp_ci_high: x.pp?.ciHigh ?? "",
      pp_n: x.pp?.n ?? "",
      tg_tok_s_mean: (x.tg ?? x.parallelTg)?.mean ?? "",
      tg_tok_s_sd: (x.tg ?? x.parallelTg)?.sd ?? "",
      tg_ci_low: (x.tg ?? x.parallelTg)?.ciLow ?? "",
      tg_ci_high: (x.tg ?? x.parallelTg)?.ciHigh ?? "",
      tg_n: (x.tg ?? x.parallelTg)?.n ?? "",
      tg_itl_p50_ms: x.record.tg?.itlMs?.p50 ?? "",
      tg_itl_p99_ms: x.record.tg?.itlMs?.p99 ?? "",
      tg_tok_per_j: x.tgTokPerJ?.gross ?? "",
      tg_tok_per_j_net: x.tgTokPerJ?.net ?? "",
      pp_tok_per_j: x.ppTokPerJ?.gross ?? "",
      tg_watts: x.tgWatts ?? "",
      error: x.record.error?.message.split("\n")[0] ?? "",
    };
  });
  return stringify(rows, { header: true });
}
