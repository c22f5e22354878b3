// The hash index: 64-byte buckets, each
//   +0 u32 version (head bucket only): seqlock and writer lock in one word;
//          odd = a writer holds the chain
//   +4 u32 next overflow bucket (number + 1; 0 = end)
//   +8 7 slots of u64: tag (high 32 bits of the key hash) << 32 | item address
// A chain is a head plus at most MAX_OVF overflow buckets from a shared pool;
// the head's version covers the whole chain. When a chain is full the oldest
// item in it is evicted, so inserts never fail and chains stay short.
import { gIndex, gMask, gOvf, gNovf, gItems, gItemsEnd, gBase, Hdr, SLOTS, MAX_OVF, St } from "./layout";
import { I_HDR, I_KLEN, I_CAS, I_BITS, BIT_DEAD, BIT_FETCHED, keyEq, itemSizeAt, setItemBits } from "./item";
import { segOf, segGen } from "./segtab";
import { lockVersion, unlockVersionClean, lockWord, unlockWord } from "./lock";
import { statAdd } from "./stats";
import { liveLinked, liveUnlinked } from "./live";

export const B_NEXT: u32 = 4;
export const B_SLOTS: u32 = 8;
const READ_TRIES: u32 = 16;
const ODD_SPINS: u32 = 1024;

@inline export function headFor(hash: u32): usize { return gIndex + (<usize>(hash & gMask) << 6); }
@inline function ovfAddr(n: u32): usize { return gOvf + (<usize>(n - 1) << 6); }
@inline function validRef(r: u32): bool { return <usize>r >= gItems && <usize>r < gItemsEnd && (r & 7) == 0; }
@inline export function slotRef(slot: usize): usize { return <usize><u32>atomic.load<u64>(slot); }

/** Next bucket of a chain or 0; a stale pointer read by a reader is bounded by the caller's depth limit. */
@inline export function nextBucket(b: usize): usize {
  let n = atomic.load<u32>(b + B_NEXT);
  return n == 0 || n > gNovf ? 0 : ovfAddr(n);
}

/** Slot holding key (tag pre-filtered), or 0. Used by readers (validated refs) and writers. */
export function chainFind(head: usize, tag: u32, key: usize, klen: u32): usize {
  let b = head;
  for (let d: u32 = 0; d <= MAX_OVF && b != 0; d++) {
    for (let i: u32 = 0; i < SLOTS; i++) {
      let slot = b + B_SLOTS + (i << 3);
      let s = atomic.load<u64>(slot);
      let r = <u32>s;
      if (r != 0 && <u32>(s >> 32) == tag && validRef(r) &&
          <u32>load<u8>(<usize>r + I_KLEN) == klen && keyEq(<usize>r + I_HDR, key, klen)) return slot;
    }
    b = nextBucket(b);
  }
  return 0;
}

/** Slot holding exactly item `ref`, or 0 (caller holds the lock). */
export function chainFindRef(head: usize, ref: usize): usize {
  let b = head;
  for (let d: u32 = 0; d <= MAX_OVF && b != 0; d++) {
    for (let i: u32 = 0; i < SLOTS; i++) {
      let slot = b + B_SLOTS + (i << 3);
      if (slotRef(slot) == ref) return slot;
    }
    b = nextBucket(b);
  }
  return 0;
}

// ---- lock-free lookup --------------------------------------------------------
/** Generation of the found item's segment, read inside the version window. */
export let gFoundGen: u32 = 0;

/** Find key without locking or writing: version, scan, re-check; bounded retries, then a read-only locked scan. */
export function lookup(key: usize, klen: u32, hash64: u64): usize {
  let head = headFor(<u32>hash64);
  let tag = <u32>(hash64 >> 32);
  for (let t: u32 = 0; t < READ_TRIES; t++) {
    let v = atomic.load<u32>(head);
    if (v & 1) {
      for (let s: u32 = 0; s < ODD_SPINS && (atomic.load<u32>(head) & 1); s++) {}
      continue;
    }
    let slot = chainFind(head, tag, key, klen);
    let ref: usize = slot ? slotRef(slot) : 0;
    let gen: u32 = ref ? segGen(segOf(ref)) : 0;
    if (atomic.load<u32>(head) == v) { gFoundGen = gen; return ref; }
  }
  let held = lockVersion(head);
  if (held & 1) return 0; // lock not won: report a miss rather than hang
  let slot = chainFind(head, tag, key, klen);
  let ref: usize = slot ? slotRef(slot) : 0;
  gFoundGen = ref ? segGen(segOf(ref)) : 0;
  unlockVersionClean(head, held);
  return ref;
}

