// Spec helpers for the TCP layer: a fake link (an in-memory queue of
// emitted segments), a hand-driven peer that sends crafted segments, fake
// apps (echo and a counting sink), and fixtures that walk a stack into each
// state. Test code only: it allocates freely with heap.alloc.

import { pseudoSumIpv4 } from "../../wire/checksum";
import { Ipv4 } from "../../wire/ipv4";
import { Tcp, TcpFlag, TcpRepr, TCP_REPR_SIZE, tcpEmit, tcpFillChecksum, tcpLen, tcpParse, tcpReprClear } from "../../wire/tcp";
import {
  tcpClose, tcpInit, tcpListen, tcpPinIsn, tcpPoll, tcpReceive, tcpRegionSize, tcpSetApp, tcpSetLink, tcpTxAvail, tcpTxCommit, tcpTxReserve,
} from "../index";

export const OUR_IP: u32 = 0x0A000002;
export const PEER_IP: u32 = 0x0A000001;
export const OUR_PORT: u32 = 80;
export const PEER_PORT: u32 = 40000;
export const PEER_ISS: u32 = 1000;
export const PINNED_ISS: u32 = 5000;

// ---- the fake link ------------------------------------------------------------
// An entry: src u32, dst u32, len u32, pad, then up to SLOT - 16 bytes of segment.
export const SLOT: u32 = 2048;

@unmanaged export class Link {
  count: u32;
  cap: u32;
  refuse: u32;   // 1: begin returns 0 (no tx buffer)
  entries: usize;
  hash: u64;     // FNV-1a over every committed segment (the output trace)
  total: u32;
}

export function newLink(cap: u32): Link {
  let l = changetype<Link>(heap.alloc(offsetof<Link>()));
  memory.fill(changetype<usize>(l), 0, offsetof<Link>());
  l.cap = cap;
  l.entries = heap.alloc(<usize>cap * SLOT);
  l.hash = 0xcbf29ce484222325;
  return l;
}

export function freeLink(l: Link): void {
  heap.free(l.entries);
  heap.free(changetype<usize>(l));
}

export function linkBegin(ctx: usize, src: u32, dst: u32, maxLen: u32): usize {
  let l = changetype<Link>(ctx);
  if (l.refuse || l.count >= l.cap || maxLen > SLOT - 16) return 0;
  let e = l.entries + <usize>l.count * SLOT;
  store<u32>(e, src);
  store<u32>(e, dst, 4);
  return e + 16;
}

export function linkCommit(ctx: usize, len: u32): void {
  let l = changetype<Link>(ctx);
  let e = l.entries + <usize>l.count * SLOT;
  store<u32>(e, len, 8);
  let h = l.hash;
  for (let i: u32 = 0; i < len; i++) { h ^= <u64>load<u8>(e + 16 + i); h *= 0x100000001b3; }
  l.hash = h;
  l.count++;
  l.total++;
}

@inline export function entryAt(l: Link, i: u32): usize { return l.entries + <usize>i * SLOT; }
@inline export function entrySrc(l: Link, i: u32): u32 { return load<u32>(entryAt(l, i)); }
@inline export function entryDst(l: Link, i: u32): u32 { return load<u32>(entryAt(l, i), 4); }
@inline export function entryLen(l: Link, i: u32): u32 { return load<u32>(entryAt(l, i), 8); }
@inline export function entrySeg(l: Link, i: u32): usize { return entryAt(l, i) + 16; }

let outRepr: usize = 0;
/** Segment i the stack sent, parsed. */
export function sent(l: Link, i: u32): TcpRepr {
  if (outRepr == 0) outRepr = heap.alloc(TCP_REPR_SIZE);
  let r = changetype<TcpRepr>(outRepr);
  tcpParse(entrySeg(l, i), entryLen(l, i), r);
  return r;
}
/** The last segment sent. */
export function last(l: Link): TcpRepr { return sent(l, l.count - 1); }
/** Payload bytes of segment i. */
export function sentLen(l: Link, i: u32): u32 {
  let r = sent(l, i);
  return entryLen(l, i) - r.headerLen;
}
export function clear(l: Link): void { l.count = 0; }

