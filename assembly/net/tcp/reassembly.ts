// Out-of-order data (the bytes themselves sit in the rx ring at their
// offsets past rcv_nxt; here are only the ranges held) and SACK (RFC 2018):
// the blocks we report, and the scoreboard of blocks the peer reports.
// Ranges are [start, end) of absolute sequence numbers, kept sorted and
// disjoint, at most MAX_RANGES (ours) or SACK_RANGES (the scoreboard).
// The scoreboard feeds RFC 6675 loss recovery: IsLost, the pipe estimate
// and NextSeg below, each one pass over at most SACK_RANGES ranges.

import { CF, clearFlag, Conn, hasFlag, MAX_RANGES, OOO_BASE, rangeEnd, rangeStart, SACK_BASE, SACK_RANGES, seqGe, seqGt, seqLe, seqLt, setFlag, setRange } from "./conn";
import { TcpRepr, tcpSackLeft, tcpSackRight, tcpSetSack } from "../wire/tcp";

/**
 * Insert [s, e) into the sorted list at `base` with `n` entries (at most
 * `cap`); merges overlapping and touching ranges. Returns the new count, or
 * cap + 1 when the list is full and the range touches none (the caller
 * drops it). `at`, a u32 pointer or 0, receives the index the range ended up in.
 */
