import { getLlama, LlamaLogLevel } from "node-llama-cpp";
const llama = await getLlama({ gpu: false, build: "never", logLevel: LlamaLogLevel.error });
const model = await llama.loadModel({ modelPath: process.argv[2] });
const ctx = await model.createContext({ contextSize: 512, threads: 1 });
const seq = ctx.getSequence();
const toks = model.tokenize("Four score and seven years ago our fathers brought forth on this continent");
console.log("tokens", toks.length, toks.slice(0, 10));
const out = await seq.controlledEvaluate(
  toks.map((t) => [
    t,
    { generateNext: { probabilities: true, options: { temperature: 1, topK: 0, topP: 1, minP: 0 } } },
  ]),
);
const p = out[3].next.probabilities;
let s = 0;
for (const v of p.values()) s += v;
console.log("map size", p.size, "sum", s, [...p.entries()].slice(0, 3));
