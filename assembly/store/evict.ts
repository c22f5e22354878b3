// Emptying a segment for reuse (allocator lock held). Every item still linked
// from the index is, under its bucket lock:
//   expired or flushed      -> unlinked, counted as reclaimed
//   compacting (`compact`)  -> copied into the re-insertion segment as is
//   hit since written       -> copied into the re-insertion segment with the
//                              access bit cleared (FIFO with re-insertion,
//                              i.e. CLOCK: hot items survive, cold ones go);
//                              a large one only if hit twice (LARGE_SHIFT)
//   small for its segment   -> copied likewise (SPREAD_SHIFT)
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
 * Size rules beside CLOCK, for caches of mixed value sizes (bench:eviction
 * `mixed`, 10 B - 500 KB, -m 40: item hit ratio 0.8596 with the earlier
 * rule alone, 0.8765 with both, memcached 0.8653):
 * - small: an item no larger than its segment's mean and than a quarter of
 *   its largest (SPREAD_SHIFT) is kept even when not hit, as memcached's
 *   per-size-class LRUs leave small items alone. With sizes of one order
 *   (200-500 B) nothing qualifies, so a scan cannot pin itself this way.
 * - large: an item over 1/8 of a segment (LARGE_SHIFT) is kept only when
 *   hit twice in its round: one hit does not buy a segment's worth of room.
 */
const SPREAD_SHIFT: u32 = 2;
const LARGE_SHIFT: u32 = 3;
const NO_KEEP: u32 = 0x100;

/**
 * The bits an item is re-inserted with, or NO_KEEP (evict it). Compaction
 * keeps every item as it is. CLOCK keeps the ones hit since written, with a
 * fresh round (a frequent one, hit twice, keeps one level); see above for
 * small and large ones.
 */
function keptBits(bits: u32, size: u32, compact: bool, small: u32): u32 {
  if (compact) return bits;
  if (bits & BIT_ACCESSED2) return bits & ~BIT_ACCESSED2;
  if ((bits & BIT_ACCESSED) && size <= (gSegSize >> LARGE_SHIFT)) return bits & ~BIT_ACCESSED;
  if (size <= small) return bits;
  return NO_KEEP;
}

/** False if a bucket lock could not be had: the segment is then left out of use rather than reused under a live link. */
export function evictSegment(n: u32, now: u32, compact: bool): bool {
  let base = segData(n);
  let end = load<u32>(segEntry(n) + S_WPOS);
  if (end > gSegSize) end = gSegSize;
  // the mean and largest size of the items still in it (hints: read without locks)
  let live: u32 = 0;
  let count: u32 = 0;
  let most: u32 = 0;
  let p: u32 = 0;
  while (p < end) {
    let it = base + p;
    let size = itemSizeAt(it);
    if ((load<u8>(it + I_BITS) & BIT_DEAD) == 0) { live += size; count++; most = max(most, size); }
    p += size;
  }
  let small = count == 0 ? 0 : min(live / count, most >> SPREAD_SHIFT);
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
  let next = keptBits(bits, size, compact, small);
  if (next != NO_KEEP) {
    let dst = reinsertSpace(size);
    if (dst != 0) {
      memory.copy(dst, it, size);
      store<u8>(dst + I_BITS, <u8>next);
      // same tag, same key: only the address changes; bytes stay the same
      atomic.store<u64>(slot, (atomic.load<u64>(slot) & 0xffffffff00000000) | <u64>dst);
      atomic.or<u8>(it + I_BITS, BIT_DEAD);
      liveLinked(dst); // the old segment's entry is reset when it is recycled
      return;
    }
  }
  evictSlot(head, slot);
}
