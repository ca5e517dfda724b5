import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    testTimeout: 120_000,
    hookTimeout: 300_000,
    // integration tests spawn the CLI and llama.cpp: run files one at a time on small machines
    fileParallelism: false,
    reporters: ["default"],
  },
});
