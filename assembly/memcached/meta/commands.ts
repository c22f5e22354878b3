// memcached 1.6.18's meta commands (proto_text.c process_m*_command):
// mn, me, mg, ms, md, ma. The flags are read by flags.ts; reply lines are
// built by line.ts in the output space reserved before the command ran
// (META_LINE_MAX). `ms` values go through the session's NREAD state into a
// store reservation; the reply's O/k/c flags wait in the session (O_META).
// `mg` values too large for the output at hand are pinned and streamed
// (GETVALUE) as get does. Nothing is allocated; every loop is bounded by the
// token count or the value length.

import {
  DELTA_OK, EXISTS, itemCas, itemExptime, itemFlags, itemKey, itemKeyLen, itemMetaBits, itemTime, itemValue,
  itemValueLen, META_FETCHED, META_KEY_BINARY, META_STALE, META_WON, MODE_ADD, MODE_APPEND, MODE_CAS,
  MODE_CAS_STALE, MODE_PREPEND, MODE_REPLACE, MODE_SET, NO_MEMORY, NON_NUMERIC, NOT_FOUND, NOT_STORED, STORED,
  storeAlloc, storeClaimWin, storeCommit, storeDelete, storeDeleteMeta, storeDelta, storeDeltaExptime,
  storeDeltaResult, storeFind, storeItemSizeOk, storeLastCas, storeLastMiss, storeMarkKeyBinary, storePin,
  storeReadOk, storeSetTtl, storeSetTtlPrevious, storeTouchAccess, storeUnpin, storeVivified, storeVivify, MISS_EXPIRED, MISS_FLUSHED,
} from "../../store/index";
import {
  F_META, F_META_QUIET, O_META, S, sCas, setCas, setFlags, setItem, setMode, setRemain, setState, setTotal,
  sFlags, sMode,
} from "../conn";
import { deltaCasMismatch, MC_SLAB_CHUNK_MAX, mcItemTotal } from "../delta";
import { base, nowRel, REGION_TOKENS } from "../instance";
import { numValue, parseI32, writeU64 } from "../numbers";
import { outAvail, outCommit, outReserve } from "../output";
import { KEY_MAX_LENGTH, ntok, tokLen, tokStart } from "../parse";
import { putStr, R, reply } from "../reply";
import { incStat, St } from "../stats";
import { base64Decode, base64Encode } from "./base64";
import {
  flagAt, mfAutoviv, mfCas, mfClientFlags, mfDelta, mfError, mfExptime, mfHasCas, mfInitial, mfKey, mfKeyBinary,
  mfKeyLen, mfMode, mfNewTtl, mfNoReply, mfNoUpdate, mfRecache, mfStale, mfValue, mfVivify, parseFlags,
} from "./flags";
import {
  E, endLine, META_LINE_MAX, metaError, metaStatus, putFlag, putFlagNumber, putKey, putToken, putTtl,
} from "./line";

export { META_LINE_MAX } from "./line";

/** memcached's MFLAG_MAX_OPT_LENGTH: most tokens (its ntokens, terminal included) of a meta line. */
const MAX_OPT_TOKENS: u32 = 20;
/** memcached's MFLAG_MAX_OPAQUE_LENGTH: the longest O token, its 'O' included. */
const OPAQUE_MAX: u32 = 32;
/** Attempts at a consistent copy of an item that keeps changing; then it counts as a miss. */
const READ_RETRIES: i32 = 4;
/** Scratch in this instance's token region, past the token table (parse.ts uses 24 * 8 bytes). */
const SCRATCH: usize = 256;

/** Seconds since rel time t (0 if another core's clock ran ahead). */
@inline function since(t: u32): u32 { return nowRel > t ? nowRel - t : 0; }

@inline function scratch(): usize { return base + REGION_TOKENS + SCRATCH; }

const C_O: u32 = 0x4f;
const C_K: u32 = 0x6b;
const C_C: u32 = 0x63;

