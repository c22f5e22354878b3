// The request a cache serves most, "get <key>\r\n" with one key, answered in
// one pass: no line framing, tokenizing or dispatch, the key scanned once,
// and the whole reply ("VALUE ...\r\n<data>\r\nEND\r\n" or "END\r\n")
// written into one output reservation. Anything else — more keys, a key of
// more than KEY_MAX_LENGTH bytes, a NUL or a lone '\r', an incomplete line,
// a value larger than the output at hand, an item that keeps moving while it
// is copied — is left to the general path (commands.ts, retrieve.ts), whose
// answers, statistics and session state this path reproduces exactly.

import { itemFlags, itemValue, itemValueLen, storeFind, storeReadOk } from "../store/index";
import { F_KEYS, setFlags } from "./conn";
import { nowRel } from "./instance";
import { writeU64 } from "./numbers";
import { outAvail, outCommit, outReserve } from "./output";
import { KEY_MAX_LENGTH } from "./parse";
import { countHit, countMiss } from "./retrieve";

/** "get " as a little-endian u32. */
const GET_SP: u32 = 0x20746567;
/** "END\r\n": a u32 and a byte. */
const END_CRLF_LO: u32 = 0x0d444e45;
const END_LEN: u32 = 5;
/** Output the general path reserves before any command (commands.ts REPLY_SPACE). */
const REPLY_SPACE: u32 = 512;
/** Attempts at a consistent copy before the general path takes over. */
const TRIES: u32 = 2;

/** Bytes answered, or 0: not a single-key get line this path answers (nothing was done). */
export function fastGet(conn: u32, s: usize, p: usize, n: u32): u32 {
  if (n < 7 || load<u32>(p) != GET_SP) return 0;
  const key = p + 4;
  const limit = n - 4 < KEY_MAX_LENGTH + 2 ? n - 4 : KEY_MAX_LENGTH + 2;
  let k: u32 = 0;
  while (k < limit) {
    const b = <u32>load<u8>(key + k);
    if (b <= 0x20) break; // ' ', '\r', '\n', NUL, controls: the general path decides about those
    k++;
  }
  if (k == 0 || k > KEY_MAX_LENGTH || k + 2 > n - 4) return 0;
  if (load<u16>(key + k) != 0x0a0d) return 0; // not "\r\n" right after the key
  const used = 4 + k + 2;
  const out = outReserve(conn, REPLY_SPACE);
  if (out == 0) return 0; // the general path halts on the same reservation
  const avail = outAvail(conn);
  for (let t: u32 = 0; t < TRIES; t++) {
    const it = storeFind(key, k, nowRel);
    if (it == 0) {
      storeEnd(out);
      outCommit(conn, END_LEN);
      countMiss(false);
      setFlags(s, F_KEYS);
      return used;
    }
    const vlen = itemValueLen(it);
    // "VALUE " key ' ' flags ' ' bytes "\r\n" data "\r\n" "END\r\n"
    if (<u64>6 + k + 22 + 2 + <u64>vlen + 2 + END_LEN > <u64>avail) return 0; // streamed by the general path
    store<u32>(out, 0x554c4156); // "VALU"
    store<u16>(out, 0x2045, 4); // "E "
    memory.copy(out + 6, key, k);
    let q = out + 6 + k;
    store<u8>(q++, 0x20);
    q += writeU64(q, itemFlags(it));
    store<u8>(q++, 0x20);
    q += writeU64(q, vlen);
    store<u16>(q, 0x0a0d);
    q += 2;
    memory.copy(q, itemValue(it), vlen + 2); // the item keeps its "\r\n"
    if (!storeReadOk(it)) continue;
    q += vlen + 2;
    storeEnd(q);
    outCommit(conn, <u32>(q + END_LEN - out));
    countHit(it, false);
    setFlags(s, F_KEYS);
    return used;
  }
  return 0;
}

@inline function storeEnd(q: usize): void {
  store<u32>(q, END_CRLF_LO);
  store<u8>(q, 0x0a, 4);
}
