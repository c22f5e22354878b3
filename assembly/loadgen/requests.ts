// The write side: keep `depth` requests in flight on a connection while the
// phase allows, writing as many as the output has room for under one
// tx_reserve / tx_commit. A set's value streams from the value table in
// CHUNK-sized slices, so a value of any size needs no buffer of its own;
// when the output is full we stop mid-request and continue on app_writable.

import { Conn, connAt, connPtr, entry, Op, REQ_HDR, RING_CAP, rngNext, Status } from "./conn";
import { zipfRank } from "./zipf";
import { I } from "./inst";
import { tx_avail, tx_commit, tx_reserve } from "./stack";
import { addU64, getState, St, State } from "./stats";
import { CHUNK, CRLF_END, formatGet, formatSet, valueAt } from "./text";

/** Reserve/commit rounds per pump (a ring's free space may come in two pieces); app_tick pumps again. */
const PUMP_ROUNDS: u32 = 4;

/** The request to write next on c, if the phase, its quota and depth allow one: starts it (enters the ring). */
function startRequest(slot: u32, c: Conn): bool {
  if (c.count >= I.depth) return false;
  let key: u32, op: u32;
  let state = getState();
  if (state == State.FILLING) {
    if (c.fillNext >= c.fillEnd) return false;
    key = c.fillNext++;
    op = Op.SET | Op.FILL;
  } else if (state == State.RUNNING) {
    if (I.stopped || c.quota == 0) return false;
    if (I.durationMs != 0 && I.now >= I.startMs + <f64>I.durationMs) { I.stopped = 1; return false; }
    c.quota--; // no count limit: starts at u64 max, never reaches 0
    let r = rngNext(c);
    key = I.zipf != 0 ? zipfRank(c) : <u32>(((r >> 32) * <u64>I.keys) >> 32); // Zipf rank, or uniform in [0, keys)
    op = (((r & 0xFFFFFFFF) * 1000) >> 32) < <u64>I.setPermille ? Op.SET : Op.GET; // uniform in [0, 1000)
  } else {
    return false;
  }
  let hdr = connPtr(slot) + REQ_HDR;
  let h = op & Op.SET ? formatSet(hdr, key, I.keySize, I.valueSize) : formatGet(hdr, key, I.keySize);
  c.wActive = 1;
  c.wKey = key;
  c.wOp = op;
  c.wPos = 0;
  c.wHdrLen = h;
  c.wTotal = op & Op.SET ? h + I.valueSize + 2 : h;
  let e = entry(slot, c.head + c.count);
  store<u32>(e, key);
  store<u32>(e, op, 4);
  store<f64>(e, 0, 8);
  if (c.count == 0) c.since = I.now; // the reply clock starts with the first request in flight
  c.count++;
  return true;
}

/** Copy up to room bytes of the request being written to dst: header, value slices, "\r\n". */
function writeSome(slot: u32, c: Conn, dst: usize, room: u32): u32 {
  let w: u32 = 0;
  let h = c.wHdrLen, vs = c.wOp & Op.SET ? I.valueSize : 0;
  // each round copies at least one byte, and wPos never passes wTotal
  while (w < room && c.wPos < c.wTotal) {
    let pos = c.wPos, n: u32, src: usize;
    if (pos < h) {
      n = min(h - pos, room - w);
      src = connPtr(slot) + REQ_HDR + pos;
    } else if (pos < h + vs) {
      let j = pos - h;
      n = min(min(vs - j, room - w), CHUNK);
      src = valueAt(I.table, c.wKey, j);
    } else {
      let t = pos - h - vs;
      n = min(2 - t, room - w);
      src = CRLF_END + t;
    }
    memory.copy(dst + w, src, n);
    c.wPos = pos + n;
    w += n;
  }
  return w;
}

/** The request's last byte is out: its reply's latency counts from now. */
function finishRequest(slot: u32, c: Conn): void {
  store<f64>(entry(slot, c.head + c.count - 1), I.now, 8);
  c.wActive = 0;
  if (!(c.wOp & Op.FILL)) addU64(St.SENT, 1);
}

/**
 * Write what c may write now. Stops when the phase, quota or depth allow no
 * more, or when the output refuses (then c.blocked: app_writable resumes).
 */
export function pump(slot: u32): void {
  let c = connAt(slot);
  if (c.status != Status.OPEN) return;
  for (let round: u32 = 0; round < PUMP_ROUNDS; round++) {
    if (!c.wActive && !startRequest(slot, c)) return;
    let p = tx_reserve(slot, 1);
    if (p == 0) { c.blocked = 1; return; } // the refusal asks the stack for app_writable
    let room = tx_avail(slot);
    let w: u32 = 0;
    // each round finishes a request (at most RING_CAP of them) or fills the room
    for (let k: u32 = 0; k <= RING_CAP && w < room; k++) {
      if (!c.wActive && !startRequest(slot, c)) break;
      w += writeSome(slot, c, p + w, room - w);
      if (c.wPos == c.wTotal) finishRequest(slot, c);
    }
    if (w > 0) { tx_commit(slot, w); c.since = I.now; }
    if (w < room) return; // nothing more to write now
  }
}
