// The Internet checksum (RFC 1071) and its IPv4 pseudo-header.
//
// A *sum* here is a 16-bit one's-complement sum in network numeric order,
// folded so it fits in 16 bits (kept in a u32). Sums chain: pass one as
// `sum` to the next call. Only the last buffer of a chain may have an odd
// length (an odd split would shift the following bytes into the other half
// of their 16-bit words). `csumFinish` turns a sum into the value to store.
//
// Speed: the bytes are summed as little-endian words (what the loads give)
// and the folded result byte-swapped once; RFC 1071 §2(B) shows the two
// orders give byte-swapped sums. The bulk runs 64 bytes per iteration on
// four v128 accumulators (binaryen and V8 do not unroll: it is by hand);
// the tail, and so a whole header, runs 8 bytes a step in scalar code.

/** Fold a wide one's-complement sum to 16 bits (end-around carries). */
@inline export function csumFold(s: u64): u32 {
  s = (s & 0xFFFFFFFF) + (s >> 32); // < 2^33
  s = (s & 0xFFFFFFFF) + (s >> 32); // < 2^32
  let t = <u32>s;
  t = (t & 0xFFFF) + (t >> 16); // <= 0x1FFFE
  return (t & 0xFFFF) + (t >> 16); // <= 0xFFFF
}

/** The checksum field value for a finished sum. */
@inline export function csumFinish(sum: u32): u16 {
  return ~<u16>csumFold(sum);
}

// A u32 lane gains at most 2 * 0xFFFF per 16 bytes. After 8192 blocks of
// 64 bytes each lane of the four accumulators is < 2^30, so their sum still
// fits a u32 lane: flush to the u64 every SIMD_FLUSH_BLOCKS.
const SIMD_FLUSH_BLOCKS: u32 = 8192;

// Two little-endian 32-bit halves of a u64, added without overflow.
@inline function halves(x: u64): u64 {
  return (x & 0xFFFFFFFF) + (x >> 32);
}

/** Sum of `len` bytes at `p` as little-endian 16-bit words, unfolded. */
function sumLe(p: usize, len: u32): u64 {
  let acc: u64 = 0;
  let blocks = len >> 6; // 64-byte blocks
  // Bounded: at most len / (64 * SIMD_FLUSH_BLOCKS) + 1 outer passes.
  while (blocks) {
    let n = blocks < SIMD_FLUSH_BLOCKS ? blocks : SIMD_FLUSH_BLOCKS;
    blocks -= n;
    let a0 = i32x4.splat(0), a1 = i32x4.splat(0), a2 = i32x4.splat(0), a3 = i32x4.splat(0);
    for (let i: u32 = 0; i < n; i++) {
      a0 = i32x4.add(a0, i32x4.extadd_pairwise_i16x8_u(v128.load(p)));
      a1 = i32x4.add(a1, i32x4.extadd_pairwise_i16x8_u(v128.load(p, 16)));
      a2 = i32x4.add(a2, i32x4.extadd_pairwise_i16x8_u(v128.load(p, 32)));
      a3 = i32x4.add(a3, i32x4.extadd_pairwise_i16x8_u(v128.load(p, 48)));
      p += 64;
    }
    let a = i32x4.add(i32x4.add(a0, a1), i32x4.add(a2, a3));
    let w = i64x2.add(i64x2.extend_low_i32x4_u(a), i64x2.extend_high_i32x4_u(a));
    acc += <u64>i64x2.extract_lane(w, 0) + <u64>i64x2.extract_lane(w, 1);
  }
  // Tail of < 64 bytes (all of most headers): straight-line scalar code,
  // 32, 16, 8, 4, 2, 1 bytes by the bits of the length. Measured faster
  // than a loop or 16-byte vectors here.
  let rest = len & 63;
  if (rest & 32) {
    acc += halves(load<u64>(p)) + halves(load<u64>(p, 8)) + halves(load<u64>(p, 16)) + halves(load<u64>(p, 24));
    p += 32;
  }
  if (rest & 16) {
    acc += halves(load<u64>(p)) + halves(load<u64>(p, 8));
    p += 16;
  }
  if (rest & 8) { acc += halves(load<u64>(p)); p += 8; }
  if (rest & 4) { acc += <u64>load<u32>(p); p += 4; }
  if (rest & 2) { acc += <u64>load<u16>(p); p += 2; }
  // An odd last byte is the high half of its big-endian word: the low half
  // of a little-endian one.
  if (rest & 1) acc += <u64>load<u8>(p);
  return acc;
}

/** Add the bytes [p, p+len) to `sum`. */
export function csumPartial(p: usize, len: u32, sum: u32): u32 {
  return csumFold(<u64>sum + <u64>bswap<u16>(<u16>csumFold(sumLe(p, len))));
}

/**
 * Sum of a 20-byte IPv4 header (no options), inline and loop-free: the one
 * checksum every packet needs twice; a call to csumPartial costs about as
 * much again as the summing.
 */
@inline export function csumPartial20(p: usize): u32 {
  let acc = halves(load<u64>(p)) + halves(load<u64>(p, 8)) + <u64>load<u32>(p, 16);
  return <u32>bswap<u16>(<u16>csumFold(acc));
}

/** The Internet checksum of [p, p+len), ready to store. */
@inline export function checksum(p: usize, len: u32): u16 {
  return csumFinish(csumPartial(p, len, 0));
}

/** True if [p, p+len), checksum field included, sums to 0xFFFF on top of `sum`. */
@inline export function csumVerify(p: usize, len: u32, sum: u32): bool {
  return csumPartial(p, len, sum) == 0xFFFF;
}

/** The IPv4 pseudo-header (RFC 793 §3.1): addresses, protocol, segment length. */
@inline export function pseudoSumIpv4(src: u32, dst: u32, protocol: u8, len: u32): u32 {
  return csumFold(
    <u64>(src >> 16) + <u64>(src & 0xFFFF) +
    <u64>(dst >> 16) + <u64>(dst & 0xFFFF) +
    <u64>protocol + <u64>len,
  );
}

/** RFC 1624 eqn. 3: the checksum after one 16-bit word changes from `old` to `now`. */
@inline export function csumUpdate16(check: u16, old: u16, now: u16): u16 {
  return ~<u16>csumFold(<u64>(~check & 0xFFFF) + <u64>(~old & 0xFFFF) + <u64>now);
}
