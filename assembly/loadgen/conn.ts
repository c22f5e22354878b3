// One connection's state, an @unmanaged struct per stack slot in the region,
// plus its two header scratch buffers and the ring of requests in flight.
//
//   0    Conn fields
//   128  the request being written: its header ("get k..\r\n" / "set k.. 0 0 N\r\n")
//   416  the expected header of the head reply when it is a hit ("VALUE k.. 0 N\r\n")
//   704  ring: RING_CAP entries of [key u32, op u32, committed-at f64]
//
// Requests enter the ring when their first byte is written (so a request
// stuck half-written under back-pressure counts as in flight for the
// timeout) and leave it when their reply is verified. Replies come in
// request order, so the head entry is the one being verified.

import { I } from "./inst";
import { conn_close } from "./stack";
import { addU64, St } from "./stats";

export namespace Status {
  export const NONE: u32 = 0;       // slot not ours
  export const CONNECTING: u32 = 1; // net_connect done, app_open not yet
  export const OPEN: u32 = 2;
  export const FAILED: u32 = 3;     // we gave up on it (counted), app_closed pending
  export const CLOSING: u32 = 4;    // the orderly end, app_closed pending
  export const CLOSED: u32 = 5;
}

export namespace Op {
  export const GET: u32 = 0;
  export const SET: u32 = 1;
  /** Or-ed into SET: a FILL request (not counted in the measured phase). */
  export const FILL: u32 = 2;
}

/** How the head reply of a get turned out (its first byte says). */
export namespace Mode {
  export const UNKNOWN: u32 = 0;
  export const HIT: u32 = 1;
  export const MISS: u32 = 2;
}

@unmanaged export class Conn {
  status: u32;
  ordinal: u32;   // order of net_connect: picks the FILL keys, the quota share, the PRNG stream
  opened: u32;    // app_open came (counted in St.OPEN)
  blocked: u32;   // output refused: app_writable will come
  head: u32;      // ring index of the oldest request in flight
  count: u32;     // requests in flight (the one being written included)
  rOff: u32;      // bytes of the head reply verified
  rMode: u32;     // Mode of the head reply
  rHdrLen: u32;   // length of the expected header at EXP_HDR (Mode.HIT)
  fillNext: u32;  // next key to set in FILL
  fillEnd: u32;
  wActive: u32;   // a request is being written
  wKey: u32;
  wOp: u32;
  wPos: u32;      // bytes of it written
  wHdrLen: u32;   // its header at REQ_HDR
  wTotal: u32;    // its length
  pad: u32;
  quota: u64;     // measured requests left (u64 max: no count limit)
  rng: u64;       // splitmix64 state
  since: f64;     // connect start, then the last progress (a reply byte, or request bytes taken)
}

export const REQ_HDR: usize = 128;
export const EXP_HDR: usize = 416;
export const RING: usize = 704;
export const RING_CAP: u32 = 64; // >= DEPTH_MAX
export const ENTRY_BYTES: usize = 16;
export const CONN_BYTES: usize = 1728; // RING + RING_CAP * ENTRY_BYTES, a multiple of 64

@inline export function connPtr(slot: u32): usize { return I.conns0 + <usize>slot * CONN_BYTES; }
@inline export function connAt(slot: u32): Conn { return changetype<Conn>(connPtr(slot)); }

@inline export function entry(slot: u32, i: u32): usize { return connPtr(slot) + RING + (<usize>(i & (RING_CAP - 1)) << 4); }
@inline export function entryKey(e: usize): u32 { return load<u32>(e); }
@inline export function entryOp(e: usize): u32 { return load<u32>(e, 4); }
@inline export function entryTime(e: usize): f64 { return load<f64>(e, 8); }

/** The next 64 PRNG bits (splitmix64: one add and a mix; any seed is fine). */
export function rngNext(c: Conn): u64 {
  let z = c.rng + 0x9E3779B97F4A7C15;
  c.rng = z;
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EB;
  return z ^ (z >> 31);
}

/**
 * Give up on a connection (mismatch, timeout, connect timeout): counted as
 * failed once, then closed. conn_close may call app_closed before it returns
 * (a connection still connecting is freed at once), which sees FAILED and
 * counts nothing more.
 */
export function connFail(slot: u32): void {
  let c = connAt(slot);
  if (c.status != Status.OPEN && c.status != Status.CONNECTING) return;
  c.status = Status.FAILED;
  addU64(St.FAILED, 1);
  conn_close(slot);
}
