// Item memory: fixed-size segments. Each core appends into its own open
// segment (no contention on the data path); a full segment is sealed onto a
// global FIFO; when no segment is free the allocator reclaims a sealed one
// (takeVictim: dead or expired first, then compaction, then the oldest;
// evict.ts empties it) synchronously, so a store never fails because memory
// is full. One allocator lock covers the free list, the FIFO
// and the re-insertion segment; it is only taken once per segment hand-out.
// Lock order: allocator, then bucket (eviction locks buckets), never reverse.
import { gBase, gNseg, gSegSize, Hdr } from "./layout";
import { segEntry, segData, segOf, S_GEN, S_PIN, S_STATE, S_NEXT, S_WPOS, SEG_FREE, SEG_OPEN, SEG_SEALED, SEG_EVICTING } from "./segtab";
import { lockWord, unlockWord } from "./lock";
import { evictSegment } from "./evict";
import { liveReset, liveBytes, liveExpMax } from "./live";

/** Keep one empty spare for re-insertion only when the store has this many segments. */
const SPARE_MIN_SEGS: u32 = 8;

// this core's open segment (number + 1; 0 = none) and its fill
let gOpen: u32 = 0;
let gOpenPos: u32 = 0;

@inline function hdr(off: u32): usize { return gBase + off; }

export function formatSegments(): void {
  for (let n: u32 = 0; n < gNseg; n++) {
    let e = segEntry(n);
    memory.fill(e, 0, 64);
    store<u32>(e + S_NEXT, n + 1 < gNseg ? n + 2 : 0);
    liveReset(n);
  }
  store<u32>(hdr(Hdr.FREE_HEAD), gNseg ? 1 : 0);
  store<u32>(hdr(Hdr.FIFO_HEAD), 0);
  store<u32>(hdr(Hdr.FIFO_TAIL), 0);
  store<u32>(hdr(Hdr.REINS), 0);
  store<u32>(hdr(Hdr.SPARE), 0);
  store<u32>(hdr(Hdr.UPLOAD_SEGS), 0);
  store<u32>(hdr(Hdr.ALLOC_LOCK), 0);
}

export function resetInstance(): void { gOpen = 0; gOpenPos = 0; }

/** This core's open segment (number + 1; 0 = none) and its fill: the sweep walks it too. */
export function openSeg(): u32 { return gOpen; }
export function openPos(): u32 { return gOpenPos; }

// ---- under the allocator lock ----------------------------------------------
function popFree(): u32 {
  let h = load<u32>(hdr(Hdr.FREE_HEAD));
  if (h == 0) return 0;
  store<u32>(hdr(Hdr.FREE_HEAD), load<u32>(segEntry(h - 1) + S_NEXT));
  return h;
}

/** Append to the FIFO tail as sealed with `wpos` bytes written. */
export function sealLocked(n: u32, wpos: u32): void {
  let e = segEntry(n);
  store<u32>(e + S_WPOS, wpos);
  store<u32>(e + S_NEXT, 0);
  atomic.store<u32>(e + S_STATE, SEG_SEALED);
  let tail = load<u32>(hdr(Hdr.FIFO_TAIL));
  if (tail == 0) store<u32>(hdr(Hdr.FIFO_HEAD), n + 1);
  else store<u32>(segEntry(tail - 1) + S_NEXT, n + 1);
  store<u32>(hdr(Hdr.FIFO_TAIL), n + 1);
}

/** Mark `cur` EVICTING and take it off the FIFO (`prev` before it) unless somebody pins it. */
function claim(cur: u32, prev: u32): bool {
  let e = segEntry(cur - 1);
  // EVICTING before reading the pin count; storePin adds before reading the
  // state: one of the two always sees the other
  atomic.store<u32>(e + S_STATE, SEG_EVICTING);
  if (atomic.load<u32>(e + S_PIN) != 0) { atomic.store<u32>(e + S_STATE, SEG_SEALED); return false; }
  let next = load<u32>(e + S_NEXT);
  if (prev == 0) store<u32>(hdr(Hdr.FIFO_HEAD), next);
  else store<u32>(segEntry(prev - 1) + S_NEXT, next);
  if (load<u32>(hdr(Hdr.FIFO_TAIL)) == cur) store<u32>(hdr(Hdr.FIFO_TAIL), prev);
  return true;
}

