import {
  STORED, MODE_SET, storeAlloc, storeCommit, storeFind, storePin, storeUnpin, storeReadOk, storeTouchAccess,
  itemValue, itemValueLen, statBytes, statCurrItems, statEvictions, statEvictedUnfetched, statReclaimed,
  statExpiredUnfetched, storeItemSizeOk,
} from "../index";
import { makeStore, put, putSized, putNum, findNum, find, get, bytes, ptr, len, seed, rand, NOW, MB } from "./fixture";

const K: u8 = 107; // "k"

/** A key for number i (allocates: specs only). */
function key(i: u32): string { return "key:" + i.toString(); }

const CLOCK_N: u32 = 300;
let streamNext: u32 = 0;
let streamMb: u32 = 0;
/** Cold 1 KB items up to `to` MiB written, hitting the hot "h" items after each MiB. */
function streamTo(to: u32): void {
  for (; streamMb < to; streamMb++) {
    for (let w: u32 = 0; w < MB; w += 1040) putNum(K, streamNext++, 1000, 1);
    for (let h: u32 = 0; h < CLOCK_N; h++) { let it = findNum(104, h); if (it != 0) storeTouchAccess(it); }
  }
}
function kept(p: u8): u32 { let k: u32 = 0; for (let h: u32 = 0; h < CLOCK_N; h++) if (findNum(p, h) != 0) k++; return k; }

