// The receive side: segment text into the rx ring (in order or kept out of
// order at its offset past rcv_nxt, RFC 9293 §3.10.7.4 "seventh"), and
// delivery to the app. What the app does not consume stays in the ring,
// shrinks the window, and is presented again (with new bytes after it)
// on the next delivery.

import { CF, clearFlag, Conn, hasFlag, seqGt, setFlag } from "./conn";
import { Ctr, ctrAdd } from "./counters";
import { appData } from "./app";
import { oooAdd, oooAdvance } from "./reassembly";
import { ringMirror, ringWrite } from "./ring";
import { connAt, rxRing, Stack } from "./stack";

/** Deliveries per call: each either empties the ring, stops at the app, or crosses the ring's end once. */
const MAX_DELIVERIES: u32 = 4;

/**
 * Accept `len` bytes at sequence `seq` (already trimmed to start at or after
 * rcv_nxt and to end within the window). Returns false when out-of-order
 * bytes had to be dropped (no range left).
 */
export function rxAccept(s: Stack, c: Conn, seq: u32, ptr: usize, len: u32): bool {
  if (len == 0) return true;
  let off = seq - c.rcvNxt;
  if (off != 0) {
    if (!oooAdd(c, seq, seq + len)) { ctrAdd(s.counters, Ctr.DROP_OOO_FULL, 1); return false; }
    ringWrite(rxRing(s, c.index), s.rxSize, c.rxHead + c.rxLen + off, ptr, len);
    ctrAdd(s.counters, Ctr.OOO_SEGMENTS, 1);
    return true;
  }
  if (c.rxLen == 0 && c.oooCount == 0 && s.stashLen == 0) {
    // the ring is empty: keep the bytes in the frame until this segment's delivery (rxStashFlush)
    s.stashConn = c.index;
    s.stashPtr = ptr;
    s.stashLen = len;
  } else {
    ringWrite(rxRing(s, c.index), s.rxSize, c.rxHead + c.rxLen, ptr, len);
  }
  let nxt = oooAdvance(c, seq + len);
  let gained = nxt - c.rcvNxt;
  c.rcvNxt = nxt;
  c.rxLen += gained;
  ctrAdd(s.counters, Ctr.BYTES_IN, gained);
  setFlag(c, CF.RX_PENDING);
  return true;
}

/** Copies a stashed segment (rxAccept) into its connection's ring: the frame is about to go. */
export function rxStashFlush(s: Stack): void {
  if (s.stashLen == 0) return;
  let c = connAt(s, s.stashConn);
  ringWrite(rxRing(s, c.index), s.rxSize, c.rxHead, s.stashPtr, s.stashLen);
  s.stashLen = 0;
}

/** Room in the receive window from rcv_nxt (what may be accepted). */
@inline export function rxRoom(s: Stack, c: Conn): u32 {
  return s.rxSize - c.rxLen;
}

/**
 * Present the unconsumed bytes to the app, contiguously (the wrapped part
 * is mirrored past the ring's end), until it stops consuming.
 */
export function rxDeliver(s: Stack, c: Conn): void {
  if (!hasFlag(c, CF.APP_OPEN) || hasFlag(c, CF.APP_DONE)) { rxStashFlush(s); return; }
  let ring = rxRing(s, c.index);
  let before = s.rxSize - c.rxLen;
  let stashed = s.stashLen != 0 && s.stashConn == c.index;
  if (stashed) {
    // the stashed segment is all the ring holds (rxAccept): present it from the frame, keep what is left
    let len = s.stashLen;
    s.stashLen = 0;
    let n = appData(s, c.index, s.stashPtr, len);
    if (n < len) ringWrite(ring, s.rxSize, c.rxHead + n, s.stashPtr + n, len - n);
    c.rxHead = (c.rxHead + n) & (s.rxSize - 1);
    c.rxLen -= n;
  }
  // after a stashed delivery the app has seen everything: what it left waits for more input
  for (let k: u32 = 0; k < MAX_DELIVERIES && c.rxLen && !stashed; k++) {
    let span = ringMirror(ring, s.rxSize, s.rxSlack, c.rxHead, c.rxLen);
    let n = appData(s, c.index, ring + c.rxHead, span);
    if (n == 0) break;
    c.rxHead = (c.rxHead + n) & (s.rxSize - 1);
    c.rxLen -= n;
    if (n < span) break;
  }
  // bytes left: the app waits for more input or for output space; present them again after app writable
  if (c.rxLen) setFlag(c, CF.WANT_WRITABLE);
  if (c.rxLen == 0) clearFlag(c, CF.RX_PENDING);
  // a window update when the window opened by two segments or half the ring (RFC 1122 §4.2.3.3 spirit)
  let after = s.rxSize - c.rxLen;
  if (after > before && after - before >= min(s.rxSize >> 1, 2 * s.ourMss) && seqGt(c.rcvNxt + after, c.rcvAdv)) {
    setFlag(c, CF.ACK_NOW | CF.DIRTY);
  }
}
