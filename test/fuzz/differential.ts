// The differential command fuzzer's runner: batches from commands.ts, each on
// a fresh connection to Debian's memcached (the reference) and to the server
// under test, pipelined in one write (or trickled in pieces), the write side
// then shut; each server answers and closes, and the two byte streams must be
// identical up to the masks below. Several lanes run side by side, each with
// its own keys, so their interleaving cannot change any reply.
//
// Masks (each narrow, each for a behaviour that is not a wire difference):
// - CAS uniques (`VALUE ... <cas>`, meta ` c<n>`, me's `cas=`, the binary
//   header's CAS) are per-server counters: they are compared through a
//   mapping, which must stay one-to-one over the whole run (the same item
//   version has one CAS on each side, and 0 only matches 0).
// - Remaining TTLs (meta ` t<n>`, me's `exp=`) depend on when each server's
//   clock ticked: the subject's may be the reference's +-1.
// - Last access (meta ` l<n>`, me's `la=`): memcached's LRU maintainer thread
//   bumps it on its own schedule (see test/differential/meta.test.ts); masked.
// - A batch whose input ends inside the data of a text storage command whose
//   length is over the item limit: memcached sends the queued `SERVER_ERROR
//   object too large for cache` only once the swallow ends, and drops it
//   when the input ends first; wasmcached sends it at once
//   (docs/memcached-text.md, "Deviations": timing). Only that one trailing
//   line is forgiven, and only when the input really ends in such a swallow.
import { mkdirSync, writeFileSync } from "node:fs";
import net from "node:net";
import { join } from "node:path";
import { type Batch, ITEM_MAX, makeBatch, type Part, stateProbe } from "./commands.js";

/** How long a server may take to answer a batch and close. */
const CLOSE_TIMEOUT_MS = 10_000;
/** Silence after which the batch's closing mn/noop counts as swallowed (a pending data read ate it). */
const SENTINEL_IDLE_MS = 100;
/** Pause between the pieces of a trickled batch. */
const TRICKLE_GAP_MS = 1;

export interface Exchange {
  bytes: Buffer;
  closed: boolean;
  /** The answer to the batch's closing mn/noop came (no pending value read swallowed it). */
  sentinel: boolean;
  error?: string;
}

export interface Divergence {
  seed: number;
  lane: number;
  batch: number;
  proto: string;
  offset: number;
  ref: string;
  sub: string;
  refClosed: boolean;
  subClosed: boolean;
  /** Replies agreed, the lane's items read back afterwards did not. */
  inState: boolean;
  /** The request the divergence was traced to (by re-running it alone), if found. */
  request?: { index: number; kind: string; bytes: string; ref: string; sub: string };
  /** The batch's requests (kinds), for a report. */
  kinds: string[];
}

export interface FuzzStats {
  seed: number;
  lanes: number;
  batchSize: number;
  requests: number;
  batches: number;
  /** State probes (the lane's items read back after a batch). */
  probes: number;
  bytesSent: number;
  bytesCompared: number;
  divergences: number;
  divergentBatches: number;
  masked: { casPairs: number; ttlAligned: number; lastAccess: number; withheldAtEof: number; droppedOnClose: number };
  byKind: Record<string, number>;
  elapsedMs: number;
  first?: Divergence;
  /** The first few divergences, each traced to its request where possible. */
  samples: Divergence[];
}

/** How many divergences are traced and kept for the report. */
const SAMPLES = 8;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** True when a reply stream ends with the answer to the batch's closing mn (text) or noop (binary). */
export function endsWithSentinel(proto: "text" | "binary", buf: Buffer): boolean {
  if (proto === "binary") {
    let pos = 0;
    let last = -1;
    while (pos + 24 <= buf.length) {
      last = pos;
      pos += 24 + buf.readUInt32BE(pos + 8);
    }
    return pos === buf.length && last >= 0 && buf[last + 1] === 0x0a && buf.readUInt32BE(last + 12) === 0xffffffff;
  }
  if (buf.length < 4 || buf.toString("latin1", buf.length - 4) !== "MN\r\n") return false;
  // Not the end of a data block that happens to end so: the last line, parsed from the start.
  return scanText(buf).norm.endsWith("MN\r\n") && (buf.length === 4 || buf[buf.length - 5] === 0x0a);
}

