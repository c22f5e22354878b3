// incr/decr as memcached 1.6 do_add_delta: the value is parsed like
// safe_strtoull (leading white space, optional sign, decimal, then white
// space, NUL or the end), incr wraps at 2^64, decr floors at 0. A result no
// longer than the old value keeps the old length, padded with spaces ("15"
// decr 15 -> "0 "); a longer one gets its exact length. memcached writes the
// short case in place; here every result is a new item (readers hold no
// references, so in-place digits could tear), published only if the old item
// is still the linked one: a compare-and-swap loop.
import { gSegSize } from "./layout";
import { casMatches } from "./cas";
import { I_CAS, I_EXPTIME, I_FLAGS, I_VLEN, I_HDR } from "./item";
import { hashKey } from "./hash";
import { gFoundGen } from "./buckets";
import { segOf, segGen } from "./segtab";
import { storeAlloc, findLive, swapIfCurrent } from "./write";
import { NOT_FOUND, NON_NUMERIC, NO_MEMORY, DELTA_OK, EXISTS } from "./results";

/** Attempts when other writers keep replacing the item (each costs a reservation). */
const DELTA_TRIES: u32 = 4096;

let gDeltaResult: u64 = 0;
let gDeltaExptime: u32 = 0;
let gParsed: u64 = 0;

export function storeDeltaResult(): u64 { return gDeltaResult; }
/** The exptime of the item the last successful storeDelta published. */
export function storeDeltaExptime(): u32 { return gDeltaExptime; }

@inline function isSpace(c: u32): bool { return c == 32 || (c >= 9 && c <= 13); }

/** safe_strtoull over [p, p+n); the result in gParsed. */
export function parseU64(p: usize, n: u32): bool {
  let i: u32 = 0;
  while (i < n && isSpace(load<u8>(p + i))) i++;
  let neg = false;
  if (i < n) {
    let c = load<u8>(p + i);
    if (c == 45 || c == 43) { neg = c == 45; i++; }
  }
  let start = i;
  let v: u64 = 0;
  let overflow = false;
  while (i < n) {
    let d = <u32>load<u8>(p + i) - 48;
    if (d > 9) break;
    if (v > (u64.MAX_VALUE - d) / 10) overflow = true; // strtoull: ERANGE
    v = v * 10 + d;
    i++;
  }
  if (i == start || overflow) return false;
  if (i < n) {
    let c = <u32>load<u8>(p + i);
    if (!isSpace(c) && c != 0) return false;
  }
  if (neg) {
    v = 0 - v;
    if (<i64>v < 0) return false; // a '-' that made it negative
  }
  gParsed = v;
  return true;
}

function digits(v: u64): u32 {
  let n: u32 = 1;
  while (v >= 10) { v /= 10; n++; }
  return n;
}

/** casIn != 0 (meta `ma C`): EXISTS unless it is the item's CAS (checked first, as do_add_delta does). */
export function storeDelta(key: usize, klen: u32, incr: bool, delta: u64, now: u32, casIn: u64 = 0): i32 {
  let h = hashKey(key, klen);
  for (let t: u32 = 0; t < DELTA_TRIES; t++) {
    let old = findLive(key, klen, h, now);
    if (old == 0) return NOT_FOUND;
    let gen = gFoundGen;
    let vlen = load<u32>(old + I_VLEN);
    let flags = load<u32>(old + I_FLAGS);
    if (vlen > gSegSize) continue;
    if (casIn != 0 && !casMatches(load<u64>(old + I_CAS), casIn)) { if (segGen(segOf(old)) != gen) continue; return EXISTS; }
    // the value is followed by CRLF, so the parse always meets an end
    let ok = vlen != 0 && parseU64(old + I_HDR + klen, vlen + 2);
    if (segGen(segOf(old)) != gen) continue;
    if (!ok) return NON_NUMERIC;
    let v = gParsed;
    if (incr) v += delta;
    else v = delta > v ? 0 : v - delta;
    let nd = digits(v);
    let newLen = nd <= vlen ? vlen : nd;
    let nit = storeAlloc(key, klen, flags, atomic.load<u32>(old + I_EXPTIME), newLen, now);
    if (nit == 0) return NO_MEMORY;
    let dst = nit + I_HDR + klen;
    memory.fill(dst + nd, 32, newLen - nd);
    let x = v;
    for (let i = <i32>nd - 1; i >= 0; i--) { store<u8>(dst + i, <u8>(48 + <u32>(x % 10))); x /= 10; }
    // memcached links a new item (total_items) only when the number grew
    let r = swapIfCurrent(key, klen, h, old, nit, now, newLen != vlen);
    if (r > 0) { gDeltaResult = v; gDeltaExptime = atomic.load<u32>(nit + I_EXPTIME); return DELTA_OK; }
    if (r < 0) return NO_MEMORY;
  }
  return NO_MEMORY;
}
