// The two blocks the host shares with the load-generator module
// (assembly/loadgen, docs/loadgen.md): its settings, written into the control
// block's APP_CONFIG area before app_init, and its results, the stats block
// at the start of each instance's region, read live while it runs.
import { APP_CONFIG_BYTES, Ctl } from "../layout.js";

/** "LGEN" little-endian: the module refuses a control block without it. */
export const LOADGEN_MAGIC = 0x4e45474c;

export interface LoadgenSettings {
  /** IPv4 in host byte order, and TCP port. */
  readonly serverIp: number;
  readonly serverPort: number;
  /** Connections this instance opens, and requests in flight on each. */
  readonly conns: number;
  readonly depth: number;
  readonly keys: number;
  readonly keySize: number;
  readonly valueSize: number;
  /** Sets per 1000 requests of the measured phase; the rest are gets. */
  readonly setPermille: number;
  /** Set every key once before measuring (then a get miss is lost data). */
  readonly fill: boolean;
  /** Requests in the measured phase (0 = no count limit) and its length in ms (0 = no time limit). */
  readonly requests: number;
  readonly durationMs: number;
  readonly seed: number;
  /** A connection waiting this long for a reply byte is failed. */
  readonly replyTimeoutMs: number;
  /** Zipf exponent of the measured phase's keys (key 0 the most popular); 0 = uniform. */
  readonly zipf: number;
}

const FLAG_FILL = 1;

/** Writes the settings at Ctl.APP_CONFIG (offsets: docs/loadgen.md). */
export function writeLoadgenSettings(memory: WebAssembly.Memory, control: number, s: LoadgenSettings): void {
  const at = control + Ctl.APP_CONFIG;
  new Uint8Array(memory.buffer, at, APP_CONFIG_BYTES).fill(0);
  const v = new DataView(memory.buffer, at, APP_CONFIG_BYTES);
  const words = [
    LOADGEN_MAGIC, s.serverIp, s.serverPort, s.conns, s.depth, s.keys, s.keySize, s.valueSize, s.setPermille,
    s.fill ? FLAG_FILL : 0, s.requests, s.durationMs, s.seed, s.replyTimeoutMs,
  ];
  words.forEach((w, i) => v.setUint32(i * 4, w >>> 0, true));
  // offset 56 is the module's FILL barrier (left 0); 60 the Zipf exponent in thousandths
  v.setUint32(ZIPF_MILLI_AT, Math.round(s.zipf * 1000), true);
}

const ZIPF_MILLI_AT = 60;

/** The module's state word. */
export const LoadgenState = Object.freeze({ INIT: 0, CONNECTING: 1, FILLING: 2, RUNNING: 3, DRAINING: 4, DONE: 5 });
const STATE_NAMES = ["init", "connecting", "filling", "running", "draining", "done"];
export const stateName = (s: number): string => STATE_NAMES[s] ?? `state ${s}`;

export const HISTOGRAM_BUCKETS = 32;
const STATS_BYTES = 512;

export interface LoadgenStats {
  readonly state: number;
  readonly connsOpen: number;
  /** Connections that were ever established. */
  readonly connsOpened: number;
  readonly sent: bigint;
  readonly verified: bigint;
  readonly hits: bigint;
  readonly misses: bigint;
  readonly sets: bigint;
  readonly mismatches: bigint;
  readonly connsFailed: bigint;
  readonly fillVerified: bigint;
  /** Unix ms (sub-ms clock): the measured phase's start and its last verified reply. */
  readonly startMs: number;
  readonly lastMs: number;
  readonly bytesReceived: bigint;
  /** Bucket i: replies with latency in [2^i, 2^(i+1)) µs. */
  readonly histogram: readonly bigint[];
  readonly firstMismatch: FirstMismatch | undefined;
}

export interface FirstMismatch {
  readonly conn: number;
  readonly offset: number;
  /** "none": bytes came with no request in flight (or for one still being written). */
  readonly op: "get" | "set" | "none";
  readonly key: number;
  readonly expected: string;
  readonly received: string;
}

const OPS: Readonly<Record<number, "get" | "set">> = { 0: "get", 1: "set" };

/** Bytes as text a person can read: printable ASCII kept, the rest escaped. */
function printable(bytes: Uint8Array): string {
  let out = "";
  for (const b of bytes) {
    if (b === 0) break; // the block is zero-padded
    if (b === 13) out += "\\r";
    else if (b === 10) out += "\\n";
    else if (b >= 32 && b < 127) out += String.fromCharCode(b);
    else out += `\\x${b.toString(16).padStart(2, "0")}`;
  }
  return out;
}

/** Only the state word of the stats block at `region`: what the watch loop polls. */
export function loadgenState(memory: WebAssembly.Memory, region: number): number {
  return new DataView(memory.buffer, region, 4).getUint32(0, true);
}

/** Reads one instance's stats block at `region` (its app region). */
export function readLoadgenStats(memory: WebAssembly.Memory, region: number): LoadgenStats {
  const v = new DataView(memory.buffer, region, STATS_BYTES);
  const u64 = (off: number) => v.getBigUint64(off, true);
  const histogram: bigint[] = [];
  for (let i = 0; i < HISTOGRAM_BUCKETS; i++) histogram.push(u64(96 + i * 8));
  const mismatches = u64(48);
  const bytes = new Uint8Array(memory.buffer, region, STATS_BYTES);
  return {
    state: v.getUint32(0, true),
    connsOpen: v.getUint32(4, true),
    connsOpened: v.getUint32(432, true),
    sent: u64(8),
    verified: u64(16),
    hits: u64(24),
    misses: u64(32),
    sets: u64(40),
    mismatches,
    connsFailed: u64(56),
    fillVerified: u64(64),
    startMs: v.getFloat64(72, true),
    lastMs: v.getFloat64(80, true),
    bytesReceived: u64(88),
    histogram,
    firstMismatch: mismatches === 0n ? undefined : {
      conn: v.getUint32(352, true),
      offset: v.getUint32(356, true),
      op: OPS[v.getUint32(360, true)] ?? "none",
      key: v.getUint32(364, true),
      expected: printable(bytes.subarray(368, 400)),
      received: printable(bytes.subarray(400, 432)),
    },
  };
}

/** The latency (µs, a bucket's upper bound) under which fraction q of the replies fell; 0 without replies. */
export function percentileUs(histogram: readonly bigint[], q: number): number {
  const total = histogram.reduce((a, b) => a + b, 0n);
  if (total === 0n) return 0;
  const rank = BigInt(Math.ceil(Number(total) * q));
  let seen = 0n;
  for (let i = 0; i < histogram.length; i++) {
    seen += histogram[i];
    if (seen >= rank) return 2 ** (i + 1);
  }
  return 2 ** histogram.length;
}
