// Binary request dispatch: memcached 1.6.18's dispatch_bin_command, its
// length checks per opcode (a failed check is a protocol error: EINVAL, then
// close) and its handlers. Values arrive afterwards in BIN_NREAD
// (binNread), straight into the store reservation; GET hits too large for
// the output at hand are pinned and streamed by retrieve.ts's GETVALUE.

import { Ctl } from "../../shared/control";
import {
  DELTA_OK, EXISTS, itemCas, storeCasDisabled, itemFlags, itemKey, itemKeyLen, itemValue, itemValueLen, MODE_ADD,
  MODE_APPEND, MODE_CAS, MODE_PREPEND, MODE_REPLACE, MODE_SET, NO_MEMORY, NON_NUMERIC, NOT_FOUND,
  relExptime, STORED, storeAbort, storeAlloc, storeCommit, storeDelete, storeDeleteMeta, storeDelta, storeDeltaResult,
  storeFind, storeFlush, storeItemSizeOk, storeLastCas, storePin, storeReadOk, storeTouch, storeUnpin,
} from "../../store/index";
import {
  S, sCas, sState, setCas, setHalted, setItem, setMode, setRemain, setState, setTotal, sItem, sMode, sRemain,
  sTotal,
} from "../conn";
import { deltaCasMismatch } from "../delta";
import { base, ctl, nowRel, REGION_TOKENS } from "../instance";
import { digitsU64 } from "../numbers";
import { outAvail, outClose, outCommit, outReserve } from "../output";
import { putField } from "../reply";
import { countHit, countMiss, streamValue } from "../retrieve";
import { incStat, L, resetStats, St, startListing } from "../stats";
import {
  be32, be64, HEADER_LEN, Op, plainOpcode, putHeader, reqBodyLen, reqCas, reqExtLen, reqKeyLen,
  reqOpaque, reqOpcode, Status,
} from "./header";
import { error, missWithKey, Oom, outOfMemory, RESPONSE_MAX, success } from "./reply";
import { frameRequest, REQ_BAD_LENGTHS, REQ_BAD_MAGIC, REQ_KEY_TOO_LONG, REQ_NEED_MORE, reqLen } from "./request";
import { sOpaque, setRequest, sOpcode, sQuiet } from "./state";

/** incr/decr extras: delta, initial value, expiration. */
const INCR_EXTLEN: u32 = 20;
/** incr/decr expiration meaning "do not create on a miss". */
const NO_CREATE: u32 = 0xffffffff;
/** set/add/replace extras: flags, expiration. */
const STORE_EXTLEN: u32 = 8;
/** touch/gat extras: expiration. */
const TOUCH_EXTLEN: u32 = 4;
/** A hit's header + flags + key. */
const HIT_HEAD_MAX: u32 = HEADER_LEN + 4 + 250;
/** Attempts at a consistent copy of an item that keeps changing; then a miss. */
const READ_RETRIES: i32 = 4;

/** Closes after what is already written; the rest of the input is dropped. */
function close(conn: u32, s: usize, n: u32): u32 {
  outClose(conn);
  setState(s, S.CLOSED);
  return n;
}

/** memcached's handle_binary_protocol_error: EINVAL, then close. */
function protocolError(conn: u32, s: usize, n: u32): u32 {
  error(conn, s, Status.EINVAL);
  return close(conn, s, n);
}

/** Skips `len` more input bytes (memcached's conn_swallow), then BIN_CMD again. memcached holds
 *  the count in an int and swallows only a positive one: a length of 2^31 or more (a bodylen past
 *  what the key and extras leave) skips nothing, and what follows is read as requests. */
function swallow(s: usize, len: u32): void {
  const skip = <i32>len > 0;
  setRemain(s, skip ? len : 0);
  setState(s, skip ? S.SWALLOW : S.BIN_CMD);
}