/** Runs the meta command of token 0 (two bytes, 'm' first). False if it is none (the caller says ERROR). */
export function metaCommand(conn: u32, s: usize, p: usize): bool {
  if (tokLen(0) != 2) return false;
  const c = <u32>load<u8>(p + tokStart(0) + 1);
  if (c == 0x6e) { metaStatus(conn, "MN"); return true; } // mn
  if (c == 0x65) { me(conn, p); return true; }            // me
  if (c != 0x67 && c != 0x73 && c != 0x64 && c != 0x61) return false;
  if (ntok < 2) { reply(conn, false, R.ERROR); return true; }
  if (c == 0x67) mg(conn, s, p);
  else if (c == 0x73) ms(conn, s, p);
  else if (c == 0x64) md(conn, p);
  else ma(conn, p);
  return true;
}

/** An opaque (O) token longer than memcached allows among tokens [from, ntok). */
function opaqueTooLong(p: usize, from: u32): bool {
  for (let i = from; i < ntok; i++) if (flagAt(p, i) == C_O && tokLen(i) > OPAQUE_MAX) return true;
  return false;
}

/** mg/md/ma: the key, the token count, the flags. False after answering an error. */
function prologue(conn: u32, p: usize, tooLong: u32, flagError: u32, opaqueFirst: bool = true): bool {
  if (tokLen(1) > KEY_MAX_LENGTH) { metaError(conn, E.BAD_FORMAT); return false; }
  if (ntok + 1 > MAX_OPT_TOKENS) { metaError(conn, tooLong); return false; }
  if (!parseFlags(p, 2)) { metaError(conn, flagError == E.NONE ? mfError : flagError); return false; }
  if (opaqueFirst && opaqueTooLong(p, 2)) { metaError(conn, E.OPAQUE_LONG); return false; }
  return true;
}

/** The O and k flags of a reply without an item (EN, NF, EX, NS). */
function missFlags(q: usize, p: usize, from: u32): usize {
  for (let i = from; i < ntok; i++) {
    const f = flagAt(p, i);
    if (f == C_O) q = putToken(q, p, i);
    else if (f == C_K) q = putKey(q, mfKey, mfKeyLen, mfKeyBinary);
  }
  return q;
}

/** "<code><O/k flags>\r\n" for a reply without an item. */
function codeLine(conn: u32, p: usize, code: string): void {
  const q0 = outReserve(conn, META_LINE_MAX);
  if (q0 == 0) return; // unreachable: replySpace() reserved it
  endLine(conn, q0, missFlags(q0 + putStr(q0, code), p, 2));
}

// ---- mg ----------------------------------------------------------------------

function countGet(hit: bool): void {
  incStat(St.CMD_GET);
  if (mfNewTtl) { incStat(St.CMD_TOUCH); incStat(hit ? St.TOUCH_HITS : St.TOUCH_MISSES); }
  else incStat(hit ? St.GET_HITS : St.GET_MISSES);
  if (!hit) {
    const why = storeLastMiss();
    if (why == MISS_EXPIRED) incStat(St.GET_EXPIRED);
    else if (why == MISS_FLUSHED) incStat(St.GET_FLUSHED);
  }
}

/** The TTL of an item mg N creates: memcached's starts at 0, then N and T set it in token order. */
function vivifiedTtl(p: usize): u32 {
  let ttl: u32 = 0;
  for (let i: u32 = 2; i < ntok; i++) {
    const f = flagAt(p, i);
    if (f == 0x4e) ttl = mfAutoviv;
    else if (f == 0x54) ttl = mfExptime;
  }
  return ttl;
}

/**
 * mg with an opaque too long: memcached finds (or, with N, creates) the item first and
 * meets the opaque in its flag loop, in token order, so the T and N before that token
 * have set the TTL by the time it answers the error; the item keeps all of it (a created
 * one is empty, unfetched, and its win token not taken).
 */
