// The request a cache serves most, "get <key>\r\n" with one key, answered in
// one pass: no line framing, tokenizing or dispatch, the key scanned once,
// and the whole reply ("VALUE ...\r\n<data>\r\nEND\r\n" or "END\r\n")
// written into one output reservation. Anything else — more keys, a key of
// more than KEY_MAX_LENGTH bytes, a NUL or a lone '\r', an incomplete line,
// a value larger than the output at hand, an item that keeps moving while it
// is copied — is left to the general path (commands.ts, retrieve.ts), whose
// answers, statistics and session state this path reproduces exactly.

import { itemValue, itemValueLen, storeFind, storeReadOk } from "../store/index";
import { REPLY_SPACE } from "./commands";
import { F_KEYS, setFlags } from "./conn";
import { nowRel } from "./instance";
import { outAvail, outCommit, outReserve } from "./output";
import { KEY_MAX_LENGTH } from "./parse";
import { R, reply, REPLY_MAX } from "./reply";
import { countHit, countMiss, HEADER_MAX, writeHeader } from "./retrieve";
import { copyDisjoint } from "../shared/bytes";

/** "get " as a little-endian u32. */
const GET_SP: u32 = 0x20746567;
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
  const out = outReserve(conn, REPLY_SPACE);
  if (out == 0) return 0; // the general path halts on the same reservation
  const avail = outAvail(conn);
  for (let t: u32 = 0; t < TRIES; t++) {
    const it = storeFind(key, k, nowRel);
    if (it != 0) {
      const total = itemValueLen(it) + 2; // the item keeps its "\r\n"
      // header, value and END from the one span; a larger value is streamed by the general path
      if (<u64>HEADER_MAX + <u64>total + REPLY_MAX > <u64>avail) return 0;
      const h = writeHeader(out, key, k, it, false);
      copyDisjoint(out + h, itemValue(it), total);
      if (!storeReadOk(it)) continue;
      outCommit(conn, h + total);
      countHit(it, false);
    } else {
      countMiss(false);
    }
    reply(conn, false, R.END); // from the span: REPLY_MAX bytes are left in it
    setFlags(s, F_KEYS);
    return 4 + k + 2;
  }
  return 0;
}
