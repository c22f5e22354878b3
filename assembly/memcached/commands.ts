// Command dispatch: memcached 1.6.18's process_command_ascii, token counts
// and argument checks in the same order, so every malformed line gets the
// same answer. Handlers call the store and answer through reply.ts.
// Storage commands leave the session in NREAD (or SWALLOW); retrievals in
// GETKEYS (retrieve.ts takes the keys from the input).

import { Ctl } from "../shared/control";
import {
  DELTA_OK, EXISTS, MODE_ADD, MODE_APPEND, MODE_CAS, MODE_PREPEND, MODE_REPLACE, MODE_SET,
  NO_MEMORY, NON_NUMERIC, NOT_FOUND, NOT_STORED, relExptime, STORED, storeAlloc, storeDelete,
  storeDelta, storeDeltaResult, storeFlush, storeItemSizeOk, storeTouch,
} from "../store/index";
import {
  F_CAS, F_KEYS, F_NOREPLY, F_TOUCH, S, setCas, setExptime, setFlags, setItem, setMode, setRemain,
  setState, setTotal, sFlags, sMode, sNoreply,
} from "./conn";
import { ctl, nowRel } from "./instance";
import { numValue, parseI32, parseU32, parseU64 } from "./numbers";
import { OUT_MAX, outClose, outCommit, outReserve } from "./output";
import {
  KEY_MAX_LENGTH, lastIsNoreply, longestToken, ntok, tokEnd, tokHasPrefix, tokIs, tokLen, tokStart,
} from "./parse";
import { putStr, R, reply, replyNumber, replyVersion } from "./reply";
import { META_LINE_MAX, metaCommand } from "./meta/commands";
import { lruCrawler, slabs } from "./admin";
import { incStat, L, resetStats, St, startListing, writeSettings, writeStats } from "./stats";

const INT_MAX: i64 = 0x7fffffff;
const MAX_VERBOSITY_LEVEL: u32 = 2;
/** Output reserved before a command runs: any reply line, or the start of a get. */
export const REPLY_SPACE: u32 = 512;
/** Output reserved for `stats` and `stats settings` (each listing < 3 KiB). */
const LISTING_MAX: u32 = OUT_MAX;

@inline function tokP(p: usize, i: u32): usize { return p + tokStart(i); }

/** Output a command may need before it runs (the stats listings are large). */
export function replySpace(p: usize): u32 {
  if (ntok > 0 && tokIs(p, 0, "stats") && (ntok == 1 || tokIs(p, 1, "settings"))) return LISTING_MAX;
  if (ntok > 0 && tokLen(0) == 2 && load<u8>(p + tokStart(0)) == 0x6d) return META_LINE_MAX;
  return REPLY_SPACE;
}

/** Marks this command noreply when its last token says so (set_noreply_maybe). */
function noreplyMaybe(s: usize, p: usize): bool {
  if (lastIsNoreply(p)) { setFlags(s, sFlags(s) | F_NOREPLY); return true; }
  return false;
}

/**
 * Runs the command in [p, p+len) (tokenized already; the line ends at
 * `next`). Returns the bytes consumed: `next`, or less for a retrieval,
 * whose keys are then taken from the input by GETKEYS.
 */