function mgOpaqueTooLong(conn: u32, p: usize): void {
  let at = ntok;
  for (let i: u32 = 2; i < ntok; i++) if (flagAt(p, i) == C_O && tokLen(i) > OPAQUE_MAX) { at = i; break; }
  let ttlSet = false;
  let ttl: u32 = 0; // a created item's: 0, then N and T in token order
  for (let i: u32 = 2; i < at; i++) {
    const f = flagAt(p, i);
    if (f == 0x54) { ttlSet = true; ttl = mfExptime; }
    else if (f == 0x4e) ttl = mfAutoviv;
  }
  if (storeFind(mfKey, mfKeyLen, nowRel) != 0) {
    if (ttlSet) storeSetTtl(mfKey, mfKeyLen, mfExptime, nowRel);
  } else if (mfVivify) {
    storeVivify(mfKey, mfKeyLen, ttl, 0, 0, false, nowRel);
  }
  metaError(conn, E.OPAQUE_LONG);
}

function mg(conn: u32, s: usize, p: usize): void {
  if (!prologue(conn, p, E.MG_TOO_LONG, E.NONE, false)) return;
  if (opaqueTooLong(p, 2)) { mgOpaqueTooLong(conn, p); return; }
  for (let attempt = 0; attempt < READ_RETRIES; attempt++) {
    let it: usize = mfNewTtl ? storeSetTtl(mfKey, mfKeyLen, mfExptime, nowRel) : storeFind(mfKey, mfKeyLen, nowRel);
    let created = false;
    if (it == 0 && mfVivify) {
      it = storeVivify(mfKey, mfKeyLen, vivifiedTtl(p), 0, 0, true, nowRel);
      created = it != 0 && storeVivified();
    }
    if (it == 0) {
      countGet(false);
      if (!mfNoReply) codeLine(conn, p, "EN");
      return;
    }
    const q0 = outReserve(conn, META_LINE_MAX);
    if (q0 == 0) return; // unreachable: replySpace() reserved it
    const avail = outAvail(conn);
    const vlen = itemValueLen(it);
    const bits = itemMetaBits(it);
    const exptime = itemExptime(it);
    // T (and N on a created item) apply in token order: a t before them shows the TTL from before
    let shownTtl: u32 = created ? 0 : mfNewTtl ? storeSetTtlPrevious() : exptime;
    let q = q0;
    if (mfValue) { q += putStr(q, "VA "); q += writeU64(q, vlen); } else q += putStr(q, "HD");
    let won = created;
    for (let i: u32 = 2; i < ntok; i++) {
      const f = flagAt(p, i);
      if (f == 0x52) { // R: win the recache below this TTL (the TTL as the T and N before it left it)
        if ((bits & META_WON) == 0 && !created && shownTtl != 0 && shownTtl < mfRecache) won = true;
      } else if (f == 0x73) q = putFlagNumber(q, f, vlen);
      else if (f == 0x74) q = putTtl(q, shownTtl, nowRel);
      else if (f == 0x54) shownTtl = mfExptime;
      else if (f == 0x4e) { if (created) shownTtl = mfAutoviv; }
      else if (f == C_C) q = putFlagNumber(q, f, itemCas(it));
      else if (f == 0x66) q = putFlagNumber(q, f, itemFlags(it));
      else if (f == 0x6c) q = putFlagNumber(q, f, <u64>since(itemTime(it)));
      else if (f == 0x68) q = putFlagNumber(q, f, (bits & META_FETCHED) != 0 ? 1 : 0);
      else if (f == C_O) q = putToken(q, p, i);
      else if (f == C_K) q = putKey(q, itemKey(it), itemKeyLen(it), (bits & META_KEY_BINARY) != 0);
    }
    if (!created && (bits & META_WON) != 0) q = putFlag(q, 0x5a); // Z: a token was sent already
    if ((bits & META_STALE) != 0) {
      q = putFlag(q, 0x58); // X
      if ((bits & META_WON) == 0) won = true;
    }
    if (!storeReadOk(it)) continue;
    // a T that expired the item (T-1, a past date) still hands this request the win, as
    // memcached's does; nothing can claim a dead item, so there is no race to lose
    const expiredByT = mfNewTtl && exptime != 0 && exptime <= nowRel;
    if (won && (created || expiredByT || storeClaimWin(it, nowRel))) q = putFlag(q, 0x57); // W
    store<u16>(q, 0x0a0d);
    q += 2;
    const h = <u32>(q - q0);
    if (!mfValue) {
      outCommit(conn, h);
    } else if (<u64>h + <u64>vlen + 2 <= <u64>avail) {
      memory.copy(q, itemValue(it), vlen + 2);
      if (!storeReadOk(it)) continue;
      outCommit(conn, h + vlen + 2);
    } else {
      // too big for the space at hand: pin it; the session streams it (GETVALUE, then CMD)
      if (!storePin(it)) continue;
      if (!storeReadOk(it)) { storeUnpin(it); continue; }
      outCommit(conn, h);
      setFlags(s, F_META);
      setItem(s, it);
      setTotal(s, vlen + 2);
      setRemain(s, vlen + 2);
      setState(s, S.GETVALUE);
    }
    if (!mfNoUpdate) storeTouchAccess(it);
    countGet(true);
    return;
  }
  countGet(false);
  if (!mfNoReply) codeLine(conn, p, "EN");
}

