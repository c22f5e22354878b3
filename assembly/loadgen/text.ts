// The bytes of requests and replies: keys, values, and the fixed words.
//
// Key i is "k" then i in decimal, zero-padded to the key size. The value of
// key k is byte j = ALPHABET[(k + j) % 62], so any stretch of it is one
// contiguous slice of a table holding the alphabet repeated over
// 62 + CHUNK bytes: sets copy slices of it and replies are compared with it,
// CHUNK bytes at a time, whatever the value size. The table lives in the
// instance's region (static data must stay read-only after start).

export const ALPHABET_LEN: u32 = 62;
/** Longest slice taken from the table at once. */
export const CHUNK: u32 = 4096;
export const TABLE_BYTES: usize = 4160; // 62 + CHUNK, rounded up to 64

/** Fill the value table: A..Z a..z 0..9 repeated. */
export function tableFill(p: usize): void {
  for (let i: u32 = 0; i < <u32>TABLE_BYTES; i++) {
    let a = i % ALPHABET_LEN;
    let c: u32 = a < 26 ? 0x41 + a : a < 52 ? 0x61 + a - 26 : 0x30 + a - 52;
    store<u8>(p + i, <u8>c);
  }
}

/** Where in the table byte j of key k's value is (the next CHUNK bytes follow it). */
@inline export function valueAt(table: usize, key: u32, j: u32): usize {
  return table + (key % ALPHABET_LEN + j % ALPHABET_LEN) % ALPHABET_LEN;
}

// "STORED\r\n", and "\r\nEND\r\n" whose tail is "END\r\n" and whose head is "\r\n".
export const STORED: usize = memory.data<u8>([0x53, 0x54, 0x4F, 0x52, 0x45, 0x44, 0x0D, 0x0A]);
export const STORED_LEN: u32 = 8;
export const CRLF_END: usize = memory.data<u8>([0x0D, 0x0A, 0x45, 0x4E, 0x44, 0x0D, 0x0A]);
export const CRLF_END_LEN: u32 = 7;
export const END: usize = CRLF_END + 2;
export const END_LEN: u32 = 5;

/** v in decimal at dst; returns its length. */
export function writeDec(dst: usize, v: u32): u32 {
  let n: u32 = 1;
  for (let t = v; t >= 10; t /= 10) n++;
  let p = dst + n;
  for (let k: u32 = 0; k < n; k++) { p--; store<u8>(p, <u8>(0x30 + v % 10)); v /= 10; }
  return n;
}

/** Key `key` ("k" + zero-padded decimal) in exactly `size` bytes at dst (config.ts checked that it fits). */
export function writeKey(dst: usize, key: u32, size: u32): void {
  store<u8>(dst, 0x6B);
  let p = dst + size;
  for (let k: u32 = 0; k < 10 && (key != 0 || k == 0); k++) { p--; store<u8>(p, <u8>(0x30 + key % 10)); key /= 10; }
  // the zero padding: a loop, not memory.fill (a call out of the generated code for a few bytes)
  for (let q = dst + 1; q < p; q++) store<u8>(q, 0x30);
}

@inline function put4(dst: usize, a: u32): void { store<u32>(dst, a); }

/** "get <key>\r\n" at dst; returns its length (at most 6 + 250). */
export function formatGet(dst: usize, key: u32, keySize: u32): u32 {
  put4(dst, 0x20746567); // "get "
  writeKey(dst + 4, key, keySize);
  store<u16>(dst + 4 + keySize, 0x0A0D);
  return 6 + keySize;
}

/** "set <key> 0 0 <vs>\r\n" at dst; returns its length (at most 4 + 250 + 5 + 7 + 2). */
export function formatSet(dst: usize, key: u32, keySize: u32, valueSize: u32): u32 {
  put4(dst, 0x20746573); // "set "
  writeKey(dst + 4, key, keySize);
  let p = dst + 4 + keySize;
  put4(p, 0x30203020); // " 0 0"
  store<u8>(p + 4, 0x20);
  p += 5;
  p += writeDec(p, valueSize);
  store<u16>(p, 0x0A0D);
  return <u32>(p + 2 - dst);
}

/** "VALUE <key> 0 <vs>\r\n" (a hit's header) at dst; returns its length (at most 6 + 250 + 3 + 7 + 2). */
export function formatValueHeader(dst: usize, key: u32, keySize: u32, valueSize: u32): u32 {
  put4(dst, 0x554C4156); // "VALU"
  store<u16>(dst + 4, 0x2045); // "E "
  writeKey(dst + 6, key, keySize);
  let p = dst + 6 + keySize;
  store<u16>(p, 0x3020); // " 0"
  store<u8>(p + 2, 0x20);
  p += 3;
  p += writeDec(p, valueSize);
  store<u16>(p, 0x0A0D);
  return <u32>(p + 2 - dst);
}

/** Longest header any of the three formats writes. */
export const HEADER_MAX: u32 = 6 + 250 + 3 + 7 + 2;
