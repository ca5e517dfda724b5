import { Command } from "commander";
import { existsSync } from "node:fs";
import { readGguf } from "../gguf/read.js";
import { fit, type FitFacts, type FitRow } from "../gguf/fit.js";
import { fitFactsFromGguf, fitFactsFromPlan } from "../gguf/fitFacts.js";
import { planSynth } from "../gguf/synth/synthesize.js";
import { KV_TYPE_BYTES } from "../gguf/kvCache.js";
import { CARDS, findCard } from "../data/cards.js";
import { MoebenchError, unknownChoice } from "../util/errors.js";
import { parseSize, parseTokens } from "../util/units.js";
import { mdTable } from "../export/markdown.js";
import { parseHfUri } from "../plan/resolveModels.js";

const GiB = 1024 ** 3;
const gib = (b: number): string => (b / GiB).toFixed(2);

async function factsFor(model: string): Promise<{ facts: FitFacts; path: string | null }> {
  if (model.startsWith("synth:")) {
    const [preset, quant, scale] = model.slice(6).split(":");
    if (!preset || !quant) throw new MoebenchError(`${model}: expected synth:<preset>:<quant>[:<scale>]`);
    return { facts: fitFactsFromPlan(planSynth({ preset, quant, scale: (scale ?? "full") as "full" })), path: null };
  }
  if (model.startsWith("hf:")) {
    if (!parseHfUri(model))
      throw new MoebenchError(
        `${model}: malformed hf: URI`,
        "use hf:<user>/<repo>:<quant> or hf:<user>/<repo>/<file>.gguf",
      );
    const { resolveModelFile } = await import("node-llama-cpp");
    const { cacheDir } = await import("../util/llamaCppBuild.js");
    const { join } = await import("node:path");
    const path = await resolveModelFile(model, { directory: join(cacheDir(), "hf"), cli: false });
    return { facts: fitFactsFromGguf(await readGguf(path, { skipArrays: true })), path };
  }
  if (!existsSync(model))
    throw new MoebenchError(
      `${model}: no such file`,
      "pass a .gguf, synth:<preset>:<quant> or hf:<user>/<repo>:<quant>",
    );
  return { facts: fitFactsFromGguf(await readGguf(model, { skipArrays: true })), path: model };
}

/**
 * node-llama-cpp's own context estimate (V2 simulates llama.cpp's allocation), where it can run (a real file):
 * KV + recurrent state + compute, all on the CPU here (no GPU split on a machine without a GPU).
 */
async function nodeLlamaCppEstimate(
  path: string,
  ctx: number,
  kv: string,
  fa: boolean,
  parallel: number,
  batch: number,
): Promise<{ total: number; gpuVram: number; cpuRam: number } | null> {
  try {
    const { readGgufFileInfo, GgufInsights, getLlama, LlamaLogLevel, GgmlType } = await import("node-llama-cpp");
    const t = (GgmlType as unknown as Record<string, number>)[kv.toUpperCase()];
    const llama = await getLlama({ gpu: false, build: "never", logLevel: LlamaLogLevel.error });
    const info = await readGgufFileInfo(path);
    const ins = await GgufInsights.from(info, llama);
    const r = await ins.estimateContextResourceRequirementsV2({
      contextSize: ctx,
      modelGpuLayers: 0,
      batchSize: batch,
      sequences: parallel,
      flashAttention: fa,
      kvCacheKeyType: t as never,
      kvCacheValueType: t as never,
    });
    return { total: r.cpuRam + r.gpuVram, gpuVram: r.gpuVram, cpuRam: r.cpuRam };
  } catch {
    return null;
  }
}