// ---- ms ----------------------------------------------------------------------
// The reply's flags wait in the session at O_META: "O" + length + opaque,
// "k" and "c" bytes in token order, after a count byte.

/** Starts an `ms`: errors before the length leave the value to be read as a command, as memcached does. */
function ms(conn: u32, s: usize, p: usize): void {
  if (tokLen(1) > KEY_MAX_LENGTH || ntok < 3) { metaError(conn, E.BAD_FORMAT); return; }
  if (ntok + 1 > MAX_OPT_TOKENS) { metaError(conn, E.TOO_LONG); return; }
  // memcached refuses lengths past INT_MAX - 2 (the value's CRLF would overflow an int), before
  // any swallow: a huge length must not make the parser eat the input that follows
  if (!parseI32(p + tokStart(2), tokLen(2)) || <i32><u32>numValue < 0 || <u32>numValue > <u32>i32.MAX_VALUE - 2) {
    metaError(conn, E.BAD_FORMAT); return;
  }
  const vlen = <u32>numValue;
  const total = vlen + 2;
  // from here on an error skips the value
  setRemain(s, total);
  setTotal(s, total);
  let err = E.NONE;
  if (!parseFlags(p, 3)) err = mfError;
  let mode = MODE_SET;
  if (err == E.NONE) {
    const m = mfMode;
    // 1.6.18 takes upper case only (docs/memcached-meta.md)
    if (m == 0 || m == 0x53) mode = MODE_SET;   // S
    else if (m == 0x45) mode = MODE_ADD;       // E
    else if (m == 0x41) mode = MODE_APPEND;    // A
    else if (m == 0x50) mode = MODE_PREPEND;   // P
    else if (m == 0x52) mode = MODE_REPLACE;   // R
    else err = E.MS_MODE;
  }
  // memcached notes a long opaque while it builds the reply flags and reports it only after
  // the mode switch, so a bad mode wins
  if (err == E.NONE && opaqueTooLong(p, 3)) err = E.OPAQUE_LONG;
  if (err != E.NONE) { metaError(conn, err); setState(s, S.SWALLOW); return; }
  // a CAS turns set and replace into cas (with I: cas that may store a stale value)
  // (C0 is no CAS to memcached's compare, never stale: EX on an existing item)
  if (mfHasCas && (mode == MODE_SET || mode == MODE_REPLACE)) mode = mfStale && mfCas != 0 ? MODE_CAS_STALE : MODE_CAS;
  const it = storeAlloc(mfKey, mfKeyLen, mfClientFlags, mfExptime, vlen, nowRel);
  if (it == 0) {
    if (!storeItemSizeOk(mfKeyLen, mfClientFlags, vlen)) { metaError(conn, E.TOO_LARGE); incStat(St.STORE_TOO_LARGE); }
    else { metaError(conn, E.NO_MEMORY_STORE); incStat(St.STORE_NO_MEMORY); }
    storeDelete(mfKey, mfKeyLen, nowRel); // no stale value left behind a failed store
    setState(s, S.SWALLOW);
    return;
  }
  if (mfKeyBinary) storeMarkKeyBinary(it);
  // the reply's flags
  const st = s + O_META;
  let n: u32 = 1;
  for (let i: u32 = 3; i < ntok; i++) {
    const f = flagAt(p, i);
    if (f == C_O) {
      const len = tokLen(i);
      store<u8>(st + n, <u8>C_O);
      store<u8>(st + n + 1, <u8>len);
      memory.copy(st + n + 2, p + tokStart(i), len);
      n += 2 + len;
    } else if (f == C_K || f == C_C) {
      store<u8>(st + n++, <u8>f);
    }
  }
  store<u8>(st, <u8>n);
  setFlags(s, F_META | (mfNoReply ? F_META_QUIET : 0));
  setItem(s, it);
  setMode(s, mode);
  setCas(s, mfHasCas ? mfCas : 0);
  setState(s, S.NREAD);
}