export function dispatch(conn: u32, s: usize, p: usize, len: u32, next: u32): u32 {
  setFlags(s, 0);
  const nt = ntok + 1; // memcached's ntokens
  if (ntok == 0 || tokLen(0) < 2) { reply(conn, false, R.ERROR); return next; }
  const first = <u32>load<u8>(p + tokStart(0));
  if (first == 0x6d && metaCommand(conn, s, p)) return next; // m: meta commands (meta/commands.ts)
  if (first == 0x67) { // g
    if (nt < 3) { reply(conn, false, R.ERROR); return next; }
    if (tokIs(p, 0, "get")) return retrieval(conn, s, p, len, next, 0);
    if (tokIs(p, 0, "gets")) return retrieval(conn, s, p, len, next, F_CAS);
    if (tokIs(p, 0, "gat")) return retrieval(conn, s, p, len, next, F_TOUCH);
    if (tokIs(p, 0, "gats")) return retrieval(conn, s, p, len, next, F_TOUCH | F_CAS);
    reply(conn, false, R.ERROR);
  } else if (first == 0x73) { // s
    if (tokIs(p, 0, "set")) update(conn, s, p, MODE_SET);
    else if (tokIs(p, 0, "stats")) stats(conn, s, p);
    else if (tokIs(p, 0, "shutdown")) reply(conn, false, R.SHUTDOWN_DISABLED);
    else if (tokIs(p, 0, "slabs")) slabs(conn, s, p);
    else reply(conn, false, R.ERROR);
  } else if (first == 0x61) { // a
    if (tokIs(p, 0, "add")) update(conn, s, p, MODE_ADD);
    else if (tokIs(p, 0, "append")) update(conn, s, p, MODE_APPEND);
    else reply(conn, false, R.ERROR);
  } else if (first == 0x63) { // c
    if (tokIs(p, 0, "cas")) update(conn, s, p, MODE_CAS);
    else if (tokIs(p, 0, "cache_memlimit")) memlimit(conn, s, p);
    else reply(conn, false, R.ERROR);
  } else if (first == 0x69) { // i
    if (tokIs(p, 0, "incr")) arithmetic(conn, s, p, true);
    else reply(conn, false, R.ERROR);
  } else if (first == 0x64) { // d
    if (tokIs(p, 0, "delete")) del(conn, s, p);
    else if (tokIs(p, 0, "decr")) arithmetic(conn, s, p, false);
    else reply(conn, false, R.ERROR);
  } else if (first == 0x74) { // t
    if (tokIs(p, 0, "touch")) touch(conn, s, p);
    else reply(conn, false, R.ERROR);
  } else if (tokIs(p, 0, "replace")) {
    update(conn, s, p, MODE_REPLACE);
  } else if (tokIs(p, 0, "prepend")) {
    update(conn, s, p, MODE_PREPEND);
  } else if (tokIs(p, 0, "bget")) {
    if (nt < 3) { reply(conn, false, R.ERROR); return next; }
    return retrieval(conn, s, p, len, next, 0);
  } else if (tokIs(p, 0, "flush_all")) {
    flushAll(conn, s, p);
  } else if (tokIs(p, 0, "version")) {
    replyVersion(conn, ctl + Ctl.VERSION_STR, 32);
  } else if (tokIs(p, 0, "quit")) {
    outClose(conn);
    setState(s, S.CLOSED);
  } else if (tokIs(p, 0, "verbosity")) {
    verbosity(conn, s, p);
  } else if (tokIs(p, 0, "lru_crawler")) {
    lruCrawler(conn, s, p);
  } else if (tokHasPrefix(p, ntok - 1, "HTTP/")) {
    outClose(conn);
    setState(s, S.CLOSED);
  } else {
    reply(conn, false, R.ERROR);
  }
  return next;
}

// ---- retrieval -----------------------------------------------------------------

function retrieval(conn: u32, s: usize, p: usize, len: u32, next: u32, flags: u32): u32 {
  let keysFrom = tokEnd(0);
  if ((flags & F_TOUCH) != 0) {
    if (!parseI32(tokP(p, 1), tokLen(1))) { reply(conn, false, R.BAD_EXPTIME); return next; }
    setExptime(s, relExptime(<i64>numValue, nowRel));
    keysFrom = tokEnd(1);
  }
  // memcached reads the whole line before answering: a key that is too long
  // voids the line's answers, so check them all first.
  if (longestToken(p, keysFrom, len) > KEY_MAX_LENGTH) { reply(conn, false, R.BAD_FORMAT); return next; }
  setFlags(s, flags | F_KEYS);
  setState(s, S.GETKEYS);
  return keysFrom;
}

/** A get line longer than the parser keeps: its keys are streamed as they come. */
export function longRetrieval(s: usize, cas: bool): void {
  setFlags(s, cas ? F_CAS : 0);
  setState(s, S.GETKEYS);
}

// ---- storage -------------------------------------------------------------------