/**
 * Sends `head` on a new connection, waits for the answer to its closing mn/noop (or
 * SENTINEL_IDLE_MS of silence: a swallow can eat it), then sends `tail`, shuts the write
 * side and reads until the server closes.
 */
export function exchange(port: number, proto: "text" | "binary", head: Buffer, tail: Buffer | undefined, trickle: number,
  timeoutMs = CLOSE_TIMEOUT_MS): Promise<Exchange> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let received = 0;
    let done = false;
    let lastData = Date.now();
    let sentinel = false;
    const sock = net.connect({ port, host: "127.0.0.1" });
    sock.setNoDelay(true);
    const finish = (closed: boolean, error?: string) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      sock.destroy();
      resolve({ bytes: Buffer.concat(chunks), closed, error, sentinel });
    };
    const timer = setTimeout(() => finish(false, `no close within ${timeoutMs} ms`), timeoutMs);
    let wake: (() => void) | null = null;
    sock.on("data", (d: Buffer) => {
      chunks.push(d);
      received += d.length;
      lastData = Date.now();
      wake?.();
    });
    const ended = () => {
      wake?.();
      finish(true);
    };
    sock.on("end", ended);
    sock.on("close", ended);
    // A reset after the server closed (it had unread input) still ends the reply.
    sock.on("error", (err) => {
      wake?.();
      finish(true, (err as NodeJS.ErrnoException).code);
    });
    const write = (b: Buffer) => new Promise<void>((res) => (done ? res() : sock.write(b, () => res())));
    sock.once("connect", async () => {
      if (trickle > 0) {
        const step = Math.max(trickle, Math.ceil(head.length / 64));
        for (let off = 0; off < head.length && !done; off += step) {
          await write(head.subarray(off, off + step));
          await sleep(TRICKLE_GAP_MS);
        }
      } else {
        await write(head);
      }
      const wrote = Date.now();
      while (!done) {
        if (received > 0 && endsWithSentinel(proto, chunks.length === 1 ? chunks[0] : Buffer.concat(chunks))) {
          sentinel = true;
          break;
        }
        const quiet = Date.now() - Math.max(lastData, wrote);
        if (quiet >= SENTINEL_IDLE_MS) break;
        await new Promise<void>((res) => {
          const t = setTimeout(() => res(), SENTINEL_IDLE_MS - quiet);
          wake = () => {
            clearTimeout(t);
            res();
          };
        });
        wake = null;
      }
      if (done) return;
      if (tail && tail.length) await write(tail);
      if (!done) sock.end();
    });
  });
}

/** key -> the CAS this server last reported for it (per lane). */
type CasBook = Map<string, bigint>;

function resolveParts(parts: Part[], book: CasBook): Buffer[] {
  return parts.map((p) => {
    if (Buffer.isBuffer(p)) return p;
    // A key never seen: a CAS no server has handed out.
    const v = book.get(p.cas) ?? 2n ** 40n + 12345n;
    if (p.form === "text") return Buffer.from(v.toString(), "latin1");
    const b = Buffer.alloc(8);
    b.writeBigUInt64BE(v & 0xffff_ffff_ffff_ffffn);
    return b;
  });
}

export function batchBytes(batch: Batch, book: CasBook): { head: Buffer; tail: Buffer | undefined } {
  return {
    head: Buffer.concat(batch.requests.flatMap((r) => resolveParts(r.parts, book))),
    tail: batch.tail ? Buffer.concat(resolveParts(batch.tail.parts, book)) : undefined,
  };
}

// --- normalising replies -------------------------------------------------------

interface Scan {
  /** The stream with every masked number replaced by a placeholder. */
  norm: string;
  cas: bigint[];
  ttl: number[];
  lastAccess: number;
  /** key -> CAS reported with it (VALUE lines, meta lines with k). */
  keyCas: [string, bigint][];
}

