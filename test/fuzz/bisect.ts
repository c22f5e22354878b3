// Finds the request of a diverging batch that made the two servers' states part:
// on fresh servers for each step, the lane's batches before it are replayed, then a
// prefix of the batch (closed by its sentinel), then the lane's state probe; the
// shortest prefix whose probe differs ends with the culprit.
//
//   npm run fuzz -- --bisect LANE:BATCH[:FROM:EPOCH] --seed N [--batch N]
// (FROM and EPOCH as the divergence report gives them: the lane's keys since its last divergence)
import { startServer } from "../support/server.mjs";
import { type Batch, makeBatch, stateProbe } from "./commands.js";
import { batchBytes, CasMapping, compareReplies, exchangePair, FUZZ_ARGS, scanBinary, scanText } from "./differential.js";

async function probeDiffers(seed: number, lane: number, from: number, epoch: number, upto: number, prefix: number, batchSize: number): Promise<{ differs: boolean; ref: string; sub: string }> {
  const ref = await startServer("memcached", FUZZ_ARGS);
  const sub = await startServer("wasmcached", FUZZ_ARGS);
  try {
    const refBook = new Map<string, bigint>();
    const subBook = new Map<string, bigint>();
    const mapping = new CasMapping();
    for (let i = from; i <= upto; i++) {
      let batch: Batch = makeBatch(seed, lane, i, batchSize, epoch);
      if (i === upto) {
        const head = batch.requests.slice(0, prefix);
        head.push(batch.requests[batch.requests.length - 1]);
        batch = { ...batch, requests: head, tail: undefined };
      }
      const keyOf = new Map<number, string>();
      for (const r of batch.requests) if (r.opaque !== undefined && r.key !== undefined) keyOf.set(r.opaque, r.key);
      const [r, s] = await exchangePair(ref.port, sub.port, batch.proto, batch.sentinel, batchBytes(batch, refBook), batchBytes(batch, subBook), 0);
      const keyCas = (buf: Buffer) => (batch.proto === "text" ? scanText(buf) : scanBinary(buf, keyOf)).keyCas;
      for (const [k, v] of keyCas(r.bytes)) refBook.set(k, v);
      for (const [k, v] of keyCas(s.bytes)) subBook.set(k, v);
    }
    const probe = stateProbe(lane, epoch);
    const [pr, ps] = await exchangePair(ref.port, sub.port, "text", undefined, { head: probe }, { head: probe }, 0);
    const c = compareReplies("text", probe, pr.bytes, ps.bytes, new Map(), mapping);
    return { differs: !c.same, ref: pr.bytes.toString("latin1"), sub: ps.bytes.toString("latin1") };
  } finally {
    await sub.stop();
    await ref.stop();
  }
}

export async function bisect(seed: number, lane: number, batchIndex: number, batchSize: number, from = 0, epoch = 0): Promise<void> {
  const batch = makeBatch(seed, lane, batchIndex, batchSize, epoch);
  let lo = 0; // probe agrees after lo requests
  let hi = batch.requests.length - 1; // ... and differs after hi (checked below)
  const full = await probeDiffers(seed, lane, from, epoch, batchIndex, hi, batchSize);
  if (!full.differs) {
    console.log("the batch's head, replayed, leaves equal states: not reproduced");
    return;
  }
  while (hi - lo > 1) {
    const mid = (lo + hi) >> 1;
    if ((await probeDiffers(seed, lane, from, epoch, batchIndex, mid, batchSize)).differs) hi = mid;
    else lo = mid;
    console.error(`  bisect: agree after ${lo}, differ after ${hi}`);
  }
  const last = await probeDiffers(seed, lane, from, epoch, batchIndex, hi, batchSize);
  const show = (s: string) => JSON.stringify(s.length > 1500 ? s.slice(0, 1500) + "…" : s);
  console.log(`request ${hi - 1} (${batch.requests[hi - 1].kind}) parts the states:`);
  console.log(`  ${show(Buffer.concat(batch.requests[hi - 1].parts.map((p) => (Buffer.isBuffer(p) ? p : Buffer.from(`<cas of ${p.cas}>`)))).toString("latin1"))}`);
  console.log(`  requests before it: ${show(Buffer.concat(batch.requests.slice(Math.max(0, hi - 6), hi - 1).flatMap((r) => r.parts.filter(Buffer.isBuffer))).toString("latin1"))}`);
  const a = scanText(Buffer.from(last.ref, "latin1")).norm.split("\r\n");
  const b = scanText(Buffer.from(last.sub, "latin1")).norm.split("\r\n");
  for (let i = 0; i < Math.max(a.length, b.length); i++) {
    if (a[i] !== b[i]) {
      console.log(`  probe line ${i}: memcached ${show(a[i] ?? "")}, subject ${show(b[i] ?? "")}`);
      break;
    }
  }
}
