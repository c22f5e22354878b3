// get / gets / gat / gats: the keys of the line are taken one at a time
// from the input (state GETKEYS), so a line of any length and any number of
// keys needs no buffer; the bytes of the keys answered are consumed. A hit
// whose reply fits the output space is written in one go (storeFind, copy,
// storeReadOk, commit: retried if the item moved); a larger one is pinned and
// streamed in chunks (state GETVALUE) as output space frees up.

import {
  itemCas, itemFlags, itemValue, itemValueLen, MISS_EXPIRED, MISS_FLUSHED, storeFind,
  storeLastMiss, storePin, storeReadOk, storeTouch, storeTouchAccess, storeUnpin,
} from "../store/index";
import {
  F_CAS, F_DRAIN, F_KEYS, F_TOUCH, S, sExptime, setHalted, setItem, setRemain, setState, setTotal,
  sFlags, setFlags, sItem, sRemain, sState, sTotal,
} from "./conn";
import { nowRel } from "./instance";
import { writeU64 } from "./numbers";
import { outAvail, outCommit, outReserve } from "./output";
import { KEY_MAX_LENGTH } from "./parse";
import { R, reply, REPLY_MAX } from "./reply";
import { incStat, St } from "./stats";
import { copyDisjoint } from "../shared/bytes";

/** Longest "VALUE <key> <flags> <bytes> <cas>\r\n". */
export const HEADER_MAX: u32 = 6 + KEY_MAX_LENGTH + 1 + 10 + 1 + 10 + 1 + 20 + 2;
/** Attempts at a consistent copy of an item that keeps changing; then it counts as a miss. */
const READ_RETRIES: i32 = 4;

@inline function at(p: usize, i: u32): u32 { return <u32>load<u8>(p + i); }

export function countMiss(touch: bool): void {
  if (touch) { incStat(St.CMD_TOUCH); incStat(St.TOUCH_MISSES); }
  else { incStat(St.CMD_GET); incStat(St.GET_MISSES); }
  const why = storeLastMiss();
  if (why == MISS_EXPIRED) incStat(St.GET_EXPIRED);
  else if (why == MISS_FLUSHED) incStat(St.GET_FLUSHED);
}

export function countHit(it: usize, touch: bool): void {
  storeTouchAccess(it);
  if (touch) { incStat(St.CMD_TOUCH); incStat(St.TOUCH_HITS); }
  else { incStat(St.CMD_GET); incStat(St.GET_HITS); }
}

/** "VALUE key flags bytes [cas]\r\n" at p; returns its length. */
export function writeHeader(p: usize, key: usize, klen: u32, it: usize, cas: bool): u32 {
  store<u32>(p, 0x554c4156); // "VALU"
  store<u16>(p, 0x2045, 4); // "E "
  let q = p + 6;
  copyDisjoint(q, key, klen);
  q += klen;
  store<u8>(q++, 0x20);
  q += writeU64(q, itemFlags(it));
  store<u8>(q++, 0x20);
  q += writeU64(q, itemValueLen(it));
  if (cas) { store<u8>(q++, 0x20); q += writeU64(q, itemCas(it)); }
  store<u16>(q, 0x0a0d);
  return <u32>(q + 2 - p);
}