const META_STATUS = /^(HD|VA|EN|NF|NS|EX|ME|MN)(?: |$)/;

/** Text and meta replies: line by line, data blocks skipped by their declared length. */
export function scanText(buf: Buffer): Scan {
  const s = buf.toString("latin1");
  const out: string[] = [];
  const cas: bigint[] = [];
  const ttl: number[] = [];
  const keyCas: [string, bigint][] = [];
  let lastAccess = 0;
  let pos = 0;
  while (pos < s.length) {
    const eol = s.indexOf("\r\n", pos);
    if (eol < 0) {
      out.push(s.slice(pos));
      break;
    }
    const line = s.slice(pos, eol);
    pos = eol + 2;
    let dataLen = -1;
    if (line.startsWith("VALUE ")) {
      const t = line.split(" ");
      if (t.length === 5 && /^\d+$/.test(t[4])) {
        cas.push(BigInt(t[4]));
        keyCas.push([t[1], BigInt(t[4])]);
        t[4] = "<cas>";
      }
      if (t.length >= 4 && /^\d+$/.test(t[3])) dataLen = Number(t[3]);
      out.push(t.join(" ") + "\r\n");
    } else if (META_STATUS.test(line)) {
      const t = line.split(" ");
      let key: string | undefined;
      let c: bigint | undefined;
      for (let i = 1; i < t.length; i++) {
        const tok = t[i];
        if (i === 1 && t[0] === "VA" && /^\d+$/.test(tok)) dataLen = Number(tok);
        else if (t[0] === "ME") {
          let m: RegExpExecArray | null;
          if ((m = /^exp=(-?\d+)$/.exec(tok))) {
            ttl.push(Number(m[1]));
            t[i] = "exp=<ttl>";
          } else if (/^la=\d+$/.test(tok)) {
            lastAccess++;
            t[i] = "la=<la>";
          } else if ((m = /^cas=(\d+)$/.exec(tok))) {
            cas.push(BigInt(m[1]));
            t[i] = "cas=<cas>";
          }
        } else if (/^c\d+$/.test(tok)) {
          c = BigInt(tok.slice(1));
          cas.push(c);
          t[i] = "c<cas>";
        } else if (/^t-?\d+$/.test(tok)) {
          ttl.push(Number(tok.slice(1)));
          t[i] = "t<ttl>";
        } else if (/^l\d+$/.test(tok)) {
          lastAccess++;
          t[i] = "l<la>";
        } else if (tok.startsWith("k")) key = tok.slice(1);
      }
      if (key !== undefined && c !== undefined) keyCas.push([key, c]);
      out.push(t.join(" ") + "\r\n");
    } else {
      out.push(line + "\r\n");
    }
    if (dataLen >= 0) {
      const end = Math.min(s.length, pos + dataLen + 2);
      out.push(s.slice(pos, end));
      pos = end;
    }
  }
  return { norm: out.join(""), cas, ttl, lastAccess, keyCas };
}

/** Binary responses: whole packets with the CAS field taken out; a cut tail verbatim. */
export function scanBinary(buf: Buffer, keyOf: Map<number, string>): Scan {
  const out: string[] = [];
  const cas: bigint[] = [];
  const keyCas: [string, bigint][] = [];
  let pos = 0;
  while (pos + 24 <= buf.length) {
    const len = 24 + buf.readUInt32BE(pos + 8);
    if (pos + len > buf.length) break;
    const c = buf.readBigUInt64BE(pos + 16);
    cas.push(c);
    const key = keyOf.get(buf.readUInt32BE(pos + 12));
    if (key !== undefined && c !== 0n) keyCas.push([key, c]);
    out.push(buf.toString("latin1", pos, pos + 16), "<cas>", buf.toString("latin1", pos + 24, pos + len));
    pos += len;
  }
  out.push(buf.toString("latin1", pos));
  return { norm: out.join(""), cas, ttl: [], lastAccess: 0, keyCas };
}

