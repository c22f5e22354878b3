// Emptying a segment for reuse (allocator lock held). Every item still linked
// from the index is, under its bucket lock:
//   expired or flushed      -> unlinked, counted as reclaimed
//   compacting (`compact`)  -> copied into the re-insertion segment as is
//   hit since written       -> copied into the re-insertion segment with the
//                              access bit cleared (FIFO with re-insertion,
//                              i.e. CLOCK: hot items survive, cold ones go)
//   small for its segment   -> copied likewise (see SMALL_SHIFT)
//   otherwise (or no room)  -> unlinked, counted as an eviction
// Then the generation is bumped so readers with handles into it notice.
import { St } from "./layout";
import { I_EXPTIME, I_HASH, I_BITS, BIT_ACCESSED, BIT_ACCESSED2, BIT_FETCHED, BIT_DEAD, itemSizeAt } from "./item";
import { headFor, chainFindRef, unlinkSlot, evictSlot } from "./buckets";
import { segEntry, segData, S_WPOS } from "./segtab";
import { lockVersion, unlockVersion } from "./lock";
import { statAdd } from "./stats";
import { isExpired } from "./clock";
import { isFlushed } from "./flush";
import { reinsertSpace, recycle } from "./segments";
import { gSegSize } from "./layout";
import { liveLinked } from "./live";

/**
 * An item at most (mean item size in its segment) >> SMALL_SHIFT is kept
 * like a hit one: among large items a small one costs little to keep, as in
 * memcached, whose per-size-class LRUs leave small items alone (bench:eviction
 * mixed sizes, -m 40: item hit ratio 0.7085 -> 0.8596). Self-limiting: such
 * items hold at most half the bytes of a segment, and in a segment of small
 * items alone the mean is small too.
 */
const SMALL_SHIFT: u32 = 1;

/** False if a bucket lock could not be had: the segment is then left out of use rather than reused under a live link. */
export function evictSegment(n: u32, now: u32, compact: bool): bool {
  let base = segData(n);
  let end = load<u32>(segEntry(n) + S_WPOS);
  if (end > gSegSize) end = gSegSize;
  // the mean size of the items still in it (a hint: read without locks)
  let live: u32 = 0;
  let count: u32 = 0;
  let p: u32 = 0;
  while (p < end) {
    let it = base + p;
    let size = itemSizeAt(it);
    if ((load<u8>(it + I_BITS) & BIT_DEAD) == 0) { live += size; count++; }
    p += size;
  }
  let small = count == 0 ? 0 : (live / count) >> SMALL_SHIFT;
  p = 0;
  while (p < end) {
    let it = base + p;
    let size = itemSizeAt(it);
    if ((load<u8>(it + I_BITS) & BIT_DEAD) == 0) {
      let head = headFor(load<u32>(it + I_HASH));
      let held = lockVersion(head);
      if (held & 1) return false;
      let slot = chainFindRef(head, it);
      if (slot != 0) handleLinked(head, slot, it, size, now, compact, small);
      unlockVersion(head, held);
    }
    p += size;
  }
  recycle(n);
  return true;
}

function handleLinked(head: usize, slot: usize, it: usize, size: u32, now: u32, compact: bool, small: u32): void {
  let bits = atomic.load<u8>(it + I_BITS);
  if (isFlushed(it, now) || isExpired(atomic.load<u32>(it + I_EXPTIME), now)) {
    statAdd(St.RECLAIMED, 1);
    if ((bits & BIT_FETCHED) == 0) statAdd(St.EXPIRED_UNFETCHED, 1);
    unlinkSlot(head, slot);
    return;
  }
  // compaction keeps every live item (and its access bit); CLOCK keeps the
  // ones hit since written and gives them a fresh round
  if (compact || (bits & BIT_ACCESSED) || size <= small) {
    let dst = reinsertSpace(size);
    if (dst != 0) {
      memory.copy(dst, it, size);
      // a frequent item (hit twice in its round) keeps one level for the next round
      store<u8>(dst + I_BITS, compact ? bits : (bits & BIT_ACCESSED2) ? bits & ~BIT_ACCESSED2 : bits & ~BIT_ACCESSED);
      // same tag, same key: only the address changes; bytes stay the same
      atomic.store<u64>(slot, (atomic.load<u64>(slot) & 0xffffffff00000000) | <u64>dst);
      atomic.or<u8>(it + I_BITS, BIT_DEAD);
      liveLinked(dst); // the old segment's entry is reset when it is recycled
      return;
    }
  }
  evictSlot(head, slot);
}
