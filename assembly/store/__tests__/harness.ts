// Test-only entry for test/store-concurrency.test.ts: the store's operations
// plus a stress loop, built with the production flags and run by several
// worker_threads on one shared memory. No allocation: every buffer is in the
// caller's scratch region.
//
// Value format written by `stress` (vlen >= 16):
//   u32 key id | u32 writer | u32 seq | u32 vlen | filler bytes, each
//   (key * 31 + writer * 7 + seq + i) & 0xff
// so a reader can tell a complete value from a torn or foreign one.
import {
  storeRegionSize, storeFormat, storeAttach, storeAlloc, storeCommit, storeFind, storeReadOk, storeDelete,
  storeDelta, storeDeltaResult, storeTick, itemValue, itemValueLen, itemCas, statBytes, statEvictions, storeTouchAccess, storePin, storeUnpin,
  STORED, DELTA_OK, MODE_SET, MODE_ADD, MODE_APPEND,
} from "../index";

export function h_regionSize(itemBytes: u32, itemSizeMax: u32): u32 { return <u32>storeRegionSize(itemBytes, itemSizeMax); }
export function h_format(control: usize): i32 { return storeFormat(control); }
export function h_attach(control: usize, core: u32): i32 { return storeAttach(control, core); }
export function h_statBytes(): f64 { return <f64>statBytes(); }
export function h_evictions(): f64 { return <f64>statEvictions(); }

/** Error counters of the last stress run on this instance (read back by JS). */
let errTorn: u32 = 0;       // a found value that no writer wrote
let errReadRetry: u32 = 0;  // storeReadOk false (allowed; counted for information)
let errSetFail: u32 = 0;    // a set that was not STORED
let errIncr: u32 = 0;       // an incr that did not apply
let errBytes: u32 = 0;      // statBytes above -m
let hits: u32 = 0;
let casCount: u32 = 0;

export function h_errTorn(): u32 { return errTorn; }
export function h_readRetry(): u32 { return errReadRetry; }
export function h_errSetFail(): u32 { return errSetFail; }
export function h_errIncr(): u32 { return errIncr; }
export function h_errBytes(): u32 { return errBytes; }
export function h_hits(): u32 { return hits; }
export function h_casCount(): u32 { return casCount; }

let rng: u32 = 1;
@inline function rand(): u32 { rng ^= rng << 13; rng ^= rng >> 17; rng ^= rng << 5; return rng; }

/** "key:" + decimal id into buf; returns the length. */
function writeKey(buf: usize, id: u32): u32 {
  store<u32>(buf, 0x3a79656b); // "key:"
  let n: u32 = 1;
  let x = id;
  while (x >= 10) { x /= 10; n++; }
  x = id;
  for (let i = <i32>n - 1; i >= 0; i--) { store<u8>(buf + 4 + i, <u8>(48 + x % 10)); x /= 10; }
  return 4 + n;
}

const COUNTER_KEY: u32 = 0x72746363; // "cctr"
const LOG_KEY: u32 = 0x676f6c6c;     // "llog": appended 8-byte records (writer, seq)
let appends: u32 = 0;
export function h_appends(): u32 { return appends; }

/** An empty "llog" item for the appends to grow. */
export function h_setLog(scratch: usize): i32 {
  store<u32>(scratch, LOG_KEY);
  let it = storeAlloc(scratch, 4, 0, 0, 0, 100);
  if (it == 0) return -1;
  return storeCommit(it, MODE_SET, 0, 100);
}

/** Copy the log's value to dst; its length, or -1 if it is gone. */
export function h_getLog(scratch: usize, dst: usize): i32 {
  store<u32>(scratch, LOG_KEY);
  let it = storeFind(scratch, 4, 100);
  if (it == 0) return -1;
  let n = itemValueLen(it);
  memory.copy(dst, itemValue(it), n);
  return storeReadOk(it) ? <i32>n : -2;
}

export function h_setCounter(scratch: usize): i32 {
  store<u32>(scratch, COUNTER_KEY);
  let it = storeAlloc(scratch, 4, 0, 0, 1, 100);
  if (it == 0) return -1;
  store<u8>(itemValue(it), 48);
  return storeCommit(it, MODE_SET, 0, 100);
}

export function h_getCounter(scratch: usize): f64 {
  store<u32>(scratch, COUNTER_KEY);
  let it = storeFind(scratch, 4, 100);
  if (it == 0) return -1;
  let v: f64 = 0;
  let p = itemValue(it);
  let n = itemValueLen(it);
  for (let i: u32 = 0; i < n; i++) {
    let c = load<u8>(p + i);
    if (c < 48 || c > 57) break;
    v = v * 10 + <f64>(c - 48);
  }
  return v;
}