// ---- writers (the caller holds the head's lock) -----------------------------
/** Point a free slot (from chainFreeSlot) at a new item. */
export function linkSlot(slot: usize, tag: u32, ref: usize): void {
  atomic.store<u64>(slot, (<u64>tag << 32) | <u64>ref);
  liveLinked(ref);
  statAdd(St.CURR_ITEMS, 1);
  statAdd(St.BYTES, itemSizeAt(ref));
}

/** Swap an occupied slot to a new item; the old one is dead. */
export function replaceSlot(slot: usize, tag: u32, ref: usize): void {
  let old = slotRef(slot);
  atomic.store<u64>(slot, (<u64>tag << 32) | <u64>ref);
  setItemBits(old, BIT_DEAD);
  liveLinked(ref);
  liveUnlinked(old);
  statAdd(St.BYTES, <i64>itemSizeAt(ref) - <i64>itemSizeAt(old));
}

/** Empty a slot; frees overflow buckets left empty. */
export function unlinkSlot(head: usize, slot: usize): void {
  let old = slotRef(slot);
  atomic.store<u64>(slot, 0);
  setItemBits(old, BIT_DEAD);
  liveUnlinked(old);
  statAdd(St.CURR_ITEMS, -1);
  statAdd(St.BYTES, -<i64>itemSizeAt(old));
  if (atomic.load<u32>(head + B_NEXT) != 0) releaseEmptyOverflow(head);
}

/** Unlink the item in `slot` as an eviction (counted). */
export function evictSlot(head: usize, slot: usize): void {
  let old = slotRef(slot);
  statAdd(St.EVICTIONS, 1);
  if ((load<u8>(old + I_BITS) & BIT_FETCHED) == 0) statAdd(St.EVICTED_UNFETCHED, 1);
  unlinkSlot(head, slot);
}

/** A free slot in the chain, adding an overflow bucket if allowed; when the
 *  chain is full, the oldest item (lowest CAS) is evicted to make one. */
export function chainFreeSlot(head: usize): usize {
  let b = head;
  let last = head;
  let depth: u32 = 0;
  let oldest: usize = 0;
  let oldestCas: u64 = u64.MAX_VALUE;
  for (let d: u32 = 0; d <= MAX_OVF && b != 0; d++) {
    for (let i: u32 = 0; i < SLOTS; i++) {
      let slot = b + B_SLOTS + (i << 3);
      let r = slotRef(slot);
      if (r == 0) return slot;
      let c = load<u64>(r + I_CAS);
      if (c < oldestCas) { oldestCas = c; oldest = slot; }
    }
    last = b;
    depth = d;
    b = nextBucket(b);
  }
  if (depth < MAX_OVF) {
    let n = ovfPop();
    if (n != 0) {
      let nb = ovfAddr(n);
      memory.fill(nb, 0, 64);
      atomic.store<u32>(last + B_NEXT, n);
      return nb + B_SLOTS;
    }
  }
  evictSlot(head, oldest);
  return oldest;
}

function releaseEmptyOverflow(head: usize): void {
  let prev = head;
  let n = atomic.load<u32>(head + B_NEXT);
  for (let d: u32 = 0; d < MAX_OVF && n != 0 && n <= gNovf; d++) {
    let b = ovfAddr(n);
    let next = atomic.load<u32>(b + B_NEXT);
    let empty = true;
    for (let i: u32 = 0; i < SLOTS; i++) if (slotRef(b + B_SLOTS + (i << 3)) != 0) { empty = false; break; }
    if (empty) {
      atomic.store<u32>(prev + B_NEXT, next);
      ovfPush(n);
    } else {
      prev = b;
    }
    n = next;
  }
}

