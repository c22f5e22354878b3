// `npm run fuzz`: the differential command fuzzer's long run. Starts Debian's
// memcached and wasmcached (dist/, as `npm run build` left it) on free ports
// with the same flags, runs the seeded batches of commands.ts on both, and
// prints the figures as JSON, then one summary line. The same seed sends the
// same bytes (the run is reproducible by seed).
//
//   npm run fuzz -- [--seed N] [--requests N] [--lanes N] [--batch N]
//                   [--stop-at-first] [--subject wasmcached|memcached] [--dump DIR]
//   npm run fuzz -- --bisect LANE:BATCH[:FROM:EPOCH] --seed N [--batch N]   (bisect.ts)
import { startServer, subjectKind } from "../support/server.mjs";
import { bisect } from "./bisect.js";
import { describe, exchangePair, FUZZ_ARGS, runFuzz } from "./differential.js";

function flag(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

function intFlag(name: string, fallback: number): number {
  const v = flag(name);
  if (v === undefined) return fallback;
  const n = Number(v.replace(/_/g, "").replace(/[kK]$/, "000").replace(/[mM]$/, "000000"));
  if (!Number.isInteger(n) || n < 0) throw new Error(`--${name} wants a non-negative integer, not ${JSON.stringify(v)}`);
  return n;
}

async function main(): Promise<number> {
  const seed = intFlag("seed", Math.floor(Math.random() * 2 ** 31));
  const target = flag("bisect");
  if (target) {
    const [lane, batch, from, epoch] = target.split(":").map(Number);
    await bisect(seed, lane, batch, intFlag("batch", 400), from || 0, epoch || 0);
    return 0;
  }
  const requests = intFlag("requests", 10_000_000);
  const lanes = intFlag("lanes", 6);
  const batchSize = intFlag("batch", 400);
  const kind = (flag("subject") ?? subjectKind()) as "wasmcached" | "memcached";
  console.error(`fuzz: seed ${seed}, ${requests} requests, ${lanes} lanes of ${batchSize}-request batches, memcached vs ${kind}`);
  const ref = await startServer("memcached", FUZZ_ARGS);
  try {
    const sub = await startServer(kind, FUZZ_ARGS);
    try {
      let next = 0;
      const stats = await runFuzz({
        seed, requests, lanes, batchSize, refPort: ref.port, subPort: sub.port,
        stopAtFirst: process.argv.includes("--stop-at-first"),
        dump: flag("dump"),
        onBatch: (s) => {
          if (s.requests >= next) {
            console.error(`  ${s.requests} requests, ${s.divergences} divergences, ${Math.round((s.requests / (Date.now() - t0)) * 1000)} req/s`);
            next += 500_000;
          }
        },
      });
      const storeStats = async (port: number) => {
        const [x] = await exchangePair(port, port, "text", undefined, { head: Buffer.from("stats\r\n") }, { head: Buffer.from("version\r\n") }, 0);
        const out: Record<string, number> = {};
        for (const m of x.bytes.toString("latin1").matchAll(/^STAT (evictions|curr_items|bytes|total_items|expired_unfetched|evicted_unfetched|reclaimed) (\d+)/gm)) out[m[1]] = Number(m[2]);
        return out;
      };
      const store = { memcached: await storeStats(ref.port), subject: await storeStats(sub.port) };
      const alive = (() => {
        try {
          process.kill(sub.pid, 0);
          return true;
        } catch {
          return false;
        }
      })();
      console.log(JSON.stringify({ ...stats, subject: kind, subjectAlive: alive, args: FUZZ_ARGS, store }, null, 2));
      for (const d of stats.samples) console.error(describe(d));
      if (!alive) console.error(`the subject exited; its output:\n${sub.output()}`);
      console.log(
        `fuzz seed ${seed}: ${stats.requests} requests in ${stats.batches} batches (${(stats.bytesSent / 1e6).toFixed(1)} MB sent, ${(stats.bytesCompared / 1e6).toFixed(1)} MB of replies compared), ` +
          `${stats.divergences} divergent batches, masks: ${stats.masked.casPairs} CAS pairs, ${stats.masked.ttlAligned} TTLs +-1, ${stats.masked.lastAccess} last-access, ` +
          `${stats.masked.withheldAtEof} batches with replies withheld at EOF, ${stats.masked.droppedOnClose} with replies dropped on close, clock skew up to ${stats.maxClockSkew} s; ${(stats.elapsedMs / 1000).toFixed(1)} s`,
      );
      return stats.divergences === 0 && alive ? 0 : 1;
    } finally {
      await sub.stop();
    }
  } finally {
    await ref.stop();
  }
}

const t0 = Date.now();
main().then(
  (code) => process.exit(code),
  (err) => {
    console.error(err);
    process.exit(2);
  },
);