/** BIN_NREAD refused an upload hold (../upload.ts): the store fails as one it could not allocate. */
export function binUploadRefused(conn: u32, s: usize): void {
  const it = sItem(s);
  outOfMemory(conn, s, Oom.ALLOC_ITEM);
  // memcached drops the old value rather than leave it stale after a failed set
  if (sMode(s) == MODE_SET) storeDelete(itemKey(it), itemKeyLen(it), nowRel);
  storeAbort(it);
  setItem(s, 0);
  swallow(s, sRemain(s));
}

/** BIN_CMD: one request at the start of [p, p+n); returns the bytes consumed. */
export function binCommand(conn: u32, s: usize, p: usize, n: u32): u32 {
  const f = frameRequest(p, n);
  if (f == REQ_NEED_MORE) { setHalted(true); return 0; }
  if (f == REQ_BAD_MAGIC) return close(conn, s, n);
  if (outReserve(conn, RESPONSE_MAX) == 0) { setHalted(true); return 0; }
  const opcode = reqOpcode(p);
  const op = plainOpcode(opcode);
  setRequest(s, opcode, reqOpaque(p), op != opcode);
  if (f == REQ_BAD_LENGTHS) { error(conn, s, Status.UNKNOWN_COMMAND); return close(conn, s, n); }
  if (f == REQ_KEY_TOO_LONG) return protocolError(conn, s, n);
  const ext = reqExtLen(p);
  const klen = reqKeyLen(p);
  const body = reqBodyLen(p);
  const extras = p + HEADER_LEN;
  const key = extras + ext;
  const cas = reqCas(p);
  const bare = ext == 0 && klen == 0 && body == 0;
  switch (op) {
    case Op.VERSION:
      if (!bare) return protocolError(conn, s, n);
      version(conn, s);
      break;
    case Op.FLUSH:
      if (klen != 0 || body != ext || (ext != 0 && ext != 4)) return protocolError(conn, s, n);
      incStat(St.CMD_FLUSH);
      storeFlush(ext == 4 ? <i64>be32(extras) : 0, nowRel);
      success(conn, s, 0, 0, 0);
      break;
    case Op.NOOP:
      if (!bare) return protocolError(conn, s, n);
      success(conn, s, 0, 0, 0);
      break;
    case Op.SET: case Op.ADD: case Op.REPLACE:
      if (ext != STORE_EXTLEN || klen == 0 || body < klen + STORE_EXTLEN) return protocolError(conn, s, n);
      update(conn, s, op, key, klen, be32(extras), be32(extras + 4), body - klen - ext, cas);
      break;
    case Op.APPEND: case Op.PREPEND:
      if (klen == 0 || ext != 0) return protocolError(conn, s, n);
      update(conn, s, op, key, klen, 0, 0, body - klen, cas);
      break;
    case Op.GET: case Op.GETK:
      if (ext != 0 || body != klen || klen == 0) return protocolError(conn, s, n);
      retrieve(conn, s, op, key, klen, 0);
      break;
    case Op.TOUCH: case Op.GAT: case Op.GATK:
      if (ext != TOUCH_EXTLEN || klen == 0) return protocolError(conn, s, n);
      retrieve(conn, s, op, key, klen, be32(extras));
      break;
    case Op.DELETE:
      if (klen == 0 || ext != 0 || body != klen) return protocolError(conn, s, n);
      del(conn, s, key, klen, cas);
      break;
    case Op.INCREMENT: case Op.DECREMENT:
      if (klen == 0 || ext != INCR_EXTLEN || body != klen + ext) return protocolError(conn, s, n);
      arithmetic(conn, s, op == Op.INCREMENT, key, klen, extras, cas);
      break;
    case Op.STAT:
      if (ext != 0) return protocolError(conn, s, n);
      stat(conn, s, key, klen);
      break;
    case Op.QUIT:
      if (!bare) return protocolError(conn, s, n);
      success(conn, s, 0, 0, 0);
      return close(conn, s, n);
    case Op.SASL_LIST_MECHS:
      // memcached built without SASL: UNKNOWN_COMMAND, the body skipped
      if (!bare) return protocolError(conn, s, n);
      error(conn, s, Status.UNKNOWN_COMMAND);
      break;
    case Op.SASL_AUTH: case Op.SASL_STEP:
      if (ext != 0 || klen == 0) return protocolError(conn, s, n);
      error(conn, s, Status.UNKNOWN_COMMAND);
      swallow(s, body - klen);
      break;
    default:
      // memcached swallows `bodylen` bytes after the extras and key it has
      // already consumed (so a body of an unknown command eats that much of
      // what follows); the same bytes are skipped here.
      error(conn, s, Status.UNKNOWN_COMMAND);
      swallow(s, body);
  }
  return reqLen;
}

