import { defineConfig } from "vitest/config";

// The e2e and differential tests start real server processes and drive load;
// on a 2-core machine they must not run beside each other, so test files run
// one at a time (tests inside a file are sequential anyway).
export default defineConfig({
  test: {
    include: ["host/**/*.test.ts", "test/**/*.test.ts"],
    environment: "node",
    fileParallelism: false,
    testTimeout: 60_000,
    hookTimeout: 60_000,
    teardownTimeout: 20_000,
    // A skipped or todo test counts as a failure in test/run-all.mjs;
    // vitest itself must not retry or pass partially.
    retry: 0,
    passWithNoTests: false,
  },
});
