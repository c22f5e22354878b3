// Framing of one binary request (memcached 1.6.18 try_read_command_binary +
// the length checks at the top of dispatch_bin_command): complete, need
// more, or malformed with the reason. A complete request is the header, its
// extras and its key; a value (set, append...) is read afterwards by
// BIN_NREAD, so its size never matters here.

import { KEY_MAX_LENGTH } from "../parse";
import { HEADER_LEN, MAGIC_REQ, reqBodyLen, reqExtLen, reqKeyLen, reqMagic } from "./header";

export const REQ_OK: i32 = 0;          // reqLen bytes hold header + extras + key
export const REQ_NEED_MORE: i32 = 1;   // wait for more bytes
export const REQ_BAD_MAGIC: i32 = 2;   // not a request: memcached closes without a reply
export const REQ_BAD_LENGTHS: i32 = 3; // key + extras longer than the body: UNKNOWN_COMMAND, close
export const REQ_KEY_TOO_LONG: i32 = 4; // key over 250 bytes: EINVAL, close

/** Header + extras + key of the last REQ_OK. */
export let reqLen: u32 = 0;

/** Frames the request at the start of [p, p+n). */
export function frameRequest(p: usize, n: u32): i32 {
  if (n < HEADER_LEN) return REQ_NEED_MORE;
  if (reqMagic(p) != <u32>MAGIC_REQ) return REQ_BAD_MAGIC;
  const ext = reqExtLen(p);
  const klen = reqKeyLen(p);
  const body = reqBodyLen(p);
  // memcached waits for the key before these checks; both close the
  // connection, so answering on the header alone changes only timing (and
  // never waits for up to 64 KiB of a key that will be refused).
  if (klen > body || klen + ext > body) return REQ_BAD_LENGTHS;
  if (klen > KEY_MAX_LENGTH) return REQ_KEY_TOO_LONG;
  const len = HEADER_LEN + ext + klen;
  if (n < len) return REQ_NEED_MORE;
  reqLen = len;
  return REQ_OK;
}
