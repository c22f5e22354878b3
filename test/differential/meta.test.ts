// Differential test of the meta commands (mg ms md ma mn me): meta-script.ts
// to Debian's memcached 1.6.18 and to the server under test
// (E2E_SERVER=memcached makes it a second memcached, which validates the
// script and the harness). Replies must be byte-identical except:
// - CAS numbers (` c<n>` flags, `cas=<n>` of me): per-server counters that
//   legitimately differ (runner.ts masks the `gets` ones the same way);
// - seconds that depend on when each server's clock ticked (` t<n>` TTLs,
//   me's `exp=`): the subject's value may be the reference's +-1, nothing more;
// - last access (` l<n>`, me's `la=`): memcached moves it->time when its LRU
//   maintainer thread has moved the item between segments (do_item_bump on a
//   fetch after such a move), which depends on that thread's timing; masked.
import { expect, test } from "vitest";
import { startServer, subjectKind } from "../support/server.mjs";
import { expectAgreement, runDifferential, type StepResult } from "./runner.js";
import { metaSteps } from "./meta-script.js";
import { resplit, type Step } from "./script.js";

const ARGS = ["-m", "64", "-t", "2"];

const META_LINE = /^(HD|VA|EN|NF|NS|EX|ME)\b/;
const CAS = /( c|cas=)\d+/g;
const SECONDS = /( t|exp=)(-?\d+)/g;
const LAST_ACCESS = /( l|la=)\d+/g;

/** The header lines of a reply (meta data blocks skipped by their VA length). */
function headerLines(reply: string): { line: string; start: number }[] {
  const out: { line: string; start: number }[] = [];
  let pos = 0;
  while (pos < reply.length) {
    const eol = reply.indexOf("\r\n", pos);
    if (eol < 0) break;
    const line = reply.slice(pos, eol);
    out.push({ line, start: pos });
    pos = eol + 2;
    const va = /^VA (\d+)/.exec(line);
    if (va) pos += Number(va[1]) + 2;
  }
  return out;
}

/** Masks the CAS numbers and last-access seconds of meta lines. */
function maskMetaCas(reply: string): string {
  let out = reply;
  for (const { line, start } of headerLines(reply).reverse()) {
    if (!META_LINE.test(line)) continue;
    out = out.slice(0, start) + line.replace(CAS, "$1<cas>").replace(LAST_ACCESS, "$1<last-access>") + out.slice(start + line.length);
  }
  return out;
}

/** Timing-dependent seconds of meta lines, in order. */
function seconds(reply: string): number[] {
  const v: number[] = [];
  for (const { line } of headerLines(reply)) {
    if (META_LINE.test(line)) for (const m of line.matchAll(SECONDS)) v.push(Number(m[2]));
  }
  return v;
}

/** The subject's reply with each timing value replaced by the reference's when they are within 1 s. */
function alignSeconds(ref: string, sub: string): string {
  const r = seconds(ref);
  const s = seconds(sub);
  if (r.length !== s.length || r.some((x, i) => Math.abs(x - s[i]) > 1)) return sub;
  let i = 0;
  // line by line, data blocks verbatim
  let rebuilt = "";
  let pos = 0;
  for (const { line, start } of headerLines(sub)) {
    rebuilt += sub.slice(pos, start);
    rebuilt += META_LINE.test(line) ? line.replace(SECONDS, (_m, p1: string) => `${p1}${r[i++]}`) : line;
    pos = start + line.length;
  }
  return rebuilt + sub.slice(pos);
}

function compareMeta(r: StepResult): StepResult {
  return { ...r, ref: maskMetaCas(r.ref), sub: maskMetaCas(alignSeconds(r.ref, r.sub)) };
}

async function differential(script: Step[]): Promise<void> {
  expect(script.length).toBeGreaterThanOrEqual(80);
  const ref = await startServer("memcached", ARGS);
  try {
    const sub = await startServer(subjectKind(), ARGS);
    try {
      const results = (await runDifferential(ref.port, sub.port, script)).map(compareMeta);
      expectAgreement(script, results);
    } finally {
      await sub.stop();
    }
  } finally {
    await ref.stop();
  }
}

test(`meta differential: ${metaSteps.length} steps, memcached vs ${subjectKind()}`, { timeout: 180_000 }, async () => {
  await differential(metaSteps);
});

test(`meta differential: the same steps cut at seeded random offsets, memcached vs ${subjectKind()}`, { timeout: 180_000 }, async () => {
  await differential(resplit(metaSteps, 20261126));
});
