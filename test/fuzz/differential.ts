// The differential command fuzzer's runner: batches from commands.ts, each on a fresh
// connection to Debian's memcached (the reference) and to the server under test, in lock
// step: the batch's requests pipelined in one write (or trickled in pieces), closed by a
// sentinel request (an mg miss with its own key and opaque, or a binary noop); once both
// servers answered it, the batch's tail (a request cut at any byte, or one that closes the
// connection); then the write side is shut and each server answers and closes. The two
// byte streams must be identical up to the masks below; after each batch the lane's items
// are read back from both (a state probe), so that a divergence no reply showed (noreply,
// quiet commands) is caught where it happened. Several lanes run side by side, each with
// its own keys, so their interleaving changes no reply. After a divergence the lane moves
// to fresh keys, so one divergence is counted once.
//
// Masks (each narrow, each for a behaviour of memcached that is not a wire difference):
// - CAS uniques (`VALUE ... <cas>`, meta ` c<n>`, me's `cas=`, the binary header's CAS)
//   are per-server counters: compared through a mapping that must stay one-to-one over
//   the whole run (one item version, one CAS on each side; 0 only matches 0).
// - Remaining TTLs (meta ` t<n>`, me's `exp=`): the subject's may be the reference's +-1
//   (when each server's clock ticked), plus the difference between the two servers'
//   clocks (`stats` time, read every 2 s): overloaded, a server's seconds tick late.
// - Last access (meta ` l<n>`, me's `la=`): memcached's LRU maintainer bumps it on its own
//   schedule (see test/differential/meta.test.ts).
// - Counters read back: memcached writes an incr/decr result in place, padded with spaces
//   to the old length, unless a reply it has not yet written holds the item (then it makes
//   a new item without the padding); which depends on its write batching. A value of
//   digits then spaces is compared without the spaces (and its lengths adjusted).
// - Withheld at the end of input: memcached writes nothing while it swallows a value (too
//   large, or after an ms error) and writes a binary error reply only once more input
//   comes; when the input ends first it drops what it had queued (docs/memcached-text.md,
//   "Deviations": wasmcached sends at once). Only when the input really ends so (the
//   sentinel was swallowed, the input ends in such a swallow, or the one extra reply is a
//   binary error answering the last request) may memcached's replies be a prefix of the
//   subject's, ending at a reply boundary.
// - Dropped on close: memcached frees its queue of unwritten replies when it closes (a
//   non-get line over 2048 bytes, HTTP/, a binary frame that does not add up); same rule.
// Known deviations are kept out of the input instead of masked (commands.ts says where):
// get keys over 250 bytes, lines of 2049..16 KiB, TTLs that expire while the run lasts.
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
  why: string;
  /** The lane's key generation and the first batch that used it (for bisect.ts). */
  epoch: number;
  epochFrom: number;
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
  /** The largest difference seen between the servers' `stats` time (s). */
  maxClockSkew: number;
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
  /** Divergent batches by kind (protocol, reply or state probe, why) and by minute of the run. */
  divergenceKinds: Record<string, number>;
  divergencesByMinute: number[];
}

/** How many divergences are traced and kept for the report. */
const SAMPLES = 8;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** True when a reply stream ends with `sentinel`, the answer to the head's last request. */
export function endsWithSentinel(proto: "text" | "binary", buf: Buffer, sentinel: Buffer): boolean {
  if (buf.length < sentinel.length || !buf.subarray(buf.length - sentinel.length).equals(sentinel)) return false;
  if (proto === "binary") {
    let pos = 0;
    while (pos + 24 <= buf.length - sentinel.length) pos += 24 + buf.readUInt32BE(pos + 8);
    return pos === buf.length - sentinel.length;
  }
  // Not the end of a data block that happens to end so: the last line, parsed from the start.
  return buf.length === sentinel.length || (buf[buf.length - sentinel.length - 1] === 0x0a && scanText(buf).norm.endsWith(sentinel.toString("latin1")));
}

