import { Command } from "commander";
import { readGguf } from "../gguf/read.js";
import { isRemoteModel, readRemoteGguf } from "../gguf/readRemote.js";
import {
  fit,
  smallestOffload,
  type FitFacts,
  type FitRow,
  type MaxContext,
  type Offload,
  type SmallestOffload,
} from "../gguf/fit.js";
import { fitFactsFromGguf, fitFactsFromPlan } from "../gguf/fitFacts.js";
import { planSynth } from "../gguf/synth/synthesize.js";
import { KV_TYPE_BYTES } from "../gguf/kvCache.js";
import { CARDS, findCard } from "../data/cards.js";
import { MoebenchError, unknownChoice } from "../util/errors.js";
import { GiB, parseSize, parseTokens } from "../util/units.js";
import { mdTable } from "../export/markdown.js";

const gib = (b: number): string => (b / GiB).toFixed(2);

interface FitCliOptions {
  ctx: string;
  kv: string;
  fa: string;
  parallel: string;
  batch: string;
  gpu?: string;
  vram?: string;
  overhead: string;
  nGpuLayers?: string;
  nCpuMoe?: string;
  cpuMoe?: boolean;
  overrideTensor?: string;
  reference?: boolean;
  json?: boolean;
}

interface Card {
  bytes: number;
  label: string;
  /** how a size given in GB was read */
  note: string | null;
}

interface Settings {
  contexts: number[];
  kvTypes: string[];
  flashAttention: boolean[];
  parallel: number;
  batch: number;
  card: Card | null;
  overheadBytes: number;
  offload: Offload;
}

async function factsFor(model: string): Promise<{ facts: FitFacts; path: string | null }> {
  if (model.startsWith("synth:")) {
    const [preset, quant, scale] = model.slice(6).split(":");
    if (!preset || !quant) throw new MoebenchError(`${model}: expected synth:<preset>:<quant>[:<scale>]`);
    return { facts: fitFactsFromPlan(planSynth({ preset, quant, scale: (scale ?? "full") as "full" })), path: null };
  }
  // hf: and https: read the header only (never the weights)
  if (isRemoteModel(model))
    return { facts: fitFactsFromGguf(await readRemoteGguf(model, { skipArrays: true })), path: null };
  return { facts: fitFactsFromGguf(await readGguf(model, { skipArrays: true })), path: model };
}

/**
 * node-llama-cpp's own context estimate (V2 simulates llama.cpp's allocation), where it can run (a real file):
 * KV + recurrent state + compute, all on the CPU here (no GPU split on a machine without a GPU).
 */
async function nodeLlamaCppEstimate(
  path: string,
  row: FitRow,
  parallel: number,
  batch: number,
): Promise<number | null> {
  try {
    const { readGgufFileInfo, GgufInsights, getLlama, LlamaLogLevel, GgmlType } = await import("node-llama-cpp");
    const t = (GgmlType as unknown as Record<string, number>)[row.kv.toUpperCase()];
    const llama = await getLlama({ gpu: false, build: "never", logLevel: LlamaLogLevel.error });
    const ins = await GgufInsights.from(await readGgufFileInfo(path), llama);
    const r = await ins.estimateContextResourceRequirementsV2({
      contextSize: row.ctx,
      modelGpuLayers: 0,
      batchSize: batch,
      sequences: parallel,
      flashAttention: row.flashAttention,
      kvCacheKeyType: t as never,
      kvCacheValueType: t as never,
    });
    return r.cpuRam + r.gpuVram;
  } catch {
    return null;
  }
}

function parseCount(flag: string, v: string | undefined): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  const valid = Number.isInteger(n) && n >= 0 && n <= 100_000;
  if (!valid) throw new MoebenchError(`${flag} ${v}: expected a layer count ≥ 0`);
  return n;
}

function parseOffload(o: FitCliOptions): Offload {
  let expertsOnHost = !!o.cpuMoe;
  if (o.overrideTensor !== undefined) {
    // llama.cpp's -ot takes regex=buffer; the one moebench models is "experts to the CPU"
    if (!/exps.*=cpu$/i.test(o.overrideTensor))
      throw new MoebenchError(
        `-ot ${o.overrideTensor}: only expert tensors to the CPU are modelled`,
        "use -ot exps=CPU (or --cpu-moe), --n-cpu-moe N or --ngl N",
      );
    expertsOnHost = true;
  }
  return {
    gpuLayers: parseCount("--ngl", o.nGpuLayers) ?? null,
    cpuMoe: parseCount("--n-cpu-moe", o.nCpuMoe) ?? 0,
    expertsOnHost,
  };
}

