// The frame fuzzer, bounded (test/fuzz/frame-fuzz.ts): every corpus capture
// replayed with one connection hostile, many seeds, in both modes: no trap;
// frames the stack must drop or absorb change no reply by a byte; hostile
// ones reset or starve no other connection.
import { join } from "node:path";
import { expect, it } from "vitest";
import { CORPUS, fuzzOnce, newFigures } from "./frame-fuzz.js";

const wasmDir = join(import.meta.dirname, "..", "..", "build");
// `npm run fuzz:frames` runs many more (FRAME_FUZZ_RUNS per capture); CI runs these
const RUNS_PER_CAPTURE = Number(process.env.FRAME_FUZZ_RUNS ?? 20);

it.each(["absorbed", "hostile"] as const)(`%s frames on one connection (${CORPUS.length} captures x ${RUNS_PER_CAPTURE} seeds)`, (mode) => {
  const figs = newFigures();
  for (const [i, name] of CORPUS.entries()) {
    for (let r = 0; r < RUNS_PER_CAPTURE; r++) fuzzOnce(name, 1 + i * 1000 + r, mode, wasmDir, figs);
  }
  console.log(`frame fuzz ${mode}: ${JSON.stringify({ ...figs, first: undefined })}`);
  expect(figs.traps, figs.first ?? "").toBe(0);
  expect(figs.collateral, figs.first ?? "").toBe(0);
  expect(figs.runs).toBe(CORPUS.length * RUNS_PER_CAPTURE);
  if (mode === "absorbed") expect(figs.bytesCompared).toBeGreaterThan(0);
}, 3_600_000);
