// The read side: replies are checked as a stream against what the requests
// in flight must produce, byte for byte, in request order. The head
// request's expected reply is a few segments (a header, the value as slices
// of the value table, a trailer), compared (sameBytes) wherever the
// stream happens to be split; only the offset reached is kept. Any
// difference is a mismatch: counted, the first one recorded, and the
// connection failed (the stream is out of step from there on).

import { Conn, connAt, connFail, connPtr, entry, entryKey, entryOp, entryTime, EXP_HDR, Mode, Op, RING_CAP, Status } from "./conn";
import { I } from "./inst";
import { addU64, histAdd, Mm, mismatchBegin, NO_OP, setF64, St, statsAt } from "./stats";
import { CHUNK, CRLF_END, CRLF_END_LEN, END, END_LEN, formatValueHeader, STORED, STORED_LEN, valueAt } from "./text";

// expectedAt's answer: where the expected bytes at an offset are, and how many follow contiguously
let gSegPtr: usize = 0;
let gSegLen: u32 = 0;

/** The expected bytes of the head reply (key, op, c.rMode) at offset off; false past its end. */
function expectedAt(slot: u32, c: Conn, key: u32, op: u32, off: u32): bool {
  if (op & Op.SET) {
    if (off >= STORED_LEN) return false;
    gSegPtr = STORED + off;
    gSegLen = STORED_LEN - off;
    return true;
  }
  if (c.rMode == Mode.MISS) {
    if (off >= END_LEN) return false;
    gSegPtr = END + off;
    gSegLen = END_LEN - off;
    return true;
  }
  let h = c.rHdrLen, vs = I.valueSize;
  if (off < h) {
    gSegPtr = connPtr(slot) + EXP_HDR + off;
    gSegLen = h - off;
  } else if (off < h + vs) {
    let j = off - h;
    gSegPtr = valueAt(I.table, key, j);
    gSegLen = min(vs - j, CHUNK);
  } else {
    let t = off - h - vs;
    if (t >= CRLF_END_LEN) return false;
    gSegPtr = CRLF_END + t;
    gSegLen = CRLF_END_LEN - t;
  }
  return true;
}

/** The head reply is verified: count it, time it, drop it from the ring. */
function complete(c: Conn, e: usize, op: u32): void {
  if (op & Op.FILL) {
    addU64(St.FILL_VERIFIED, 1);
  } else {
    addU64(St.VERIFIED, 1);
    addU64(op & Op.SET ? St.STORED : c.rMode == Mode.HIT ? St.HITS : St.MISSES, 1);
    setF64(St.LAST_MS, I.now);
    histAdd(I.now - entryTime(e));
  }
  c.head = (c.head + 1) & (RING_CAP - 1);
  c.count--;
  c.rOff = 0;
  c.rMode = Mode.UNKNOWN;
}

/**
 * A difference at offset off of the head reply (op NO_OP: bytes with no
 * request to answer), where got/gotLen are the bytes received from there.
 * The first mismatch keeps 32 bytes of each side; the connection fails.
 */
function mismatch(slot: u32, c: Conn, key: u32, op: u32, off: u32, got: usize, gotLen: u32): void {
  let tag = op == NO_OP ? NO_OP : op & Op.SET;
  if (mismatchBegin(slot, off, tag, key)) {
    let rec = statsAt() + St.MM;
    memory.copy(rec + Mm.RECEIVED, got, min(gotLen, Mm.SNIP));
    if (op != NO_OP) {
      let k: u32 = 0;
      // at most one segment boundary per 2 bytes within 32: a few rounds
      for (let round = 0; round < 8 && k < Mm.SNIP && expectedAt(slot, c, key, op, off + k); round++) {
        let n = min(gSegLen, Mm.SNIP - k);
        memory.copy(rec + Mm.EXPECTED + k, gSegPtr, n);
        k += n;
      }
    }
  }
  connFail(slot);
}

