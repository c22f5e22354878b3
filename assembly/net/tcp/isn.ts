// Keyed hashing: SipHash-2-4 over two 64-bit words, and the initial
// sequence number generator built on it (RFC 6528: ISN = M + F(4-tuple,
// secret), M a 4 µs clock). The secret comes from the seed given at init,
// so the same seed, segments and clock give the same ISNs.

@inline function rotl(x: u64, b: u64): u64 { return (x << b) | (x >> (64 - b)); }

/** SipHash-2-4 of the 16-byte message (m0, m1) under the key (k0, k1). */
export function sip2(k0: u64, k1: u64, m0: u64, m1: u64): u64 {
  let v0: u64 = k0 ^ 0x736f6d6570736575;
  let v1: u64 = k1 ^ 0x646f72616e646f6d;
  let v2: u64 = k0 ^ 0x6c7967656e657261;
  let v3: u64 = k1 ^ 0x7465646279746573;
  let b: u64 = <u64>16 << 56;
  for (let w = 0; w < 3; w++) {
    let m: u64 = w == 0 ? m0 : w == 1 ? m1 : b;
    v3 ^= m;
    for (let r = 0; r < 2; r++) {
      v0 += v1; v1 = rotl(v1, 13); v1 ^= v0; v0 = rotl(v0, 32);
      v2 += v3; v3 = rotl(v3, 16); v3 ^= v2;
      v0 += v3; v3 = rotl(v3, 21); v3 ^= v0;
      v2 += v1; v1 = rotl(v1, 17); v1 ^= v2; v2 = rotl(v2, 32);
    }
    v0 ^= m;
  }
  v2 ^= 0xFF;
  for (let r = 0; r < 4; r++) {
    v0 += v1; v1 = rotl(v1, 13); v1 ^= v0; v0 = rotl(v0, 32);
    v2 += v3; v3 = rotl(v3, 16); v3 ^= v2;
    v0 += v3; v3 = rotl(v3, 21); v3 ^= v0;
    v2 += v1; v1 = rotl(v1, 17); v1 ^= v2; v2 = rotl(v2, 32);
  }
  return v0 ^ v1 ^ v2 ^ v3;
}

/** The 4-tuple as two words: addresses, then ports. */
@inline export function tupleHi(localIp: u32, remoteIp: u32): u64 {
  return (<u64>localIp << 32) | <u64>remoteIp;
}
@inline export function tupleLo(localPort: u32, remotePort: u32, extra: u32): u64 {
  return (<u64>extra << 32) | (<u64>(localPort & 0xFFFF) << 16) | <u64>(remotePort & 0xFFFF);
}

/** RFC 6528 ISN: keyed hash of the 4-tuple plus a 4 µs clock (250 ticks per ms). */
export function isnFor(k0: u64, k1: u64, localIp: u32, localPort: u32, remoteIp: u32, remotePort: u32, now: u64): u32 {
  let h = sip2(k0, k1, tupleHi(localIp, remoteIp), tupleLo(localPort, remotePort, 0));
  return <u32>h + <u32>(now * 250);
}

/** Timestamp offset per connection (RFC 7323 §5.4: a random offset per connection). */
export function tsOffsetFor(k0: u64, k1: u64, localIp: u32, localPort: u32, remoteIp: u32, remotePort: u32): u32 {
  return <u32>(sip2(k1, k0, tupleHi(localIp, remoteIp), tupleLo(localPort, remotePort, 1)) >> 32);
}