/** Check a value copied to `copy` for key `id`; false if torn or foreign. */
function valid(copy: usize, vlen: u32, id: u32, writers: u32): bool {
  if (vlen < 16) return false;
  if (load<u32>(copy) != id || load<u32>(copy + 12) != vlen) return false;
  let w = load<u32>(copy + 4);
  if (w >= writers) return false;
  let base = id * 31 + w * 7 + load<u32>(copy + 8);
  for (let i: u32 = 16; i < vlen; i++) if (load<u8>(copy + i) != <u8>(base + i)) return false;
  return true;
}

/**
 * `ops` random operations on keys [0, nkeys): 50% get (value checked), 35% set,
 * 5% add, 5% delete, 5% incr of the shared counter (a quarter of the sets with
 * a 2 s TTL, the clock advancing, storeTick every 256 operations); and maxAppends appends
 * of (writer, seq) to the shared log, evenly spread. CAS values of this
 * instance's successful sets are logged at casLog (u64 each).
 */
export function h_stress(writer: u32, writers: u32, ops: u32, nkeys: u32, maxVlen: u32, seed: u32,
                         scratch: usize, casLog: usize, itemBytes: u32, maxAppends: u32): u32 {
  rng = seed | 1;
  errTorn = 0; errReadRetry = 0; errSetFail = 0; errIncr = 0; errBytes = 0; hits = 0; casCount = 0; appends = 0;
  let keyBuf = scratch;
  let copy = scratch + 256;
  let now: u32 = 100;
  let incrs: u32 = 0;
  let appendEvery = maxAppends ? ops / maxAppends : ops + 1;
  for (let seq: u32 = 0; seq < ops; seq++) {
    // the clock advances a second every 20,000 operations, so the short-TTL
    // sets below expire and the sweep (storeTick) unlinks them while every
    // other instance reads, writes and evicts
    now = 100 + seq / 20000;
    if ((seq & 255) == 0) storeTick(now);
    // appends spread over the whole run, so the log stays recently written
    if (seq % appendEvery == 0 && appends < maxAppends) {
      store<u32>(scratch + 128, LOG_KEY);
      let it = storeAlloc(scratch + 128, 4, 0, 0, 8, now);
      if (it == 0) errSetFail++;
      else {
        store<u32>(itemValue(it), writer);
        store<u32>(itemValue(it) + 4, seq);
        if (storeCommit(it, MODE_APPEND, 0, now) == STORED) appends++;
        else errSetFail++;
      }
    }
    let r = rand() % 100;
    let id = rand() % nkeys;
    let klen = writeKey(keyBuf, id);
    if (r < 50) {
      let it = storeFind(keyBuf, klen, now);
      if (it == 0) continue;
      let big = itemValueLen(it) > 4096;
      if (big && !storePin(it)) { errReadRetry++; continue; }
      let vlen = itemValueLen(it);
      if (vlen > maxVlen) vlen = maxVlen;
      memory.copy(copy, itemValue(it), vlen);
      let ok = storeReadOk(it);
      if (big) storeUnpin(it);
      if (!ok) { errReadRetry++; continue; }
      if (!valid(copy, vlen, id, writers)) errTorn++;
      else { hits++; storeTouchAccess(it); }
    } else if (r < 90) {
      let vlen: u32 = 16 + rand() % (maxVlen - 16);
      let it = storeAlloc(keyBuf, klen, 0, r < 60 ? now + 2 : 0, vlen, now);
      if (it == 0) { errSetFail++; continue; }
      let p = itemValue(it);
      store<u32>(p, id);
      store<u32>(p + 4, writer);
      store<u32>(p + 8, seq);
      store<u32>(p + 12, vlen);
      let base = id * 31 + writer * 7 + seq;
      for (let i: u32 = 16; i < vlen; i++) store<u8>(p + i, <u8>(base + i));
      let res = storeCommit(it, r < 85 ? MODE_SET : MODE_ADD, 0, now);
      if (res == STORED) { store<u64>(casLog + (<usize>casCount << 3), itemCas(it)); casCount++; }
      else if (r < 85) errSetFail++;
    } else if (r < 95) {
      storeDelete(keyBuf, klen, now);
    } else {
      store<u32>(keyBuf, COUNTER_KEY);
      if (storeDelta(keyBuf, 4, true, 1, now) != DELTA_OK) errIncr++;
      else incrs++;
      if (storeDeltaResult() == 0) errIncr++;
    }
    if ((seq & 1023) == 0 && statBytes() > <u64>itemBytes) errBytes++;
  }
  return incrs;
}

/** One GET of key `id` as the protocol does it (hit marks access); for hit-ratio runs. */
export function h_get(id: u32, scratch: usize, now: u32): bool {
  let klen = writeKey(scratch, id);
  let it = storeFind(scratch, klen, now);
  if (it == 0) return false;
  storeTouchAccess(it);
  return true;
}

/** One SET of key `id` with a vlen-byte value. */
export function h_set(id: u32, vlen: u32, scratch: usize, now: u32): i32 {
  let klen = writeKey(scratch, id);
  let it = storeAlloc(scratch, klen, 0, 0, vlen, now);
  if (it == 0) return -1;
  return storeCommit(it, MODE_SET, 0, now);
}