/** A card size: "12GB" is how cards are sold, and they hold 12 GiB: read it so, and say so. */
function parseCard(o: FitCliOptions): Card | null {
  if (o.vram) {
    const decimal = /^\s*[\d.]+\s*(gb|g)\s*$/i.test(o.vram);
    const v = decimal ? parseSize(o.vram.replace(/gb?\s*$/i, "GiB")) : parseSize(o.vram);
    if (!v) throw new MoebenchError(`--vram ${o.vram}: expected a size like 12GiB`);
    const note = decimal
      ? `--vram ${o.vram.trim()} read as ${gib(v)} GiB: cards sold as "12GB" hold 12 GiB ` +
        `(for 10^9-byte units write ${((Number.parseFloat(o.vram) * 1e9) / GiB).toFixed(2)}GiB)`
      : null;
    return { bytes: v, label: `${gib(v)} GiB`, note };
  }
  if (!o.gpu) return null;
  const c = findCard(o.gpu);
  if (!c)
    throw unknownChoice(
      "--gpu",
      o.gpu,
      CARDS.map((x) => x.name),
    );
  return { bytes: c.vramGiB * GiB, label: c.name, note: null };
}

function parseFlashAttention(v: string): boolean[] {
  const modes: Record<string, boolean[]> = { both: [false, true], on: [true], off: [false] };
  const m = modes[v];
  if (!m) throw unknownChoice("--fa mode", v, Object.keys(modes));
  return m;
}

function parseSettings(o: FitCliOptions): Settings {
  const contexts = o.ctx.split(",").map((s) => {
    const v = parseTokens(s);
    if (!v || v < 256 || v > 1 << 24) throw new MoebenchError(`--ctx ${s}: expected a token count like 8k or 8192`);
    return v;
  });
  const kvTypes = o.kv.split(",").map((s) => s.trim().toLowerCase());
  for (const k of kvTypes)
    if (KV_TYPE_BYTES[k] === undefined) throw unknownChoice("--kv type", k, Object.keys(KV_TYPE_BYTES));
  const parallel = Number(o.parallel);
  const batch = Number(o.batch);
  if (!Number.isInteger(parallel) || parallel < 1 || parallel > 4096)
    throw new MoebenchError(`--parallel ${o.parallel}: expected a positive integer`);
  if (!Number.isInteger(batch) || batch < 1 || batch > 1 << 16)
    throw new MoebenchError(`--batch ${o.batch}: expected a positive integer`);
  const overhead = Number(o.overhead) * 1024 * 1024;
  const overheadOk = Number.isFinite(overhead) && overhead >= 0;
  if (!overheadOk) throw new MoebenchError(`--overhead ${o.overhead}: expected MiB ≥ 0`);
  const card = parseCard(o);
  return {
    contexts,
    kvTypes,
    flashAttention: parseFlashAttention(o.fa),
    parallel,
    batch,
    card,
    overheadBytes: card ? overhead : 0,
    offload: parseOffload(o),
  };
}

export function offloadLabel(o: Offload): string {
  const parts: string[] = [];
  if (o.gpuLayers !== null) parts.push(`--ngl ${o.gpuLayers}`);
  if (o.expertsOnHost) parts.push("-ot exps=CPU");
  else if (o.cpuMoe > 0) parts.push(`--n-cpu-moe ${o.cpuMoe}`);
  return parts.length ? parts.join(" ") : "every layer on the GPU";
}

/** One table column: what it shows, and when it is shown (STYLE.md: fit rows from a column list). */
interface Column<T> {
  header: string;
  cell: (row: T) => string;
  align?: "l" | "r";
  when?: boolean;
}

function table<T>(rows: readonly T[], columns: readonly Column<T>[]): string {
  const shown = columns.filter((c) => c.when !== false);
  return mdTable(
    shown.map((c) => c.header),
    rows.map((r) => shown.map((c) => c.cell(r))),
    shown.map((c) => c.align ?? "r"),
  );
}

const ctxLabel = (r: FitRow): string => `${r.ctx / 1024}k${r.beyondTrained ? "*" : ""}`;

function verdictText(r: FitRow): string {
  if (r.invalid) return "not possible: needs flash attention";
  const free = r.freeBytes ?? 0;
  if (r.verdict === "does not fit") return `does not fit (${gib(-free)} over)`;
  return `${r.verdict} (${gib(free)} free)`;
}

const ifValid = (r: FitRow, v: () => string): string => (r.invalid ? "" : v());