/** Bytes re-insertion can take before it must evict: the rest of REINS plus the spare. */
function reinsertRoom(): u32 {
  let room: u32 = 0;
  let r = load<u32>(hdr(Hdr.REINS));
  if (r != 0) {
    let w = load<u32>(segEntry(r - 1) + S_WPOS);
    if (w < gSegSize) room = gSegSize - w;
  }
  if (load<u32>(hdr(Hdr.SPARE)) != 0) room += gSegSize;
  return room;
}

/** Whether the last victim is to be compacted (every live item kept) rather than CLOCK-evicted. */
let gCompact = false;

/**
 * Remove and return (number + 1) a sealed segment nobody pins, marked
 * EVICTING, chosen so that dead bytes go before live items:
 *   1. the oldest one with nothing live, or whose items have all expired;
 *   2. else the one with the fewest live bytes, if at most 3/4 live and
 *      re-insertion has room for them all: compacted (gCompact);
 *   3. else the oldest (CLOCK: evictSegment keeps items hit since written).
 * The live table is a hint; evictSegment checks every item under its lock.
 */
function takeVictim(now: u32): u32 {
  gCompact = false;
  let prev: u32 = 0;
  let cur = load<u32>(hdr(Hdr.FIFO_HEAD));
  let best: u32 = 0;
  let bestPrev: u32 = 0;
  let bestLive: u32 = u32.MAX_VALUE;
  // one pass over the FIFO (bounded by the segment count): reads only the
  // live table and pin counts
  for (let i: u32 = 0; i < gNseg && cur != 0; i++) {
    let n = cur - 1;
    let e = segEntry(n);
    if (atomic.load<u32>(e + S_PIN) == 0) {
      let live = liveBytes(n);
      let expMax = liveExpMax(n);
      if (live == 0 || expMax <= now) {
        // compact: an item linked after the table was read is still kept
        if (claim(cur, prev)) { gCompact = true; return cur; }
      } else if (live < bestLive) {
        best = cur; bestPrev = prev; bestLive = live;
      }
    }
    prev = cur;
    cur = load<u32>(e + S_NEXT);
  }
  if (best != 0 && <u64>bestLive * 4 <= <u64>gSegSize * 3 && bestLive <= reinsertRoom()) {
    if (claim(best, bestPrev)) { gCompact = true; return best; }
  }
  prev = 0;
  cur = load<u32>(hdr(Hdr.FIFO_HEAD));
  for (let i: u32 = 0; i < gNseg && cur != 0; i++) {
    if (claim(cur, prev)) return cur;
    prev = cur;
    cur = load<u32>(segEntry(cur - 1) + S_NEXT);
  }
  return 0;
}

/** A segment ready to be written (number + 1), evicting as needed; 0 if every candidate is pinned. */
function takeSegment(now: u32): u32 {
  let limit = gNseg * 2 + 4;
  // set the re-insertion spare aside before the free list runs dry, so the
  // first eviction can already keep hot items
  if (load<u32>(hdr(Hdr.SPARE)) == 0 && gNseg >= SPARE_MIN_SEGS) store<u32>(hdr(Hdr.SPARE), popFree());
  // a compaction that used up the spare may refill it once per call; after
  // that the segment goes to the caller, so big items that fragment the
  // re-insertion space cannot keep this loop from handing one out
  let refilledByCompaction = false;
  for (let i: u32 = 0; i < limit; i++) {
    let n = popFree();
    if (n != 0) return n;
    let v = takeVictim(now);
    if (v == 0) {
      let s = load<u32>(hdr(Hdr.SPARE));
      if (s != 0) { store<u32>(hdr(Hdr.SPARE), 0); return s; }
      let r = load<u32>(hdr(Hdr.REINS));
      if (r == 0) return 0;
      // give up re-insertion space before giving up the store
      store<u32>(hdr(Hdr.REINS), 0);
      sealLocked(r - 1, load<u32>(segEntry(r - 1) + S_WPOS));
      continue;
    }
    let compacted = gCompact;
    if (!evictSegment(v - 1, now, compacted)) continue; // could not empty it: leave it out of use
    if (load<u32>(hdr(Hdr.SPARE)) == 0 && gNseg >= SPARE_MIN_SEGS && !(compacted && refilledByCompaction)) {
      if (compacted) refilledByCompaction = true;
      store<u32>(hdr(Hdr.SPARE), v);
      continue;
    }
    return v;
  }
  return 0;
}