/** One connection of a lock-step exchange. */
class Conn {
  private chunks: Buffer[] = [];
  private wake: (() => void) | null = null;
  private readonly sock: net.Socket;
  closed = false;
  error?: string;
  lastData = Date.now();
  private readonly ready: Promise<void>;

  constructor(port: number) {
    this.sock = net.connect({ port, host: "127.0.0.1" });
    this.sock.setNoDelay(true);
    this.ready = new Promise((res) => {
      this.sock.once("connect", () => res());
      this.sock.once("error", () => res());
    });
    this.sock.on("data", (d: Buffer) => {
      this.chunks.push(d);
      this.lastData = Date.now();
      this.poke();
    });
    const ended = () => {
      this.closed = true;
      this.poke();
    };
    this.sock.on("end", ended);
    this.sock.on("close", ended);
    // A reset after the server closed (it had unread input) still ends the reply.
    this.sock.on("error", (err) => {
      this.error ??= (err as NodeJS.ErrnoException).code;
      ended();
    });
  }

  private poke(): void {
    const w = this.wake;
    this.wake = null;
    w?.();
  }

  bytes(): Buffer {
    if (this.chunks.length > 1) this.chunks = [Buffer.concat(this.chunks)];
    return this.chunks[0] ?? Buffer.alloc(0);
  }

  async write(b: Buffer, trickle = 0): Promise<void> {
    await this.ready;
    const step = trickle > 0 ? Math.max(trickle, Math.ceil(b.length / 64)) : b.length;
    for (let off = 0; off < b.length && !this.closed; off += step) {
      await new Promise<void>((res) => this.sock.write(b.subarray(off, off + step), () => res()));
      if (trickle > 0) await sleep(TRICKLE_GAP_MS);
    }
  }

  end(): void {
    if (!this.closed) this.sock.end();
  }

  destroy(): void {
    this.sock.destroy();
  }

  /** Resolves on new data, close, or after ms. */
  waitData(ms: number): Promise<void> {
    if (this.closed) return Promise.resolve();
    return new Promise((res) => {
      const t = setTimeout(() => {
        this.wake = null;
        res();
      }, Math.max(1, ms));
      this.wake = () => {
        clearTimeout(t);
        res();
      };
    });
  }
}

/**
 * Both servers in lock step: each gets its head on a new connection; once both answered
 * the head's last request (`sentinel`), both get the tail, if any; then the write sides
 * are shut and both are read until they close. When a server never answers the sentinel
 * (a pending value read swallowed it: SENTINEL_IDLE_MS of silence), no tail is sent to
 * either: a tail that closes must not race with replies still being written.
 */
export async function exchangePair(refPort: number, subPort: number, proto: "text" | "binary", sentinel: Buffer | undefined,
  ref: { head: Buffer; tail?: Buffer }, sub: { head: Buffer; tail?: Buffer }, trickle: number): Promise<[Exchange, Exchange]> {
  const conns = [new Conn(refPort), new Conn(subPort)];
  try {
    await Promise.all([conns[0].write(ref.head, trickle), conns[1].write(sub.head, trickle)]);
    const wrote = Date.now();
    const seen = [false, false];
    const waitSentinel = async (i: number) => {
      const c = conns[i];
      while (!c.closed) {
        if (sentinel && endsWithSentinel(proto, c.bytes(), sentinel)) {
          seen[i] = true;
          return;
        }
        const quiet = Date.now() - Math.max(c.lastData, wrote);
        if (quiet >= SENTINEL_IDLE_MS) return;
        await c.waitData(SENTINEL_IDLE_MS - quiet);
      }
    };
    if (sentinel) await Promise.all([waitSentinel(0), waitSentinel(1)]);
    if (seen[0] && seen[1]) {
      await Promise.all([ref.tail ? conns[0].write(ref.tail) : undefined, sub.tail ? conns[1].write(sub.tail) : undefined]);
    }
    for (const c of conns) c.end();
    const deadline = Date.now() + CLOSE_TIMEOUT_MS;
    await Promise.all(conns.map(async (c) => {
      while (!c.closed && Date.now() < deadline) await c.waitData(deadline - Date.now());
    }));
    return [0, 1].map((i) => ({
      bytes: conns[i].bytes(), closed: conns[i].closed, sentinel: seen[i],
      error: conns[i].closed ? conns[i].error : `no close within ${CLOSE_TIMEOUT_MS} ms`,
    })) as [Exchange, Exchange];
  } finally {
    for (const c of conns) c.destroy();
  }
}

