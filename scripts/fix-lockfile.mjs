// node-llama-cpp 3.22.1 lists platform packages (Windows, macOS, linux-riscv64) as optional dependencies
// that the npm registry reachable here does not serve at that version. `npm install` then leaves them out
// of package-lock.json, and `npm ci` refuses a lockfile that lacks them. This adds an entry for each, with
// its os/cpu, so `npm ci` validates and skips them on other platforms. Run it after any `npm install`.
import { readFileSync, writeFileSync } from "node:fs";

const lock = JSON.parse(readFileSync("package-lock.json", "utf8"));
const version = lock.packages["node_modules/node-llama-cpp"].version;
const plat = {
  "linux-riscv64": [["linux"], ["riscv64"]],
  "mac-arm64-metal": [["darwin"], ["arm64"]],
  "mac-x64": [["darwin"], ["x64"]],
  "win-arm64": [["win32"], ["arm64"]],
  "win-x64": [["win32"], ["x64"]],
  "win-x64-cuda": [["win32"], ["x64"]],
  "win-x64-cuda-ext": [["win32"], ["x64"]],
  "win-x64-vulkan": [["win32"], ["x64"]],
};
let added = 0;
for (const [n, [os, cpu]] of Object.entries(plat)) {
  const k = `node_modules/@node-llama-cpp/${n}`;
  if (!lock.packages[k]) {
    lock.packages[k] = { version, optional: true, os, cpu };
    added++;
  }
}
writeFileSync("package-lock.json", `${JSON.stringify(lock, null, 2)}\n`);
console.log(`package-lock.json: ${added} placeholder entr${added === 1 ? "y" : "ies"} added`);
