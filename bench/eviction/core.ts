// bench:eviction's view of the store: the Wasm core driven directly (no
// server, no network) by bench/eviction/core.mjs. Keys are "k:<id>" written into a
// scratch buffer the driver names; values are filled with one byte. No
// allocation (built with --runtime stub, like the store).
import {
  storeRegionSize, storeFormat, storeAttach, storeAlloc, storeCommit, storeFind, storeTouchAccess, storeTick,
  itemValue, statCurrItems, statBytes, statEvictions, statReclaimed, statExpiredUnfetched, statEvictedUnfetched, statCrawlerReclaimed,
  STORED, MODE_SET,
} from "../../assembly/store/index";

let scratch: usize = 0;

export function e_regionSize(itemBytes: u32, itemSizeMax: u32): u32 { return <u32>storeRegionSize(itemBytes, itemSizeMax); }
export function e_init(control: usize, scratchAt: usize): i32 {
  scratch = scratchAt;
  let r = storeFormat(control);
  return r != 0 ? r : storeAttach(control, 0);
}

function key(id: u32): u32 {
  store<u16>(scratch, 0x3a6b); // "k:"
  let n: u32 = 1;
  let x = id;
  while (x >= 10) { x /= 10; n++; }
  x = id;
  for (let i = <i32>n - 1; i >= 0; i--) { store<u8>(scratch + 2 + i, <u8>(48 + x % 10)); x /= 10; }
  return n + 2;
}

/** set k:<id>: 1 stored, 0 not. */
export function e_set(id: u32, vlen: u32, exptime: u32, now: u32): u32 {
  let kl = key(id);
  let it = storeAlloc(scratch, kl, 0, exptime, vlen, now);
  if (it == 0) return 0;
  memory.fill(itemValue(it), <u8>id, vlen);
  return storeCommit(it, MODE_SET, 0, now) == STORED ? 1 : 0;
}

/** get k:<id>: 1 hit (marked accessed, as a GET hit is), 0 miss. */
export function e_get(id: u32, now: u32): u32 {
  let it = storeFind(scratch, key(id), now);
  if (it == 0) return 0;
  storeTouchAccess(it);
  return 1;
}

export function e_tick(now: u32): void { storeTick(now); }
export function e_currItems(): f64 { return <f64>statCurrItems(); }
export function e_bytes(): f64 { return <f64>statBytes(); }
export function e_evictions(): f64 { return <f64>statEvictions(); }
export function e_reclaimed(): f64 { return <f64>statReclaimed(); }
export function e_expiredUnfetched(): f64 { return <f64>statExpiredUnfetched(); }
export function e_evictedUnfetched(): f64 { return <f64>statEvictedUnfetched(); }
export function e_crawlerReclaimed(): f64 { return <f64>statCrawlerReclaimed(); }
