// What memcached 1.6's meta commands need beyond the classic ones: the
// per-item meta bits (stale, win token sent, base64 key), the time an item
// was stored, a TTL change that marks nothing, vivify-on-miss, mark-stale
// (`md I`) and a delete gated by a CAS. Writers take the one bucket lock
// they change, as write.ts does; readers stay lock-free (bits are read with
// one atomic load).
import { gSegSize } from "./layout";
import {
  I_BITS, I_CAS, I_EXPTIME, I_FLAGS, I_HDR, I_KLEN, I_TIME, I_VLEN, BIT_DEAD, BIT_FETCHED, BIT_KEY_BINARY,
  BIT_STALE, BIT_WON, setItemBits,
} from "./item";
import { hashKey } from "./hash";
import { headFor, chainFind, replaceSlot, slotRef, unlinkSlot, gFoundGen } from "./buckets";
import { segOf, segGen } from "./segtab";
import { unpinSeg } from "./segments";
import { lockVersion, unlockVersion, unlockVersionClean } from "./lock";
import { casMatches, nextCas } from "./cas";
import { liveExptime } from "./live";
import { deadReason, noteSnapshot } from "./read";
import { findLive, storeAbort, storeAlloc, storeCommit } from "./write";
import { STORED, NOT_STORED, EXISTS, NOT_FOUND, NO_MEMORY, MODE_ADD, MISS_NONE } from "./results";

/** itemMetaBits: ever fetched (mg `h`, me `fetch`). */
export const META_FETCHED: u32 = BIT_FETCHED;
/** itemMetaBits: marked stale (mg answers X). */
export const META_STALE: u32 = BIT_STALE;
/** itemMetaBits: a win token was handed out (mg answers Z). */
export const META_WON: u32 = BIT_WON;
/** itemMetaBits: stored with a base64 key. */
export const META_KEY_BINARY: u32 = BIT_KEY_BINARY;

/** Attempts at a copy-and-swap while other writers keep replacing the item. */
const META_TRIES: u32 = 64;

export function itemMetaBits(it: usize): u32 { return <u32>atomic.load<u8>(it + I_BITS); }
/** Rel time the item was stored (memcached's it->time; `l`, `la`). */
export function itemTime(it: usize): u32 { return load<u32>(it + I_TIME); }

/** Marks a reservation (before storeCommit) as stored under a base64 key. */
export function storeMarkKeyBinary(it: usize): void { setItemBits(it, BIT_KEY_BINARY); }

/** Hands out the win token of `it` if nobody has it yet: true for the one caller that gets it. */
export function storeClaimWin(it: usize, now: u32): bool {
  let klen = <u32>load<u8>(it + I_KLEN);
  let h = hashKey(it + I_HDR, klen);
  let head = headFor(<u32>h);
  let held = lockVersion(head);
  if (held & 1) return false;
  let slot = chainFind(head, <u32>(h >> 32), it + I_HDR, klen);
  let won = slot != 0 && slotRef(slot) == it && deadReason(it, now) == MISS_NONE &&
    (atomic.load<u8>(it + I_BITS) & BIT_WON) == 0;
  if (won) setItemBits(it, BIT_WON);
  unlockVersionClean(head, held);
  return won;
}

let gPrevExptime: u32 = 0;
/** The exptime the item had before the last storeSetTtl that found it. */
export function storeSetTtlPrevious(): u32 { return gPrevExptime; }

/** A live item's exptime set to `exptime`, nothing else marked (meta `T`). Returns the item or 0. */
export function storeSetTtl(key: usize, klen: u32, exptime: u32, now: u32): usize {
  let h = hashKey(key, klen);
  let head = headFor(<u32>h);
  let held = lockVersion(head);
  if (held & 1) return 0;
  let slot = chainFind(head, <u32>(h >> 32), key, klen);
  let it: usize = slot != 0 ? slotRef(slot) : 0;
  if (it != 0 && deadReason(it, now) == MISS_NONE) {
    gPrevExptime = atomic.load<u32>(it + I_EXPTIME);
    atomic.store<u32>(it + I_EXPTIME, exptime);
    liveExptime(it, exptime); // keeps the segment's expiry bounds covering it
    noteSnapshot(it, segGen(segOf(it)));
  } else {
    it = 0;
  }
  unlockVersionClean(head, held);
  return it;
}