function version(conn: u32, s: usize): void {
  const p = base + REGION_TOKENS; // scratch: the text parser's token table is free here
  const n = putField(p, ctl + Ctl.VERSION_STR, 32);
  success(conn, s, 0, p, n);
}

// ---- storage -------------------------------------------------------------------

function update(conn: u32, s: usize, op: u32, key: usize, klen: u32, flags: u32, exptime: u32, vlen: u32, cas: u64): void {
  const it = storeAlloc(key, klen, flags, relExptime(<i64>exptime, nowRel), vlen, nowRel);
  if (it == 0) {
    if (!storeItemSizeOk(klen, flags, vlen)) {
      error(conn, s, Status.E2BIG);
      incStat(St.STORE_TOO_LARGE);
    } else {
      outOfMemory(conn, s, Oom.ALLOC_ITEM);
      incStat(St.STORE_NO_MEMORY);
    }
    // memcached drops the old value rather than leave it stale after a failed set
    if (op == Op.SET) storeDelete(key, klen, nowRel);
    swallow(s, vlen);
    return;
  }
  let mode = MODE_SET;
  if (op == Op.APPEND) mode = MODE_APPEND;
  else if (op == Op.PREPEND) mode = MODE_PREPEND;
  else if (cas != 0 && !storeCasDisabled()) mode = MODE_CAS;
  else if (op == Op.ADD) mode = MODE_ADD;
  else if (op == Op.REPLACE) mode = MODE_REPLACE;
  setItem(s, it);
  setMode(s, mode);
  setCas(s, cas);
  setTotal(s, vlen);
  setRemain(s, vlen);
  setState(s, S.BIN_NREAD);
  if (vlen == 0) finishUpdate(conn, s);
}

/** BIN_NREAD: value bytes into the reservation; at the end, store and answer. */
export function binNread(conn: u32, s: usize, p: usize, n: u32): u32 {
  const remain = sRemain(s);
  const dst = itemValue(sItem(s)) + (sTotal(s) - remain);
  if (n < remain) {
    memory.copy(dst, p, n);
    setRemain(s, remain - n);
    return n;
  }
  if (outReserve(conn, RESPONSE_MAX) == 0) { setHalted(true); return 0; }
  memory.copy(dst, p, remain);
  setRemain(s, 0);
  finishUpdate(conn, s);
  return remain;
}

function finishUpdate(conn: u32, s: usize): void {
  const it = sItem(s);
  const vlen = sTotal(s);
  const mode = sMode(s);
  const casIn = sCas(s);
  setState(s, S.BIN_CMD);
  setItem(s, 0);
  incStat(St.CMD_SET);
  // the wire value has no CRLF; items keep one after the value
  store<u16>(itemValue(it) + vlen, 0x0a0d);
  const concat = mode == MODE_APPEND || mode == MODE_PREPEND;
  // append/prepend with a CAS: the store compares it under the bucket lock (commitConcat)
  const r = storeCommit(it, mode, casIn, nowRel);
  const isCas = mode == MODE_CAS;
  if (r == STORED) {
    if (isCas) incStat(St.CAS_HITS);
    success(conn, s, concat ? storeLastCas() : itemCas(it), 0, 0); // the CAS this instance just published
  } else if (r == EXISTS) {
    if (isCas) incStat(St.CAS_BADVAL);
    error(conn, s, Status.KEY_EEXISTS);
  } else if (r == NOT_FOUND) {
    if (isCas) incStat(St.CAS_MISSES);
    error(conn, s, Status.KEY_ENOENT);
  } else if (mode == MODE_ADD) {
    error(conn, s, Status.KEY_EEXISTS);
  } else if (mode == MODE_REPLACE) {
    error(conn, s, Status.KEY_ENOENT);
  } else {
    error(conn, s, Status.NOT_STORED);
  }
}