/** A one-to-one pairing of the reference's CAS uniques with the subject's. */
export class CasMapping {
  private readonly refToSub = new Map<bigint, bigint>();
  private readonly subToRef = new Map<bigint, bigint>();
  pairs = 0;

  /** False when (r, s) contradicts an earlier pair. */
  pair(r: bigint, s: bigint): boolean {
    if (r === 0n || s === 0n) return r === s;
    const a = this.refToSub.get(r);
    const b = this.subToRef.get(s);
    if ((a !== undefined && a !== s) || (b !== undefined && b !== r)) return false;
    if (a === undefined) {
      this.refToSub.set(r, s);
      this.subToRef.set(s, r);
      this.pairs++;
    }
    return true;
  }
}

const STORAGE_COMMANDS = new Set(["set", "add", "replace", "append", "prepend", "cas"]);

/** memcached's safe_strtol on a length: digits, then the end or a space of isspace(). */
function declaredLength(tok: string | undefined): number | undefined {
  const m = tok === undefined ? null : /^(\d+)(?:[\t\n\v\f\r]|$)/.exec(tok);
  return m ? Number(m[1]) : undefined;
}

/**
 * True when the input ends inside the value of a text storage command that memcached
 * swallows (its length is over the item limit) or of an ms (which swallows its value after
 * any error): memcached writes what it had queued only when the swallow completes, and the
 * end of input comes first (see the header).
 */
export function endsInSwallow(input: Buffer): boolean {
  // The last complete line that parses as a storage command, then fewer bytes than it declared.
  const tail = input.toString("latin1", Math.max(0, input.length - 4 * ITEM_MAX));
  let end = tail.lastIndexOf("\n");
  while (end >= 0) {
    const start = tail.lastIndexOf("\n", end - 1) + 1;
    const t = tail.slice(start, end + 1).replace(/\r?\n$/, "").split(" ").filter((x) => x !== "");
    const ms = t[0] === "ms";
    const len = STORAGE_COMMANDS.has(t[0]) ? declaredLength(t[4]) : ms ? declaredLength(t[2]) : undefined;
    if (len !== undefined && (ms || len + 2 > ITEM_MAX)) return tail.length - (end + 1) < len + 2;
    if (start === 0) break;
    end = start - 1;
  }
  return false;
}

/**
 * Input on which memcached closes the connection and, as it frees its
 * response queue, drops the replies it had not yet written (which ones
 * depends on its read batching): a text line of more than 2048 bytes that
 * is not a get (memcached sees no newline in its buffer and closes), a line
 * whose last token starts with HTTP/, or a binary frame with a bad magic
 * byte or lengths that do not add up.
 */
export function hasClosingInput(proto: "text" | "binary", input: Buffer): boolean {
  if (proto === "binary") {
    let pos = 0;
    while (pos + 24 <= input.length) {
      const body = input.readUInt32BE(pos + 8);
      if (input[pos] !== 0x80 || input[pos + 4] + input.readUInt16BE(pos + 2) > body) return true;
      pos += 24 + body;
    }
    return false;
  }
  let pos = 0;
  while (pos < input.length) {
    let eol = input.indexOf(0x0a, pos);
    if (eol < 0) eol = input.length;
    if (eol - pos > 2048) {
      const line = input.toString("latin1", pos, Math.min(eol, pos + 200)).replace(/^ +/, "");
      if (!line.startsWith("get ") && !line.startsWith("gets ")) return true;
    } else if (/ HTTP\/\S*\r?$/.test(input.toString("latin1", pos, eol))) return true;
    pos = eol + 1;
  }
  return false;
}

export interface CompareResult {
  same: boolean;
  offset: number;
  ttlAligned: number;
  lastAccess: number;
  /** The input ended while the reference was reading a value: it never wrote replies it had queued. */
  withheldAtEof: boolean;
  /** The reference closed early and dropped replies it had queued. */
  droppedOnClose: boolean;
}