describe("eviction under pressure", () => {
  it("fills 10x the memory with random sizes: no set fails, bytes stay within -m, recent items hit", () => {
    const limit: u32 = 8 * MB;
    makeStore(limit, 256 << 10);
    seed(7);
    let written: u64 = 0;
    let i: u32 = 0;
    let fails = 0;
    let over = 0;
    while (written < <u64>limit * 10) {
      let r = rand();
      // mostly small, some up to the -I limit
      let n = (r & 7) == 0 ? rand() % 200000 : rand() % 2000;
      if (!storeItemSizeOk(10, 0, n)) n = 100;
      if (putNum(K, i, n, <u8>(i & 0x7f)) != STORED) fails++;
      written += n + 40;
      i++;
      if ((i & 255) == 0 && statBytes() > <u64>limit) over++;
    }
    expect(fails).toBe(0);
    expect(over).toBe(0);
    expect(statBytes()).toBeLessThanOrEqual(<u64>limit);
    expect(statEvictions()).toBeGreaterThan(0);
    expect(statEvictedUnfetched()).toBe(statEvictions());
    // the newest ~512 KiB of writes cannot have been evicted
    let back: u64 = 0;
    let j = i - 1;
    while (back < 512 << 10) {
      let it = findNum(K, j);
      expect(it).not.toBe(0);
      let v = itemValueLen(it);
      if (v > 0) expect(load<u8>(itemValue(it) + v - 1)).toBe(<u8>(j & 0x7f));
      back += v + 40;
      j--;
    }
  });

  it("keeps hot items (hit since written) while cold ones stream through", () => {
    makeStore(8 * MB, 256 << 10);
    const HOT: u32 = 300;
    for (let h: u32 = 0; h < HOT; h++) putNum(104, h, 50, <u8>h);
    let written: u64 = 0;
    let i: u32 = 0;
    while (written < 80 * <u64>MB) {
      putNum(K, i, 1000, 1);
      written += 1040;
      i++;
      if (i % 2000 == 0) {
        for (let h: u32 = 0; h < HOT; h++) {
          let it = findNum(104, h);
          if (it != 0) storeTouchAccess(it);
        }
      }
    }
    let hits: u32 = 0;
    for (let h: u32 = 0; h < HOT; h++) {
      let it = findNum(104, h);
      if (it != 0 && itemValueLen(it) == 50 && load<u8>(itemValue(it) + 49) == <u8>h) hits++;
    }
    expect(hits).toBe(HOT);
  });

  it("2-bit CLOCK: items hit twice in a round outlive items hit once", () => {
    makeStore(8 * MB, 256 << 10);
    const N = CLOCK_N;
    // hot 1 KB items hit after every MiB keep re-insertion segments filling
    // (and so entering the FIFO); "a" items are hit once, "b" items twice;
    // all of one size, so the small-item rule plays no part
    for (let h: u32 = 0; h < N; h++) { putNum(97, h, 1000, 1); putNum(98, h, 1000, 2); putNum(104, h, 1000, 3); }
    for (let h: u32 = 0; h < N; h++) {
      storeTouchAccess(findNum(97, h));
      storeTouchAccess(findNum(98, h));
      storeTouchAccess(findNum(98, h));
    }
    streamNext = 0; streamMb = 0;
    streamTo(16);
    expect(kept(97)).toBeLessThan(N);
    expect(kept(98)).toBe(N);
    streamTo(22);
    expect(kept(97)).toBe(0);
    expect(kept(98)).toBeGreaterThan(0);
    streamTo(32);
    expect(kept(98)).toBe(0);
    expect(kept(104)).toBe(N);
  });

  it("small items among large ones get another round; the large ones go", () => {
    makeStore(8 * MB, 256 << 10);
    const N: u32 = 500;
    // cold pairs: a 20-byte and a 5000-byte item, never read
    for (let h: u32 = 0; h < N; h++) { putNum(115, h, 20, 1); putNum(76, h, 5000, 2); }
    let next: u32 = 0;
    for (let w: u64 = 0; w < 10 * <u64>MB; w += 1040) putNum(K, next++, 1000, 1);
    let small: u32 = 0, large: u32 = 0;
    for (let h: u32 = 0; h < N; h++) { if (findNum(115, h) != 0) small++; if (findNum(76, h) != 0) large++; }
    expect(small).toBe(N);
    expect(large).toBe(0);
    expect(statBytes()).toBeLessThanOrEqual(<u64>8 * MB);
  });

  it("items of one order of size are not kept for being small: a cold scan goes", () => {
    makeStore(8 * MB, 256 << 10);
    const N: u32 = 2000;
    // never read, 300 and 450 bytes: none is a quarter of its segment's largest
    for (let h: u32 = 0; h < N; h++) { putNum(115, h, 300, 1); putNum(76, h, 450, 2); }
    let next: u32 = 0;
    for (let w: u64 = 0; w < 10 * <u64>MB; w += 1040) putNum(K, next++, 1000, 1);
    let left: u32 = 0;
    for (let h: u32 = 0; h < N; h++) { if (findNum(115, h) != 0) left++; if (findNum(76, h) != 0) left++; }
    expect(left).toBe(0);
  });

  it("a large item (over 1/8 of a segment) needs two hits in its round to stay", () => {
    makeStore(8 * MB, 256 << 10);
    const N: u32 = 20;
    // 40 KB items, 256 KB segments: "a" hit once, "c" twice
    for (let h: u32 = 0; h < N; h++) { putNum(97, h, 40 << 10, 1); putNum(99, h, 40 << 10, 2); }
    for (let h: u32 = 0; h < N; h++) {
      storeTouchAccess(findNum(97, h));
      storeTouchAccess(findNum(99, h));
      storeTouchAccess(findNum(99, h));
    }
    streamNext = 0; streamMb = 0;
    streamTo(10); // one round: their segments were emptied once
    let a: u32 = 0, c: u32 = 0;
    for (let h: u32 = 0; h < N; h++) { if (findNum(97, h) != 0) a++; if (findNum(99, h) != 0) c++; }
    expect(a).toBe(0);
    expect(c).toBe(N);
  });

  it("with 1 MiB segments (-I 1m) and items up to -I", () => {
    makeStore(8 * MB, MB);
    seed(3);
    for (let i: u32 = 0; i < 300; i++) {
      let n = rand() % 1048000;
      expect(putSized(key(i), n, 5)).toBe(STORED);
      expect(statBytes()).toBeLessThanOrEqual(<u64>8 * MB);
      let it = find(key(i));
      expect(itemValueLen(it)).toBe(n);
    }
  });

  it("reclaims expired items before evicting", () => {
    makeStore(8 * MB, 256 << 10);
    for (let i: u32 = 0; i < 20000; i++) putNum(K, i, 40, 1, NOW, NOW + 5);
    for (let i: u32 = 0; i < 200000; i++) putNum(108, i, 200, 2, NOW + 10);
    expect(statReclaimed()).toBeGreaterThan(0);
    expect(statExpiredUnfetched()).toBe(statReclaimed());
  });
});

