// The per-connection state machine behind app_data / app_writable.
// app_data walks the input through the session's states (conn.ts) until
// the input is used up, more input is needed, or output is full; it returns
// the bytes consumed and the transport presents the rest again later.
// A command runs only once REPLY space (replySpace) is reserved, so a reply
// never has to wait; only GET values wait for output (retrieve.ts).

import { dispatch, longRetrieval, replySpace, stored } from "./commands";
import { META_LINE_MAX, metaStored } from "./meta/commands";
import {
  F_META, halted, PROTO_BINARY, PROTO_TEXT, PROTO_UNDECIDED, resetSession, S, sCarried, sCas, session, sFlags, setCarried,
  setHalted, setLast, setProto, setRemain, setState, sItem, sMode, sNoreply, sProto, sRemain, sState, sTotal,
} from "./conn";
import { binCommand, binNread } from "./binary/commands";
import { MAGIC_REQ } from "./binary/header";
import { outClose, outReserve } from "./output";
import { frameLine, LINE_CLOSE, LINE_LONG_GET, LINE_NEED_MORE, lineCas, lineLen, lineNext, tokenize } from "./parse";
import { R, reply, REPLY_MAX } from "./reply";
import { getKeys, streamValue } from "./retrieve";
import { fastGet } from "./fastget";
import { addStat, incStat, listingStep, St } from "./stats";
import { itemValue, storeAbort, storeCommit, storeUnpin } from "../store/index";
import { ctl, nowRel } from "./instance";
import { Ctl, SET_PROTO_ASCII, SET_PROTO_BINARY, SET_PROTO_MASK } from "../shared/control";
import { dropUpload, holdUpload, releaseUpload } from "./upload";

/** CMD: one command line at the start of [p, p+n). */
function command(conn: u32, s: usize, p: usize, n: u32): u32 {
  // the first byte decides the connection's protocol for its life (memcached's negotiating_prot),
  // unless -B bound the server to one: then a binary request on an ascii server is a text line, and
  // a text line on a binary server is a bad magic (the connection is closed, as memcached does)
  if (sProto(s) == PROTO_UNDECIDED) {
    const bound = load<u32>(ctl + Ctl.SETTINGS_FLAGS) & SET_PROTO_MASK;
    if (bound == SET_PROTO_BINARY || (bound != SET_PROTO_ASCII && load<u8>(p) == MAGIC_REQ)) {
      setProto(s, PROTO_BINARY); setState(s, S.BIN_CMD); return 0;
    }
    setProto(s, PROTO_TEXT);
  }
  const fast = fastGet(conn, s, p, n);
  if (fast != 0) return fast;
  const f = frameLine(p, n);
  if (f == LINE_NEED_MORE) { setHalted(true); return 0; }
  if (f == LINE_CLOSE) { outClose(conn); setState(s, S.CLOSED); return n; }
  if (f == LINE_LONG_GET) { longRetrieval(s, lineCas); return lineNext; }
  const len = lineLen;
  const next = lineNext;
  tokenize(p, len);
  if (outReserve(conn, replySpace(p)) == 0) { setHalted(true); return 0; }
  return dispatch(conn, s, p, len, next);
}

/** NREAD: value bytes into the reservation; at the end, check CRLF and commit. */
function nread(conn: u32, s: usize, p: usize, n: u32): u32 {
  const remain = sRemain(s);
  const total = sTotal(s);
  const it = sItem(s);
  const dst = itemValue(it) + (total - remain);
  if (n < remain) {
    memory.copy(dst, p, n);
    setRemain(s, remain - n);
    return n;
  }
  const meta = (sFlags(s) & F_META) != 0;
  if (outReserve(conn, meta ? META_LINE_MAX : REPLY_MAX) == 0) { setHalted(true); return 0; }
  memory.copy(dst, p, remain);
  setRemain(s, 0);
  setState(s, S.CMD);
  incStat(St.CMD_SET);
  if (load<u16>(itemValue(it) + total - 2) != 0x0a0d) {
    storeAbort(it);
    reply(conn, sNoreply(s), R.BAD_CHUNK);
  } else if (meta) {
    metaStored(conn, s, it);
  } else {
    stored(conn, s, storeCommit(it, sMode(s), sCas(s), nowRel));
  }
  return remain;
}

/** SWALLOW: skips the value of a refused store, exactly its length. */
function swallow(s: usize, n: u32): u32 {
  const remain = sRemain(s);
  const k = n < remain ? n : remain;
  setRemain(s, remain - k);
  if (remain == k) setState(s, sProto(s) == PROTO_BINARY ? S.BIN_CMD : S.CMD);
  return k;
}

/** SKIPLINE: skips up to and including the next '\n'. */
function skipLine(s: usize, p: usize, n: u32): u32 {
  for (let i: u32 = 0; i < n; i++) {
    if (load<u8>(p + i) == 0x0a) { setState(s, S.CMD); return i + 1; }
  }
  return n;
}

export function sessionData(conn: u32, p: usize, len: u32): u32 {
  const s = session(conn);
  let pos: u32 = 0;
  setHalted(false);
  // bytes_read counts bytes as they arrive, not again when presented again
  const carried = sCarried(s);
  setLast(s, nowRel);
  addStat(St.BYTES_READ, len > carried ? len - carried : 0);
  // Every pass consumes input, changes state, or halts.
  const maxPasses = (len << 1) + 8;
  for (let pass: u32 = 0; pass < maxPasses && !halted; pass++) {
    const st = sState(s);
    if (st == S.CLOSED || st == S.FREE) { pos = len; break; }
    if (st == S.GETVALUE) { stream(conn, s); continue; }
    if (st == S.LISTING) { listingStep(conn, s); continue; }
    if (pos >= len) break;
    const q = p + pos;
    const n = len - pos;
    const it = sItem(s);
    if (st == S.CMD) pos += command(conn, s, q, n);
    else if (st == S.GETKEYS) pos += getKeys(conn, s, q, n);
    else if (st == S.NREAD) pos += nread(conn, s, q, n);
    else if (st == S.BIN_CMD) pos += binCommand(conn, s, q, n);
    else if (st == S.BIN_NREAD) pos += binNread(conn, s, q, n);
    else if (st == S.SWALLOW) pos += swallow(s, n);
    else pos += skipLine(s, q, n);
    releaseUpload(s, it);
  }
  holdUpload(conn, s);
  setCarried(s, len - pos);
  return pos;
}

export function sessionWritable(conn: u32): void {
  const s = session(conn);
  setHalted(false);
  const st = sState(s);
  if (st == S.GETVALUE) stream(conn, s);
  else if (st == S.LISTING) listingStep(conn, s);
  else holdUpload(conn, s); // a refusal that waited for output space
}

/** GETVALUE: a binary connection goes back to BIN_CMD, not GETKEYS, when the value is out. */
function stream(conn: u32, s: usize): void {
  streamValue(conn, s);
  if (sState(s) == S.GETKEYS && sProto(s) == PROTO_BINARY) setState(s, S.BIN_CMD);
  if (sState(s) == S.GETKEYS && (sFlags(s) & F_META) != 0) setState(s, S.CMD); // an mg value
}

/** Releases what the connection holds (a reservation, a pinned item). */
export function sessionClosed(conn: u32): void {
  const s = session(conn);
  const st = sState(s);
  if (st == S.NREAD || st == S.BIN_NREAD) { dropUpload(s, sItem(s)); storeAbort(sItem(s)); }
  else if (st == S.GETVALUE) storeUnpin(sItem(s));
  resetSession(s, S.FREE);
}
