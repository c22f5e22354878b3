// The reclaim policy (issue: cold items lost to overwrite and TTL churn):
// dead and expired bytes go before live items, compaction before eviction,
// and the sweep (storeTick) takes expired items out of the counts.
import {
  STORED, storeTick, storeFlush, storeDelete, storeTouch, statCurrItems, statBytes, statEvictions, statReclaimed,
  statExpiredUnfetched, statCrawlerReclaimed, itemValue, itemValueLen,
} from "../index";
import { makeStore, putNum, findNum, NOW, MB } from "./fixture";

const COLD: u8 = 99; // "c"
const HOT: u8 = 104;  // "h"
const SHORT: u8 = 115; // "s"

/** Cold items still readable with their own fill. */
function coldKept(n: u32, now: u32 = NOW): u32 {
  let kept: u32 = 0;
  for (let i: u32 = 0; i < n; i++) {
    let it = findNum(COLD, i, now);
    if (it != 0 && itemValueLen(it) == 1000 && load<u8>(itemValue(it) + 999) == <u8>(i & 0x7f)) kept++;
  }
  return kept;
}

describe("reclaim before evict", () => {
  it("overwrite churn: 16 hot keys rewritten 60x -m keep every cold item", () => {
    // -m 8 (32 segments of 256 KiB): 3,000 cold 1 KB items (~3 MB), then
    // 16 hot keys with 10 KB values overwritten until 60x -m was written
    makeStore(8 * MB, 256 << 10);
    const N: u32 = 3000;
    for (let i: u32 = 0; i < N; i++) expect(putNum(COLD, i, 1000, <u8>(i & 0x7f))).toBe(STORED);
    let fails = 0;
    for (let i: u32 = 0; i < 48000; i++) if (putNum(HOT, i & 15, 10000, <u8>i) != STORED) fails++;
    expect(fails).toBe(0);
    expect(coldKept(N)).toBe(N);
    expect(statEvictions()).toBe(0);
    expect(statCurrItems()).toBe(<u64>N + 16);
    for (let h: u32 = 0; h < 16; h++) expect(findNum(HOT, h)).not.toBe(0);
  });

  it("TTL churn: short-TTL items over 7 s with the clock advancing keep every cold item", () => {
    makeStore(8 * MB, 256 << 10);
    const N: u32 = 3000;
    for (let i: u32 = 0; i < N; i++) putNum(COLD, i, 1000, <u8>(i & 0x7f));
    // 4,000 distinct 10 KB items (~5x -m) with a 2 s TTL, 150 per second:
    // as in the measured run, the unexpired ones plus the cold ones fit in -m
    let fails = 0;
    for (let i: u32 = 0; i < 4000; i++) {
      let now = NOW + i / 150;
      if (putNum(SHORT, i, 10000, 1, now, now + 2) != STORED) fails++;
    }
    expect(fails).toBe(0);
    let end = NOW + 4000 / 150;
    expect(coldKept(N, end)).toBe(N);
    expect(statReclaimed()).toBeGreaterThan(0);
  });

  it("deleted items' segments are reused before live ones are evicted", () => {
    makeStore(8 * MB, 256 << 10);
    const N: u32 = 3000;
    for (let i: u32 = 0; i < N; i++) putNum(COLD, i, 1000, <u8>(i & 0x7f));
    for (let r: u32 = 0; r < 40; r++) {
      for (let i: u32 = 0; i < 400; i++) putNum(SHORT, r * 400 + i, 2000, 2);
      for (let i: u32 = 0; i < 400; i++) {
        // delete what this round wrote: its segments end up with nothing live
        let it = findNum(SHORT, r * 400 + i);
        if (it != 0) storeDelete(it + 32, load<u8>(it + 28), NOW);
      }
    }
    expect(coldKept(N)).toBe(N);
    expect(statEvictions()).toBe(0);
  });

  it("mostly-dead segments are compacted: their live items survive", () => {
    makeStore(8 * MB, 256 << 10);
    // interleave: 1 cold item per 7 overwritten ones, so every segment is
    // mostly dead but never empty
    const N: u32 = 1500;
    let fails = 0;
    for (let i: u32 = 0; i < N; i++) {
      putNum(COLD, i, 1000, <u8>(i & 0x7f));
      for (let j: u32 = 0; j < 7; j++) putNum(HOT, j, 1000, 3);
    }
    for (let i: u32 = 0; i < 40000; i++) if (putNum(HOT, i & 7, 1000, 4) != STORED) fails++;
    expect(fails).toBe(0);
    expect(coldKept(N)).toBe(N);
    expect(statEvictions()).toBe(0);
  });

  it("live data over -m still evicts, and sets never fail", () => {
    makeStore(8 * MB, 256 << 10);
    let fails = 0;
    for (let i: u32 = 0; i < 30000; i++) if (putNum(COLD, i, 1000, <u8>(i & 0x7f)) != STORED) fails++;
    expect(fails).toBe(0);
    expect(statEvictions()).toBeGreaterThan(0);
    expect(statBytes()).toBeLessThanOrEqual(<u64>8 * MB);
    // the newest items are there
    for (let i: u32 = 29000; i < 30000; i++) expect(findNum(COLD, i)).not.toBe(0);
  });
});

