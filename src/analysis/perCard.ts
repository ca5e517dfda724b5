/**
 * Cross-card figures (pure): when a dataset holds measurements from several GPU setups (other cards, other
 * hosts, drivers or llama.cpp builds, e.g. merged shards of a cluster run), each model and quant gets one row
 * and each setup one column: prefill and generation tok/s (mean, 95% CI), generation tok/J and tok/s per $ —
 * the seed article's "3060 vs 4060 Ti" table. A setup is a GPU on a host with its driver and llama.cpp build,
 * and every column says which. Rows join on the instance configuration minus the GPU and the thread count
 * (a host detail when the model is on the GPU).
 */
import { cost } from "./efficiency.js";
import type { AggRow } from "./aggregate.js";
import { configText, IDENTITY_FIELDS, identityKey, type IdentityField, varyingFields } from "./identity.js";
import { deviceOf, type PriceOptions, pricingFor } from "./runInfo.js";
import type { Pricing } from "./efficiency.js";
import type { Summary } from "../util/stats.js";
import { quantRank } from "./quantMatrix.js";

export interface CardSetup {
  id: string;
  gpu: string;
  host: string;
  driver: string | null;
  backend: string;
  /** llama.cpp release and commit */
  build: string;
  /** column header: the GPU, with the host where one GPU model ran on several setups */
  short: string;
  /** "RTX 3060 12GB · host a · driver 550.54 · llama.cpp b5000 (abc1234)" */
  label: string;
  pricing: Pricing | null;
  pricingNote: string | null;
}

export interface CardCell {
  pp: Summary | null;
  tg: Summary | null;
  tgTokPerJ: number | null;
  tgPerDollar: number | null;
}

export interface PerCardRow {
  moe: boolean;
  model: string;
  quant: string;
  /** the configuration where rows differ in it ("ctx 8192 · KV q8_0/q8_0"), else "" */
  config: string;
  /** by setup id; absent where that setup did not measure it */
  cells: Record<string, CardCell>;
}

export interface PerCard {
  setups: CardSetup[];
  rows: PerCardRow[];
}

/** What a row is: everything that changes the measurement except the card and the host's thread count. */
const ROW_FIELDS: readonly IdentityField[] = IDENTITY_FIELDS.filter((f) => f !== "gpu" && f !== "threads");
const CONFIG_SHOWN: readonly IdentityField[] = ROW_FIELDS.filter((f) => !["model", "quant", "test"].includes(f));

const plain = (r: AggRow, test: "pp" | "tg"): boolean => {
  const p = r.record.params;
  if (r.status !== "ok" || p.depth !== 0 || p.parallel !== 1) return false;
  return test === "pp" ? p.pp > 0 && p.tg === 0 : p.tg > 0 && p.pp === 0;
};

function setupOf(r: AggRow): Omit<CardSetup, "short" | "pricing" | "pricingNote"> | null {
  const device = deviceOf(r.record);
  if (device.kind !== "gpu") return null;
  const env = r.record.env;
  const driver = r.record.telemetry.gpu?.driver ?? env.gpus[0]?.driver ?? null;
  const commit = env.llamaCppCommit?.slice(0, 7);
  const build = [env.llamaCppRelease, commit ? `(${commit})` : null].filter(Boolean).join(" ") || "unknown";
  const id = [device.name, env.host, driver ?? "", build].join("|");
  const label = `${device.name} · host ${env.host} · driver ${driver ?? "unknown"} · llama.cpp ${build}`;
  return { id, gpu: device.name, host: env.host, driver, backend: device.backend, build, label };
}

function setups(rows: readonly AggRow[], o: PriceOptions): { setups: CardSetup[]; of: Map<AggRow, string> } {
  const found = new Map<string, Omit<CardSetup, "short" | "pricing" | "pricingNote">>();
  const of = new Map<AggRow, string>();
  for (const r of rows) {
    const s = setupOf(r);
    if (!s) continue;
    found.set(s.id, s);
    of.set(r, s.id);
  }
  const perGpu = new Map<string, number>();
  for (const s of found.values()) perGpu.set(s.gpu, (perGpu.get(s.gpu) ?? 0) + 1);
  const list = [...found.values()].map((s) => {
    const { pricing, note } = pricingFor({ kind: "gpu", name: s.gpu, backend: s.backend }, o);
    const short = (perGpu.get(s.gpu) ?? 0) > 1 ? `${s.gpu} (${s.host}, ${s.build})` : s.gpu;
    return { ...s, short, pricing, pricingNote: note };
  });
  return { setups: list, of };
}

/** The cross-card table, or null when the dataset holds fewer than two GPU setups. */
export function perCard(
  rows: readonly AggRow[],
  o: PriceOptions & { kwhPriceUsd: number; lifetimeHours: number },
): PerCard | null {
  const { setups: list, of } = setups(rows, o);
  if (list.length < 2) return null;
  const byRow = new Map<string, AggRow[]>();
  for (const r of rows) {
    if (!of.has(r) || !(plain(r, "pp") || plain(r, "tg"))) continue;
    const k = identityKey({ ...r.identity, test: "" }, ROW_FIELDS);
    byRow.set(k, [...(byRow.get(k) ?? []), r]);
  }
  const shown = varyingFields(
    [...byRow.values()].map((rs) => rs[0]!.identity),
    CONFIG_SHOWN,
  );
  const out: PerCardRow[] = [];
  for (const rs of byRow.values()) {
    const cells: Record<string, CardCell> = {};
    for (const s of list) {
      const mine = rs.filter((r) => of.get(r) === s.id);
      const tgRow = mine.find((r) => plain(r, "tg") && r.tg);
      const pp = mine.find((r) => plain(r, "pp") && r.pp)?.pp ?? null;
      if (!tgRow && !pp) continue;
      const tg = tgRow?.tg ?? null;
      const tgTokPerJ = tgRow?.tgTokPerJ?.gross ?? null;
      const priced = tg
        ? cost({
            tokPerSec: tg.mean,
            tokPerJoule: tgTokPerJ,
            pricing: s.pricing,
            kwhPriceUsd: o.kwhPriceUsd,
            lifetimeHours: o.lifetimeHours,
          })
        : null;
      cells[s.id] = { pp, tg, tgTokPerJ, tgPerDollar: priced?.tokPerSecPerDollar ?? null };
    }
    const first = rs[0]!;
    out.push({
      moe: first.record.model.isMoe === true,
      model: first.record.model.label,
      quant: first.quant,
      config: shown.length ? configText(first.identity, shown) : "",
      cells,
    });
  }
  // MoE first, as the article's table; then by model, quant and configuration
  out.sort(
    (a, b) =>
      Number(b.moe) - Number(a.moe) ||
      a.model.localeCompare(b.model) ||
      quantRank(a.quant) - quantRank(b.quant) ||
      a.config.localeCompare(b.config),
  );
  return { setups: list, rows: out };
}
