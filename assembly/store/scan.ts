// A walk over every live item, one head bucket's chain at a time, for
// `lru_crawler metadump` (docs/memcached-text.md). The chain's lock is held
// from storeScanBegin to storeScanEnd, so the items it links stay put while
// the caller reads them (eviction unlinks under the same lock); writers to
// that one chain wait, readers fall back as they do for any writer.
import { gIndex, gMask, MAX_OVF, SLOTS } from "./layout";
import { B_NEXT, B_SLOTS, nextBucket, slotRef } from "./buckets";
import { lockVersion, unlockVersionClean } from "./lock";
import { deadReason } from "./read";
import { MISS_NONE } from "./results";

let gHead: usize = 0;
let gHeld: u32 = 0;
let gBucket: usize = 0;
let gSlot: u32 = 0;
let gDepth: u32 = 0;

/** Head buckets in the index: a scan's cursor runs over [0, storeBuckets()). */
export function storeBuckets(): u32 { return gMask + 1; }

/** An empty head bucket (no slot, no overflow), read without the lock: most of a sparse index. */
function emptyHead(head: usize): bool {
  if (atomic.load<u32>(head + B_NEXT) != 0) return false;
  for (let i: u32 = 0; i < SLOTS; i++) if (atomic.load<u64>(head + B_SLOTS + (i << 3)) != 0) return false;
  return true;
}

/**
 * Locks head bucket i for a walk of its chain (an empty one is not locked:
 * its walk is empty); false when the lock was not won (try again later).
 */
export function storeScanBegin(i: u32): bool {
  const head = gIndex + (<usize>(i & gMask) << 6);
  gBucket = 0;
  gHead = 0;
  if (emptyHead(head)) return true;
  gHead = head;
  gHeld = lockVersion(gHead);
  if (gHeld & 1) { gHead = 0; return false; }
  gBucket = gHead;
  gSlot = 0;
  gDepth = 0;
  return true;
}

/** The chain's next item that is neither expired nor flushed at `now`, or 0 at its end. */
export function storeScanNext(now: u32): usize {
  while (gBucket != 0) {
    while (gSlot < SLOTS) {
      const it = slotRef(gBucket + B_SLOTS + (gSlot++ << 3));
      if (it != 0 && deadReason(it, now) == MISS_NONE) return it;
    }
    gSlot = 0;
    gBucket = ++gDepth > MAX_OVF ? 0 : nextBucket(gBucket);
  }
  return 0;
}

/** Unlocks the chain storeScanBegin locked (nothing was written). */
export function storeScanEnd(): void {
  if (gHead != 0) unlockVersionClean(gHead, gHeld);
  gHead = 0;
}
