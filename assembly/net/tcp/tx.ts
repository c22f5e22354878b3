// The send side the app sees (docs/protocol-modules.md tx_*): a contiguous
// span at the ring's write position; when the free space wraps, the span
// runs on into the slack past the ring's end and commit copies that part to
// the start. Space frees as the peer acknowledges; an app refused space is
// told with the writable upcall.

import { CF, Conn, hasFlag, setFlag, State } from "./conn";
import { ringUnmirror } from "./ring";
import { Stack, txRing } from "./stack";

@inline function writePos(s: Stack, c: Conn): u32 { return (c.txHead + c.txLen) & (s.txSize - 1); }

/** States in which the app may still queue output. */
@inline function canSend(c: Conn): bool {
  return (c.state == State.ESTABLISHED || c.state == State.CLOSE_WAIT) && !hasFlag(c, CF.CLOSE_REQ);
}

/** Contiguous bytes writable now at the pointer txReserve would return. */
export function txAvail(s: Stack, c: Conn): u32 {
  if (!canSend(c)) return 0;
  let free = s.txSize - c.txLen;
  let contiguous = s.txSize - writePos(s, c) + s.txSlack;
  return min(free, contiguous);
}

/** At least `min` contiguous writable bytes, or 0 (the app hears app writable later). */
export function txReserve(s: Stack, c: Conn, min: u32): usize {
  if (min == 0) min = 1;
  if (txAvail(s, c) < min) {
    if (canSend(c)) setFlag(c, CF.WANT_WRITABLE);
    return 0;
  }
  return txRing(s, c.index) + writePos(s, c);
}

/** The first len bytes at the reserved pointer are output (len clipped to what is available). */
export function txCommit(s: Stack, c: Conn, len: u32): void {
  let a = txAvail(s, c);
  if (len > a) len = a;
  if (len == 0) return;
  ringUnmirror(txRing(s, c.index), s.txSize, writePos(s, c), len);
  c.txLen += len;
  setFlag(c, CF.DIRTY);
}