// ---- fake apps -----------------------------------------------------------------
// Per-connection records in one table, by stack address and slot (specs use few).
export let opened: u32 = 0;
export let closedCount: u32 = 0;
export let peerFins: u32 = 0;
export let writables: u32 = 0;
export let bytesSeen: u64 = 0;
export let refuseOpen: bool = false;
/** Bytes the sink app consumes per data upcall (0xFFFFFFFF: all). */
export let sinkTake: u32 = 0xFFFFFFFF;
export let lastData: usize = 0;

export function resetApps(): void {
  opened = 0; closedCount = 0; peerFins = 0; writables = 0; bytesSeen = 0; refuseOpen = false;
  sinkTake = 0xFFFFFFFF; lastData = 0;
}
export function setSinkTake(n: u32): void { sinkTake = n; }
export function setRefuseOpen(v: bool): void { refuseOpen = v; }

export function appOpenCb(s: usize, conn: u32): i32 { if (refuseOpen) return 1; opened++; return 0; }
export function appClosedCb(s: usize, conn: u32): void { closedCount++; }
export function appWritableCb(s: usize, conn: u32): void { writables++; }
/** Half-close: close our side too once our output drains (what the stack module will do). */
export function appPeerFinClose(s: usize, conn: u32): void { peerFins++; tcpClose(s, conn); }
export function appPeerFinCount(s: usize, conn: u32): void { peerFins++; }

/** Echo: send back what fits, consume that much. */
export function echoData(s: usize, conn: u32, ptr: usize, len: u32): u32 {
  let n = min(len, tcpTxAvail(s, conn));
  if (n == 0) { tcpTxReserve(s, conn, 1); return 0; } // registers interest in app writable
  let out = tcpTxReserve(s, conn, n);
  if (out == 0) return 0;
  memory.copy(out, ptr, n);
  tcpTxCommit(s, conn, n);
  bytesSeen += n;
  return n;
}

/** Sink: consume up to sinkTake bytes; remember where the span started. */
export function sinkData(s: usize, conn: u32, ptr: usize, len: u32): u32 {
  lastData = ptr;
  let n = min(len, sinkTake);
  bytesSeen += n;
  return n;
}

// ---- a stack under test -------------------------------------------------------------
export const RING: u32 = 4096;

export function newStack(link: Link, maxConns: u32 = 4, rx: u32 = RING, tx: u32 = RING, seed: u64 = 42): usize {
  let size = tcpRegionSize(maxConns, rx, tx);
  let base = heap.alloc(size);
  memory.fill(base, 0, size);
  tcpInit(base, size, maxConns, rx, tx, 1500, seed);
  tcpSetLink(base, changetype<usize>(link), linkBegin, linkCommit);
  return base;
}

/** A listening stack on OUR_PORT whose app is the sink. */
export function listening(link: Link, ring: u32 = RING): usize {
  resetApps();
  let s = newStack(link, 4, ring, ring);
  tcpSetApp(s, appOpenCb, sinkData, appWritableCb, appPeerFinCount, appClosedCb);
  tcpListen(s, OUR_PORT);
  return s;
}

// ---- the peer ------------------------------------------------------------------------
let peerRepr: usize = 0;
let peerBuf: usize = 0;

/** A cleared repr from the peer's port to ours, with the given flags, seq, ack; window 65535. */
export function seg(flags: u16, seq: u32, ack: u32): TcpRepr {
  if (peerRepr == 0) { peerRepr = heap.alloc(TCP_REPR_SIZE); peerBuf = heap.alloc(4096); }
  let r = changetype<TcpRepr>(peerRepr);
  tcpReprClear(r);
  r.srcPort = <u16>PEER_PORT;
  r.dstPort = <u16>OUR_PORT;
  r.flags = flags;
  r.seq = seq;
  r.ack = ack;
  r.window = 65535;
  return r;
}

/** Emit r plus `len` bytes at data as the peer and hand it to the stack. */
export function deliver(s: usize, r: TcpRepr, data: usize, len: u32, now: u64): void {
  let h = tcpEmit(r, peerBuf);
  if (len) memory.copy(peerBuf + h, data, len);
  tcpFillChecksum(peerBuf, h + len, pseudoSumIpv4(PEER_IP, OUR_IP, Ipv4.PROTO_TCP, h + len));
  tcpReceive(s, PEER_IP, OUR_IP, peerBuf, h + len, now);
}