// ---- get / getk / touch / gat / gatk -----------------------------------------------

/** memcached's process_bin_get_or_touch. A hit is sent even when quiet; a miss is not. */
function retrieve(conn: u32, s: usize, op: u32, key: usize, klen: u32, exptime: u32): void {
  const touch = op == Op.TOUCH || op == Op.GAT || op == Op.GATK;
  const withKey = op == Op.GETK || op == Op.GATK;
  const withValue = op != Op.TOUCH;
  const kl = withKey ? klen : 0;
  const rel = relExptime(<i64>exptime, nowRel);
  for (let attempt = 0; attempt < READ_RETRIES; attempt++) {
    const p = outReserve(conn, HIT_HEAD_MAX);
    if (p == 0) return; // unreachable: RESPONSE_MAX was reserved
    const avail = outAvail(conn);
    const it = touch ? storeTouch(key, klen, rel, nowRel) : storeFind(key, klen, nowRel);
    if (it == 0) break;
    const vlen = withValue ? itemValueLen(it) : 0;
    putHeader(p, sOpcode(s), kl, 4, Status.SUCCESS, 4 + kl + vlen, sOpaque(s), itemCas(it));
    store<u32>(p + HEADER_LEN, bswap<u32>(itemFlags(it)));
    memory.copy(p + HEADER_LEN + 4, key, kl);
    const h = HEADER_LEN + 4 + kl;
    if (<u64>h + <u64>vlen <= <u64>avail) {
      memory.copy(p + h, itemValue(it), vlen);
      if (!storeReadOk(it)) continue;
      outCommit(conn, h + vlen);
      countHit(it, touch);
      return;
    }
    // too big for the space at hand: pin it and stream the value (GETVALUE)
    if (!storePin(it)) continue;
    if (!storeReadOk(it)) { storeUnpin(it); continue; }
    outCommit(conn, h);
    countHit(it, touch);
    setItem(s, it);
    setTotal(s, vlen);
    setRemain(s, vlen);
    setState(s, S.GETVALUE);
    streamValue(conn, s);
    if (sState(s) == S.GETKEYS) setState(s, S.BIN_CMD); // streamValue ends a text get's value
    return;
  }
  countMiss(touch);
  if (sQuiet(s)) return;
  if (withKey) missWithKey(conn, s, key, klen);
  else error(conn, s, Status.KEY_ENOENT);
}

// ---- delete, incr/decr ------------------------------------------------------------

function del(conn: u32, s: usize, key: usize, klen: u32, cas: u64): void {
  // a CAS is compared with the live item's under the bucket lock, as the unlink happens
  const r = storeDeleteMeta(key, klen, cas != 0, cas, false, false, 0, nowRel);
  if (r == STORED) {
    incStat(St.DELETE_HITS);
    success(conn, s, 0, 0, 0);
  } else if (r == EXISTS) {
    error(conn, s, Status.KEY_EEXISTS);
  } else {
    incStat(St.DELETE_MISSES);
    error(conn, s, Status.KEY_ENOENT);
  }
}

/** The 8-byte big-endian value body of an incr/decr reply, in scratch memory. */
function valueBody(v: u64): usize {
  const p = base + REGION_TOKENS;
  store<u64>(p, bswap<u64>(v));
  return p;
}

