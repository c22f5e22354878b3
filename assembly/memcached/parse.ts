// Line framing and tokenizing, as memcached's try_read_command_ascii and
// tokenize_command (proto_text.c) do it:
// - a line ends at '\n'; one '\r' before it is dropped when the line has
//   more than one byte; a NUL ends the line early (memcached uses strlen);
// - tokens are separated by ' ' only; at most MAX_TOKENS - 1 = 23 tokens are
//   split off, so memcached's `ntokens` (tokens + the terminal) is <= 24;
// - a partial line of more than 2048 bytes is only kept if it is a
//   `get`/`gets` (after at most 100 leading spaces); anything else closes.
// Limits are parser settings below. The token table lives in this
// instance's region (static memory is shared by every instance).

import { base, REGION_TOKENS } from "./instance";

export const KEY_MAX_LENGTH: u32 = 250;
export const MAX_TOKENS: u32 = 24;        // memcached's, terminal token included
export const LINE_MAX_PARTIAL: u32 = 2048; // a longer partial line must be a get
export const LEADING_SPACE_MAX: u32 = 100;

// frameLine results
export const LINE_OK: i32 = 0;         // lineLen / lineNext are set
export const LINE_NEED_MORE: i32 = 1;  // wait for more bytes
export const LINE_LONG_GET: i32 = 2;   // partial get line > 2048 bytes: stream its keys; lineNext = key start
export const LINE_CLOSE: i32 = 3;      // partial non-get line > 2048 bytes: close the connection

export let lineLen: u32 = 0;     // bytes of the command text (after \r strip and NUL cut)
export let lineNext: u32 = 0;    // offset just past the '\n' (LINE_OK) or past the get token (LINE_LONG_GET)
export let lineCas: bool = false; // LINE_LONG_GET: "gets"
export let ntok: u32 = 0;        // real tokens (memcached's ntokens - 1)

@inline function at(p: usize, i: u32): u32 { return <u32>load<u8>(p + i); }

/** Index of byte c in [p+from, p+n), or -1. */
export function findByte(p: usize, from: u32, n: u32, c: u32): i32 {
  for (let i = from; i < n; i++) if (at(p, i) == c) return <i32>i;
  return -1;
}

/** Frames the line at the start of [p, p+n). */
export function frameLine(p: usize, n: u32): i32 {
  const el = findByte(p, 0, n, 0x0a);
  if (el < 0) {
    if (n <= LINE_MAX_PARTIAL) return LINE_NEED_MORE;
    let i: u32 = 0;
    while (i < n && at(p, i) == 0x20) i++;
    if (i > LEADING_SPACE_MAX || i + 5 > n) return LINE_CLOSE;
    if (at(p, i) != 0x67 || at(p, i + 1) != 0x65 || at(p, i + 2) != 0x74) return LINE_CLOSE; // "get"
    if (at(p, i + 3) == 0x20) { lineCas = false; lineNext = i + 3; return LINE_LONG_GET; }
    if (at(p, i + 3) == 0x73 && at(p, i + 4) == 0x20) { lineCas = true; lineNext = i + 4; return LINE_LONG_GET; }
    return LINE_CLOSE;
  }
  let len = <u32>el;
  if (len > 1 && at(p, len - 1) == 0x0d) len--;
  const nul = findByte(p, 0, len, 0);
  if (nul >= 0) len = <u32>nul;
  lineLen = len;
  lineNext = <u32>el + 1;
  return LINE_OK;
}

@inline function tokPtr(i: u32): usize { return base + REGION_TOKENS + (<usize>i << 3); }
@inline export function tokStart(i: u32): u32 { return load<u32>(tokPtr(i)); }
@inline export function tokLen(i: u32): u32 { return load<u32>(tokPtr(i), 4); }
/** Offset just past token i (the token's end). */
@inline export function tokEnd(i: u32): u32 { return tokStart(i) + tokLen(i); }

/** Splits [p, p+len) on ' ' into at most MAX_TOKENS - 1 tokens; returns ntok. */
export function tokenize(p: usize, len: u32): u32 {
  let n: u32 = 0;
  let s: u32 = 0;
  for (let e: u32 = 0; e < len; e++) {
    if (at(p, e) == 0x20) {
      if (s != e) {
        store<u32>(tokPtr(n), s);
        store<u32>(tokPtr(n), e - s, 4);
        n++;
        if (n == MAX_TOKENS - 1) { ntok = n; return n; }
      }
      s = e + 1;
    }
  }
  if (s < len) {
    store<u32>(tokPtr(n), s);
    store<u32>(tokPtr(n), len - s, 4);
    n++;
  }
  ntok = n;
  return n;
}

/** Token i equals the ASCII literal s. */
export function tokIs(p: usize, i: u32, s: string): bool {
  return tokLen(i) == <u32>s.length && tokHasPrefix(p, i, s);
}

/** Token i starts with the ASCII literal s. */
export function tokHasPrefix(p: usize, i: u32, s: string): bool {
  const n = <u32>s.length;
  if (tokLen(i) < n) return false;
  const t = p + tokStart(i);
  const src = changetype<usize>(s);
  for (let k: u32 = 0; k < n; k++) if (<u32>load<u8>(t + k) != <u32>load<u16>(src + (<usize>k << 1))) return false;
  return true;
}

/** memcached's set_noreply_maybe: the last token is "noreply". */
export function lastIsNoreply(p: usize): bool {
  return ntok > 0 && tokIs(p, ntok - 1, "noreply");
}

/** The longest ' '-separated run in [p+from, p+len). */
export function longestToken(p: usize, from: u32, len: u32): u32 {
  let best: u32 = 0;
  let run: u32 = 0;
  for (let i = from; i < len; i++) {
    if (at(p, i) == 0x20) run = 0;
    else { run++; if (run > best) best = run; }
  }
  return best;
}