/** Space for a re-inserted item (called by eviction, allocator lock held), or 0. */
export function reinsertSpace(size: u32): usize {
  let r = load<u32>(hdr(Hdr.REINS));
  if (r != 0) {
    let e = segEntry(r - 1);
    let w = load<u32>(e + S_WPOS);
    if (w + size <= gSegSize) { store<u32>(e + S_WPOS, w + size); return segData(r - 1) + w; }
    sealLocked(r - 1, w);
    store<u32>(hdr(Hdr.REINS), 0);
  }
  let s = load<u32>(hdr(Hdr.SPARE));
  if (s == 0 || size > gSegSize) return 0;
  store<u32>(hdr(Hdr.SPARE), 0);
  store<u32>(hdr(Hdr.REINS), s);
  let e = segEntry(s - 1);
  atomic.store<u32>(e + S_STATE, SEG_OPEN);
  store<u32>(e + S_WPOS, size);
  return segData(s - 1);
}

/** Recycled segment: readers holding old handles see a new generation. */
export function recycle(n: u32): void {
  let e = segEntry(n);
  atomic.add<u32>(e + S_GEN, 1);
  liveReset(n);
  store<u32>(e + S_WPOS, 0);
  atomic.store<u32>(e + S_STATE, SEG_FREE);
}

// ---- per core ---------------------------------------------------------------
/** Reserve `size` bytes in this core's open segment, pinned until commit/abort. 0 if no memory can be had. */
export function reserve(size: u32, now: u32): usize {
  if (size > gSegSize) return 0;
  if (gOpen == 0 || gOpenPos + size > gSegSize) {
    let l = hdr(Hdr.ALLOC_LOCK);
    if (!lockWord(l)) return 0;
    if (gOpen != 0) sealLocked(gOpen - 1, gOpenPos);
    gOpen = takeSegment(now);
    gOpenPos = 0;
    if (gOpen != 0) {
      let e = segEntry(gOpen - 1);
      store<u32>(e + S_WPOS, 0);
      atomic.store<u32>(e + S_STATE, SEG_OPEN);
    }
    unlockWord(l);
    if (gOpen == 0) return 0;
  }
  let n = gOpen - 1;
  let it = segData(n) + gOpenPos;
  gOpenPos += size;
  atomic.add<u32>(segEntry(n) + S_PIN, 1);
  return it;
}

/** Pin the segment of `it` if it still has generation `gen`. */
export function pinSeg(it: usize, gen: u32): bool {
  let e = segEntry(segOf(it));
  atomic.add<u32>(e + S_PIN, 1);
  if (atomic.load<u32>(e + S_STATE) == SEG_EVICTING || atomic.load<u32>(e + S_GEN) != gen) {
    atomic.sub<u32>(e + S_PIN, 1);
    return false;
  }
  return true;
}

@inline export function unpinSeg(it: usize): void {
  let e = segEntry(segOf(it));
  // an unbalanced unpin must not wrap the count and pin the segment forever
  if (atomic.load<u32>(e + S_PIN) != 0) atomic.sub<u32>(e + S_PIN, 1);
}
