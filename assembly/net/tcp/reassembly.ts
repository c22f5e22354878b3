// Out-of-order data (the bytes themselves sit in the rx ring at their
// offsets past rcv_nxt; here are only the ranges held) and SACK (RFC 2018):
// the blocks we report, and the scoreboard of blocks the peer reports.
// Ranges are [start, end) of absolute sequence numbers, kept sorted and
// disjoint, at most MAX_RANGES.

import { Conn, MAX_RANGES, OOO_BASE, rangeEnd, rangeStart, SACK_BASE, seqGe, seqGt, seqLe, seqLt, setRange } from "./conn";
import { TcpRepr, tcpSackLeft, tcpSackRight, tcpSetSack } from "../wire/tcp";

/**
 * Insert [s, e) into the sorted list at `base` with `n` entries; merges
 * overlapping and touching ranges. Returns the new count, or MAX_RANGES + 1
 * when the list is full and the range touches none (the caller drops it).
 * `at`, a u32 pointer or 0, receives the index the range ended up in.
 */
function insertRange(c: Conn, base: usize, n: u32, s: u32, e: u32, at: usize): u32 {
  // position: first range whose end >= s
  let i: u32 = 0;
  while (i < n && seqLt(rangeEnd(c, base, i), s)) i++;
  if (i < n && seqLe(rangeStart(c, base, i), e)) {
    // overlaps or touches range i: widen it, then swallow the ones after it
    let ns = seqLt(s, rangeStart(c, base, i)) ? s : rangeStart(c, base, i);
    let ne = seqGt(e, rangeEnd(c, base, i)) ? e : rangeEnd(c, base, i);
    let j = i + 1;
    while (j < n && seqLe(rangeStart(c, base, j), ne)) {
      if (seqGt(rangeEnd(c, base, j), ne)) ne = rangeEnd(c, base, j);
      j++;
    }
    setRange(c, base, i, ns, ne);
    let gone = j - i - 1;
    for (let k = i + 1; k + gone < n; k++) setRange(c, base, k, rangeStart(c, base, k + gone), rangeEnd(c, base, k + gone));
    if (at) store<u32>(at, i);
    return n - gone;
  }
  if (n >= MAX_RANGES) return MAX_RANGES + 1;
  for (let k = n; k > i; k--) setRange(c, base, k, rangeStart(c, base, k - 1), rangeEnd(c, base, k - 1));
  setRange(c, base, i, s, e);
  if (at) store<u32>(at, i);
  return n + 1;
}

/** Drop the first `k` ranges of the list at `base` with `n` entries. */
function shiftOut(c: Conn, base: usize, n: u32, k: u32): u32 {
  for (let i = k; i < n; i++) setRange(c, base, i - k, rangeStart(c, base, i), rangeEnd(c, base, i));
  return n - k;
}

// ---- receiver ---------------------------------------------------------------

/** Record out-of-order bytes [s, e) (past rcv_nxt). False when there is no room: drop the segment. */
export function oooAdd(c: Conn, s: u32, e: u32): bool {
  let at = changetype<usize>(c) + offsetof<Conn>("oooLast");
  let n = insertRange(c, OOO_BASE, c.oooCount, s, e, at);
  if (n > MAX_RANGES) return false;
  c.oooCount = n;
  return true;
}

/**
 * rcv_nxt moved to `nxt`: take the ranges it reaches. Returns the new
 * rcv_nxt (the end of the last range joined, or nxt).
 */
export function oooAdvance(c: Conn, nxt: u32): u32 {
  let k: u32 = 0;
  while (k < c.oooCount && seqLe(rangeStart(c, OOO_BASE, k), nxt)) {
    if (seqGt(rangeEnd(c, OOO_BASE, k), nxt)) nxt = rangeEnd(c, OOO_BASE, k);
    k++;
  }
  if (k) {
    c.oooCount = shiftOut(c, OOO_BASE, c.oooCount, k);
    c.oooLast = c.oooLast >= k ? c.oooLast - k : 0;
  }
  return nxt;
}

/** RFC 2018 §4: SACK blocks for an ACK, the range holding the latest segment first. */
export function sackBlocksFill(c: Conn, r: TcpRepr): void {
  let n = c.oooCount;
  if (n == 0) { r.sackCount = 0; return; }
  let first = c.oooLast < n ? c.oooLast : 0;
  tcpSetSack(r, 0, rangeStart(c, OOO_BASE, first), rangeEnd(c, OOO_BASE, first));
  let k: u32 = 1;
  for (let i: u32 = 0; i < n; i++) {
    if (i == first) continue;
    tcpSetSack(r, k++, rangeStart(c, OOO_BASE, i), rangeEnd(c, OOO_BASE, i));
  }
  r.sackCount = <u8>k;
}

// ---- sender scoreboard --------------------------------------------------------

/** Merge the peer's SACK blocks (those above snd_una and within what we sent) into the scoreboard. */
export function sackUpdate(c: Conn, r: TcpRepr): void {
  // forget what snd_una passed
  let k: u32 = 0;
  while (k < c.sackCount && seqLe(rangeEnd(c, SACK_BASE, k), c.sndUna)) k++;
  if (k) c.sackCount = shiftOut(c, SACK_BASE, c.sackCount, k);
  if (seqLt(c.sndUna, c.sndMax) && c.sackCount && seqLt(rangeStart(c, SACK_BASE, 0), c.sndUna)) {
    setRange(c, SACK_BASE, 0, c.sndUna, rangeEnd(c, SACK_BASE, 0));
  }
  let count = <u32>r.sackCount;
  for (let b: u32 = 0; b < count; b++) {
    let s = tcpSackLeft(r, b);
    let e = tcpSackRight(r, b);
    if (!seqLt(s, e) || !seqGe(s, c.sndUna) || seqGt(e, c.sndMax)) continue; // RFC 2018 §8: ignore bogus blocks
    let n = insertRange(c, SACK_BASE, c.sackCount, s, e, 0);
    if (n <= MAX_RANGES) c.sackCount = n;
  }
}

/** The first sequence number at or after `seq` the peer has not SACKed, and the end of that hole (limit if none). */
export function sackNextHole(c: Conn, seq: u32): u32 {
  for (let i: u32 = 0; i < c.sackCount; i++) {
    if (seqLe(rangeStart(c, SACK_BASE, i), seq) && seqLt(seq, rangeEnd(c, SACK_BASE, i))) seq = rangeEnd(c, SACK_BASE, i);
  }
  return seq;
}

/** Bytes from `seq` until the next SACKed block (or `limit`). */
export function sackHoleLen(c: Conn, seq: u32, limit: u32): u32 {
  for (let i: u32 = 0; i < c.sackCount; i++) {
    let s = rangeStart(c, SACK_BASE, i);
    if (seqGt(s, seq) && seqLt(s, limit)) return s - seq;
  }
  return limit - seq;
}

/** The end of the highest block the peer SACKed (snd_una if none). */
@inline export function sackHighest(c: Conn): u32 {
  return c.sackCount ? rangeEnd(c, SACK_BASE, c.sackCount - 1) : c.sndUna;
}
