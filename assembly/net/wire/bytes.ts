// Network-order (big-endian) loads and stores. Wasm memory is little-endian,
// so every multi-byte wire field goes through bswap; unaligned access is
// legal in Wasm, so no field needs alignment.

@inline export function loadBe16(p: usize): u16 {
  return bswap<u16>(load<u16>(p));
}

@inline export function storeBe16(p: usize, v: u16): void {
  store<u16>(p, bswap<u16>(v));
}

@inline export function loadBe32(p: usize): u32 {
  return bswap<u32>(load<u32>(p));
}

@inline export function storeBe32(p: usize, v: u32): void {
  store<u32>(p, bswap<u32>(v));
}

/** A 48-bit MAC address as the number its six bytes spell: 02:00:00:00:00:01 is 0x020000000001. */
@inline export function loadBe48(p: usize): u64 {
  return (<u64>loadBe32(p) << 16) | <u64>loadBe16(p + 4);
}

@inline export function storeBe48(p: usize, v: u64): void {
  storeBe32(p, <u32>(v >> 16));
  storeBe16(p + 4, <u16>v);
}
