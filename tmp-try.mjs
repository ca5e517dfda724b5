import { getLlama } from "node-llama-cpp";
const llama = await getLlama({ gpu: false, build: "never", logLevel: "warn" });
console.log("gpu", llama.gpu, "build", llama.buildType, llama.llamaCppRelease);
const model = await llama.loadModel({ modelPath: process.argv[2] });
const ctx = await model.createContext({ contextSize: 1024, threads: 2 });
const seq = ctx.getSequence();
const toks = Array.from({length: 64}, (_, i) => 300 + i);
let t0 = performance.now();
await seq.evaluateWithoutGeneratingNewTokens(toks);
console.log("pp64 ms", performance.now() - t0);
let n = 0; t0 = performance.now();
for await (const t of seq.evaluate([toks[0]], { temperature: 0 })) { if (++n >= 32) break; }
console.log("tg32 ms", performance.now() - t0, "tok/s", 32000/(performance.now()-t0));
