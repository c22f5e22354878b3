// The stats block at the start of the instance's region (docs/loadgen.md,
// "Stats block"). The host's main thread reads it live while the worker
// runs, so every field is a plain aligned store (informational until the
// worker stops) and the layout is fixed: change docs/loadgen.md with it.

export const STATS_BYTES: usize = 512;

/** Byte offsets in the stats block. */
export namespace St {
  export const STATE: usize = 0;          // u32 State
  export const OPEN: usize = 4;           // u32 connections open now
  export const SENT: usize = 8;           // u64 measured requests sent
  export const VERIFIED: usize = 16;      // u64 measured replies verified
  export const HITS: usize = 24;          // u64
  export const MISSES: usize = 32;        // u64
  export const STORED: usize = 40;        // u64 measured sets stored
  export const MISMATCHES: usize = 48;    // u64
  export const FAILED: usize = 56;        // u64 connections failed
  export const FILL_VERIFIED: usize = 64; // u64
  export const START_MS: usize = 72;      // f64 measured phase start
  export const LAST_MS: usize = 80;       // f64 last verified measured reply
  export const BYTES_RX: usize = 88;      // u64
  export const HIST: usize = 96;          // u64[32] latency, bucket i = [2^i, 2^(i+1)) µs
  export const MM: usize = 352;           // first mismatch (below)
  export const ESTABLISHED: usize = 432;  // u32 connections that ever opened (addition; informational)
}

/** The first mismatch record at St.MM. */
export namespace Mm {
  export const CONN: usize = 0;      // u32 the stack's connection slot
  export const OFFSET: usize = 4;    // u32 byte offset within that reply
  export const OP: usize = 8;        // u32 0 get, 1 set, NO_OP: bytes with nothing in flight
  export const KEY: usize = 12;      // u32 key index (NO_OP: 0xFFFFFFFF)
  export const EXPECTED: usize = 16; // 32 bytes from OFFSET (zero past the reply's end)
  export const RECEIVED: usize = 48; // 32 bytes from OFFSET (zero past what had arrived)
  export const SNIP: u32 = 32;
}
export const NO_OP: u32 = 0xFFFFFFFF;

export const HIST_BUCKETS: u32 = 32;

export namespace State {
  export const INIT: u32 = 0;
  export const CONNECTING: u32 = 1;
  export const FILLING: u32 = 2;
  export const RUNNING: u32 = 3;
  export const DRAINING: u32 = 4;
  export const DONE: u32 = 5;
}

let gStats: usize = 0;

export function statsBind(base: usize): void {
  gStats = base;
  memory.fill(base, 0, STATS_BYTES);
}
export function statsAt(): usize { return gStats; }

@inline export function statU32(off: usize): u32 { return load<u32>(gStats + off); }
@inline export function setU32(off: usize, v: u32): void { store<u32>(gStats + off, v); }
@inline export function addU64(off: usize, n: u64): void { store<u64>(gStats + off, load<u64>(gStats + off) + n); }
@inline export function statU64(off: usize): u64 { return load<u64>(gStats + off); }
@inline export function setF64(off: usize, v: f64): void { store<f64>(gStats + off, v); }

@inline export function getState(): u32 { return load<u32>(gStats + St.STATE); }
@inline export function setState(s: u32): void { store<u32>(gStats + St.STATE, s); }

/** Count one reply of `latencyMs` in its power-of-two microsecond bucket (< 2 µs: bucket 0). */
export function histAdd(latencyMs: f64): void {
  let us = latencyMs > 0 ? <u64>(latencyMs * 1000) : 0;
  let i: u32 = us < 2 ? 0 : <u32>(63 - clz<u64>(us));
  if (i >= HIST_BUCKETS) i = HIST_BUCKETS - 1;
  addU64(St.HIST + (<usize>i << 3), 1);
}

/** Record the first mismatch's header (the caller fills the two snippets); true if this is the first. */
export function mismatchBegin(conn: u32, offset: u32, op: u32, key: u32): bool {
  let first = statU64(St.MISMATCHES) == 0;
  addU64(St.MISMATCHES, 1);
  if (!first) return false;
  let p = gStats + St.MM;
  memory.fill(p, 0, 80);
  store<u32>(p + Mm.CONN, conn);
  store<u32>(p + Mm.OFFSET, offset);
  store<u32>(p + Mm.OP, op);
  store<u32>(p + Mm.KEY, key);
  return true;
}
