// The read side: lock-free lookups, the snapshot check, item field access,
// pins and the access bit. Nothing here writes shared memory on a hit except
// the access bit, once per item lifetime in the head of the FIFO.
import { I_CAS, I_EXPTIME, I_FLAGS, I_VLEN, I_HDR, I_KLEN, I_BITS, BIT_ACCESSED, BIT_ACCESSED2, BIT_FETCHED } from "./item";
import { gSegSize } from "./layout";
import { hashKey } from "./hash";
import { lookup, gFoundGen, headFor, chainFindRef, unlinkSlot } from "./buckets";
import { segOf, segGen } from "./segtab";
import { pinSeg, unpinSeg } from "./segments";
import { isExpired } from "./clock";
import { isFlushed } from "./flush";
import { lockVersion, unlockVersion, unlockVersionClean } from "./lock";
import { MISS_NONE, MISS_EXPIRED, MISS_FLUSHED } from "./results";
import { casShown } from "./cas";

// the last snapshot taken by storeFind/storeTouch on this instance
let gLastIt: usize = 0;
let gLastGen: u32 = 0;
let gLastMiss: u32 = MISS_NONE;

export function noteSnapshot(it: usize, gen: u32): void { gLastIt = it; gLastGen = gen; }
export function noteMiss(why: u32): void { gLastMiss = why; }

/** 0 if live, else the miss reason (flushed is checked first, as memcached does). */
export function deadReason(it: usize, now: u32): u32 {
  if (isFlushed(it, now)) return MISS_FLUSHED;
  if (isExpired(atomic.load<u32>(it + I_EXPTIME), now)) return MISS_EXPIRED;
  return MISS_NONE;
}

/** Unlink `it` if the index still points at it (expired/flushed found by a read). */
function unlinkIfLinked(it: usize, hash: u32): void {
  let head = headFor(hash);
  let held = lockVersion(head);
  if (held & 1) return;
  let slot = chainFindRef(head, it);
  if (slot != 0) { unlinkSlot(head, slot); unlockVersion(head, held); }
  else unlockVersionClean(head, held);
}

export function storeFind(key: usize, klen: u32, now: u32): usize {
  gLastMiss = MISS_NONE;
  let h = hashKey(key, klen);
  let it = lookup(key, klen, h);
  if (it == 0) return 0;
  gLastIt = it;
  gLastGen = gFoundGen;
  let why = deadReason(it, now);
  if (why != MISS_NONE) {
    gLastMiss = why;
    unlinkIfLinked(it, <u32>h);
    return 0;
  }
  return it;
}

export function storeLastMiss(): u32 { return gLastMiss; }

export function storeReadOk(it: usize): bool {
  if (it == 0) return false;
  let n = segOf(it);
  if (it != gLastIt && n != segOf(gLastIt)) return false;
  return segGen(n) == gLastGen;
}

export function itemKey(it: usize): usize { return it + I_HDR; }
export function itemKeyLen(it: usize): u32 { return load<u8>(it + I_KLEN); }
export function itemFlags(it: usize): u32 { return load<u32>(it + I_FLAGS); }
/** Clamped: a recycled item never yields a length that runs past its segment. */
export function itemValueLen(it: usize): u32 { let v = load<u32>(it + I_VLEN); return v > gSegSize ? gSegSize : v; }
export function itemValue(it: usize): usize { return it + I_HDR + <usize>load<u8>(it + I_KLEN); }
export function itemCas(it: usize): u64 { return casShown(load<u64>(it + I_CAS)); }
export function itemExptime(it: usize): u32 { return atomic.load<u32>(it + I_EXPTIME); }

export function storePin(it: usize): bool {
  if (it == 0) return false;
  if (it != gLastIt && segOf(it) != segOf(gLastIt)) return false;
  return pinSeg(it, gLastGen);
}

export function storeUnpin(it: usize): void { if (it != 0) unpinSeg(it); }

export function storeTouchAccess(it: usize): void {
  const both: u8 = BIT_ACCESSED | BIT_FETCHED;
  let bits = atomic.load<u8>(it + I_BITS);
  if (bits & BIT_ACCESSED2) return; // steady state: no write
  // a first hit sets both; a hit on an item already accessed this round marks it frequent
  let set: u8 = (bits & both) == both ? BIT_ACCESSED2 : both;
  // pin so the segment cannot be recycled between the check and the write
  if (!storePin(it)) return;
  atomic.or<u8>(it + I_BITS, set);
  unpinSeg(it);
}