function fitColumns(s: Settings, refs: Map<FitRow, number | null> | null): Column<FitRow>[] {
  return [
    { header: "ctx", cell: ctxLabel, align: "l" },
    { header: "KV", cell: (r) => r.kv, align: "l" },
    { header: "FA", cell: (r) => (r.flashAttention ? "on" : "off"), align: "l" },
    { header: "weights (GPU)", cell: (r) => ifValid(r, () => gib(r.weights.device)) },
    { header: "KV cache (GPU)", cell: (r) => ifValid(r, () => gib(r.kvCache.device + r.recurrentState.device)) },
    { header: "compute (GPU)", cell: (r) => ifValid(r, () => gib(r.compute.device)) },
    { header: "overhead", cell: (r) => ifValid(r, () => gib(r.overhead)), when: s.card !== null },
    { header: "GPU total GiB", cell: (r) => (r.invalid ? "—" : gib(r.total)) },
    { header: "host RAM GiB", cell: (r) => ifValid(r, () => gib(r.hostTotal)) },
    {
      header: "node-llama-cpp KV+compute",
      cell: (r) => {
        const ref = refs?.get(r);
        return ref ? `${gib(ref)} (ours ${gib(r.kvCache.device + r.recurrentState.device + r.compute.device)})` : "—";
      },
      align: "l",
      when: refs !== null,
    },
    { header: "verdict", cell: verdictText, align: "l", when: s.card !== null },
  ];
}

function maxContextLine(m: MaxContext, f: FitFacts): string {
  const what = `largest context that fits, KV ${m.kv}, flash attention ${m.flashAttention ? "on" : "off"}`;
  if (!m.ctx) return `${what}: none`;
  const cap = m.cappedByTraining ? ` (the model's trained context; the card would hold more)` : "";
  const trained = f.ctxTrain && !m.cappedByTraining ? `, trained context ${f.ctxTrain.toLocaleString("en-US")}` : "";
  return `${what}: ${m.ctx.toLocaleString("en-US")} tokens (${(m.ctx / 1024).toFixed(1)}k)${cap}${trained}`;
}

function smallestLine(x: SmallestOffload): string {
  const at = `at ${x.ctx / 1024}k, KV ${x.kv}, FA ${x.flashAttention ? "on" : "off"}`;
  if (!x.offload || !x.row) return `${at}: does not fit even with every layer in host memory`;
  return `${at}: fits with ${offloadLabel(x.offload)} (GPU ${gib(x.row.total)} GiB, host ${gib(x.row.hostTotal)} GiB)`;
}

function headerLine(f: FitFacts, s: Settings): string {
  const parts = [
    `${f.name}: ${gib(f.tensorBytes)} GiB of weights (${gib(f.tokEmbdBytes)} GiB token_embd kept in host memory` +
      `${f.tiedEmbeddings ? ", plus a device copy for the tied output layer" : ""})`,
    `KV in ${f.attentionLayers.length} of ${f.nLayer} blocks`,
    `offload: ${offloadLabel(s.offload)}`,
  ];
  if (f.ctxTrain) parts.push(`trained context ${f.ctxTrain.toLocaleString("en-US")}`);
  if (s.parallel > 1) parts.push(`${s.parallel} parallel sequences`);
  if (s.card) parts.push(`card: ${s.card.label}`);
  return parts.join("; ");
}

function footer(f: FitFacts, s: Settings, rows: readonly FitRow[], overheadMiB: string): string[] {
  const lines = [
    'GiB = 2^30 bytes, used for every figure here (a card sold as "12GB" holds 12 GiB).',
    "Weights and KV are exact from the tensor table; compute buffers follow llama.cpp's allocation as calibrated " +
      "on CPU (see README: fit).",
  ];
  if (s.card)
    lines.push(
      `Overhead is an assumed ${overheadMiB} MiB for the GPU runtime, not a measurement; ` +
        `"tight" = under 5% of VRAM free.`,
    );
  if (s.card?.note) lines.push(s.card.note);
  if (rows.some((r) => r.beyondTrained))
    lines.push(
      `* beyond the model's trained context (${f.ctxTrain?.toLocaleString("en-US")} tokens): ` +
        "it fits, but the model was not trained for it.",
    );
  return lines;
}