/** NREAD done for an `ms` (value and CRLF checked): commit and answer. */
export function metaStored(conn: u32, s: usize, it: usize): void {
  // the key is needed after the reservation is consumed
  const klen = itemKeyLen(it);
  const key = scratch();
  memory.copy(key, itemKey(it), klen);
  const binary = (itemMetaBits(it) & META_KEY_BINARY) != 0;
  const mode = sMode(s);
  const r = storeCommit(it, mode, sCas(s), nowRel);
  const cas = mode == MODE_CAS || mode == MODE_CAS_STALE;
  let code = "HD";
  if (r == STORED) {
    if (cas) incStat(St.CAS_HITS);
    if ((sFlags(s) & F_META_QUIET) != 0) return;
  } else if (r == EXISTS) { code = "EX"; if (cas) incStat(St.CAS_BADVAL); }
  else if (r == NOT_FOUND) { code = "NF"; if (cas) incStat(St.CAS_MISSES); }
  else if (r == NOT_STORED) code = "NS";
  else { metaError(conn, E.NO_MEMORY_STORE); return; }
  const q0 = outReserve(conn, META_LINE_MAX);
  if (q0 == 0) return; // unreachable: session.ts reserved it
  let q = q0 + putStr(q0, code);
  const st = s + O_META;
  const n = <u32>load<u8>(st);
  let i: u32 = 1;
  while (i < n) {
    const f = <u32>load<u8>(st + i);
    if (f == C_O) {
      const len = <u32>load<u8>(st + i + 1);
      store<u8>(q++, 0x20);
      memory.copy(q, st + i + 2, len);
      q += len;
      i += 2 + len;
    } else {
      if (f == C_K) q = putKey(q, key, klen, binary);
      // memcached returns the new item's CAS, which only a store sets: 0 on EX, NF and NS
      else q = putFlagNumber(q, C_C, r == STORED ? storeLastCas() : 0);
      i++;
    }
  }
  endLine(conn, q0, q);
}

// ---- md ----------------------------------------------------------------------

function md(conn: u32, p: usize): void {
  if (!prologue(conn, p, E.TOO_LONG, E.INVALID_OR_DUP)) return;
  const r = storeDeleteMeta(mfKey, mfKeyLen, mfHasCas, mfCas, mfStale, mfNewTtl, mfExptime, nowRel);
  if (r == STORED) {
    if (!mfStale) incStat(St.DELETE_HITS);
    if (!mfNoReply) codeLine(conn, p, "HD");
  } else if (r == NOT_FOUND) {
    incStat(St.DELETE_MISSES);
    codeLine(conn, p, "NF");
  } else if (r == EXISTS) {
    incStat(St.DELETE_MISSES);
    codeLine(conn, p, "EX");
  } else {
    metaError(conn, E.NO_MEMORY);
  }
}