/** Answers one key. False if output space is short (nothing was done). */
function getOne(conn: u32, s: usize, key: usize, klen: u32): bool {
  const flags = sFlags(s);
  const touch = (flags & F_TOUCH) != 0;
  const cas = (flags & F_CAS) != 0;
  for (let attempt = 0; attempt < READ_RETRIES; attempt++) {
    const p = outReserve(conn, HEADER_MAX);
    if (p == 0) { setHalted(true); return false; }
    const avail = outAvail(conn);
    const it = touch ? storeTouch(key, klen, sExptime(s), nowRel) : storeFind(key, klen, nowRel);
    if (it == 0) { countMiss(touch); return true; }
    const h = writeHeader(p, key, klen, it, cas);
    const total = itemValueLen(it) + 2;
    if (<u64>h + <u64>total <= <u64>avail) {
      memory.copy(p + h, itemValue(it), total);
      if (!storeReadOk(it)) continue;
      outCommit(conn, h + total);
      countHit(it, touch);
      return true;
    }
    // Too big for the space at hand: pin it and stream the value.
    if (!storePin(it)) continue;
    if (!storeReadOk(it)) { storeUnpin(it); continue; }
    outCommit(conn, h);
    countHit(it, touch);
    setItem(s, it);
    setTotal(s, total);
    setRemain(s, total);
    setState(s, S.GETVALUE);
    streamValue(conn, s);
    return true;
  }
  countMiss(touch);
  return true;
}

/** GETVALUE: copies as much of the pinned value as output allows. */
export function streamValue(conn: u32, s: usize): void {
  const it = sItem(s);
  const total = sTotal(s);
  let remain = sRemain(s);
  while (remain > 0) {
    const p = outReserve(conn, 1);
    if (p == 0) { setRemain(s, remain); setHalted(true); return; }
    let n = outAvail(conn);
    if (n > remain) n = remain;
    memory.copy(p, itemValue(it) + (total - remain), n);
    outCommit(conn, n);
    remain -= n;
  }
  storeUnpin(it);
  setItem(s, 0);
  setRemain(s, 0);
  setState(s, S.GETKEYS);
}

/** Ends the get line: END, or ERROR for a get without keys. */
function finishLine(conn: u32, s: usize): bool {
  if (outReserve(conn, REPLY_MAX) == 0) { setHalted(true); return false; }
  reply(conn, false, (sFlags(s) & F_KEYS) != 0 ? R.END : R.ERROR);
  setState(s, S.CMD);
  return true;
}

/** GETKEYS: answers the keys in [p, p+n); returns the bytes consumed. */
export function getKeys(conn: u32, s: usize, p: usize, n: u32): u32 {
  let pos: u32 = 0;
  // Each pass consumes at least one byte or stops.
  while (pos < n) {
    if ((sFlags(s) & F_DRAIN) != 0) {
      let i = pos;
      while (i < n && at(p, i) != 0x0a) i++;
      if (i == n) return n;
      if (!finishLine(conn, s)) return i;
      return i + 1;
    }
    const c = at(p, pos);
    if (c == 0x20) { pos++; continue; }
    if (c == 0x0a) return finishLine(conn, s) ? pos + 1 : pos;
    if (c == 0x0d) {
      if (pos + 1 == n) { setHalted(true); return pos; }
      if (at(p, pos + 1) == 0x0a) return finishLine(conn, s) ? pos + 2 : pos;
    }
    if (c == 0) { setFlags(s, sFlags(s) | F_DRAIN); pos++; continue; }
    // a key: up to ' ', '\n', NUL or "\r\n"
    let e = pos;
    let complete = false;
    while (e < n) {
      const b = at(p, e);
      if (b == 0x20 || b == 0x0a || b == 0) { complete = true; break; }
      if (b == 0x0d) {
        if (e + 1 == n) break;
        if (at(p, e + 1) == 0x0a) { complete = true; break; }
      }
      e++;
    }
    const klen = e - pos;
    if (klen > KEY_MAX_LENGTH) {
      if (outReserve(conn, REPLY_MAX) == 0) { setHalted(true); return pos; }
      reply(conn, false, R.BAD_FORMAT);
      setState(s, S.SKIPLINE);
      return e;
    }
    if (!complete) { setHalted(true); return pos; }
    setFlags(s, sFlags(s) | F_KEYS);
    if (!getOne(conn, s, p + pos, klen)) return pos;
    pos = e;
    if (sState(s) != S.GETKEYS) return pos; // streaming a value
  }
  setHalted(true);
  return pos;
}