export function fitCommand(): Command {
  return new Command("fit")
    .description("does it fit? weights + KV cache + compute buffers per context × KV type, against a card")
    .argument("<model>", "a .gguf file, hf:<user>/<repo>:<quant>, or synth:<preset>:<quant> (exact, no download)")
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
    .option("--vram <size>", "VRAM, e.g. 12GiB or 12288MiB")
    .option(
      "--overhead <MiB>",
      "assumed GPU runtime overhead (CUDA context, cuBLAS workspace); not measured by moebench",
      "300",
    )
    .option("--reference", "also print node-llama-cpp's own estimate (needs a real file)")
    .option("--json", "every figure in bytes")
    .action(
      async (
        model: string,
        o: {
          ctx: string;
          kv: string;
          fa: string;
          parallel: string;
          batch: string;
          gpu?: string;
          vram?: string;
          overhead: string;
          reference?: boolean;
          json?: boolean;
        },
      ) => {
        const contexts = o.ctx.split(",").map((s) => {
          const v = parseTokens(s);
          if (!v || v < 256) throw new MoebenchError(`--ctx ${s}: expected a token count like 8k or 8192`);
          return v;
        });
        const kvTypes = o.kv.split(",").map((s) => s.trim().toLowerCase());
        for (const k of kvTypes)
          if (KV_TYPE_BYTES[k] === undefined) throw unknownChoice("--kv type", k, Object.keys(KV_TYPE_BYTES));
        const fa =
          o.fa === "both"
            ? [false, true]
            : o.fa === "on"
              ? [true]
              : o.fa === "off"
                ? [false]
                : (() => {
                    throw unknownChoice("--fa mode", o.fa, ["on", "off", "both"]);
                  })();
        const parallel = Number(o.parallel);
        const batch = Number(o.batch);
        if (!Number.isInteger(parallel) || parallel < 1)
          throw new MoebenchError(`--parallel ${o.parallel}: expected a positive integer`);
        if (!Number.isInteger(batch) || batch < 1)
          throw new MoebenchError(`--batch ${o.batch}: expected a positive integer`);
        let vramBytes: number | null = null;
        let card = "";
        if (o.gpu) {
          const c = findCard(o.gpu);
          if (!c)
            throw unknownChoice(
              "--gpu",
              o.gpu,
              CARDS.map((x) => x.name),
            );
          vramBytes = c.vramGiB * GiB;
          card = c.name;
        }
        if (o.vram) {
          const v = parseSize(o.vram);
          if (!v) throw new MoebenchError(`--vram ${o.vram}: expected a size like 12GiB`);
          vramBytes = v;
          card = `${gib(v)} GiB`;
        }
        const overhead = Number(o.overhead) * 1024 * 1024;
        if (!Number.isFinite(overhead) || overhead < 0)
          throw new MoebenchError(`--overhead ${o.overhead}: expected MiB ≥ 0`);
        const { facts, path } = await factsFor(model);
        const res = fit(facts, {
          contexts,
          kvTypes,
          flashAttention: fa,
          parallel,
          batch,
          vramBytes,
          overheadBytes: vramBytes === null ? 0 : overhead,
        });
        const refs = new Map<FitRow, Awaited<ReturnType<typeof nodeLlamaCppEstimate>>>();
        if (o.reference && path)
          for (const r of res.rows)
            if (!r.invalid)
              refs.set(r, await nodeLlamaCppEstimate(path, r.ctx, r.kv, r.flashAttention, parallel, batch));
        if (o.json) {
          process.stdout.write(
            `${JSON.stringify(
              {
                model,
                facts,
                card: card || null,
                vramBytes,
                parallel,
                batch,
                ...res,
                reference: o.reference ? res.rows.map((r) => refs.get(r) ?? null) : undefined,
              },
              null,
              2,
            )}\n`,
          );
          return;
        }
        const headers = [
          "ctx",
          "KV",
          "FA",
          "weights (GPU)",
          "KV cache",
          "compute",
          ...(vramBytes !== null ? ["overhead"] : []),
          "total GiB",
          ...(o.reference ? ["node-llama-cpp KV+compute"] : []),
          ...(vramBytes !== null ? ["verdict"] : []),
        ];
        const rows = res.rows.map((r) =>
          r.invalid
            ? [
                `${r.ctx / 1024}k`,
                r.kv,
                r.flashAttention ? "on" : "off",
                "",
                "",
                "",
                ...(vramBytes !== null ? [""] : []),
                "—",
                ...(o.reference ? [""] : []),
                ...(vramBytes !== null ? ["not possible: needs flash attention"] : []),
              ]
            : [
                `${r.ctx / 1024}k`,
                r.kv,
                r.flashAttention ? "on" : "off",
                gib(r.weightsDevice),
                gib(r.kvCache + r.recurrentState),
                gib(r.compute),
                ...(vramBytes !== null ? [gib(r.overhead)] : []),
                gib(r.total),
                ...(o.reference
                  ? [
                      refs.get(r)
                        ? `${gib(refs.get(r)!.total)} (ours ${gib(r.kvCache + r.recurrentState + r.compute)})`
                        : "—",
                    ]
                  : []),
                ...(vramBytes !== null
                  ? [
                      r.verdict === "fits"
                        ? `fits (${gib(r.freeBytes!)} free)`
                        : r.verdict === "tight"
                          ? `tight (${gib(r.freeBytes!)} free)`
                          : `does not fit (${gib(-r.freeBytes!)} over)`,
                    ]
                  : []),
              ],
        );
        process.stdout.write(
          `${facts.name}: ${gib(facts.tensorBytes)} GiB of weights (${gib(facts.tokEmbdBytes)} GiB token_embd kept in host memory${facts.tiedEmbeddings ? ", plus a device copy for the tied output layer" : ""}); KV in ${facts.attentionLayers.length} of ${facts.nLayer} blocks${parallel > 1 ? `; ${parallel} parallel sequences` : ""}${card ? `; card: ${card}` : ""}\n\n`,
        );
        process.stdout.write(
          `${mdTable(
            headers,
            rows,
            headers.map((h) => (["ctx", "KV", "FA", "verdict", "node-llama-cpp KV+compute"].includes(h) ? "l" : "r")),
          )}\n`,
        );
        for (const m of res.maxContext)
          process.stdout.write(
            `largest context that fits, KV ${m.kv}, flash attention ${m.flashAttention ? "on" : "off"}: ${m.ctx ? `${m.ctx} tokens (${(m.ctx / 1024).toFixed(1)}k)` : "none"}\n`,
          );
        process.stdout.write(
          `\nGiB = 2^30 bytes. Weights and KV are exact from the tensor table; compute buffers follow llama.cpp's allocation as calibrated on CPU (see README: fit);${vramBytes !== null ? ` overhead is an assumed ${o.overhead} MiB for the GPU runtime, not a measurement;` : ""} "tight" = under 5% of VRAM free.\n`,
        );
      },
    );
}