function arithmetic(conn: u32, s: usize, incr: bool, key: usize, klen: u32, extras: usize, cas: u64): void {
  const delta = be64(extras);
  const initial = be64(extras + 8);
  const exptime = be32(extras + 16);
  let r = storeDelta(key, klen, incr, delta, nowRel, cas); // a CAS is compared by the store, before the swap
  if (r == EXISTS) r = deltaCasMismatch(key, klen, nowRel); // memcached: an empty or chunked value is non-numeric first
  if (r == EXISTS) {
    error(conn, s, Status.KEY_EEXISTS);
  } else if (r == DELTA_OK) {
    incStat(incr ? St.INCR_HITS : St.DECR_HITS);
    const v = storeDeltaResult();
    success(conn, s, storeLastCas(), valueBody(v), 8); // the CAS this instance just published
  } else if (r == NON_NUMERIC) {
    error(conn, s, Status.DELTA_BADVAL);
  } else if (r == NO_MEMORY) {
    outOfMemory(conn, s, Oom.INCREMENT);
  } else if (exptime == NO_CREATE) {
    incStat(incr ? St.INCR_MISSES : St.DECR_MISSES);
    error(conn, s, Status.KEY_ENOENT);
  } else {
    create(conn, s, key, klen, initial, exptime);
  }
}

/** incr/decr miss with an expiration: the initial value is added (flags 0). */
function create(conn: u32, s: usize, key: usize, klen: u32, initial: u64, exptime: u32): void {
  const nd = digitsU64(initial);
  const it = storeAlloc(key, klen, 0, relExptime(<i64>exptime, nowRel), nd, nowRel);
  if (it == 0) { outOfMemory(conn, s, Oom.NEW_ITEM); return; }
  const dst = itemValue(it);
  let x = initial;
  for (let i = <i32>nd - 1; i >= 0; i--) { store<u8>(dst + i, <u8>(0x30 + <u32>(x % 10))); x /= 10; }
  store<u16>(dst + nd, 0x0a0d);
  if (storeCommit(it, MODE_ADD, 0, nowRel) == STORED) success(conn, s, itemCas(it), valueBody(initial), 8);
  else error(conn, s, Status.NOT_STORED);
}

// ---- stat ------------------------------------------------------------------------

/** Key [key, key+klen) starts with the ASCII literal t. */
function keyHasPrefix(key: usize, klen: u32, t: string): bool {
  const n = <u32>t.length;
  if (klen < n) return false;
  for (let i: u32 = 0; i < n; i++) if (<u32>load<u8>(key + i) != <u32>t.charCodeAt(i)) return false;
  return true;
}

/** memcached's process_bin_stat: "reset", "settings", "detail" match as prefixes; "items", "slabs", "sizes" exactly. */
function stat(conn: u32, s: usize, key: usize, klen: u32): void {
  if (klen == 0) { startListing(s, L.GENERAL); return; }
  if (keyHasPrefix(key, klen, "reset")) { resetStats(); startListing(s, L.NONE); return; }
  if (keyHasPrefix(key, klen, "settings")) { startListing(s, L.SETTINGS); return; }
  if (keyHasPrefix(key, klen, "detail")) {
    const rest = key + 6;
    const rlen = klen - 6;
    if (keyHasPrefix(rest, rlen, " dump")) startListing(s, L.DETAIL);
    else if (keyHasPrefix(rest, rlen, " on") || keyHasPrefix(rest, rlen, " off")) startListing(s, L.NONE);
    else error(conn, s, Status.KEY_ENOENT);
    return;
  }
  if (klen == 5 && keyHasPrefix(key, klen, "items")) startListing(s, L.ITEMS);
  else if (klen == 5 && keyHasPrefix(key, klen, "slabs")) startListing(s, L.SLABS);
  else if (klen == 5 && keyHasPrefix(key, klen, "sizes")) startListing(s, L.SIZES);
  else error(conn, s, Status.KEY_ENOENT);
}