function update(conn: u32, s: usize, p: usize, mode: u32): void {
  const nt = ntok + 1;
  const isCas = mode == MODE_CAS;
  if (isCas ? nt != 7 && nt != 8 : nt != 6 && nt != 7) { reply(conn, false, R.ERROR); return; }
  const noreply = noreplyMaybe(s, p);
  const klen = tokLen(1);
  if (klen > KEY_MAX_LENGTH) { reply(conn, noreply, R.BAD_FORMAT); return; }
  if (!parseU32(tokP(p, 2), tokLen(2))) { reply(conn, noreply, R.BAD_FORMAT); return; }
  const flags = <u32>numValue;
  if (!parseI32(tokP(p, 3), tokLen(3))) { reply(conn, noreply, R.BAD_FORMAT); return; }
  const exptime = <i64>numValue;
  if (!parseI32(tokP(p, 4), tokLen(4))) { reply(conn, noreply, R.BAD_FORMAT); return; }
  const vlen = <i64>numValue;
  let casIn: u64 = 0;
  if (isCas) {
    if (!parseU64(tokP(p, 5), tokLen(5))) { reply(conn, noreply, R.BAD_FORMAT); return; }
    casIn = numValue;
  }
  if (vlen < 0 || vlen > INT_MAX - 2) { reply(conn, noreply, R.BAD_FORMAT); return; }
  const key = tokP(p, 1);
  const total = <u32>vlen + 2;
  const it = storeAlloc(key, klen, flags, relExptime(exptime, nowRel), <u32>vlen, nowRel);
  setRemain(s, total);
  setTotal(s, total);
  if (it == 0) {
    if (!storeItemSizeOk(klen, flags, <u32>vlen)) {
      reply(conn, noreply, R.TOO_LARGE);
      incStat(St.STORE_TOO_LARGE);
    } else {
      reply(conn, noreply, R.NO_MEMORY_STORE);
      incStat(St.STORE_NO_MEMORY);
    }
    // memcached drops the old value rather than leave it stale after a failed set
    if (mode == MODE_SET) storeDelete(key, klen, nowRel);
    setState(s, S.SWALLOW);
    return;
  }
  setItem(s, it);
  setMode(s, mode);
  setCas(s, casIn);
  setState(s, S.NREAD);
}

/** The answer to a storeCommit result, with the CAS counters. */
export function stored(conn: u32, s: usize, result: i32): void {
  const cas = sMode(s) == MODE_CAS;
  let r = R.STORED;
  if (result == STORED) { if (cas) incStat(St.CAS_HITS); }
  else if (result == EXISTS) { r = R.EXISTS; if (cas) incStat(St.CAS_BADVAL); }
  else if (result == NOT_FOUND) { r = R.NOT_FOUND; if (cas) incStat(St.CAS_MISSES); }
  else if (result == NOT_STORED) r = R.NOT_STORED;
  else r = R.NO_MEMORY_STORE;
  reply(conn, sNoreply(s), r);
}

// ---- other keyed commands -----------------------------------------------------

function arithmetic(conn: u32, s: usize, p: usize, incr: bool): void {
  const nt = ntok + 1;
  if (nt != 4 && nt != 5) { reply(conn, false, R.ERROR); return; }
  const noreply = noreplyMaybe(s, p);
  if (tokLen(1) > KEY_MAX_LENGTH) { reply(conn, noreply, R.BAD_FORMAT); return; }
  if (!parseU64(tokP(p, 2), tokLen(2))) { reply(conn, noreply, R.BAD_DELTA); return; }
  const r = storeDelta(tokP(p, 1), tokLen(1), incr, numValue, nowRel);
  if (r == DELTA_OK) {
    incStat(incr ? St.INCR_HITS : St.DECR_HITS);
    replyNumber(conn, noreply, storeDeltaResult());
  } else if (r == NON_NUMERIC) {
    reply(conn, noreply, R.NON_NUMERIC);
  } else if (r == NO_MEMORY) {
    incStat(incr ? St.INCR_HITS : St.DECR_HITS);
    reply(conn, noreply, R.NO_MEMORY);
  } else {
    incStat(incr ? St.INCR_MISSES : St.DECR_MISSES);
    reply(conn, noreply, R.NOT_FOUND);
  }
}

function del(conn: u32, s: usize, p: usize): void {
  const nt = ntok + 1;
  if (nt < 3 || nt > 5) { reply(conn, false, R.ERROR); return; }
  let noreply = false;
  if (nt > 3) {
    const holdIsZero = tokIs(p, 2, "0");
    noreply = noreplyMaybe(s, p);
    const valid = (nt == 4 && (holdIsZero || noreply)) || (nt == 5 && holdIsZero && noreply);
    if (!valid) { reply(conn, noreply, R.DELETE_USAGE); return; }
  }
  if (tokLen(1) > KEY_MAX_LENGTH) { reply(conn, noreply, R.BAD_FORMAT); return; }
  const hit = storeDelete(tokP(p, 1), tokLen(1), nowRel);
  hitOrMiss(conn, noreply, hit, St.DELETE_HITS, R.DELETED, St.DELETE_MISSES);
}

function touch(conn: u32, s: usize, p: usize): void {
  const nt = ntok + 1;
  if (nt != 4 && nt != 5) { reply(conn, false, R.ERROR); return; }
  const noreply = noreplyMaybe(s, p);
  if (tokLen(1) > KEY_MAX_LENGTH) { reply(conn, noreply, R.BAD_FORMAT); return; }
  if (!parseI32(tokP(p, 2), tokLen(2))) { reply(conn, noreply, R.BAD_EXPTIME); return; }
  const exptime = relExptime(<i64>numValue, nowRel);
  incStat(St.CMD_TOUCH);
  const hit = storeTouch(tokP(p, 1), tokLen(1), exptime, nowRel) != 0;
  hitOrMiss(conn, noreply, hit, St.TOUCH_HITS, R.TOUCHED, St.TOUCH_MISSES);
}