function render(
  f: FitFacts,
  s: Settings,
  res: ReturnType<typeof fit>,
  extra: { refs: Map<FitRow, number | null> | null; smallest: SmallestOffload[]; overheadMiB: string },
): string {
  const out = [`${headerLine(f, s)}`, "", table(res.rows, fitColumns(s, extra.refs)), ""];
  for (const m of res.maxContext) out.push(maxContextLine(m, f));
  if (extra.smallest.length) {
    out.push("", "smallest offload that fits the card:");
    for (const x of extra.smallest) out.push(`  ${smallestLine(x)}`);
  }
  out.push("", ...footer(f, s, res.rows, extra.overheadMiB));
  return `${out.join("\n")}\n`;
}

/** llama.cpp's multi-letter single-dash flags, accepted as they are typed for llama-server/llama-bench. */
const LLAMA_FLAGS: Readonly<Record<string, string>> = {
  "-ngl": "--ngl",
  "-ot": "--override-tensor",
  "-ncmoe": "--n-cpu-moe",
  "-cmoe": "--cpu-moe",
  "-fa": "--fa",
};

async function fitAction(model: string, o: FitCliOptions): Promise<void> {
  const s = parseSettings(o);
  const { facts, path } = await factsFor(model);
  const opts = { ...s, vramBytes: s.card?.bytes ?? null };
  const res = fit(facts, opts);
  const refs = o.reference && path ? new Map<FitRow, number | null>() : null;
  if (refs)
    for (const r of res.rows) if (!r.invalid) refs.set(r, await nodeLlamaCppEstimate(path!, r, s.parallel, s.batch));
  const vramBytes = s.card?.bytes;
  const smallest =
    vramBytes === undefined
      ? []
      : res.rows
          .filter((r) => r.verdict === "does not fit")
          .map((r) => smallestOffload(facts, r.ctx, r.kv, r.flashAttention, { ...opts, vramBytes }));
  if (o.json) {
    const doc = {
      model,
      facts,
      card: s.card?.label ?? null,
      vramBytes: vramBytes ?? null,
      vramNote: s.card?.note ?? null,
      parallel: s.parallel,
      batch: s.batch,
      offload: s.offload,
      ...res,
      smallestOffload: smallest,
      reference: refs ? res.rows.map((r) => refs.get(r) ?? null) : undefined,
    };
    process.stdout.write(`${JSON.stringify(doc, null, 2)}\n`);
    return;
  }
  process.stdout.write(render(facts, s, res, { refs, smallest, overheadMiB: o.overhead }));
}

export function fitCommand(): Command {
  const cmd = new Command("fit")
    .description(
      "does it fit? weights + KV cache + compute buffers per context × KV type, on the GPU and in host memory",
    )
    .argument(
      "<model>",
      "a .gguf file, hf:<user>/<repo>:<quant> or https://…gguf (header only), or synth:<preset>:<quant>",
    )
    .option("--ctx <list>", "contexts (8k = 8192)", "8k,16k,32k")
    .option("--kv <list>", `KV cache types: ${Object.keys(KV_TYPE_BYTES).join(", ")}`, "f16,q8_0,q4_0")
    .option("--fa <mode>", "flash attention: on, off or both", "both")
    .option("--parallel <n>", "parallel sequences", "1")
    .option("--batch <n>", "batch (= ubatch in node-llama-cpp)", "512")
    .option(
      "--gpu <name>",
      `a card: ${CARDS.slice(0, 6)
        .map((c) => c.name)
        .join(", ")}, …`,
    )
    .option("--vram <size>", "VRAM, e.g. 12GiB (12GB is read as 12 GiB, as cards are sold)")
    .option(
      "--overhead <MiB>",
      "assumed GPU runtime overhead (CUDA context, cuBLAS workspace); not measured by moebench",
      "300",
    )
    .option("--ngl, --n-gpu-layers <N>", "llama.cpp -ngl: the output layer and the last N−1 blocks on the GPU")
    .option("--n-cpu-moe <N>", "llama.cpp --n-cpu-moe: keep the expert weights of the first N blocks in host memory")
    .option("--cpu-moe", "llama.cpp --cpu-moe: keep every expert tensor in host memory")
    .option("--override-tensor <regex=buffer>", "llama.cpp -ot; modelled: exps=CPU")
    .option("--reference", "also print node-llama-cpp's own estimate (needs a local file)")
    .option("--json", "every figure in bytes")
    .addHelpText("after", "\nllama.cpp spellings work too: -ngl N, -ot exps=CPU, -ncmoe N, -cmoe, -fa on.")
    .action(fitAction);
  const parse = cmd.parseOptions.bind(cmd);
  cmd.parseOptions = (args: string[]) => parse(args.map((a) => LLAMA_FLAGS[a] ?? a));
  return cmd;
}