/** `len` bytes of a recognisable pattern starting at stream offset `from`. */
export function pattern(from: u32, len: u32): usize {
  let p = heap.alloc(max(len, 1));
  for (let i: u32 = 0; i < len; i++) store<u8>(p + i, patternByte(from + i));
  return p;
}
@inline export function patternByte(i: u32): u8 { return <u8>((i * 7) ^ (i >> 9) ^ 0x5A); }

// ---- fixtures: a stack with one connection (slot 0) in a given state ------------------
// Our ISN is pinned to PINNED_ISS; the peer's is PEER_ISS. After the handshake
// the peer's next sequence number is PEER_ISS + 1 and ours PINNED_ISS + 1.
// With `ts`, every peer segment carries TSval = peerTs (bumped per segment).
export const CONN: u32 = 0;
export let peerTs: u32 = 100;
export let useTs: bool = false;
/** Whether the peer's SYN offers SACK-permitted (setPeerSack; on by default). */
export let peerSack: bool = true;
export function setPeerSack(v: bool): void { peerSack = v; }

/** A peer segment (see seg) with timestamps when the fixture negotiated them. */
export function pseg(flags: u16, seq: u32, ack: u32): TcpRepr {
  let r = seg(flags, seq, ack);
  if (useTs) { r.hasTimestamp = true; r.tsVal = ++peerTs; r.tsEcr = 0; }
  return r;
}

/** The peer's SYN: MSS 1460, window scale 2, SACK-permitted (unless setPeerSack(false)), and timestamps when ts. */
export function peerSyn(s: usize, ts: bool, now: u64): void {
  useTs = ts;
  peerTs = 100;
  let r = pseg(TcpFlag.SYN, PEER_ISS, 0);
  r.mss = 1460;
  r.wscale = 2;
  r.sackPermitted = peerSack;
  deliver(s, r, 0, 0, now);
}

export function synReceived(l: Link, ts: bool = false, ring: u32 = RING): usize {
  let s = listening(l, ring);
  tcpPinIsnOn(s);
  peerSyn(s, ts, 0);
  return s;
}

export function established(l: Link, ts: bool = false, ring: u32 = RING): usize {
  let s = synReceived(l, ts, ring);
  deliver(s, pseg(TcpFlag.ACK, PEER_ISS + 1, PINNED_ISS + 1), 0, 0, 1);
  clear(l);
  return s;
}

/** Established, then the app closes: our FIN (seq PINNED_ISS + 1) is out. */
export function finWait1(l: Link, ts: bool = false): usize {
  let s = established(l, ts);
  tcpClose(s, CONN);
  tcpPoll(s, 2);
  return s;
}

/** The peer sends a bare segment with `flags` (its seq PEER_ISS + 1, acking PINNED_ISS + ackOff); the link is cleared. */
function peerSends(s: usize, l: Link, flags: u16, ackOff: u32, now: u64): usize {
  deliver(s, pseg(flags, PEER_ISS + 1, PINNED_ISS + ackOff), 0, 0, now);
  clear(l);
  return s;
}

export function finWait2(l: Link): usize {
  return peerSends(finWait1(l), l, TcpFlag.ACK, 2, 3);
}

/** FIN-WAIT-1, then the peer's FIN that does not acknowledge ours: CLOSING. */
export function closing(l: Link): usize {
  return peerSends(finWait1(l), l, TcpFlag.FIN | TcpFlag.ACK, 1, 3);
}

export function timeWait(l: Link): usize {
  return peerSends(finWait2(l), l, TcpFlag.FIN | TcpFlag.ACK, 2, 4);
}

export function closeWait(l: Link): usize {
  return peerSends(established(l), l, TcpFlag.FIN | TcpFlag.ACK, 1, 2);
}

/** CLOSE-WAIT, then the app closes: our FIN is out. */
export function lastAck(l: Link): usize {
  let s = closeWait(l);
  tcpClose(s, CONN);
  tcpPoll(s, 3);
  clear(l);
  return s;
}

function tcpPinIsnOn(s: usize): void { tcpPinIsn(s, true, PINNED_ISS); }
