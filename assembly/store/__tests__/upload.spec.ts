// Incomplete uploads (issue: stalled uploads lock everyone out): a value still
// arriving pins its segment; holds bound how many segments that may be, so
// reservations nobody completes cannot make other writers fail.
import {
  STORED, storeAlloc, storeAbort, storeHoldUpload, storeReleaseUpload, storeUploadSegments,
} from "../index";
import { makeStore, putNum, findNum, bytes, ptr, len, NOW, MB } from "./fixture";

const LIVE: u8 = 108; // "l"
const N_STALL: u32 = 64;

/** Reservations of ~200 KB (one per 256 KiB segment), as N stalled `set k 0 0 200000` would make. */
function stall(items: StaticArray<usize>, hold: bool): u32 {
  let held: u32 = 0;
  for (let i: u32 = 0; i < <u32>items.length; i++) {
    let k = bytes("stall" + i.toString());
    let it = storeAlloc(ptr(k), len(k), 0, 0, 200000, NOW);
    if (it == 0) { items[i] = 0; continue; }
    if (!hold || storeHoldUpload(it)) { items[i] = it; held++; continue; }
    storeAbort(it); // refused: that upload fails, as the session answers it
    items[i] = 0;
  }
  return held;
}

/** Small sets past -m from a live writer: how many were not stored. */
function liveFails(n: u32, size: u32): u32 {
  let fails: u32 = 0;
  for (let i: u32 = 0; i < n; i++) if (putNum(LIVE, i, size, <u8>(i & 0x7f)) != STORED) fails++;
  return fails;
}

function releaseAll(items: StaticArray<usize>, hold: bool): void {
  for (let i = 0; i < items.length; i++) {
    let it = items[i];
    if (it == 0) continue;
    if (hold) storeReleaseUpload(it);
    storeAbort(it);
    items[i] = 0;
  }
}

describe("incomplete uploads", () => {
  it("without holds, stalled reservations pin every segment and other writers fail (what holds prevent)", () => {
    makeStore(8 * MB, 256 << 10); // 32 segments of 256 KiB
    let items = new StaticArray<usize>(N_STALL);
    stall(items, false);
    expect(liveFails(2000, 1000)).toBeGreaterThan(0);
    releaseAll(items, false);
    expect(liveFails(2000, 1000)).toBe(0);
  });

  it("at most half of the segments hold uploads; live sets past -m all succeed", () => {
    makeStore(8 * MB, 256 << 10);
    let items = new StaticArray<usize>(N_STALL);
    let held = stall(items, true);
    expect(held).toBe(16);
    expect(storeUploadSegments()).toBe(16);
    // 20 MB of 1 KB sets into -m 8, and a 200 KB one
    expect(liveFails(20000, 1000)).toBe(0);
    expect(putNum(LIVE, 99999, 200000, 7)).toBe(STORED);
    expect(findNum(LIVE, 19999)).not.toBe(0);
    releaseAll(items, true);
    expect(storeUploadSegments()).toBe(0);
  });

  it("uploads sharing a segment count once, and the segment is released with the last", () => {
    makeStore(8 * MB, 256 << 10);
    let a = bytes("a"), b = bytes("b");
    let ia = storeAlloc(ptr(a), len(a), 0, 0, 1000, NOW);
    let ib = storeAlloc(ptr(b), len(b), 0, 0, 1000, NOW);
    expect(storeHoldUpload(ia)).toBe(true);
    expect(storeHoldUpload(ib)).toBe(true);
    expect(storeUploadSegments()).toBe(1);
    storeReleaseUpload(ia);
    expect(storeUploadSegments()).toBe(1);
    storeReleaseUpload(ib);
    expect(storeUploadSegments()).toBe(0);
    storeReleaseUpload(ib); // unbalanced: never wraps
    expect(storeUploadSegments()).toBe(0);
    storeAbort(ia);
    storeAbort(ib);
  });

  it("after every stalled upload is released the whole store is usable again", () => {
    makeStore(8 * MB, 256 << 10);
    let items = new StaticArray<usize>(N_STALL);
    stall(items, true);
    releaseAll(items, true);
    // every segment reclaimable: 31 values of 200 KB fit in -m 8 after the first cycle
    let fails: u32 = 0;
    for (let i: u32 = 0; i < 200; i++) if (putNum(LIVE, i, 200000, 1) != STORED) fails++;
    expect(fails).toBe(0);
    expect(stall(items, true)).toBe(16);
    releaseAll(items, true);
  });
});
