// The per-core TCP instance: one region in caller memory holding a header
// (configuration, the output link, the app upcalls, counters, scratch
// representations), the 4-tuple table, the free-slot stack, the connection
// structs and their rx and tx rings. Nothing is allocated; every part is
// found from the header by offset.
//
//   [Stack header][listen ports][counters][repr in][repr out]
//   [table slots: u32 x tableSize][free stack: u32 x maxConns][service queue: u32 x maxConns]
//   [Conn x maxConns][rx rings: (rxSize + rxSlack) x maxConns][tx rings: (txSize + txSlack) x maxConns]

import { TCP_REPR_SIZE } from "../wire/tcp";
import { Conn, CONN_SIZE } from "./conn";
import { Ctr } from "./counters";

export const MAX_LISTEN: u32 = 8;
/** Contiguous bytes a ring hands out past its end (docs/protocol-modules.md: 8 KiB unconsumed, 4 KiB reserve). */
export const RING_SLACK: u32 = 8192;

@unmanaged export class Stack {
  maxConns: u32;
  rxSize: u32;
  txSize: u32;
  rxSlack: u32;
  txSlack: u32;
  ourMss: u32;        // MSS we announce: MTU - 40
  rcvWs: u32;         // window shift we offer
  halfOpenMax: u32;
  halfOpen: u32;      // connections in SYN-RECEIVED
  active: u32;        // slots in use
  tableMask: u32;
  freeTop: u32;
  nListen: u32;
  qHead: u32;
  qLen: u32;

  // timing parameters, ms
  delAckMs: u32;
  minRtoMs: u32;
  maxRtoMs: u32;
  initRtoMs: u32;
  timeWaitMs: u32;
  finWait2Ms: u32;
  keepIdleMs: u32;    // 0 = keep-alive off
  keepIntvlMs: u32;
  maxRetries: u32;
  synRetries: u32;
  challengeLimit: u32; // challenge ACKs per second (RFC 5961 §7)
  challengeCount: u32;

  pinIss: u32;
  pinIssOn: u32;

  shut: u32;          // tcpShutdown ran: no listening, no new connections
  resetsDue: u32;     // aborted connections whose RST is still queued (Stack.queue holds exactly them)

  // An in-order segment for a connection whose rx ring is empty is not copied into the ring on
  // arrival: it is handed to the app straight from the frame when the same tcpInput delivers
  // (rx.ts, rxDeliver), and only what the app leaves is copied. Lives within one tcpInput.
  stashConn: u32;
  stashLen: u32;
  stashPtr: usize;

  challengeAt: u64;
  key0: u64;
  key1: u64;
  nextAt: u64;        // earliest armed timer, as of the last poll or change

  // output link (output.ts) and app upcalls (app.ts): function references
  linkCtx: usize;
  linkBegin: usize;
  linkCommit: usize;
  appOpen: usize;
  appData: usize;
  appWritable: usize;
  appPeerFin: usize;
  appClosed: usize;

  // parts of the region
  listen: usize;
  counters: usize;
  reprIn: usize;
  reprOut: usize;
  table: usize;
  free: usize;
  queue: usize;       // connections to service at the next poll (u32 x maxConns ring)
  conns: usize;
  rx: usize;
  tx: usize;
  end: usize;
}

const HEADER_SIZE: usize = (offsetof<Stack>() + 63) & ~63;
const REPR_SLOT: usize = (<usize>TCP_REPR_SIZE + 63) & ~63;

@inline export function stackOf(s: usize): Stack { return changetype<Stack>(s); }

/** Table slots: a power of two at least twice the connections (load <= 1/2). */
export function tableSizeFor(maxConns: u32): u32 {
  let n: u32 = 16;
  while (n < maxConns * 2 && n < 0x40000000) n <<= 1;
  return n;
}

@inline function slackFor(size: u32): u32 { return min(size, RING_SLACK); }

/** Bytes the region needs. Ring sizes are powers of two. */
export function regionSize(maxConns: u32, rxSize: u32, txSize: u32): usize {
  let n: usize = HEADER_SIZE + ((<usize>MAX_LISTEN * 4 + 63) & ~63) + ((<usize>Ctr.COUNT * 8 + 63) & ~63) + 2 * REPR_SLOT;
  n += (<usize>tableSizeFor(maxConns) * 4 + 63) & ~63;
  n += 2 * ((<usize>maxConns * 4 + 63) & ~63);
  n += <usize>maxConns * CONN_SIZE;
  n += <usize>maxConns * (rxSize + slackFor(rxSize));
  n += <usize>maxConns * (txSize + slackFor(txSize));
  return n;
}

/** Lay the parts out in the region and clear all but the rings; returns false when it does not fit. */
export function stackLayout(s: Stack, base: usize, size: usize, maxConns: u32, rxSize: u32, txSize: u32): bool {
  if (regionSize(maxConns, rxSize, txSize) > size) return false;
  let p = base + HEADER_SIZE;
  s.listen = p; p += (<usize>MAX_LISTEN * 4 + 63) & ~63;
  s.counters = p; p += (<usize>Ctr.COUNT * 8 + 63) & ~63;
  s.reprIn = p; p += REPR_SLOT;
  s.reprOut = p; p += REPR_SLOT;
  let ts = tableSizeFor(maxConns);
  s.tableMask = ts - 1;
  s.table = p; p += (<usize>ts * 4 + 63) & ~63;
  s.free = p; p += (<usize>maxConns * 4 + 63) & ~63;
  s.queue = p; p += (<usize>maxConns * 4 + 63) & ~63;
  s.conns = p; p += <usize>maxConns * CONN_SIZE;
  s.maxConns = maxConns;
  s.rxSize = rxSize; s.rxSlack = slackFor(rxSize);
  s.txSize = txSize; s.txSlack = slackFor(txSize);
  s.rx = p; p += <usize>maxConns * (rxSize + s.rxSlack);
  s.tx = p; p += <usize>maxConns * (txSize + s.txSlack);
  s.end = p;
  memory.fill(s.listen, 0, s.rx - s.listen); // counters, table, connections (the rings need no zeroing)
  // free stack: slot 0 on top, so the first connection gets index 0
  for (let i: u32 = 0; i < maxConns; i++) store<u32>(s.free + (<usize>i << 2), maxConns - 1 - i);
  s.freeTop = maxConns;
  return true;
}

@inline export function connAt(s: Stack, i: u32): Conn {
  return changetype<Conn>(s.conns + <usize>i * CONN_SIZE);
}
@inline export function rxRing(s: Stack, i: u32): usize {
  return s.rx + <usize>i * (s.rxSize + s.rxSlack);
}
@inline export function txRing(s: Stack, i: u32): usize {
  return s.tx + <usize>i * (s.txSize + s.txSlack);
}

/**
 * Index i (< 2 * maxConns) of the service queue ring, wrapped: a compare and
 * a subtract, not a division (this runs twice per segment).
 */
@inline export function queueWrap(s: Stack, i: u32): u32 { return i >= s.maxConns ? i - s.maxConns : i; }
