// storeTick: a bounded background sweep (memcached's LRU crawler, in small
// steps) that unlinks expired and flushed items so curr_items and bytes drop
// within seconds, not only when memory runs out. Each instance walks its own
// share of the segments (n = core, core + cores, ...) with a cursor in
// instance globals: no shared line is written unless an item is unlinked.
// A walked segment is pinned, so it cannot be recycled under the walk; only
// sealed segments (their fill is final) and this core's own open segment
// (its fill is this instance's) are walked; after each pass over its share
// of the table an instance walks its open segment, so expired items there
// leave the counts too on a quiet server. The live table lets it
// skip, without touching the segment, any segment where nothing can have
// expired or been flushed.
import { Ctl } from "../shared/control";
import { gCtl, gCore, gNseg, gSegSize, St, MAX_CORES } from "./layout";
import { I_BITS, I_EXPTIME, I_HASH, BIT_DEAD, BIT_FETCHED, itemSizeAt } from "./item";
import { segEntry, segData, S_GEN, S_STATE, S_WPOS, SEG_SEALED } from "./segtab";
import { pinSeg, unpinSeg, openSeg, openPos } from "./segments";
import { liveBytes, liveExpMin, liveTimeMin } from "./live";
import { headFor, chainFindRef, unlinkSlot } from "./buckets";
import { lockVersion, unlockVersion, unlockVersionClean } from "./lock";
import { isExpired } from "./clock";
import { isFlushed, flushOldestLive } from "./flush";
import { statAdd } from "./stats";

/** Items one tick looks at, and segments it may skip: the cost of a tick stays a few microseconds. */
const SWEEP_ITEMS: u32 = 64;
const SWEEP_SEGS: u32 = 8;

// this instance's walk: segment number + 1 (0 = pick the next), its generation, the offset reached
let gSwSeg: u32 = 0;
let gSwGen: u32 = 0;
let gSwPos: u32 = 0;
let gSwNext: u32 = 0; // the next segment number to consider, in this core's share

export function sweepReset(): void { gSwSeg = 0; gSwGen = 0; gSwPos = 0; gSwNext = gCore; }

function nCores(): u32 {
  let n = load<u32>(gCtl + Ctl.N_CORES);
  if (n == 0) n = 1;
  return n > MAX_CORES ? MAX_CORES : n;
}

/** Bytes of segment n the sweep may walk: a sealed one's fill, this core's open one's, else 0. */
function walkEnd(n: u32): u32 {
  if (openSeg() == n + 1) return openPos();
  let e = segEntry(n);
  if (atomic.load<u32>(e + S_STATE) != SEG_SEALED) return 0;
  let end = load<u32>(e + S_WPOS);
  return end > gSegSize ? gSegSize : end;
}

/** Whether segment n may hold an item that is expired or flushed at `now`. */
function worthWalking(n: u32, now: u32): bool {
  if (walkEnd(n) == 0 || liveBytes(n) == 0) return false;
  if (liveExpMin(n) <= now) return true;
  let ol = flushOldestLive(now);
  // flushed: stored at or before oldest_live, or in its second with an older CAS
  return ol != 0 && liveTimeMin(n) != 0 && liveTimeMin(n) <= ol + 1;
}

/** One bounded step of the sweep. */
export function storeTick(now: u32): void {
  if (gNseg == 0) return;
  let cores = nCores();
  let budget = SWEEP_ITEMS;
  for (let s: u32 = 0; s < SWEEP_SEGS && budget != 0; s++) {
    if (gSwSeg == 0) {
      let n: u32;
      if (gSwNext >= gNseg) {
        // end of this core's share: its open segment, then the share again
        gSwNext = gCore % cores;
        let o = openSeg();
        if (o == 0) continue;
        n = o - 1;
      } else {
        n = gSwNext;
        gSwNext += cores;
      }
      if (!worthWalking(n, now)) continue;
      gSwSeg = n + 1;
      gSwGen = atomic.load<u32>(segEntry(n) + S_GEN);
      gSwPos = 0;
    }
    budget = walk(gSwSeg - 1, now, budget);
  }
}

/** Walk segment n from gSwPos for up to `budget` items; returns the budget left. */
function walk(n: u32, now: u32, budget: u32): u32 {
  let base = segData(n);
  // the pin keeps the segment from being recycled while items are read
  if (!pinSeg(base, gSwGen)) { gSwSeg = 0; return budget; }
  let end = walkEnd(n);
  let p = gSwPos;
  while (budget != 0 && p < end) {
    let it = base + p;
    let size = itemSizeAt(it);
    if ((atomic.load<u8>(it + I_BITS) & BIT_DEAD) == 0 &&
        (isExpired(atomic.load<u32>(it + I_EXPTIME), now) || isFlushed(it, now))) reclaim(it, now);
    p += size;
    budget--;
  }
  unpinSeg(base);
  gSwPos = p;
  if (p >= end) gSwSeg = 0;
  return budget;
}

/** Unlink `it` if it is still linked and still expired or flushed (under its bucket lock). */
function reclaim(it: usize, now: u32): void {
  let head = headFor(load<u32>(it + I_HASH));
  let held = lockVersion(head);
  if (held & 1) return; // lock not won: the next round or eviction will see it
  let slot = chainFindRef(head, it);
  if (slot == 0) { unlockVersionClean(head, held); return; }
  let flushed = isFlushed(it, now);
  if (flushed || isExpired(atomic.load<u32>(it + I_EXPTIME), now)) {
    // memcached 1.6.18's crawler (crawler_expired_eval, do_item_stats_add_crawl)
    // bumps crawler_reclaimed, not reclaimed, and expired_unfetched only for an
    // unfetched item that was not flushed
    statAdd(St.CRAWLER_RECLAIMED, 1);
    if (!flushed && (atomic.load<u8>(it + I_BITS) & BIT_FETCHED) == 0) statAdd(St.EXPIRED_UNFETCHED, 1);
    unlinkSlot(head, slot);
    unlockVersion(head, held);
    return;
  }
  unlockVersionClean(head, held);
}
