// Differential test: the same byte script to Debian's memcached and to the
// server under test (wasmcached; E2E_SERVER=memcached makes it a second
// memcached, which validates the harness and the script). Replies must be
// byte-identical per step, CAS uniques aside (see runner.ts).
import { writeFileSync } from "node:fs";
import { expect, test } from "vitest";
import { startServer, subjectKind } from "../support/server.mjs";
import { expectAgreement, runDifferential, show } from "./runner.js";
import { resplit, steps, type Step } from "./script.js";

// Same flags for both. -I 524288 (memcached's least without -o
// slab_chunk_max) lets the script exceed the item limit cheaply.
const ARGS = ["-m", "64", "-I", "524288", "-t", "2"];

/** Fresh servers, the whole script, then every check. */
async function differential(script: Step[], transcript?: string): Promise<void> {
  expect(script.length).toBeGreaterThanOrEqual(200);
  const ref = await startServer("memcached", ARGS);
  try {
    const sub = await startServer(subjectKind(), ARGS);
    try {
      const results = await runDifferential(ref.port, sub.port, script);
      if (transcript) {
        writeFileSync(
          transcript,
          results.map((r) => `${r.index} ${show(r.send, 200)}\n  -> ${show(r.ref)}${r.refClosed ? " [closed]" : ""}`).join("\n") + "\n",
        );
      }
      expectAgreement(script, results);
    } finally {
      await sub.stop();
    }
  } finally {
    await ref.stop();
  }
}

test(`differential: ${steps.length} steps, memcached vs ${subjectKind()}`, { timeout: 180_000 }, async () => {
  await differential(steps, process.env.DIFF_TRANSCRIPT);
});

test(`differential: the same steps cut at seeded random offsets, memcached vs ${subjectKind()}`, { timeout: 180_000 }, async () => {
  await differential(resplit(steps, 20261126));
});