/** Where a's text stops agreeing with b's. */
function firstDifference(a: string, b: string): number {
  let i = 0;
  while (i < a.length && a.charCodeAt(i) === b.charCodeAt(i)) i++;
  return i;
}

/**
 * Compares two reply streams under the masks (CAS pairs are added to `mapping`). Only where
 * memcached provably stopped writing (see the header: a value read cut by the end of input,
 * a close after which it drops what it had queued) may its replies be a prefix of the
 * subject's, ending at a reply boundary; everything it did write is compared.
 */
export function compareReplies(proto: "text" | "binary", input: Buffer, ref: Buffer, sub: Buffer, keyOf: Map<number, string>,
  mapping: CasMapping, bothClosed = true, refInValue = false): CompareResult {
  const a = proto === "text" ? scanText(ref) : scanBinary(ref, keyOf);
  const b = proto === "text" ? scanText(sub) : scanBinary(sub, keyOf);
  const result: CompareResult = { same: false, offset: firstDifference(a.norm, b.norm), ttlAligned: 0, lastAccess: a.lastAccess, withheldAtEof: false, droppedOnClose: false };
  if (a.norm !== b.norm) {
    const prefix = bothClosed && b.norm.startsWith(a.norm)
      && (proto === "text" ? a.norm === "" || a.norm.endsWith("\r\n") : completePackets(ref));
    if (!prefix) return result;
    if (refInValue || (proto === "text" && endsInSwallow(input))) result.withheldAtEof = true;
    else if (hasClosingInput(proto, input)) result.droppedOnClose = true;
    else return result;
    if (b.cas.length < a.cas.length || b.ttl.length < a.ttl.length) return result;
  } else if (a.cas.length !== b.cas.length || a.ttl.length !== b.ttl.length) return result;
  for (let i = 0; i < a.ttl.length; i++) {
    const d = Math.abs(a.ttl[i] - b.ttl[i]);
    // -1 (no TTL) never aligns with a number.
    if (d > 1 || (d !== 0 && (a.ttl[i] === -1 || b.ttl[i] === -1))) return result;
    if (d) result.ttlAligned++;
  }
  for (let i = 0; i < a.cas.length; i++) if (!mapping.pair(a.cas[i], b.cas[i])) return result;
  result.same = true;
  return result;
}

/** True when the bytes are whole binary response packets. */
function completePackets(buf: Buffer): boolean {
  let pos = 0;
  while (pos + 24 <= buf.length) pos += 24 + buf.readUInt32BE(pos + 8);
  return pos === buf.length;
}

// --- the run -------------------------------------------------------------------

export interface FuzzOptions {
  seed: number;
  /** Total requests to send (rounded up to whole batches). */
  requests: number;
  lanes: number;
  batchSize: number;
  refPort: number;
  subPort: number;
  /** Stop at the first divergence (after tracing it). */
  stopAtFirst?: boolean;
  /** A directory: the input and both replies of each sampled divergence are written there. */
  dump?: string;
  /** Called after every batch (progress). */
  onBatch?: (stats: FuzzStats) => void;
  /** Stop early (e.g. a time budget) when this returns true; the figures say how far it got. */
  shouldStop?: () => boolean;
}

const show = (b: Buffer | string, max = 400): string => {
  const s = typeof b === "string" ? b : b.toString("latin1");
  const e = JSON.stringify(s);
  return e.length <= max ? e : `${e.slice(0, max - 40)}…(${s.length} bytes)…${e.slice(-30)}`;
};

function dumpBatch(dir: string, d: Divergence, input: Buffer, ref: Buffer, sub: Buffer): void {
  mkdirSync(dir, { recursive: true });
  const base = join(dir, `seed${d.seed}-lane${d.lane}-batch${d.batch}`);
  writeFileSync(`${base}.in`, input);
  writeFileSync(`${base}.memcached`, ref);
  writeFileSync(`${base}.subject`, sub);
}

