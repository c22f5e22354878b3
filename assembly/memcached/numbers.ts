// Decimal numbers on raw bytes, without allocation.
//
// The parsers reproduce memcached's safe_strtoul / safe_strtol /
// safe_strtoull (util.c) on an LP64 host, quirks included: leading
// whitespace and a sign are accepted, the digits must be followed by
// whitespace or the end of the token, values that overflow 64 bits are
// rejected, and the 32-bit variants truncate the 64-bit result (so
// "4294967297" reads as 1, as memcached 1.6 does).

/** The value of the last successful parse (per instance). */
export let numValue: u64 = 0;

// isspace() in the C locale.
@inline export function isSpace(c: u32): bool {
  return c == 0x20 || (c >= 0x09 && c <= 0x0d);
}

/** strtoull/strtoll core: sets numValue to the magnitude (negated mod 2^64
 *  when a '-' was seen). Returns 0 on failure, 1 for a plain number, 2 when
 *  a '-' sign was seen. `signedRange` selects strtol's range check. */
function scan(p: usize, len: u32, signedRange: bool): i32 {
  let i: u32 = 0;
  while (i < len && isSpace(<u32>load<u8>(p + i))) i++;
  let neg = false;
  if (i < len) {
    const c = <u32>load<u8>(p + i);
    if (c == 0x2d) { neg = true; i++; } else if (c == 0x2b) i++;
  }
  const start = i;
  let v: u64 = 0;
  let overflow = false;
  while (i < len) {
    const d = <u32>load<u8>(p + i) - 0x30;
    if (d > 9) break;
    if (v > (u64.MAX_VALUE - <u64>d) / 10) overflow = true;
    v = v * 10 + <u64>d;
    i++;
  }
  if (i == start) return 0;                          // no digits: str == endptr
  if (i < len && !isSpace(<u32>load<u8>(p + i))) return 0;
  if (overflow) return 0;                            // ERANGE
  if (signedRange) {
    if (neg ? v > 0x8000000000000000 : v > 0x7fffffffffffffff) return 0; // ERANGE
  }
  numValue = neg ? 0 - v : v;
  return neg ? 2 : 1;
}

/** safe_strtoull: true and numValue on success. */
export function parseU64(p: usize, len: u32): bool {
  const r = scan(p, len, false);
  if (r == 0) return false;
  // "-N" wraps modulo 2^64; memcached refuses it when the result looks negative.
  if (r == 2 && <i64>numValue < 0) return false;
  return true;
}

/** safe_strtoul: like parseU64, then truncated to 32 bits. */
export function parseU32(p: usize, len: u32): bool {
  if (!parseU64(p, len)) return false;
  numValue = numValue & 0xffffffff;
  return true;
}

/** safe_strtol: a 64-bit strtol truncated to int32 (sign-extended into numValue). */
export function parseI32(p: usize, len: u32): bool {
  if (scan(p, len, true) == 0) return false;
  numValue = <u64><i64><i32><u32>numValue;
  return true;
}

/** Digits of v in decimal. */
export function digitsU64(v: u64): u32 {
  let n: u32 = 1;
  while (v >= 10) { v /= 10; n++; }
  return n;
}

/** Writes v in decimal at p; returns the number of bytes written (1..20). */
export function writeU64(p: usize, v: u64): u32 {
  if (v < 10) { store<u8>(p, <u8>(0x30 + <u32>v)); return 1; } // flags 0 and short lengths: most replies
  if (v <= 0xFFFFFFFF) return writeU32(p, <u32>v); // 32-bit division: cheaper than 64-bit
  const n = digitsU64(v);
  let q = p + n;
  do {
    q--;
    store<u8>(q, <u8>(0x30 + <u32>(v % 10)));
    v /= 10;
  } while (v != 0);
  return n;
}

function writeU32(p: usize, v: u32): u32 {
  let n: u32 = 1;
  for (let t: u32 = v; t >= 10; t /= 10) n++;
  let q = p + n;
  do {
    q--;
    store<u8>(q, <u8>(0x30 + v % 10));
    v /= 10;
  } while (v != 0);
  return n;
}
