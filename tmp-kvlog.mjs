import { getLlama, LlamaLogLevel } from "node-llama-cpp";
const [path, ctxS, seqS, kv, fa] = process.argv.slice(2);
const lines = [];
const llama = await getLlama({
  gpu: false,
  build: "never",
  logLevel: LlamaLogLevel.debug,
  logger: (l, m) => {
    if (
      /KV buffer|RS buffer|compute buffer|llama_kv_cache: size|llama_memory_recurrent: size|n_ctx  |n_ctx_seq|kv_unified|cells/.test(
        m,
      )
    )
      lines.push(m.trim());
  },
});
const model = await llama.loadModel({ modelPath: path });
const ctx = await model.createContext({
  contextSize: Number(ctxS),
  sequences: Number(seqS),
  flashAttention: fa === "1",
  experimentalKvCacheKeyType: kv.toUpperCase(),
  experimentalKvCacheValueType: kv.toUpperCase(),
  threads: 1,
});
console.log(lines.join("\n"));
console.log("contextSize", ctx.contextSize, "stateSize", ctx.stateSize);
