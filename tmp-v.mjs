import { getLlama, LlamaLogLevel } from "node-llama-cpp";
const llama = await getLlama({ gpu: false, build: "never", logLevel: LlamaLogLevel.debug, logger: (l, m) => { if (/backend|CPU|AMX|variant|score/i.test(m)) console.log(l, m.trim()); } });
console.log(llama.systemInfo);
const model = await llama.loadModel({ modelPath: process.argv[2] });