/** A server's `stats` time (its clock, in seconds), or undefined. */
async function serverTime(port: number): Promise<number | undefined> {
  const [x] = await exchangePair(port, port, "text", undefined, { head: Buffer.from("stats\r\n") }, { head: Buffer.from("mn\r\n") }, 0);
  const m = /^STAT time (\d+)/m.exec(x.bytes.toString("latin1"));
  return m ? Number(m[1]) : undefined;
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
  /** Counter values read back with their in-place padding taken off. */
  paddedCounters: number;
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
  let paddedCounters = 0;
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
      const data = s.slice(pos, end);
      // An incr/decr result that memcached may have written in place, padded with spaces
      // to the old length, or as a new item without them (see the header): digits, spaces.
      const padded = /^(\d+) +\r\n$/.exec(data);
      if (padded) {
        const h = out[out.length - 1].replace(/\r\n$/, "").split(" ");
        const n = String(padded[1].length);
        if (h[0] === "VALUE") h[3] = n;
        else for (let i = 1; i < h.length; i++) if (i === 1 || /^s\d+$/.test(h[i])) h[i] = i === 1 ? n : `s${n}`;
        out[out.length - 1] = h.join(" ") + "\r\n";
        out.push(`${padded[1]}\r\n`);
        paddedCounters++;
      } else out.push(data);
      pos = end;
    }
  }
  return { norm: out.join(""), cas, ttl, lastAccess, keyCas, paddedCounters };
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
    let head = buf.toString("latin1", pos, pos + 16);
    let body = buf.toString("latin1", pos + 24, pos + len);
    // A counter read back with its in-place padding (see scanText).
    const skip = buf[pos + 4] + buf.readUInt16BE(pos + 2);
    const padded = buf[pos + 6] === 0 && buf[pos + 7] === 0 && skip <= body.length ? /^(\d+) +$/.exec(body.slice(skip)) : null;
    if (padded) {
      body = body.slice(0, skip) + padded[1];
      const len = Buffer.alloc(4);
      len.writeUInt32BE(body.length);
      head = head.slice(0, 8) + len.toString("latin1") + head.slice(12);
    }
    out.push(head, "<cas>", body);
    pos += len;
  }
  out.push(buf.toString("latin1", pos));
  return { norm: out.join(""), cas, ttl: [], lastAccess: 0, keyCas, paddedCounters: 0 };
}

/** A one-to-one pairing of the reference's CAS uniques with the subject's. */
export class CasMapping {
  private readonly refToSub = new Map<bigint, bigint>();
  private readonly subToRef = new Map<bigint, bigint>();
  pairs = 0;