describe("storeTick sweep", () => {
  it("expired items leave curr_items and bytes after ticks, counted as memcached's crawler counts them", () => {
    makeStore(8 * MB, 256 << 10);
    for (let i: u32 = 0; i < 2000; i++) putNum(SHORT, i, 1000, 1, NOW, NOW + 2);
    for (let i: u32 = 0; i < 1000; i++) putNum(COLD, i, 1000, <u8>(i & 0x7f));
    expect(statCurrItems()).toBe(3000);
    for (let t: u32 = 0; t < 200; t++) storeTick(NOW + 1);
    expect(statCurrItems()).toBe(3000); // nothing expired yet
    for (let t: u32 = 0; t < 200; t++) storeTick(NOW + 2);
    expect(statCurrItems()).toBe(1000);
    // memcached's LRU crawler: crawler_reclaimed + expired_unfetched; `reclaimed`
    // is only for an expired item found when memory is needed
    expect(statCrawlerReclaimed()).toBe(2000);
    expect(statReclaimed()).toBe(0);
    expect(statExpiredUnfetched()).toBe(2000);
    expect(statBytes()).toBeLessThanOrEqual(<u64>1000 * 1040);
    expect(coldKept(1000, NOW + 2)).toBe(1000);
  });

  it("an item touched to a later exptime is not swept or dropped", () => {
    makeStore(8 * MB, 256 << 10);
    for (let i: u32 = 0; i < 500; i++) putNum(SHORT, i, 1000, 1, NOW, NOW + 2);
    // touch one item to never expire
    let it = findNum(SHORT, 7);
    expect(storeTouch(it + 32, load<u8>(it + 28), 0, NOW)).not.toBe(0);
    for (let t: u32 = 0; t < 200; t++) storeTick(NOW + 5);
    expect(statCurrItems()).toBe(1);
    // churn memory: the segment holding it is mostly expired, not all
    for (let i: u32 = 0; i < 30000; i++) putNum(HOT, i & 15, 5000, 2, NOW + 5);
    expect(findNum(SHORT, 7, NOW + 5)).not.toBe(0);
  });

  it("flush_all: the sweep empties the counts", () => {
    makeStore(8 * MB, 256 << 10);
    for (let i: u32 = 0; i < 2000; i++) putNum(COLD, i, 500, 1);
    storeFlush(0, NOW + 1);
    for (let t: u32 = 0; t < 200; t++) storeTick(NOW + 1);
    expect(statCurrItems()).toBe(0);
    expect(statBytes()).toBe(0);
    // flushed, not expired: the crawler counts them reclaimed but never expired_unfetched
    expect(statCrawlerReclaimed()).toBe(2000);
    expect(statExpiredUnfetched()).toBe(0);
  });
});
