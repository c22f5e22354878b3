// Short copies and clears inline. V8 runs memory.copy and memory.fill as a
// call out of the generated code, about 5 ns each whatever the length; a
// request's headers, key and small value take several, so up to SHORT_MAX
// bytes go as a few unaligned v128 / scalar moves instead (about 1 ns).
// Longer spans still take memory.copy / memory.fill.

/** Longest span moved inline. */
export const SHORT_MAX: u32 = 64;

/**
 * Copy len bytes from src to dst; the two spans must not overlap (a
 * chunked copy is not memmove). Reads and writes only [src, src+len) and
 * [dst, dst+len): the tail is one more move ending at the last byte.
 */
@inline export function copyDisjoint(dst: usize, src: usize, len: u32): void {
  if (len > SHORT_MAX) { memory.copy(dst, src, len); return; }
  copyShort(dst, src, len);
}

function copyShort(dst: usize, src: usize, len: u32): void {
  if (len >= 16) {
    let last = <usize>(len - 16);
    let tail = v128.load(src + last);
    // at most three whole chunks before the tail (len <= 64)
    for (let i: usize = 0; i < last; i += 16) v128.store(dst + i, v128.load(src + i));
    v128.store(dst + last, tail);
  } else if (len >= 8) {
    let a = load<u64>(src), b = load<u64>(src + len - 8);
    store<u64>(dst, a);
    store<u64>(dst + len - 8, b);
  } else if (len >= 4) {
    let a = load<u32>(src), b = load<u32>(src + len - 4);
    store<u32>(dst, a);
    store<u32>(dst + len - 4, b);
  } else if (len >= 2) {
    let a = load<u16>(src), b = load<u16>(src + len - 2);
    store<u16>(dst, a);
    store<u16>(dst + len - 2, b);
  } else if (len) {
    store<u8>(dst, load<u8>(src));
  }
}

/** Zero len bytes at p (only those). */
@inline export function zeroBytes(p: usize, len: u32): void {
  if (len > SHORT_MAX || len < 16) { memory.fill(p, 0, len); return; }
  let z = i64x2.splat(0);
  let last = <usize>(len - 16);
  for (let i: usize = 0; i < last; i += 16) v128.store(p + i, z);
  v128.store(p + last, z);
}
