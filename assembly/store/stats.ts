// Store counters: one 64-byte line per core inside the store region, written
// only by its core (so no contended atomics on the data path), summed on read.
// `stats reset` records a baseline instead of writing other cores' lines.
import { Ctl } from "../shared/control";
import { gBase, gCtl, gStats, gHashPower, gNovf, Hdr, St, LINE, MAX_CORES } from "./layout";

@inline export function statAdd(off: u32, d: i64): void {
  let p = gStats + off;
  atomic.store<i64>(p, atomic.load<i64>(p) + d);
}

function nCores(): u32 {
  let n = load<u32>(gCtl + Ctl.N_CORES);
  if (n == 0) n = 1;
  return n > MAX_CORES ? MAX_CORES : n;
}

export function statSum(off: u32): i64 {
  let s: i64 = 0;
  let n = nCores();
  for (let c: u32 = 0; c < n; c++) s += atomic.load<i64>(gBase + Hdr.STATS + c * LINE + off);
  return s;
}

/** A cumulative counter minus its `stats reset` baseline. */
function resettable(off: u32): u64 {
  let v = statSum(off) - atomic.load<i64>(gBase + Hdr.BASELINE + off);
  return v < 0 ? 0 : <u64>v;
}

export function statCurrItems(): u64 { let v = statSum(St.CURR_ITEMS); return v < 0 ? 0 : <u64>v; }
export function statBytes(): u64 { let v = statSum(St.BYTES); return v < 0 ? 0 : <u64>v; }
export function statTotalItems(): u64 { return resettable(St.TOTAL_ITEMS); }
export function statEvictions(): u64 { return resettable(St.EVICTIONS); }
export function statReclaimed(): u64 { return resettable(St.RECLAIMED); }
export function statExpiredUnfetched(): u64 { return resettable(St.EXPIRED_UNFETCHED); }
export function statEvictedUnfetched(): u64 { return resettable(St.EVICTED_UNFETCHED); }
export function statCrawlerReclaimed(): u64 { return resettable(St.CRAWLER_RECLAIMED); }
export function statHashPowerLevel(): u32 { return gHashPower; }
export function statHashBytes(): u64 { return ((<u64>1 << gHashPower) + <u64>gNovf) << 6; }

export function statReset(): void {
  let offs: u32 = St.TOTAL_ITEMS;
  while (offs <= St.CRAWLER_RECLAIMED) {
    atomic.store<i64>(gBase + Hdr.BASELINE + offs, statSum(offs));
    offs += 8;
  }
}
