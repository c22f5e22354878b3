// Every reply line is written here, and only here; this is the one place
// that knows `noreply`. Each text is defined once (memcached 1.6.18's
// exact strings). Callers make sure REPLY_MAX bytes of output are free
// before they act on a command (see session.ts), so a reply never waits.

import { outCommit, outReserve } from "./output";
import { writeU64 } from "./numbers";

/** Longest single reply line, CRLF included. */
export const REPLY_MAX: u32 = 128;

export namespace R {
  export const STORED: u32 = 0;
  export const NOT_STORED: u32 = 1;
  export const EXISTS: u32 = 2;
  export const NOT_FOUND: u32 = 3;
  export const DELETED: u32 = 4;
  export const TOUCHED: u32 = 5;
  export const OK: u32 = 6;
  export const END: u32 = 7;
  export const RESET: u32 = 8;
  export const ERROR: u32 = 9;
  export const BAD_FORMAT: u32 = 10;
  export const BAD_CHUNK: u32 = 11;
  export const BAD_DELTA: u32 = 12;
  export const NON_NUMERIC: u32 = 13;
  export const BAD_EXPTIME: u32 = 14;
  export const DELETE_USAGE: u32 = 15;
  export const TOO_LARGE: u32 = 16;
  export const NO_MEMORY_STORE: u32 = 17;
  export const NO_MEMORY: u32 = 18;
  export const DETAIL_USAGE: u32 = 19;
  export const BAD_COMMAND_LINE: u32 = 20;
  export const SHUTDOWN_DISABLED: u32 = 21;
  export const MEMLIMIT_SMALL: u32 = 22;
  export const MEMLIMIT_UNITS: u32 = 23;
  // admin commands (admin.ts)
  export const CRAWLER_DISABLED: u32 = 24;
  export const BADCLASS: u32 = 25;
  export const CRAWLER_SLEEP_MAX: u32 = 26;
  export const CRAWLER_START_FAILED: u32 = 27;
  export const REASSIGN_DISABLED: u32 = 28;
}

function text(r: u32): string {
  switch (r) {
    case R.STORED: return "STORED";
    case R.NOT_STORED: return "NOT_STORED";
    case R.EXISTS: return "EXISTS";
    case R.NOT_FOUND: return "NOT_FOUND";
    case R.DELETED: return "DELETED";
    case R.TOUCHED: return "TOUCHED";
    case R.OK: return "OK";
    case R.END: return "END";
    case R.RESET: return "RESET";
    case R.BAD_FORMAT: return "CLIENT_ERROR bad command line format";
    case R.BAD_CHUNK: return "CLIENT_ERROR bad data chunk";
    case R.BAD_DELTA: return "CLIENT_ERROR invalid numeric delta argument";
    case R.NON_NUMERIC: return "CLIENT_ERROR cannot increment or decrement non-numeric value";
    case R.BAD_EXPTIME: return "CLIENT_ERROR invalid exptime argument";
    case R.DELETE_USAGE: return "CLIENT_ERROR bad command line format.  Usage: delete <key> [noreply]";
    case R.TOO_LARGE: return "SERVER_ERROR object too large for cache";
    case R.NO_MEMORY_STORE: return "SERVER_ERROR out of memory storing object";
    case R.NO_MEMORY: return "SERVER_ERROR out of memory";
    case R.DETAIL_USAGE: return "CLIENT_ERROR usage: stats detail on|off|dump";
    case R.BAD_COMMAND_LINE: return "CLIENT_ERROR bad command line";
    case R.SHUTDOWN_DISABLED: return "ERROR: shutdown not enabled";
    case R.MEMLIMIT_SMALL: return "MEMLIMIT_TOO_SMALL cannot set maxbytes to less than 8m";
    case R.MEMLIMIT_UNITS: return "MEMLIMIT_ADJUST_FAILED input value is megabytes not bytes";
    case R.CRAWLER_DISABLED: return "CLIENT_ERROR lru crawler disabled";
    case R.BADCLASS: return "BADCLASS invalid class id";
    case R.CRAWLER_SLEEP_MAX: return "CLIENT_ERROR sleep must be one second or less";
    case R.CRAWLER_START_FAILED: return "ERROR failed to start lru crawler thread";
    case R.REASSIGN_DISABLED: return "CLIENT_ERROR slab reassignment disabled";
    default: return "ERROR";
  }
}

/** Copies an ASCII string literal's characters to p (no allocation); returns its length. */
export function putStr(p: usize, s: string): u32 {
  const n = <u32>s.length;
  const src = changetype<usize>(s);
  for (let i: u32 = 0; i < n; i++) store<u8>(p + i, <u8>load<u16>(src + (<usize>i << 1)));
  return n;
}

/** Copies a NUL-padded text field of at most max bytes to p; returns its length. */
export function putField(p: usize, src: usize, max: u32): u32 {
  let n: u32 = 0;
  while (n < max) {
    const c = load<u8>(src + n);
    if (c == 0) break;
    store<u8>(p + n, c);
    n++;
  }
  return n;
}

/** Writes reply r + CRLF unless `noreply`. */
export function reply(conn: u32, noreply: bool, r: u32): void {
  if (noreply) return;
  const p = outReserve(conn, REPLY_MAX);
  if (p == 0) return; // unreachable: space was checked before the command ran
  const n = putStr(p, text(r));
  store<u16>(p + n, 0x0a0d);
  outCommit(conn, n + 2);
}

/** Writes a decimal number + CRLF (incr/decr) unless `noreply`. */
export function replyNumber(conn: u32, noreply: bool, v: u64): void {
  if (noreply) return;
  const p = outReserve(conn, REPLY_MAX);
  if (p == 0) return;
  const n = writeU64(p, v);
  store<u16>(p + n, 0x0a0d);
  outCommit(conn, n + 2);
}

/** "VERSION <text>" from a NUL-padded field of at most max bytes. */
export function replyVersion(conn: u32, field: usize, max: u32): void {
  const p = outReserve(conn, REPLY_MAX);
  if (p == 0) return;
  let n = putStr(p, "VERSION ");
  n += putField(p + n, field, max);
  store<u16>(p + n, 0x0a0d);
  outCommit(conn, n + 2);
}
