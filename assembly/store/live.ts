// Live table: one 16-byte entry per segment, what reclaim needs to choose a
// segment without walking it:
//   +0  live u32    bytes of items in the segment that the index links to
//   +4  expMin u32  smallest exptime linked into it (never = u32.MAX)
//   +8  expMax u32  largest exptime linked into it (never = u32.MAX; 0 = none)
//   +12 timeMin u32 smallest store time linked into it (flush_all), 0 = none
// Updated with atomics wherever a slot is linked, re-pointed or emptied
// (buckets.ts, eviction) and where an exptime changes (touch, meta T). Only
// writers touch it; GET readers never do, so a hit still writes no shared
// line and reads none that writers dirty. The values are hints: bounds only
// widen until the segment is recycled, and whatever they say, emptying a
// segment (evict.ts) checks every item under its bucket lock.
import { gLiveTab } from "./layout";
import { I_EXPTIME, I_TIME, itemSizeAt } from "./item";
import { segOf } from "./segtab";

export const L_LIVE: u32 = 0;
export const L_EXPMIN: u32 = 4;
export const L_EXPMAX: u32 = 8;
export const L_TMIN: u32 = 12;

/** Exptime as a bound: "never" sorts after every time. */
@inline export function expBound(exptime: u32): u32 { return exptime == 0 ? u32.MAX_VALUE : exptime; }

@inline export function liveEntry(n: u32): usize { return gLiveTab + (<usize>n << 4); }

/** Tries of a compare-and-swap before leaving a bound as it is (a hint only). */
const CAS_TRIES: u32 = 64;

function atomicMax(p: usize, v: u32): void {
  for (let i: u32 = 0; i < CAS_TRIES; i++) {
    let o = atomic.load<u32>(p);
    if (o >= v || atomic.cmpxchg<u32>(p, o, v) == o) return;
  }
}

function atomicMin(p: usize, v: u32): void {
  for (let i: u32 = 0; i < CAS_TRIES; i++) {
    let o = atomic.load<u32>(p);
    if ((o != 0 && o <= v) || atomic.cmpxchg<u32>(p, o, v) == o) return;
  }
}

/** An empty segment: nothing live, no bounds. */
export function liveReset(n: u32): void {
  let e = liveEntry(n);
  atomic.store<u32>(e + L_LIVE, 0);
  atomic.store<u32>(e + L_EXPMIN, u32.MAX_VALUE);
  atomic.store<u32>(e + L_EXPMAX, 0);
  atomic.store<u32>(e + L_TMIN, 0);
}

/** Widen the expiry bounds of it's segment to cover `exptime`. */
export function liveExptime(it: usize, exptime: u32): void {
  let e = liveEntry(segOf(it));
  let b = expBound(exptime);
  atomicMin(e + L_EXPMIN, b);
  atomicMax(e + L_EXPMAX, b);
}

/** `it` became linked from the index. */
export function liveLinked(it: usize): void {
  let e = liveEntry(segOf(it));
  atomic.add<u32>(e + L_LIVE, itemSizeAt(it));
  liveExptime(it, atomic.load<u32>(it + I_EXPTIME));
  let t = load<u32>(it + I_TIME);
  atomicMin(e + L_TMIN, t == 0 ? 1 : t); // 0 means "none": time 0 files as 1, which is as old
}

/** `it` is no longer linked. */
export function liveUnlinked(it: usize): void {
  let p = liveEntry(segOf(it)) + L_LIVE;
  let size = itemSizeAt(it);
  // never wrap below zero: a drifted count must not look nearly full
  for (let i: u32 = 0; i < CAS_TRIES; i++) {
    let o = atomic.load<u32>(p);
    let v = o > size ? o - size : 0;
    if (atomic.cmpxchg<u32>(p, o, v) == o) return;
  }
}

@inline export function liveBytes(n: u32): u32 { return atomic.load<u32>(liveEntry(n) + L_LIVE); }
@inline export function liveExpMin(n: u32): u32 { return atomic.load<u32>(liveEntry(n) + L_EXPMIN); }
@inline export function liveExpMax(n: u32): u32 { return atomic.load<u32>(liveEntry(n) + L_EXPMAX); }
@inline export function liveTimeMin(n: u32): u32 { return atomic.load<u32>(liveEntry(n) + L_TMIN); }