  explain(r: bigint, s: bigint): string {
    return `memcached's was paired with ${this.refToSub.get(r) ?? "nothing"}, the subject's with ${this.subToRef.get(s) ?? "nothing"}`;
  }

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
    // (too large counts memcached's item header and key: within 512 bytes of -I it may be)
    if (len !== undefined && (ms || len + 512 > ITEM_MAX)) return tail.length - (end + 1) < len + 2;
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
  /** Why the streams differ, when they do. */
  why?: string;
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
  mapping: CasMapping, bothClosed = true, refInValue = false, clockSkew = 0): CompareResult {
  const a = proto === "text" ? scanText(ref) : scanBinary(ref, keyOf);
  const b = proto === "text" ? scanText(sub) : scanBinary(sub, keyOf);
  const result: CompareResult = { same: false, offset: firstDifference(a.norm, b.norm), ttlAligned: 0, lastAccess: a.lastAccess, withheldAtEof: false, droppedOnClose: false };
  if (a.norm !== b.norm) {
    const prefix = bothClosed && b.norm.startsWith(a.norm)
      && (proto === "text" ? a.norm === "" || a.norm.endsWith("\r\n") : completePackets(ref));
    if (!prefix) return { ...result, why: "replies differ" };
    if (refInValue || (proto === "text" && endsInSwallow(input)) || (proto === "binary" && heldBinaryError(input, ref, sub))) result.withheldAtEof = true;
    else if (hasClosingInput(proto, input)) result.droppedOnClose = true;
    else return { ...result, why: "the subject answered more" };
    if (b.cas.length < a.cas.length || b.ttl.length < a.ttl.length) return { ...result, why: "fewer CAS/TTL fields" };
  } else if (a.cas.length !== b.cas.length || a.ttl.length !== b.ttl.length) return { ...result, why: "CAS/TTL field counts differ" };
  for (let i = 0; i < a.ttl.length; i++) {
    const d = Math.abs(a.ttl[i] - b.ttl[i]);
    // -1 (no TTL) never aligns with a number.
    if (d > 1 + clockSkew || (d !== 0 && (a.ttl[i] === -1 || b.ttl[i] === -1))) return { ...result, why: `TTL ${a.ttl[i]} against ${b.ttl[i]}` };
    if (d) result.ttlAligned++;
  }
  for (let i = 0; i < a.cas.length; i++) {
    if (!mapping.pair(a.cas[i], b.cas[i])) return { ...result, why: `CAS #${i}: memcached ${a.cas[i]}, subject ${b.cas[i]} (${mapping.explain(a.cas[i], b.cas[i])})` };
  }
  result.same = true;
  return result;
}

/**
 * memcached writes a binary error reply (unknown command, bad arguments) only once more
 * input comes, and drops it when the input ends: true when the subject's replies are the
 * reference's and one error packet more, answering the last request of the input.
 */