function insertRange(c: Conn, base: usize, n: u32, s: u32, e: u32, at: usize, cap: u32): u32 {
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
  if (n >= cap) return cap + 1;
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
  let n = insertRange(c, OOO_BASE, c.oooCount, s, e, at, MAX_RANGES);
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

/** RFC 6675 DupThresh: SACKed segments above a byte that mark it lost. */
export const DUP_THRESH: u32 = 3;

/** sackUpdate's answer: nothing new, new SACKed bytes, or the scoreboard overflowed (now NewReno). */
export const SACK_NONE: i32 = 0;
export const SACK_NEW: i32 = 1;
export const SACK_OVERFLOW: i32 = -1;

/** Forget what snd_una passed (ranges wholly below it; a range it cuts starts at it). */
export function sackTrim(c: Conn): void {
  let k: u32 = 0;
  while (k < c.sackCount && seqLe(rangeEnd(c, SACK_BASE, k), c.sndUna)) k++;
  if (k) c.sackCount = shiftOut(c, SACK_BASE, c.sackCount, k);
  if (c.sackCount && seqLt(rangeStart(c, SACK_BASE, 0), c.sndUna)) {
    setRange(c, SACK_BASE, 0, c.sndUna, rangeEnd(c, SACK_BASE, 0));
  }
}

/** Whether [s, e) lies inside one scoreboard range (nothing new in it). */
function sackCovered(c: Conn, s: u32, e: u32): bool {
  for (let i: u32 = 0; i < c.sackCount; i++) {
    if (seqLe(rangeStart(c, SACK_BASE, i), s) && seqLe(e, rangeEnd(c, SACK_BASE, i))) return true;
  }
  return false;
}

/**
 * RFC 6675 §4 Update(): merge the peer's SACK blocks into the scoreboard.
 * A block counts only within (snd_una, snd_max] (RFC 2018 §8: ignore bogus
 * ones); a D-SACK (RFC 2883) below snd_una is ignored that way, one inside
 * the scoreboard merges to nothing. When a block would need a 17th range the
 * scoreboard is dropped and blocks are ignored until snd_una reaches
 * today's snd_max (CF.SACK_OVF): a partial scoreboard would still be correct,
 * but the bound says "NewReno" plainly and the overflow needs 16 holes.
 */
export function sackUpdate(c: Conn, r: TcpRepr): i32 {
  if (hasFlag(c, CF.SACK_OVF)) {
    if (seqLt(c.sndUna, c.sackOffUntil)) { c.sackCount = 0; return SACK_NONE; }
    clearFlag(c, CF.SACK_OVF);
  }
  sackTrim(c);
  let res = SACK_NONE;
  let count = <u32>r.sackCount;
  for (let b: u32 = 0; b < count; b++) {
    let s = tcpSackLeft(r, b);
    let e = tcpSackRight(r, b);
    if (!seqLt(s, e) || !seqGe(s, c.sndUna) || seqGt(e, c.sndMax)) continue; // RFC 2018 §8: ignore bogus blocks
    if (sackCovered(c, s, e)) continue;
    let n = insertRange(c, SACK_BASE, c.sackCount, s, e, 0, SACK_RANGES);
    if (n > SACK_RANGES) {
      c.sackCount = 0;
      setFlag(c, CF.SACK_OVF);
      c.sackOffUntil = c.sndMax;
      return SACK_OVERFLOW;
    }
    c.sackCount = n;
    res = SACK_NEW;
  }
  return res;
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

/** Bytes the peer SACKed in all. */
export function sackedBytes(c: Conn): u32 {
  let t: u32 = 0;
  for (let i: u32 = 0; i < c.sackCount; i++) t += rangeEnd(c, SACK_BASE, i) - rangeStart(c, SACK_BASE, i);
  return t;
}

/**
 * The IsLost rule for the bytes below scoreboard range i (there are `ranges`
 * ranges and `bytes` SACKed bytes from range i up): DupThresh discontiguous
 * SACKed pieces, or more than (DupThresh - 1) * SMSS SACKed bytes, above.
 * Ranges stand for segments here (fewer, so never lost too early).
 */
@inline function lostBelow(c: Conn, ranges: u32, bytes: u32): bool {
  return ranges >= DUP_THRESH || bytes > (DUP_THRESH - 1) * c.mss;
}

/** RFC 6675 §4 IsLost(seq): is the unSACKed byte `seq` presumed lost? (False for a SACKed byte.) */
export function sackIsLost(c: Conn, seq: u32): bool {
  let ranges: u32 = 0;
  let bytes: u32 = 0;
  for (let i: u32 = 0; i < c.sackCount; i++) {
    let s = rangeStart(c, SACK_BASE, i), e = rangeEnd(c, SACK_BASE, i);
    if (seqLe(e, seq)) continue;
    if (seqLe(s, seq)) return false; // inside a SACKed range
    ranges++;
    bytes += e - s;
  }
  return lostBelow(c, ranges, bytes);
}

/** Bytes of [s, e) below `high`, from `low` up (the part of a hole already resent). */
@inline function overlap(s: u32, e: u32, low: u32, high: u32): u32 {
  let a = seqGt(s, low) ? s : low;
  let b = seqLt(e, high) ? e : high;
  return seqLt(a, b) ? b - a : 0;
}

/**
 * RFC 6675 §4 SetPipe(): the bytes presumed in the network. Every unSACKed
 * byte in (snd_una, snd_max) counts once unless it is lost, and once more if
 * this recovery resent it (below HighRxt). Walks the holes between ranges,
 * then the part above the highest SACKed byte (never lost: nothing above it).
 */
export function sackPipe(c: Conn): u32 {
  let n = c.sackCount;
  let above = sackedBytes(c);
  let rtxLow = c.sndUna;
  let rtxHigh = seqGt(c.rtxHigh, c.sndUna) ? c.rtxHigh : c.sndUna;
  let pipe: u32 = 0;
  let hs = c.sndUna;
  for (let i: u32 = 0; i < n; i++) {
    let rs = rangeStart(c, SACK_BASE, i), re = rangeEnd(c, SACK_BASE, i);
    if (seqLt(hs, rs)) {
      if (!lostBelow(c, n - i, above)) pipe += rs - hs;
      pipe += overlap(hs, rs, rtxLow, rtxHigh);
    }
    above -= re - rs;
    hs = re;
  }
  if (seqLt(hs, c.sndMax)) pipe += (c.sndMax - hs) + overlap(hs, c.sndMax, rtxLow, rtxHigh);
  return pipe;
}

/**
 * RFC 6675 §4 NextSeg() rules 1 (lostOnly) and 3: the first unSACKed byte at
 * or above HighRxt and below the highest SACKed byte that is lost (rule 1),
 * or any such byte (rule 3). Returns (len << 32) | seq, len at most `most`
 * and within the hole; 0 when there is none. Rule 2 (new data) is the
 * caller's, between the two.
 */
export function sackNextSeg(c: Conn, lostOnly: bool, most: u32): u64 {
  let n = c.sackCount;
  let above = sackedBytes(c);
  let from = seqGt(c.rtxHigh, c.sndUna) ? c.rtxHigh : c.sndUna;
  let hs = c.sndUna;
  for (let i: u32 = 0; i < n; i++) {
    let rs = rangeStart(c, SACK_BASE, i), re = rangeEnd(c, SACK_BASE, i);
    let st = seqGt(from, hs) ? from : hs;
    if (seqLt(st, rs) && (!lostOnly || lostBelow(c, n - i, above))) {
      return (<u64>min(rs - st, most) << 32) | <u64>st;
    }
    above -= re - rs;
    hs = re;
  }
  return 0;
}

/**
 * Lost retransmissions (the idea of Linux's tcp_mark_lost_retrans; RFC 6675
 * leaves them to the RTO): every retransmission of this recovery went before
 * snd_max reached rtxMark. When more than (DupThresh - 1) * SMSS bytes sent
 * after that are SACKed while snd_una's resent segment is still missing,
 * the resent holes are presumed lost again: HighRxt goes back to snd_una so
 * NextSeg resends the ones still unSACKed. True when that happened.
 */
export function sackLostRetransmits(c: Conn): bool {
  if (!seqGt(c.rtxHigh, c.sndUna)) return false;
  let mark = c.rtxMark;
  let bytes: u32 = 0;
  for (let i: u32 = 0; i < c.sackCount; i++) {
    let s = rangeStart(c, SACK_BASE, i), e = rangeEnd(c, SACK_BASE, i);
    if (seqGt(e, mark)) bytes += e - (seqGt(s, mark) ? s : mark);
  }
  if (bytes <= (DUP_THRESH - 1) * c.mss) return false;
  c.rtxHigh = c.sndUna;
  c.rtxMark = c.sndMax;
  return true;
}
