// Base64 as memcached 1.6's base64.c does it (RFC 4648 alphabet, '='
// padding): decoding skips bytes outside the alphabet, needs a multiple of
// four alphabet bytes, and may run in place (it writes behind its reads).

const ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
const INVALID: u32 = 0x80;

@inline function alpha(i: u32): u32 { return <u32>load<u16>(changetype<usize>(ALPHABET) + (<usize>i << 1)); }

/** The 6-bit value of byte c, 0 for '=', INVALID otherwise. */
function sextet(c: u32): u32 {
  if (c >= 0x41 && c <= 0x5a) return c - 0x41;
  if (c >= 0x61 && c <= 0x7a) return c - 0x61 + 26;
  if (c >= 0x30 && c <= 0x39) return c - 0x30 + 52;
  if (c == 0x2b) return 62;
  if (c == 0x2f) return 63;
  if (c == 0x3d) return 0;
  return INVALID;
}

/** Decodes [src, src+len) to dst (dst <= src allowed); returns the bytes written, 0 on failure. */
export function base64Decode(src: usize, len: u32, dst: usize): u32 {
  let count: u32 = 0;
  for (let i: u32 = 0; i < len; i++) if (sextet(<u32>load<u8>(src + i)) != INVALID) count++;
  if (count == 0 || (count & 3) != 0) return 0;
  let out: u32 = 0;
  let n: u32 = 0;
  let pad: u32 = 0;
  let block: u32 = 0;
  for (let i: u32 = 0; i < len; i++) {
    const c = <u32>load<u8>(src + i);
    const v = sextet(c);
    if (v == INVALID) continue;
    if (c == 0x3d) pad++;
    block = (block << 6) | v;
    n++;
    if (n == 4) {
      store<u8>(dst + out, <u8>(block >> 16));
      store<u8>(dst + out + 1, <u8>(block >> 8));
      store<u8>(dst + out + 2, <u8>block);
      out += 3;
      n = 0;
      block = 0;
      if (pad != 0) {
        if (pad > 2) return 0; // invalid padding
        out -= pad;
        break;
      }
    }
  }
  return out;
}

/** Encodes [src, src+len) at dst with '=' padding; returns the bytes written. */
export function base64Encode(src: usize, len: u32, dst: usize): u32 {
  let out: u32 = 0;
  let i: u32 = 0;
  while (i + 3 <= len) {
    const b = (<u32>load<u8>(src + i) << 16) | (<u32>load<u8>(src + i + 1) << 8) | <u32>load<u8>(src + i + 2);
    store<u8>(dst + out, <u8>alpha(b >> 18));
    store<u8>(dst + out + 1, <u8>alpha((b >> 12) & 63));
    store<u8>(dst + out + 2, <u8>alpha((b >> 6) & 63));
    store<u8>(dst + out + 3, <u8>alpha(b & 63));
    out += 4;
    i += 3;
  }
  const rest = len - i;
  if (rest != 0) {
    let b = <u32>load<u8>(src + i) << 16;
    if (rest == 2) b |= <u32>load<u8>(src + i + 1) << 8;
    store<u8>(dst + out, <u8>alpha(b >> 18));
    store<u8>(dst + out + 1, <u8>alpha((b >> 12) & 63));
    store<u8>(dst + out + 2, rest == 2 ? <u8>alpha((b >> 6) & 63) : 0x3d);
    store<u8>(dst + out + 3, 0x3d);
    out += 4;
  }
  return out;
}