/** Counts a hit or a miss and answers `hitReply` or NOT_FOUND. */
function hitOrMiss(conn: u32, noreply: bool, hit: bool, hitStat: u32, hitReply: u32, missStat: u32): void {
  incStat(hit ? hitStat : missStat);
  reply(conn, noreply, hit ? hitReply : R.NOT_FOUND);
}

// ---- server commands ------------------------------------------------------------

function flushAll(conn: u32, s: usize, p: usize): void {
  const nt = ntok + 1;
  if (nt < 2 || nt > 4) { reply(conn, false, R.ERROR); return; }
  const noreply = noreplyMaybe(s, p);
  incStat(St.CMD_FLUSH);
  let delay: i64 = 0;
  if (nt != (noreply ? 3 : 2)) {
    if (!parseI32(tokP(p, 1), tokLen(1))) { reply(conn, noreply, R.BAD_EXPTIME); return; }
    delay = <i64>numValue;
  }
  storeFlush(delay > 0 ? delay : 0, nowRel);
  reply(conn, noreply, R.OK);
}

function verbosity(conn: u32, s: usize, p: usize): void {
  const nt = ntok + 1;
  if (nt != 3 && nt != 4) { reply(conn, false, R.ERROR); return; }
  const noreply = noreplyMaybe(s, p);
  if (!parseU32(tokP(p, 1), tokLen(1))) { reply(conn, noreply, R.BAD_FORMAT); return; }
  const level = <u32>numValue;
  atomic.store<u32>(ctl + Ctl.VERBOSITY, level > MAX_VERBOSITY_LEVEL ? MAX_VERBOSITY_LEVEL : level);
  reply(conn, noreply, R.OK);
}

function memlimit(conn: u32, s: usize, p: usize): void {
  const nt = ntok + 1;
  if (nt != 3 && nt != 4) { reply(conn, false, R.ERROR); return; }
  const noreply = noreplyMaybe(s, p);
  if (!parseU32(tokP(p, 1), tokLen(1))) { reply(conn, noreply, R.ERROR); return; }
  const mb = <u32>numValue;
  if (mb < 8) reply(conn, noreply, R.MEMLIMIT_SMALL);
  else if (mb > 1000000000) reply(conn, noreply, R.MEMLIMIT_UNITS);
  else reply(conn, noreply, R.OK); // the store's size is fixed at start; accepted as memcached does
}

function stats(conn: u32, s: usize, p: usize): void {
  if (ntok == 1 || tokIs(p, 1, "settings")) {
    const q = outReserve(conn, LISTING_MAX);
    if (q == 0) return; // unreachable: replySpace() reserved it
    let n = ntok == 1 ? writeStats(q) : writeSettings(q);
    n += putStr(q + n, "END\r\n");
    outCommit(conn, <u32>n);
  } else if (tokIs(p, 1, "reset")) {
    resetStats();
    reply(conn, false, R.RESET);
  } else if (tokIs(p, 1, "detail")) {
    if (ntok < 3) reply(conn, false, R.DETAIL_USAGE);
    else if (tokIs(p, 2, "on") || tokIs(p, 2, "off")) reply(conn, false, R.OK);
    else if (tokIs(p, 2, "dump")) reply(conn, false, R.END);
    else reply(conn, false, R.DETAIL_USAGE);
  } else if (tokIs(p, 1, "cachedump")) {
    if (ntok < 4) reply(conn, false, R.BAD_COMMAND_LINE);
    else if (!parseU32(tokP(p, 2), tokLen(2)) || !parseU32(tokP(p, 3), tokLen(3))) reply(conn, false, R.BAD_FORMAT);
    else reply(conn, false, R.END);
  } else if (tokIs(p, 1, "items")) {
    startListing(s, L.ITEMS);
  } else if (tokIs(p, 1, "slabs")) {
    startListing(s, L.SLABS);
  } else if (tokIs(p, 1, "conns")) {
    startListing(s, L.CONNS);
  } else if (tokIs(p, 1, "sizes")) {
    startListing(s, L.SIZES); // memcached's `sizes_status disabled` (sizes_enable is not served: no histogram)
  } else {
    reply(conn, false, R.ERROR);
  }
}