// ---- ma ----------------------------------------------------------------------

function ma(conn: u32, p: usize): void {
  // memcached checks ma's opaque length only after the delta (errors of the delta first)
  if (!prologue(conn, p, E.TOO_LONG, E.INVALID_OR_DUP, false)) return;
  const m = mfMode;
  let incr = true;
  if (m == 0 || m == 0x49 || m == 0x2b) incr = true;   // I + (1.6.18: not i)
  else if (m == 0x44 || m == 0x2d) incr = false;       // D - (1.6.18: not d)
  else { metaError(conn, E.MA_MODE); return; }
  // the old value's length, for a T (memcached's lost-TTL case below)
  let oldLen: u32 = u32.MAX_VALUE;
  if (mfNewTtl) { const o = storeFind(mfKey, mfKeyLen, nowRel); if (o != 0) oldLen = itemValueLen(o); }
  let r = storeDelta(mfKey, mfKeyLen, incr, mfDelta, nowRel, mfHasCas ? mfCas : 0);
  if (r == EXISTS) r = deltaCasMismatch(mfKey, mfKeyLen, nowRel);
  let value: u64 = 0;
  let cas: u64 = 0;
  let exptime: u32 = 0;
  let created = false;
  if (r == DELTA_OK) {
    incStat(incr ? St.INCR_HITS : St.DECR_HITS);
    value = storeDeltaResult();
    cas = storeLastCas();
    exptime = storeDeltaExptime();
  } else if (r == NON_NUMERIC) {
    metaError(conn, E.NON_NUMERIC); return;
  } else if (r == NO_MEMORY) {
    metaError(conn, E.NO_MEMORY); return;
  } else if (r == EXISTS) {
    maMiss(conn, p, "EX"); return;
  } else if (mfVivify) {
    const digits = scratch();
    const n = writeU64(digits, mfInitial);
    const it = storeVivify(mfKey, mfKeyLen, 0, digits, n, false, nowRel);
    if (it == 0) { metaError(conn, E.NEW_ITEM_MEMORY); return; }
    created = storeVivified();
    value = mfInitial;
    cas = itemCas(it);
    exptime = itemExptime(it);
  } else {
    incStat(incr ? St.INCR_MISSES : St.DECR_MISSES);
    maMiss(conn, p, "NF");
    return;
  }
  // flags in token order: T and N change the TTL that a later t shows
  const q0 = outReserve(conn, META_LINE_MAX);
  if (q0 == 0) return; // unreachable: replySpace() reserved it
  const was = exptime;
  let q = q0;
  if (mfValue) { q += putStr(q, "VA "); q += writeU64(q, <u64>digitCount(value)); } else q += putStr(q, "HD");
  let opaqueLong = false;
  for (let i: u32 = 2; i < ntok; i++) {
    const f = flagAt(p, i);
    if (f == C_C) q = putFlagNumber(q, f, cas);
    else if (f == 0x74) q = putTtl(q, exptime, nowRel);
    else if (f == 0x54) exptime = mfExptime;
    else if (f == 0x4e) { if (created) exptime = mfAutoviv; }
    else if (f == C_O) {
      // memcached stops here with the delta done and the T/N flags before it applied
      if (tokLen(i) > OPAQUE_MAX) { opaqueLong = true; break; }
      q = putToken(q, p, i);
    }
    else if (f == C_K) q = putKey(q, mfKey, mfKeyLen, mfKeyBinary);
  }
  // memcached sets T's TTL on the item it looked up; a result with more digits than the old
  // value is a new item (do_add_delta copies the old exptime), so there the T is lost
  const lost = !created && <u32>digitCount(value) > oldLen;
  if (exptime != was && !lost) storeSetTtl(mfKey, mfKeyLen, exptime, nowRel);
  if (opaqueLong) { metaError(conn, E.OPAQUE_LONG); return; }
  if (mfValue) {
    store<u16>(q, 0x0a0d);
    q += 2;
    q += writeU64(q, value);
  }
  // memcached's noreply covers a delta's answer, not a vivified one
  if (mfNoReply && !created) return;
  endLine(conn, q0, q);
}

