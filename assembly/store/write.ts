// The write side: reservations, publication with memcached's store modes,
// delete and touch. A writer allocates first (which may evict and so lock
// buckets), then locks only the one bucket chain it changes, verifies, swaps.
import { gItemSizeMax, gNoCas, gSegSize, St } from "./layout";
import { I_CAS, I_EXPTIME, I_FLAGS, I_VLEN, I_HDR, I_KLEN, I_TIME, BIT_ACCESSED, BIT_FETCHED, BIT_DEAD, BIT_STALE, BIT_WON, I_BITS, KEY_MAX, itemTotal, writeItem, setItemBits } from "./item";
import { hashKey } from "./hash";
import { headFor, chainFind, chainFreeSlot, linkSlot, replaceSlot, unlinkSlot, slotRef, lookup, gFoundGen } from "./buckets";
import { segOf, segGen } from "./segtab";
import { reserve, unpinSeg } from "./segments";
import { lockVersion, unlockVersion, unlockVersionClean } from "./lock";
import { statAdd } from "./stats";
import { liveExptime } from "./live";
import { casMatches, casShown, nextCas } from "./cas";
import { deadReason, noteSnapshot, noteMiss } from "./read";
import { STORED, NOT_STORED, EXISTS, NOT_FOUND, NO_MEMORY, MODE_ADD, MODE_REPLACE, MODE_APPEND, MODE_PREPEND, MODE_CAS, MODE_CAS_STALE, MISS_NONE } from "./results";

/** Optimistic append/prepend attempts before giving up (each costs a reservation). */
const CONCAT_TRIES: u32 = 256;

/** memcached 1.6 item_size_ok: sizeof(item) 48 + key + NUL + flags suffix + value + CRLF + cas 8 <= -I. */
export function storeItemSizeOk(klen: u32, flags: u32, vlen: u32): bool {
  let ntotal: u64 = 48 + <u64>klen + 1 + (flags != 0 ? 4 : 0) + <u64>vlen + 2 + 8;
  return ntotal <= <u64>gItemSizeMax;
}

export function storeAlloc(key: usize, klen: u32, flags: u32, exptime: u32, vlen: u32, now: u32): usize {
  if (klen == 0 || klen > KEY_MAX || !storeItemSizeOk(klen, flags, vlen)) return 0;
  let size = itemTotal(klen, vlen);
  if (size > gSegSize) return 0;
  let it = reserve(size, now);
  if (it == 0) return 0;
  writeItem(it, key, klen, flags, exptime, vlen, <u32>hashKey(key, klen), now);
  return it;
}

/** A reservation that will not be published: dead for eviction, unpinned. */
export function storeAbort(it: usize): void {
  if (it == 0) return;
  setItemBits(it, BIT_DEAD);
  unpinSeg(it);
}

/** The CAS given to the last item this instance published (meta `c` flags). */
let gLastCas: u64 = 0;
export function storeLastCas(): u64 { return casShown(gLastCas); }

/** Publish `it` into `slot` (or a free slot) with a fresh CAS. Head lock held. */
export function publish(head: usize, slot: usize, tag: u32, it: usize, now: u32, countItem: bool = true): void {
  store<u32>(it + I_TIME, now);
  gLastCas = nextCas();
  store<u64>(it + I_CAS, gLastCas);
  if (slot != 0) replaceSlot(slot, tag, it);
  else linkSlot(chainFreeSlot(head), tag, it);
  if (countItem) statAdd(St.TOTAL_ITEMS, 1);
}

/** The live item for key (0 if none), for a read-modify-write; its generation is gFoundGen. */
export function findLive(key: usize, klen: u32, h: u64, now: u32): usize {
  let old = lookup(key, klen, h);
  if (old == 0 || deadReason(old, now) != MISS_NONE) return 0;
  return old;
}

/** Publish `nit` in place of `old` if `old` is still key's live item (keeping a
 *  touch that landed meanwhile). 1 done; 0 changed since, -1 no lock: `nit` dropped. */
export function swapIfCurrent(key: usize, klen: u32, h: u64, old: usize, nit: usize, now: u32, countItem: bool): i32 {
  let head = headFor(<u32>h);
  let tag = <u32>(h >> 32);
  let held = lockVersion(head);
  if (held & 1) { storeAbort(nit); return -1; }
  let slot = chainFind(head, tag, key, klen);
  if (slot != 0 && slotRef(slot) == old && deadReason(old, now) == MISS_NONE) {
    store<u32>(nit + I_EXPTIME, atomic.load<u32>(old + I_EXPTIME));
    publish(head, slot, tag, nit, now, countItem);
    unlockVersion(head, held);
    unpinSeg(nit);
    return 1;
  }
  unlockVersionClean(head, held);
  storeAbort(nit);
  return 0;
}

