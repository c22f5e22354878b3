// Helpers for the wire specs: captured frames as hex, 0xA5-filled buffers,
// byte-for-byte comparison. Test code only: it allocates freely.

/** Real frames captured on a Linux 6.x veth pair (02:..:01 = 10.0.0.1, 02:..:02 = 10.0.0.2). */
export namespace Frames {
  // who-has 10.0.0.2 tell 10.0.0.1
  export const ARP_REQUEST = "ffffffffffff020000000001080600010800060400010200000000010a0000010000000000000a000002";
  // 10.0.0.2 is-at 02:00:00:00:00:02
  export const ARP_REPLY = "020000000001020000000002080600010800060400020200000000020a0000020200000000010a000001";
  // echo request id 0x1234 seq 1, 32 data bytes, DF set
  export const ICMP_REQUEST = "02000000000202000000000108004500003ccdf04000400158ce0a0000010a0000020800f3c812340001101112131415161718191a1b1c1d1e1f202122232425262728292a2b2c2d2e2f";
  // the kernel's echo reply: DF clear
  export const ICMP_REPLY = "02000000000102000000000208004500003c433300004001238c0a0000020a0000010000fbc812340001101112131415161718191a1b1c1d1e1f202122232425262728292a2b2c2d2e2f";
  // SYN: MSS 1460, SACK-perm, TS, WS 10
  export const SYN = "02000000000202000000000108004500003c698940004006bd300a0000010a000002b74c2bcbaec7d90200000000a002faf0ab720000020405b40402080ab3396f7b000000000103030a";
  export const SYN_ACK = "02000000000102000000000208004500003c00004000400626ba0a0000020a0000012bcbb74cc56728edaec7d903a012fe88b75e0000020405b40402080a1ab7e75eb3396f7b0103030a";
  // PSH|ACK with "get foo\r\n"; NOP NOP TS
  export const DATA = "02000000000202000000000108004500003d698b40004006bd2d0a0000010a000002b74c2bcbaec7d903c56728ee8018003f289b00000101080ab33970441ab7e75e67657420666f6f0d0a";
  // duplicate ACK with TS and one SACK block
  export const SACK1 = "0200000000010200000000020800450000400769400040061f4d0a0000020a0000012bcbb74cc56728eeaec7d90cb01000409a9000000101080a1ab7e9b8b33970440101050aaec7d970aec7d9a2";
  // duplicate ACK with TS and three SACK blocks: a full 60-byte header
  export const SACK3 = "020000000001020000000002080045000050076b400040061f3b0a0000020a0000012bcbb74cc56728eeaec7d90cf010004033cf00000101080a1ab7ea81b33970440101051aaec7db00aec7db14aec7da38aec7da6aaec7d970aec7d9a2";
  export const FIN = "020000000002020000000001080045000034698c40004006bd350a0000010a000002b74c2bcbaec7d90cc56728ee8011003fdcfa00000101080ab33973cb1ab7ea81";
}

@inline function nibble(c: i32): u8 {
  return <u8>(c <= 57 ? c - 48 : c - 87); // '0'-'9', 'a'-'f'
}

/** Bytes of a lower-case hex string in a fresh buffer. */
export function fromHex(hex: string): usize {
  let n = hex.length >> 1;
  let p = heap.alloc(n);
  for (let i = 0; i < n; i++) {
    store<u8>(p + i, (nibble(hex.charCodeAt(2 * i)) << 4) | nibble(hex.charCodeAt(2 * i + 1)));
  }
  return p;
}

/** Length in bytes of a hex string. */
@inline export function hexLen(hex: string): u32 {
  return hex.length >> 1;
}

/** A buffer of `len` bytes of 0xA5, so a field emit forgets stands out. */
export function filled(len: u32): usize {
  let p = heap.alloc(len);
  memory.fill(p, 0xA5, len);
  return p;
}

/** Index of the first byte where a and b differ, -1 if none. */
export function firstDiff(a: usize, b: usize, len: u32): i32 {
  for (let i: u32 = 0; i < len; i++) {
    if (load<u8>(a + i) != load<u8>(b + i)) return <i32>i;
  }
  return -1;
}

/** A copy of `len` bytes, for corrupting one field without touching the original. */
export function copyOf(p: usize, len: u32): usize {
  let q = heap.alloc(len);
  memory.copy(q, p, len);
  return q;
}

/** Deterministic xorshift32 for random buffers. */
let rngState: u32 = 0x9E3779B9;
export function rand32(): u32 {
  let x = rngState;
  x ^= x << 13;
  x ^= x >> 17;
  x ^= x << 5;
  rngState = x;
  return x;
}

/** Reference Internet checksum: big-endian words one at a time (RFC 1071 §4.1). */
export function naiveChecksum(p: usize, len: u32): u16 {
  let sum: u32 = 0;
  let i: u32 = 0;
  for (; i + 1 < len; i += 2) {
    sum += (<u32>load<u8>(p + i) << 8) | <u32>load<u8>(p + i + 1);
    sum = (sum & 0xFFFF) + (sum >> 16);
  }
  if (i < len) {
    sum += <u32>load<u8>(p + i) << 8;
    sum = (sum & 0xFFFF) + (sum >> 16);
  }
  return ~<u16>sum;
}

/** A fresh, uninitialised representation of type T (an @unmanaged class). */
export function newRepr<T>(): T {
  return changetype<T>(heap.alloc(offsetof<T>()));
}

/** memory.compare of two representations: 0 when every byte matches. */
export function compareRepr<T>(a: T, b: T): i32 {
  return memory.compare(changetype<usize>(a), changetype<usize>(b), offsetof<T>());
}

/** The bytes of a captured frame from `offset` on (a header and what follows), in their own buffer. */
export function frameFrom(hex: string, offset: u32): usize {
  return copyOf(fromHex(hex) + offset, hexLen(hex) - offset);
}