/** An ma without an item (EX, NF): its O and k flags, or memcached's late opaque error. */
function maMiss(conn: u32, p: usize, code: string): void {
  if (opaqueTooLong(p, 2)) { metaError(conn, E.OPAQUE_LONG); return; }
  codeLine(conn, p, code);
}

function digitCount(v: u64): u32 {
  let n: u32 = 1;
  while (v >= 10) { v /= 10; n++; }
  return n;
}

// ---- me ----------------------------------------------------------------------

/** memcached's smallest slab chunk (sizeof(item) + -n 48) and growth factor (-f 1.25) in quarters. */
const MC_SLAB_MIN: u32 = 96;
/** memcached's slab classes are at most 63. */
const MC_SLAB_CLASSES: u32 = 63;

/** The slab class memcached 1.6.18 (default -n, -f) would put an item of `ntotal` bytes in. */
function slabClass(ntotal: u32): u32 {
  let size: u32 = MC_SLAB_MIN;
  let cls: u32 = 1;
  while (cls < MC_SLAB_CLASSES - 1) {
    if (<f64>size >= <f64>MC_SLAB_CHUNK_MAX / 1.25) break;
    if ((size & 7) != 0) size += 8 - (size & 7);
    if (ntotal <= size) return cls;
    size = <u32>(<f64>size * 1.25);
    cls++;
  }
  return cls;
}

/** me <key> [b]: memcached's debug line about an item, in memcached's figures. */
function me(conn: u32, p: usize): void {
  if (ntok < 2 || tokLen(1) > KEY_MAX_LENGTH) { metaError(conn, E.BAD_FORMAT); return; }
  let key = p + tokStart(1);
  let klen = tokLen(1);
  if (ntok >= 3 && tokLen(2) == 1 && flagAt(p, 2) == 0x62) {
    klen = base64Decode(key, klen, key);
    if (klen == 0) { metaError(conn, E.BAD_FORMAT); return; } // me's own message, not the flags' "error decoding key"
  }
  for (let attempt = 0; attempt < READ_RETRIES; attempt++) {
    const it = storeFind(key, klen, nowRel);
    if (it == 0) break;
    const q0 = outReserve(conn, META_LINE_MAX);
    if (q0 == 0) return; // unreachable: replySpace() reserved it
    const bits = itemMetaBits(it);
    let q = q0 + putStr(q0, "ME ");
    if ((bits & META_KEY_BINARY) != 0) q += base64Encode(itemKey(it), itemKeyLen(it), q);
    else { memory.copy(q, key, klen); q += klen; }
    q += putStr(q, " exp=");
    const exptime = itemExptime(it);
    // memcached prints current_time - exptime: the seconds left, negated
    if (exptime == 0) q += putStr(q, "-1");
    else q = putSigned(q, <i32>(nowRel - exptime));
    q += putStr(q, " la=");
    q += writeU64(q, <u64>since(itemTime(it)));
    q += putStr(q, " cas=");
    q += writeU64(q, itemCas(it));
    q += putStr(q, (bits & META_FETCHED) != 0 ? " fetch=yes cls=" : " fetch=no cls=");
    const flags = itemFlags(it);
    const ntotal = mcItemTotal(klen, flags, itemValueLen(it));
    q += writeU64(q, slabClass(ntotal));
    q += putStr(q, " size=");
    q += writeU64(q, ntotal);
    if (!storeReadOk(it)) continue;
    endLine(conn, q0, q);
    return;
  }
  metaStatus(conn, "EN");
}

function putSigned(q: usize, v: i32): usize {
  if (v < 0) { store<u8>(q++, 0x2d); return q + writeU64(q, <u64>(-<i64>v)); }
  return q + writeU64(q, <u64>v);
}