// ---- overflow pool (a leaf lock: taken inside a bucket lock, never the reverse)
function ovfPop(): u32 {
  let l = gBase + Hdr.OVF_LOCK;
  if (!lockWord(l)) return 0;
  let n = load<u32>(gBase + Hdr.OVF_FREE);
  if (n != 0) store<u32>(gBase + Hdr.OVF_FREE, load<u32>(ovfAddr(n) + B_NEXT));
  unlockWord(l);
  return n;
}

function ovfPush(n: u32): void {
  let l = gBase + Hdr.OVF_LOCK;
  if (!lockWord(l)) return; // leaks one bucket rather than hang
  // a reader still walking this bucket must not follow its next pointer into
  // the free list: the head's version check sends it round again anyway
  atomic.store<u32>(ovfAddr(n) + B_NEXT, load<u32>(gBase + Hdr.OVF_FREE));
  store<u32>(gBase + Hdr.OVF_FREE, n);
  unlockWord(l);
}

/** Format: empty index, every overflow bucket on the pool. */
export function formatIndex(nbuckets: u32): void {
  memory.fill(gIndex, 0, <usize>nbuckets << 6);
  memory.fill(gOvf, 0, <usize>gNovf << 6);
  for (let n: u32 = 1; n <= gNovf; n++) store<u32>(ovfAddr(n) + B_NEXT, n < gNovf ? n + 1 : 0);
  store<u32>(gBase + Hdr.OVF_FREE, gNovf ? 1 : 0);
  store<u32>(gBase + Hdr.OVF_LOCK, 0);
}

// ---- warming (no lock, no write but the caller's array: hints only) ---------
/** Warms the lines lookups of n key hashes will read: every head bucket in one
 *  tight pass (their misses overlap), then the tagged item of each. The hashes
 *  at `hashes` (u64 each, 0 = none) are overwritten with item addresses.
 *  Returns a word for the caller to sink, so the loads stay. */
export function warmBatch(hashes: usize, n: u32): u32 {
  let acc: u32 = 0;
  for (let i: u32 = 0; i < n; i++) {
    let h = load<u64>(hashes + (<usize>i << 3));
    if (h != 0) acc ^= load<u32>(headFor(<u32>h) + B_SLOTS);
  }
  for (let i: u32 = 0; i < n; i++) {
    let e = hashes + (<usize>i << 3);
    let h = load<u64>(e);
    store<u64>(e, h != 0 ? <u64>taggedRef(h) : 0);
  }
  for (let i: u32 = 0; i < n; i++) {
    let r = <usize>load<u64>(hashes + (<usize>i << 3));
    if (r != 0) acc ^= load<u32>(r);
  }
  // Items sit at any 8-byte offset, so most small ones span two lines (a 56-byte
  // item fits one line at 2 offsets of 8): the key and value are on the second.
  // Its first 128 bytes are what a lookup and a small reply read.
  for (let i: u32 = 0; i < n; i++) {
    let r = <usize>load<u64>(hashes + (<usize>i << 3));
    if (r == 0) continue;
    let size = itemSizeAt(r);
    let last = r + (size < WARM_SPAN ? size : WARM_SPAN) - 1;
    let lines = (last >> 6) - (r >> 6); // lines after the first one the span reaches: 0..2
    if (lines != 0) acc ^= <u32>load<u8>(last);
    if (lines == 2) acc ^= <u32>load<u8>(r + 64);
  }
  return acc;
}

/** Bytes of an item warmed at most: its header, key and a small value. */
const WARM_SPAN: u32 = 128;

/** The first item in the head bucket whose tag matches (no key compare), or 0. */
function taggedRef(hash64: u64): usize {
  let head = headFor(<u32>hash64);
  let tag = <u32>(hash64 >> 32);
  for (let i: u32 = 0; i < SLOTS; i++) {
    let s = load<u64>(head + B_SLOTS + (i << 3));
    let r = <u32>s;
    if (r != 0 && <u32>(s >> 32) == tag && validRef(r)) return <usize>r;
  }
  return 0;
}