export function storeCommit(it: usize, mode: u32, casIn: u64, now: u32): i32 {
  if (it == 0) return NOT_STORED;
  if (mode == MODE_APPEND || mode == MODE_PREPEND) {
    let r = commitConcat(it, mode == MODE_APPEND, casIn, now);
    storeAbort(it);
    return r;
  }
  let klen = <u32>load<u8>(it + I_KLEN);
  let key = it + I_HDR;
  let h = hashKey(key, klen);
  let tag = <u32>(h >> 32);
  let head = headFor(<u32>h);
  let held = lockVersion(head);
  if (held & 1) { storeAbort(it); return NO_MEMORY; }
  let slot = chainFind(head, tag, key, klen);
  if (slot != 0 && deadReason(slotRef(slot), now) != MISS_NONE) {
    unlinkSlot(head, slot); // expired or flushed: as if absent
    slot = 0;
  }
  let r: i32 = STORED;
  if (mode == MODE_ADD) {
    if (slot != 0) { setItemBits(slotRef(slot), BIT_ACCESSED); r = NOT_STORED; }
  } else if (mode == MODE_REPLACE) {
    if (slot == 0) r = NOT_STORED;
  } else if (mode == MODE_CAS || mode == MODE_CAS_STALE) {
    if (slot == 0) r = NOT_FOUND;
    else {
      let old = slotRef(slot);
      let oldCas = load<u64>(old + I_CAS);
      if (casIn == 0 || !casMatches(oldCas, casIn)) r = EXISTS;
      // memcached's CAS_STALE: an older CAS may store, keeping the TTL, marked stale
      if (r == EXISTS && mode == MODE_CAS_STALE && casIn < casShown(oldCas)) {
        store<u32>(it + I_EXPTIME, atomic.load<u32>(old + I_EXPTIME));
        setItemBits(it, BIT_STALE | (atomic.load<u8>(old + I_BITS) & BIT_WON));
        r = STORED;
      }
    }
  }
  if (r == STORED) publish(head, slot, tag, it, now);
  unlockVersion(head, held);
  if (r == STORED) unpinSeg(it);
  else storeAbort(it);
  return r;
}

/** append/prepend: a new item = old value + new (or new + old), old flags and exptime.
 *  A nonzero casIn (meta `ms C`) must equal the old item's CAS, else EXISTS. */
function commitConcat(it: usize, append: bool, casIn: u64, now: u32): i32 {
  let klen = <u32>load<u8>(it + I_KLEN);
  let key = it + I_HDR;
  let h = hashKey(key, klen);
  let addLen = load<u32>(it + I_VLEN);
  let addVal = key + klen;
  for (let t: u32 = 0; t < CONCAT_TRIES; t++) {
    let old = findLive(key, klen, h, now);
    if (old == 0) return NOT_STORED;
    let gen = gFoundGen;
    let oldLen = load<u32>(old + I_VLEN);
    let flags = load<u32>(old + I_FLAGS);
    if (segGen(segOf(old)) != gen || oldLen > gSegSize) continue;
    if (casIn != 0 && !gNoCas && !casMatches(load<u64>(old + I_CAS), casIn)) { if (segGen(segOf(old)) != gen) continue; return EXISTS; }
    // memcached: the combined item fails allocation -> NOT_STORED
    let nit = storeAlloc(key, klen, flags, atomic.load<u32>(old + I_EXPTIME), oldLen + addLen, now);
    if (nit == 0) return NOT_STORED;
    let dst = nit + I_HDR + klen;
    let oldVal = old + I_HDR + klen;
    if (append) { memory.copy(dst, oldVal, oldLen); memory.copy(dst + oldLen, addVal, addLen); }
    else { memory.copy(dst, addVal, addLen); memory.copy(dst + addLen, oldVal, oldLen); }
    if (segGen(segOf(old)) != gen) { storeAbort(nit); continue; }
    let r = swapIfCurrent(key, klen, h, old, nit, now, true);
    if (r > 0) return STORED;
    if (r < 0) return NO_MEMORY;
  }
  return NO_MEMORY;
}

export function storeDelete(key: usize, klen: u32, now: u32): bool {
  let h = hashKey(key, klen);
  let head = headFor(<u32>h);
  let held = lockVersion(head);
  if (held & 1) return false;
  let slot = chainFind(head, <u32>(h >> 32), key, klen);
  if (slot == 0) { unlockVersionClean(head, held); return false; }
  let live = deadReason(slotRef(slot), now) == MISS_NONE;
  unlinkSlot(head, slot);
  unlockVersion(head, held);
  return live;
}

export function storeTouch(key: usize, klen: u32, exptime: u32, now: u32): usize {
  noteMiss(MISS_NONE);
  let h = hashKey(key, klen);
  let head = headFor(<u32>h);
  let held = lockVersion(head);
  if (held & 1) return 0;
  let slot = chainFind(head, <u32>(h >> 32), key, klen);
  if (slot == 0) { unlockVersionClean(head, held); return 0; }
  let it = slotRef(slot);
  let why = deadReason(it, now);
  if (why != MISS_NONE) {
    noteMiss(why);
    unlinkSlot(head, slot);
    unlockVersion(head, held);
    return 0;
  }
  atomic.store<u32>(it + I_EXPTIME, exptime);
  liveExptime(it, exptime); // a later exptime must keep the segment from looking expired
  setItemBits(it, BIT_ACCESSED | BIT_FETCHED);
  noteSnapshot(it, segGen(segOf(it)));
  unlockVersion(head, held);
  return it;
}