describe("pins", () => {
  it("a pinned item's segment is not recycled; unpinned it is", () => {
    makeStore(8 * MB, 256 << 10);
    putSized("pinned", 5000, 0x5a);
    let it = find("pinned");
    expect(storePin(it)).toBe(true);
    for (let i: u32 = 0; i < 12000; i++) putNum(K, i, 2000, 1);
    // the pinned segment was skipped: the item is still linked and intact
    expect(find("pinned")).toBe(it);
    expect(storeReadOk(it)).toBe(true);
    expect(load<u8>(itemValue(it) + 4999)).toBe(0x5a);
    storeUnpin(it);
    for (let i: u32 = 0; i < 12000; i++) putNum(K, i, 2000, 1);
    expect(storeReadOk(it)).toBe(false);
    expect(get("pinned")).toBe("<miss>");
  });

  it("storeReadOk turns false once the segment is recycled", () => {
    makeStore(8 * MB, 256 << 10);
    putSized("x", 100, 1);
    let it = find("x");
    expect(storeReadOk(it)).toBe(true);
    for (let i: u32 = 0; i < 12000; i++) putNum(K, i, 2000, 1);
    expect(storeReadOk(it)).toBe(false);
  });

  it("a reservation pins its segment until commit", () => {
    makeStore(8 * MB, 256 << 10);
    let k = bytes("slow");
    let it = storeAlloc(ptr(k), len(k), 0, 0, 3000, NOW);
    for (let i: u32 = 0; i < 12000; i++) putNum(K, i, 2000, 1);
    memory.fill(itemValue(it), 0x33, 3000);
    expect(storeCommit(it, MODE_SET, 0, NOW)).toBe(STORED);
    let f = find("slow");
    expect(f).toBe(it);
    expect(load<u8>(itemValue(f) + 2999)).toBe(0x33);
  });
});

describe("index under many keys", () => {
  it("8 MiB: 120k small keys, all stored, the newest 60k all hit", () => {
    makeStore(8 * MB, 256 << 10);
    let fails = 0;
    for (let i: u32 = 0; i < 120000; i++) if (putNum(K, i, 8, <u8>i) != STORED) fails++;
    expect(fails).toBe(0);
    for (let i: u32 = 60000; i < 120000; i++) {
      let it = findNum(K, i);
      if (it == 0 || load<u8>(itemValue(it) + 7) != <u8>i) fails++;
    }
    expect(fails).toBe(0);
  });
  it("1 MiB with tiny items: full chains evict their oldest, nothing fails", () => {
    makeStore(MB, 64 << 10);
    let fails = 0;
    for (let i: u32 = 0; i < 100000; i++) if (putNum(116, i, 0, 0) != STORED) fails++;
    expect(fails).toBe(0);
    // slots: 4096 heads + 1024 overflow buckets, 7 each
    expect(statCurrItems()).toBeLessThanOrEqual(<u64>(4096 + 1024) * 7);
    expect(statEvictions()).toBeGreaterThan(0);
    expect(findNum(116, 99999)).not.toBe(0);
    expect(statBytes()).toBeLessThanOrEqual(<u64>MB);
  });
});