/** Whether n bytes at a and b are equal: 8 at a time whatever the alignment (memory.compare
 *  goes a byte at a time unless both sides share one, and a reply in a frame rarely does). */
function sameBytes(a: usize, b: usize, n: u32): bool {
  let i: u32 = 0;
  for (; i + 8 <= n; i += 8) if (load<u64>(a + i) != load<u64>(b + i)) return false;
  for (; i < n; i++) if (load<u8>(a + i) != load<u8>(b + i)) return false;
  return true;
}

/** Offset of the first differing byte of a and b (n bytes that sameBytes found different). */
function firstDiff(a: usize, b: usize, n: u32): u32 {
  let i: u32 = 0;
  while (i < n && load<u8>(a + i) == load<u8>(b + i)) i++;
  return i;
}

/**
 * The common case in one pass: the head reply starts at p and all of it is
 * among the n bytes there (a STORED, an END, or a hit of at most CHUNK value
 * bytes). Returns the bytes it verified, or 0: the general path takes over
 * (a split reply, or a difference, which it locates and reports).
 */
function verifyWhole(slot: u32, c: Conn, e: usize, key: u32, op: u32, p: usize, n: u32): u32 {
  if (c.rOff != 0) return 0;
  if (op & Op.SET) {
    if (n < STORED_LEN || !sameBytes(p, STORED, STORED_LEN)) return 0;
    complete(c, e, op);
    return STORED_LEN;
  }
  if (c.rMode == Mode.MISS) {
    if (n < END_LEN || !sameBytes(p, END, END_LEN)) return 0;
    complete(c, e, op);
    return END_LEN;
  }
  let h = c.rHdrLen, vs = I.valueSize;
  let total = h + vs + CRLF_END_LEN;
  if (n < total || vs > CHUNK) return 0;
  if (!sameBytes(p, connPtr(slot) + EXP_HDR, h) || !sameBytes(p + h, valueAt(I.table, key, 0), vs) ||
      !sameBytes(p + h + vs, CRLF_END, CRLF_END_LEN)) return 0;
  complete(c, e, op);
  return total;
}

/**
 * Check len received bytes at p against the replies conn owes. Everything
 * is consumed: a reply split anywhere leaves only its offset behind.
 */
export function verify(slot: u32, p: usize, len: u32): void {
  addU64(St.BYTES_RX, len);
  let c = connAt(slot);
  if (c.status != Status.OPEN) return; // after we failed or closed it: its bytes mean nothing
  c.since = I.now;
  let i: u32 = 0;
  // each round consumes at least one byte, or ends the call
  while (i < len) {
    // a reply needs a whole request: bytes for none (or for one still being written) are garbage
    if (c.count == 0 || (c.count == 1 && c.wActive)) { mismatch(slot, c, NO_OP, NO_OP, 0, p + i, len - i); return; }
    let e = entry(slot, c.head);
    let key = entryKey(e), op = entryOp(e);
    if (op == Op.GET && c.rMode == Mode.UNKNOWN) {
      // the first byte tells a miss ("END\r\n") from a hit ("VALUE ...")
      if (load<u8>(p + i) == 0x45) {
        c.rMode = Mode.MISS;
      } else {
        c.rMode = Mode.HIT;
        c.rHdrLen = formatValueHeader(connPtr(slot) + EXP_HDR, key, I.keySize, I.valueSize);
      }
    }
    let whole = verifyWhole(slot, c, e, key, op, p + i, len - i);
    if (whole) { i += whole; continue; }
    expectedAt(slot, c, key, op, c.rOff); // rOff is always inside the reply here
    let n = min(gSegLen, len - i);
    if (!sameBytes(p + i, gSegPtr, n)) {
      let d = firstDiff(p + i, gSegPtr, n);
      mismatch(slot, c, key, op, c.rOff + d, p + i + d, len - i - d);
      return;
    }
    i += n;
    c.rOff += n;
    if (!expectedAt(slot, c, key, op, c.rOff)) complete(c, e, op);
  }
}