function heldBinaryError(input: Buffer, ref: Buffer, sub: Buffer): boolean {
  if (sub.length <= ref.length + 24 - 1 || !completePackets(sub)) return false;
  const extra = sub.subarray(ref.length);
  if (24 + extra.readUInt32BE(8) !== extra.length || extra.readUInt16BE(6) === 0) return false;
  let pos = 0;
  let last = -1;
  while (pos + 24 <= input.length) {
    last = pos;
    pos += 24 + input.readUInt32BE(pos + 8);
  }
  return last >= 0 && input.readUInt32BE(last + 12) === extra.readUInt32BE(12);
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
    const [r, s] = await exchangePair(opts.refPort, opts.subPort, batch.proto, undefined, { head: refIn }, { head: subIn }, 0);
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
    seed: opts.seed, lanes: opts.lanes, batchSize: opts.batchSize, requests: 0, batches: 0, probes: 0, maxClockSkew: 0, bytesSent: 0, bytesCompared: 0,
    divergences: 0, divergentBatches: 0, masked: { casPairs: 0, ttlAligned: 0, lastAccess: 0, withheldAtEof: 0, droppedOnClose: 0 },
    byKind: {}, elapsedMs: 0, samples: [], divergenceKinds: {}, divergencesByMinute: [],
  };
  const mapping = new CasMapping();
  let clockSkew = 0;
  const batchesPerLane = Math.ceil(opts.requests / opts.batchSize / opts.lanes);
  let stop = false;

  async function lane(l: number): Promise<void> {
    let refBook: CasBook = new Map();
    let subBook: CasBook = new Map();
    let epoch = 0;
    let epochFrom = 0;
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
      const [r, s] = await exchangePair(opts.refPort, opts.subPort, batch.proto, batch.sentinel, refParts, subParts, batch.trickle);
      if (!r.closed) throw new Error(`seed ${opts.seed} lane ${l} batch ${i}: the reference memcached did not close (${r.error})`);
      if (process.env.FUZZ_DEBUG) console.error(`lane ${l} batch ${i} ${batch.proto}: ${Date.now() - t0} ms, tail ${batch.tail?.kind}, sentinel ${r.sentinel}/${s.sentinel}, in ${refIn.length} out ${r.bytes.length}/${s.bytes.length} ${r.error ?? ""}`);
      let c = compareReplies(batch.proto, refIn, r.bytes, s.bytes, keyOf, mapping, s.closed, !r.sentinel && s.sentinel === r.sentinel, clockSkew);
      let probe: { ref: Buffer; sub: Buffer } | undefined;
      if (c.same && s.closed) {
        // The lane's items, read back: equal replies can hide a divergent store (noreply, q).
        const probeIn = stateProbe(l, epoch);
        const [pr, ps] = await exchangePair(opts.refPort, opts.subPort, "text", undefined, { head: probeIn }, { head: probeIn }, 0);
        const pc = compareReplies("text", probeIn, pr.bytes, ps.bytes, keyOf, mapping, ps.closed, false, clockSkew);
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
        const kind = `${batch.proto} ${probe ? "state" : "reply"}: ${(c.why ?? (s.closed ? "?" : "the subject did not close")).replace(/ \(.*$/, "").replace(/\d+/g, "N")}`;
        stats.divergenceKinds[kind] = (stats.divergenceKinds[kind] ?? 0) + 1;
        const minute = Math.floor((Date.now() - started) / 60_000);
        while (stats.divergencesByMinute.length <= minute) stats.divergencesByMinute.push(0);
        stats.divergencesByMinute[minute]++;
        // The first divergence of each kind is kept (and traced), up to SAMPLES.
        if (stats.samples.length < SAMPLES && stats.divergenceKinds[kind] === 1) {
          const rb = probe?.ref ?? r.bytes;
          const sb = probe?.sub ?? s.bytes;
          const d: Divergence = {
            seed: opts.seed, lane: l, batch: i, epoch, epochFrom, proto: batch.proto, offset: c.offset, inState: probe !== undefined, why: c.why ?? (s.closed ? "" : "the subject did not close"),
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
        epochFrom = i + 1;
        refBook = new Map();
        subBook = new Map();
        continue;
      }
      // What each server reported about its own CAS uniques (read by later batches' CAS references).
      const keyCas = (buf: Buffer) => (batch.proto === "text" ? scanText(buf) : scanBinary(buf, keyOf)).keyCas;
      if (c.withheldAtEof || c.droppedOnClose) {
        // The subject reported CAS uniques the reference never wrote: forget both sides'.
        refBook.clear();
        subBook.clear();
      } else {
        for (const [k, v] of keyCas(r.bytes)) refBook.set(k, v);
        for (const [k, v] of keyCas(s.bytes)) subBook.set(k, v);
      }
      opts.onBatch?.(stats);
    }
  }

  // The servers' clocks, read every 2 s: under overload (2 cores for both servers and the
  // runner) one server's seconds tick late, by 2 s and more after minutes; TTLs are then
  // compared within 1 s plus the skew seen (the recent maximum).
  let running = true;
  const monitor = (async () => {
    const recent: number[] = [];
    while (running) {
      const t = await Promise.all([serverTime(opts.refPort), serverTime(opts.subPort)]);
      if (t[0] !== undefined && t[1] !== undefined) {
        recent.push(Math.abs(t[0] - t[1]));
        if (recent.length > 3) recent.shift();
        clockSkew = Math.max(...recent);
        stats.maxClockSkew = Math.max(stats.maxClockSkew, clockSkew);
      }
      await sleep(2000);
    }
  })();
  await Promise.all(Array.from({ length: opts.lanes }, (_, l) => lane(l)));
  running = false;
  await monitor;
  stats.masked.casPairs = mapping.pairs;
  stats.elapsedMs = Date.now() - started;
  return stats;
}

export function describe(d: Divergence): string {
  const lines = [
    `divergence: seed ${d.seed} lane ${d.lane} batch ${d.batch} (${d.proto}, bisect ${d.lane}:${d.batch}:${d.epochFrom}:${d.epoch}) at ${d.inState ? "the state probe after it, byte" : "reply byte"} ${d.offset}: ${d.why}`,
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