/** Re-runs a diverging batch's requests one at a time to find the first that answers differently. */
async function trace(opts: FuzzOptions, batch: Batch, refBook: CasBook, subBook: CasBook, keyOf: Map<number, string>): Promise<Divergence["request"]> {
  const mapping = new CasMapping();
  const all = batch.tail ? [...batch.requests, batch.tail] : batch.requests;
  for (let i = 0; i < all.length; i++) {
    const req = all[i];
    // With the batch's closing request after it: memcached holds some replies until more input comes.
    const close = Buffer.from(batch.proto === "binary" ? [0x80, 0x0a, ...new Array<number>(22).fill(0)] : [0x6d, 0x6e, 0x0d, 0x0a]);
    const refIn = Buffer.concat([...resolveParts(req.parts, refBook), close]);
    const subIn = Buffer.concat([...resolveParts(req.parts, subBook), close]);
    const [r, s] = await Promise.all([exchange(opts.refPort, batch.proto, refIn, undefined, 0), exchange(opts.subPort, batch.proto, subIn, undefined, 0)]);
    const c = compareReplies(batch.proto, refIn, r.bytes, s.bytes, keyOf, mapping);
    if (!c.same || r.closed !== s.closed) {
      return { index: i, kind: req.kind, bytes: show(refIn, 600), ref: show(r.bytes), sub: show(s.bytes) };
    }
  }
  return undefined;
}

