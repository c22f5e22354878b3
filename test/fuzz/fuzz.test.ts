// The differential command fuzzer, bounded: 200 000 seeded requests (text, meta and binary;
// valid, mutated and hostile; commands.ts) to Debian's memcached and to the server under
// test in the same order, replies compared byte for byte under differential.ts's masks.
// E2E_SERVER=memcached compares memcached with itself (checks the harness). Fails (never
// skips) when memcached is missing. `npm run fuzz` is the long run (10 M and more).
import { expect, test } from "vitest";
import { startServer, subjectKind } from "../support/server.mjs";
import { describe as describeDivergence, FUZZ_ARGS, runFuzz } from "./differential.js";

const SEED = 20261207;
const REQUESTS = 200_000;
/**
 * Divergent batches tolerated, out of about 1 000: the ones not yet explained (about 1 in
 * 100 batches, listed in docs/robustness.md, "Open") until they are fixed. The subject must
 * never crash, hang or leave a connection open; every divergence is printed.
 */
const OPEN_BUDGET = 20;

test(`differential command fuzzer: ${REQUESTS} requests, seed ${SEED}, memcached vs ${subjectKind()}`, { timeout: 150_000 }, async () => {
  const ref = await startServer("memcached", FUZZ_ARGS);
  try {
    const sub = await startServer(subjectKind(), FUZZ_ARGS);
    try {
      const deadline = Date.now() + 100_000;
      const stats = await runFuzz({
        seed: SEED, requests: REQUESTS, lanes: 6, batchSize: 200, refPort: ref.port, subPort: sub.port,
        shouldStop: () => Date.now() > deadline,
      });
      const report = stats.samples.map(describeDivergence).join("\n");
      if (stats.divergences) console.warn(`${stats.divergences} divergent batches (budget ${OPEN_BUDGET}):\n${report}`);
      // The subject is alive and answered; the run covered what it should.
      expect(() => process.kill(sub.pid, 0)).not.toThrow();
      expect(stats.requests).toBeGreaterThanOrEqual(REQUESTS);
      expect(stats.bytesCompared).toBeGreaterThan(10_000_000);
      for (const kind of ["set", "get", "ms", "mg", "ma", "md", "bin:1", "bin:0", "quit", "longline"]) {
        expect(stats.byKind[kind] ?? 0, kind).toBeGreaterThan(0);
      }
      const hung = stats.samples.filter((d) => !d.subClosed);
      expect(hung.map(describeDivergence), "connections the subject left open").toEqual([]);
      expect(stats.divergences, report).toBeLessThanOrEqual(OPEN_BUDGET);
    } finally {
      await sub.stop();
    }
  } finally {
    await ref.stop();
  }
});
