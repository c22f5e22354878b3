// Key hash: 64 bits from one pass over the key. The low 32 bits pick the
// bucket (and are kept in the item for eviction); the high 32 bits are the
// slot tag, so the tag filters independently of the bucket choice.

@inline function rotl64(x: u64, r: u64): u64 { return (x << r) | (x >> (64 - r)); }

@inline function fmix64(k: u64): u64 {
  k ^= k >> 33;
  k *= 0xff51afd7ed558ccd;
  k ^= k >> 33;
  k *= 0xc4ceb9fe1a85ec53;
  k ^= k >> 33;
  return k;
}

export function hashKey(key: usize, klen: u32): u64 {
  let h: u64 = 0x9e3779b97f4a7c15 ^ (<u64>klen * 0xc2b2ae3d27d4eb4f);
  let p = key;
  let end = key + <usize>klen;
  while (p + 8 <= end) {
    let k = load<u64>(p) * 0x87c37b91114253d5;
    h ^= rotl64(k, 31) * 0x4cf5ad432745937f;
    h = rotl64(h, 27) * 5 + 0x52dce729;
    p += 8;
  }
  let t: u64 = 0;
  let s: u64 = 0;
  while (p < end) { t |= <u64>load<u8>(p) << s; s += 8; p++; }
  h ^= rotl64(t * 0x87c37b91114253d5, 31) * 0x4cf5ad432745937f;
  return fmix64(h);
}
