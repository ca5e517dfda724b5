/**
 * Vitest for mutation testing (npm run test:mutation): the unit tests only. Integration tests drive the
 * built CLI in dist/, which Stryker's mutants never reach, so they would only slow every mutant down.
 */
import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/unit/**/*.test.ts"],
    testTimeout: 60_000,
  },
});