export async function runFuzz(opts: FuzzOptions): Promise<FuzzStats> {
  const started = Date.now();
  const stats: FuzzStats = {
    seed: opts.seed, lanes: opts.lanes, batchSize: opts.batchSize, requests: 0, batches: 0, probes: 0, bytesSent: 0, bytesCompared: 0,
    divergences: 0, divergentBatches: 0, masked: { casPairs: 0, ttlAligned: 0, lastAccess: 0, withheldAtEof: 0, droppedOnClose: 0 },
    byKind: {}, elapsedMs: 0, samples: [],
  };
  const mapping = new CasMapping();
  const batchesPerLane = Math.ceil(opts.requests / opts.batchSize / opts.lanes);
  let stop = false;

  async function lane(l: number): Promise<void> {
    let refBook: CasBook = new Map();
    let subBook: CasBook = new Map();
    let epoch = 0;
    for (let i = 0; i < batchesPerLane && !stop; i++) {
      if (opts.shouldStop?.()) {
        stop = true;
        break;
      }
      const batch = makeBatch(opts.seed, l, i, opts.batchSize, epoch);
      const keyOf = new Map<number, string>();
      for (const r of batch.requests) if (r.opaque !== undefined && r.key !== undefined) keyOf.set(r.opaque, r.key);
      const refParts = batchBytes(batch, refBook);
      const subParts = batchBytes(batch, subBook);
      const refIn = refParts.tail ? Buffer.concat([refParts.head, refParts.tail]) : refParts.head;
      const t0 = Date.now();
      const [r, s] = await Promise.all([
        exchange(opts.refPort, batch.proto, refParts.head, refParts.tail, batch.trickle),
        exchange(opts.subPort, batch.proto, subParts.head, subParts.tail, batch.trickle),
      ]);
      if (!r.closed) throw new Error(`seed ${opts.seed} lane ${l} batch ${i}: the reference memcached did not close (${r.error})`);
      if (process.env.FUZZ_DEBUG) console.error(`lane ${l} batch ${i} ${batch.proto}: ${Date.now() - t0} ms, tail ${batch.tail?.kind}, sentinel ${r.sentinel}/${s.sentinel}, in ${refIn.length} out ${r.bytes.length}/${s.bytes.length} ${r.error ?? ""}`);
      let c = compareReplies(batch.proto, refIn, r.bytes, s.bytes, keyOf, mapping, s.closed, !r.sentinel && s.sentinel === r.sentinel);
      let probe: { ref: Buffer; sub: Buffer } | undefined;
      if (c.same && s.closed) {
        // The lane's items, read back: equal replies can hide a divergent store (noreply, q).
        const probeIn = stateProbe(l, epoch);
        const [pr, ps] = await Promise.all([exchange(opts.refPort, "text", probeIn, undefined, 0), exchange(opts.subPort, "text", probeIn, undefined, 0)]);
        const pc = compareReplies("text", probeIn, pr.bytes, ps.bytes, keyOf, mapping, ps.closed);
        if (!pc.same) {
          c = { ...pc, offset: pc.offset };
          probe = { ref: pr.bytes, sub: ps.bytes };
        }
        stats.probes++;
      }
      stats.batches++;
      stats.requests += batch.requests.length + (batch.tail ? 1 : 0);
      stats.bytesSent += refIn.length;
      stats.bytesCompared += r.bytes.length;
      for (const q of batch.tail ? [...batch.requests, batch.tail] : batch.requests) stats.byKind[q.kind] = (stats.byKind[q.kind] ?? 0) + 1;
      stats.masked.ttlAligned += c.ttlAligned;
      stats.masked.lastAccess += c.lastAccess;
      if (c.withheldAtEof) stats.masked.withheldAtEof++;
      if (c.droppedOnClose) stats.masked.droppedOnClose++;
      if (!c.same || !s.closed) {
        stats.divergences++;
        stats.divergentBatches++;
        if (stats.samples.length < SAMPLES) {
          const rb = probe?.ref ?? r.bytes;
          const sb = probe?.sub ?? s.bytes;
          const d: Divergence = {
            seed: opts.seed, lane: l, batch: i, proto: batch.proto, offset: c.offset, inState: probe !== undefined,
            ref: show(rb.subarray(Math.max(0, c.offset - 80), c.offset + 240)),
            sub: show(sb.subarray(Math.max(0, c.offset - 80), c.offset + 240)) + (s.closed ? "" : ` [${s.error}]`),
            refClosed: r.closed, subClosed: s.closed, kinds: batch.requests.map((q) => q.kind),
          };
          stats.samples.push(d);
          stats.first ??= d;
          if (!probe) d.request = await trace(opts, batch, refBook, subBook, keyOf);
          if (opts.dump) dumpBatch(opts.dump, d, refIn, r.bytes, s.bytes);
          if (opts.stopAtFirst) stop = true;
        }
        // The servers' states for this lane's keys may differ now: later batches use fresh keys.
        epoch++;
        refBook = new Map();
        subBook = new Map();
        continue;
      }
      // What each server reported about its own CAS uniques (read by later batches' CAS references).
      const keyCas = (buf: Buffer) => (batch.proto === "text" ? scanText(buf) : scanBinary(buf, keyOf)).keyCas;
      for (const [k, v] of keyCas(r.bytes)) refBook.set(k, v);
      for (const [k, v] of keyCas(s.bytes)) subBook.set(k, v);
      opts.onBatch?.(stats);
    }
  }

  await Promise.all(Array.from({ length: opts.lanes }, (_, l) => lane(l)));
  stats.masked.casPairs = mapping.pairs;
  stats.elapsedMs = Date.now() - started;
  return stats;
}

export function describe(d: Divergence): string {
  const lines = [
    `divergence: seed ${d.seed} lane ${d.lane} batch ${d.batch} (${d.proto}) at ${d.inState ? "the state probe after it, byte" : "reply byte"} ${d.offset}`,
    `  memcached : ${d.ref}${d.refClosed ? "" : " [open]"}`,
    `  subject   : ${d.sub}${d.subClosed ? "" : " [open]"}`,
  ];
  if (d.request) {
    lines.push(`  traced to request ${d.request.index} (${d.request.kind}), sent alone: ${d.request.bytes}`);
    lines.push(`    memcached : ${d.request.ref}`);
    lines.push(`    subject   : ${d.request.sub}`);
  } else if (!d.inState) {
    lines.push(`  not reproduced by any request alone; the batch: ${d.kinds.join(" ")}`);
  }
  return lines.join("\n");
}

/** Both servers run with these flags (the generator aims values around -I). */
export const FUZZ_ARGS = ["-m", "256", "-I", String(ITEM_MAX), "-t", "2"];
