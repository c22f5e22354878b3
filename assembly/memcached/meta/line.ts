// Meta reply lines: "<RC> <flags>*\r\n" built in the output reservation,
// and the meta error texts (memcached 1.6.18's exact strings; those a classic
// command also gives come from reply.ts), each defined once. Errors are
// always sent, quiet mode or not (out_errstring).

import { writeU64 } from "../numbers";
import { outCommit, outReserve } from "../output";
import { tokLen, tokStart } from "../parse";
import { putStr, R, reply } from "../reply";
import { base64Encode } from "./base64";

/** Longest meta reply line: code, size, a base64 key, a 32-byte opaque, every numeric flag. */
export const META_LINE_MAX: u32 = 1024;

export namespace E {
  export const NONE: u32 = 0;
  export const BAD_FORMAT: u32 = 1;
  export const DUPLICATE: u32 = 2;
  export const INVALID: u32 = 3;
  export const DECODE: u32 = 4;
  export const BAD_TOKEN: u32 = 5;
  export const M_LENGTH: u32 = 6;
  export const BAD_INITIAL: u32 = 7;
  export const BAD_DELTA: u32 = 8;
  export const OPAQUE_LONG: u32 = 9;
  export const MG_TOO_LONG: u32 = 10;
  export const TOO_LONG: u32 = 11;
  export const MS_MODE: u32 = 12;
  export const MA_MODE: u32 = 13;
  export const INVALID_OR_DUP: u32 = 14;
  export const NEW_ITEM_MEMORY: u32 = 15;
  export const NON_NUMERIC: u32 = 16;
  export const NO_MEMORY: u32 = 17;
  export const TOO_LARGE: u32 = 18;
  export const NO_MEMORY_STORE: u32 = 19;
  export const BAD_CHUNK: u32 = 20;
}

function errorText(e: u32): string {
  switch (e) {
    case E.DUPLICATE: return "CLIENT_ERROR duplicate flag";
    case E.INVALID: return "CLIENT_ERROR invalid flag";
    case E.DECODE: return "CLIENT_ERROR error decoding key";
    case E.BAD_TOKEN: return "CLIENT_ERROR bad token in command line format";
    case E.M_LENGTH: return "CLIENT_ERROR incorrect length for M token";
    case E.BAD_INITIAL: return "CLIENT_ERROR invalid numeric initial value";
    case E.BAD_DELTA: return "CLIENT_ERROR invalid numeric delta value";
    case E.OPAQUE_LONG: return "CLIENT_ERROR opaque token too long";
    case E.MG_TOO_LONG: return "CLIENT_ERROR options flags are too long";
    case E.TOO_LONG: return "CLIENT_ERROR options flags too long";
    case E.MS_MODE: return "CLIENT_ERROR invalid mode for ms M token";
    case E.MA_MODE: return "CLIENT_ERROR invalid mode for ma M token";
    case E.NEW_ITEM_MEMORY: return "SERVER_ERROR Out of memory allocating new item";
    default: return "CLIENT_ERROR invalid or duplicate flag";
  }
}

/** The classic reply (reply.ts) with the same text as error e, or -1. */
function classic(e: u32): i32 {
  switch (e) {
    case E.NONE: case E.BAD_FORMAT: return R.BAD_FORMAT;
    case E.NON_NUMERIC: return R.NON_NUMERIC;
    case E.NO_MEMORY: return R.NO_MEMORY;
    case E.TOO_LARGE: return R.TOO_LARGE;
    case E.NO_MEMORY_STORE: return R.NO_MEMORY_STORE;
    case E.BAD_CHUNK: return R.BAD_CHUNK;
    default: return -1;
  }
}

/** Writes error e + CRLF (never suppressed). */
export function metaError(conn: u32, e: u32): void {
  const r = classic(e);
  if (r >= 0) { reply(conn, false, <u32>r); return; }
  const p = outReserve(conn, 128);
  if (p == 0) return; // unreachable: space was reserved before the command ran
  const n = putStr(p, errorText(e));
  store<u16>(p + n, 0x0a0d);
  outCommit(conn, n + 2);
}

/** Writes a fixed status line ("EN", "MN", "HD"...) + CRLF. */
export function metaStatus(conn: u32, code: string): void {
  const p = outReserve(conn, 8);
  if (p == 0) return;
  const n = putStr(p, code);
  store<u16>(p + n, 0x0a0d);
  outCommit(conn, n + 2);
}

/** " c" at q; returns the end. */
@inline export function putFlag(q: usize, c: u32): usize {
  store<u8>(q, 0x20);
  store<u8>(q + 1, <u8>c);
  return q + 2;
}

/** " c<number>" at q. */
export function putFlagNumber(q: usize, c: u32, v: u64): usize {
  q = putFlag(q, c);
  return q + writeU64(q, v);
}

/** " <token i>" (the opaque, copied back whole) at q. */
export function putToken(q: usize, p: usize, i: u32): usize {
  store<u8>(q, 0x20);
  const n = tokLen(i);
  memory.copy(q + 1, p + tokStart(i), n);
  return q + 1 + n;
}

/** " k<key>", or " k<base64 key> b" for a binary key (META_KEY). */
export function putKey(q: usize, key: usize, klen: u32, binary: bool): usize {
  q = putFlag(q, 0x6b);
  if (!binary) {
    memory.copy(q, key, klen);
    return q + klen;
  }
  q += base64Encode(key, klen, q);
  return putFlag(q, 0x62);
}

/** " t<ttl>": -1 for never, else seconds left as memcached's u32 arithmetic gives them. */
export function putTtl(q: usize, exptime: u32, now: u32): usize {
  q = putFlag(q, 0x74);
  if (exptime == 0) { store<u16>(q, 0x312d); return q + 2; } // "-1"
  return q + writeU64(q, <u64>(exptime - now));
}

/** CRLF at q; commits the line that started at p. */
export function endLine(conn: u32, p: usize, q: usize): void {
  store<u16>(q, 0x0a0d);
  outCommit(conn, <u32>(q + 2 - p));
}