let gCreated = false;
/** Whether the last storeVivify created the item (else it found one). */
export function storeVivified(): bool { return gCreated; }

/**
 * mg `N` / ma `N` on a miss: adds an item holding `vlen` bytes copied from
 * `value` (0: empty) with the win token already handed out when `won`.
 * Someone else's item added meanwhile is returned instead (storeVivified()
 * false). 0 when no memory.
 */
export function storeVivify(key: usize, klen: u32, exptime: u32, value: usize, vlen: u32, won: bool, now: u32): usize {
  gCreated = false;
  for (let t: u32 = 0; t < META_TRIES; t++) {
    let it = storeAlloc(key, klen, 0, exptime, vlen, now);
    if (it == 0) return 0;
    if (vlen != 0) memory.copy(it + I_HDR + klen, value, vlen);
    if (won) setItemBits(it, BIT_WON);
    let r = storeCommit(it, MODE_ADD, 0, now);
    if (r == STORED) { gCreated = true; noteSnapshot(it, segGen(segOf(it))); return it; }
    if (r != NOT_STORED) return 0;
    let old = findLive(key, klen, hashKey(key, klen), now);
    if (old != 0) { noteSnapshot(old, gFoundGen); return old; }
  }
  return 0;
}

/**
 * md: delete, or with `stale` mark stale (a copy with a new CAS, the win
 * token taken back, exptime set when `setTtl`). With `hasCas` only if the
 * item's CAS is casIn. STORED (done), NOT_FOUND, EXISTS or NO_MEMORY.
 */
export function storeDeleteMeta(key: usize, klen: u32, hasCas: bool, casIn: u64, stale: bool, setTtl: bool, exptime: u32, now: u32): i32 {
  let h = hashKey(key, klen);
  let head = headFor(<u32>h);
  let tag = <u32>(h >> 32);
  for (let t: u32 = 0; t < META_TRIES; t++) {
    let old = findLive(key, klen, h, now);
    if (old == 0) return NOT_FOUND;
    let gen = gFoundGen;
    if (hasCas && !casMatches(load<u64>(old + I_CAS), casIn)) { if (segGen(segOf(old)) != gen) continue; return EXISTS; }
    let nit: usize = 0;
    if (stale) {
      let vlen = load<u32>(old + I_VLEN);
      if (vlen > gSegSize) continue;
      nit = storeAlloc(key, klen, load<u32>(old + I_FLAGS), setTtl ? exptime : atomic.load<u32>(old + I_EXPTIME), vlen, now);
      if (nit == 0) return NO_MEMORY;
      memory.copy(nit + I_HDR + klen, old + I_HDR + klen, vlen);
      store<u32>(nit + I_TIME, load<u32>(old + I_TIME));
      setItemBits(nit, (atomic.load<u8>(old + I_BITS) & ~(BIT_WON | BIT_DEAD)) | BIT_STALE);
      if (segGen(segOf(old)) != gen) { storeAbort(nit); continue; }
    }
    let held = lockVersion(head);
    if (held & 1) { if (nit != 0) storeAbort(nit); return NO_MEMORY; }
    let slot = chainFind(head, tag, key, klen);
    if (slot == 0 || slotRef(slot) != old || deadReason(old, now) != MISS_NONE ||
        (hasCas && !casMatches(load<u64>(old + I_CAS), casIn))) {
      unlockVersionClean(head, held);
      if (nit != 0) storeAbort(nit);
      continue;
    }
    if (nit != 0) {
      if (!setTtl) store<u32>(nit + I_EXPTIME, atomic.load<u32>(old + I_EXPTIME));
      store<u64>(nit + I_CAS, nextCas());
      replaceSlot(slot, tag, nit);
      unlockVersion(head, held);
      unpinSeg(nit);
    } else {
      unlinkSlot(head, slot);
      unlockVersion(head, held);
    }
    return STORED;
  }
  return NO_MEMORY;
}
