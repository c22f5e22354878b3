// Item header view. An item is immutable once published except `exptime`
// (touch, atomic) and the access bits (set once, atomic); updates publish a
// new item. Layout (8-byte aligned, 32-byte header):
//   0 cas u64 | 8 exptime u32 | 12 time u32 (rel time stored, for flush_all)
//   16 flags u32 | 20 vlen u32 (without CRLF) | 24 hash u32 (low half)
//   28 klen u8 | 29 bits u8 | 30 unused u16 | 32 key | value | "\r\n"
import { gSegSize } from "./layout";

export const I_CAS: u32 = 0;
export const I_EXPTIME: u32 = 8;
export const I_TIME: u32 = 12;
export const I_FLAGS: u32 = 16;
export const I_VLEN: u32 = 20;
export const I_HASH: u32 = 24;
export const I_KLEN: u32 = 28;
export const I_BITS: u32 = 29;
export const I_HDR: u32 = 32;

/** Hit since written (or since re-inserted): eviction re-inserts it. */
export const BIT_ACCESSED: u8 = 1;
/** Ever fetched: for evicted_unfetched / expired_unfetched. */
export const BIT_FETCHED: u8 = 2;
/** Unlinked or never committed: eviction skips it without locking. */
export const BIT_DEAD: u8 = 4;
/** Meta commands (meta.ts): marked stale by `md I` / `ms I`; served with X. */
export const BIT_STALE: u8 = 8;
/** Meta commands: a client was told it won the right to recache (W; later Z). */
export const BIT_WON: u8 = 16;
/** Meta commands: stored with a base64 (`b`) key, so `k` answers in base64. */
export const BIT_KEY_BINARY: u8 = 32;
/** Hit again while BIT_ACCESSED was set: eviction re-inserts it with BIT_ACCESSED kept (a 2-bit CLOCK). */
export const BIT_ACCESSED2: u8 = 64;

export const KEY_MAX: u32 = 250;

/** Bytes an item takes in a segment. */
@inline export function itemTotal(klen: u32, vlen: u32): u32 {
  return (I_HDR + klen + vlen + 2 + 7) & ~7;
}

/** Size of the item at `it` from its header, clamped so a walk over stale bytes stays bounded. */
@inline export function itemSizeAt(it: usize): u32 {
  let v = load<u32>(it + I_VLEN);
  if (v > gSegSize) v = gSegSize;
  return itemTotal(<u32>load<u8>(it + I_KLEN), v);
}

@inline export function itemBits(it: usize): u8 { return atomic.load<u8>(it + I_BITS); }
@inline export function setItemBits(it: usize, b: u8): void { atomic.or<u8>(it + I_BITS, b); }

/** Key equality, 8 bytes at a time. */
export function keyEq(a: usize, b: usize, n: u32): bool {
  let i: u32 = 0;
  while (i + 8 <= n) {
    if (load<u64>(a + i) != load<u64>(b + i)) return false;
    i += 8;
  }
  while (i < n) {
    if (load<u8>(a + i) != load<u8>(b + i)) return false;
    i++;
  }
  return true;
}

/** Write a header and the key; the value is the caller's. */
export function writeItem(it: usize, key: usize, klen: u32, flags: u32, exptime: u32, vlen: u32, hash: u32, now: u32): void {
  store<u64>(it + I_CAS, 0);
  store<u32>(it + I_EXPTIME, exptime);
  store<u32>(it + I_TIME, now);
  store<u32>(it + I_FLAGS, flags);
  store<u32>(it + I_VLEN, vlen);
  store<u32>(it + I_HASH, hash);
  store<u8>(it + I_KLEN, <u8>klen);
  store<u8>(it + I_BITS, 0);
  store<u16>(it + 30, 0);
  memory.copy(it + I_HDR, key, klen);
  store<u16>(it + I_HDR + klen + vlen, 0x0a0d); // "\r\n"
}
