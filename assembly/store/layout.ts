// Geometry of the store region and the per-instance globals that locate it.
//
// Region (offsets from Ctl.STORE_BASE, every part 64-byte aligned):
//   header      HDR_SIZE bytes: geometry, allocator state, overflow pool,
//               stats baseline, then one 64-byte stats line per core
//   seg table   nseg x 64 B   (generation, pin count, state, FIFO link, fill)
//   live table  nseg x 16 B   (live bytes, expiry and store-time bounds):
//               written by writers only, never read by a GET, so it has its
//               own lines rather than sharing the seg table's
//   index       nbuckets x 64 B head buckets, then novf x 64 B overflow buckets
//   items       nseg x segSize (the only bytes counted against -m)
//   guard       GUARD bytes, so a reader comparing a key at a stale item
//               address near the end can never run off the region
import { Ctl, SET_NO_CAS } from "../shared/control";

export const STORE_MAGIC: u32 = 0x53544f31; // "STO1"
export const MAX_CORES: u32 = 64;
export const LINE: u32 = 64;
export const GUARD: u32 = 512;
/** Bytes per segment in the live table. */
export const LIVE_ENTRY: u32 = 16;

/** Segments are at least this big, and big enough for the largest item. */
export const SEG_MIN: u32 = 64 << 10;
export const SEG_TARGET: u32 = 1 << 20;
/** Small stores get smaller segments: at least this many per store. */
export const SEG_MIN_COUNT: u32 = 32;
/** Index sizing: assume items of this many bytes, and this many per bucket. */
export const SMALL_ITEM: u32 = 64;
export const ITEMS_PER_BUCKET: u32 = 5;
export const SLOTS: u32 = 7;
/** Overflow buckets a chain may have after its head. */
export const MAX_OVF: u32 = 3;

// ---- header (offsets from the region base) --------------------------------
export namespace Hdr {
  // line 0: geometry, written by storeFormat only
  export const MAGIC: u32 = 0;
  export const NSEG: u32 = 4;
  export const SEG_SHIFT: u32 = 8;
  export const HASH_POWER: u32 = 12;
  export const NOVF: u32 = 16;
  export const SEGTAB: u32 = 20;   // offsets from the region base
  export const INDEX: u32 = 24;
  export const OVF: u32 = 28;
  export const ITEMS: u32 = 32;
  export const LIVETAB: u32 = 36;
  // line 1: the allocator (one lock for segment hand-out and the FIFO)
  export const ALLOC_LOCK: u32 = 64;
  export const FREE_HEAD: u32 = 68;  // segment numbers + 1; 0 = none
  export const FIFO_HEAD: u32 = 72;
  export const FIFO_TAIL: u32 = 76;
  export const REINS: u32 = 80;      // segment receiving re-inserted items
  export const SPARE: u32 = 84;      // empty segment kept for REINS
  export const UPLOAD_SEGS: u32 = 88; // segments holding incomplete uploads (upload.ts)
  // line 2: overflow bucket pool
  export const OVF_LOCK: u32 = 128;
  export const OVF_FREE: u32 = 132;  // overflow bucket numbers + 1; 0 = none
  // line 3: stats baseline for `stats reset` (same offsets as a stats line)
  export const BASELINE: u32 = 192;
  // lines 64..127: per-core stats
  export const STATS: u32 = 4096;
  export const SIZE: u32 = 8192;
}

// ---- per-core stats line (i64 deltas; only the owning core writes) --------
export namespace St {
  export const CURR_ITEMS: u32 = 0;
  export const BYTES: u32 = 8;
  export const TOTAL_ITEMS: u32 = 16;
  export const EVICTIONS: u32 = 24;
  export const RECLAIMED: u32 = 32;
  export const EXPIRED_UNFETCHED: u32 = 40;
  export const EVICTED_UNFETCHED: u32 = 48;
  export const CRAWLER_RECLAIMED: u32 = 56; // unlinked by the sweep (memcached's LRU crawler)
}

// ---- per-instance globals (Wasm globals are thread-local) ------------------
export let gCtl: usize = 0;
export let gBase: usize = 0;
export let gCore: u32 = 0;
export let gNseg: u32 = 0;
export let gSegShift: u32 = 0;
export let gSegSize: u32 = 0;
export let gSegTab: usize = 0;
export let gLiveTab: usize = 0;
export let gIndex: usize = 0;
export let gMask: u32 = 0;
export let gHashPower: u32 = 0;
export let gOvf: usize = 0;
export let gNovf: u32 = 0;
export let gItems: usize = 0;
export let gItemsEnd: usize = 0;
export let gStats: usize = 0;      // this core's stats line
export let gItemSizeMax: u32 = 0;
/** -C: CAS disabled for the protocol (cas.ts). */
export let gNoCas: bool = false;

@inline export function align(n: u64, a: u64): u64 { return (n + a - 1) & ~(a - 1); }

function log2ceil(n: u64): u32 { let s: u32 = 0; while ((<u64>1 << s) < n && s < 40) s++; return s; }

/** Segment size: a power of two >= the largest item, about 1 MiB, smaller for small stores. */
export function segShiftFor(itemBytes: u64, itemSizeMax: u32): u32 {
  let want = itemBytes / SEG_MIN_COUNT;
  if (want > <u64>SEG_TARGET) want = SEG_TARGET;
  if (want < <u64>itemSizeMax) want = itemSizeMax;
  if (want < <u64>SEG_MIN) want = SEG_MIN;
  let s = log2ceil(want);
  // the power of two above `want` may overshoot a small -m: never exceed it
  // unless the largest item forces it
  if ((<u64>1 << s) > itemBytes && s > 0 && (<u64>1 << (s - 1)) >= <u64>itemSizeMax &&
      (<u64>1 << (s - 1)) >= <u64>SEG_MIN) s--;
  return s;
}

/** Head buckets: the power of two nearest (in log scale) to one per
 *  ITEMS_PER_BUCKET small items, so load stays 3.5..7 of 7 slots at that size
 *  and the index costs about 13 bytes per small item (memcached: 8-16). */
export function hashPowerFor(itemBytes: u64): u32 {
  let target = itemBytes / SMALL_ITEM / ITEMS_PER_BUCKET;
  let p = log2ceil(target);
  // 2^p / target > sqrt(2): the power below is nearer
  if (p > 0 && (<u64>1 << p) * 1000 > target * 1414) p--;
  if (p < 10) p = 10;
  if (p > 25) p = 25; // 2^25 x 64 B = 2 GiB: the most a 32-bit memory can also fit items beside
  return p;
}

// Geometry is computed into plain globals: no object may be allocated.
export let geoNseg: u32 = 0;
export let geoSegShift: u32 = 0;
export let geoHashPower: u32 = 0;
export let geoNovf: u32 = 0;
export let geoSegTab: u64 = 0;
export let geoLiveTab: u64 = 0;
export let geoIndex: u64 = 0;
export let geoOvf: u64 = 0;
export let geoItems: u64 = 0;
export let geoTotal: u64 = 0;

/** Compute the region layout for -m itemBytes and -I itemSizeMax into the geo* globals. */
export function computeGeometry(itemBytes: u64, itemSizeMax: u32): void {
  geoSegShift = segShiftFor(itemBytes, itemSizeMax);
  let nseg = itemBytes >> geoSegShift;
  geoNseg = <u32>nseg;
  geoHashPower = hashPowerFor(itemBytes);
  geoNovf = (<u32>1 << geoHashPower) >> 2; // a quarter: chains past 7 items are common at high load
  geoSegTab = Hdr.SIZE;
  geoLiveTab = geoSegTab + nseg * LINE;
  geoIndex = align(geoLiveTab + nseg * LIVE_ENTRY, 4096);
  geoOvf = geoIndex + ((<u64>1 << geoHashPower) << 6);
  geoItems = align(geoOvf + (<u64>geoNovf << 6), 4096);
  geoTotal = geoItems + (nseg << geoSegShift) + GUARD;
}

/** Load the globals from a formatted region. */
export function attachGlobals(control: usize, core: u32): i32 {
  let base = <usize>load<u32>(control + Ctl.STORE_BASE);
  if (load<u32>(base + Hdr.MAGIC) != STORE_MAGIC) return -2;
  if (core >= MAX_CORES) return -3;
  gCtl = control;
  gBase = base;
  gCore = core;
  gItemSizeMax = load<u32>(control + Ctl.ITEM_SIZE_MAX);
  gNoCas = (load<u32>(control + Ctl.SETTINGS_FLAGS) & SET_NO_CAS) != 0;
  gNseg = load<u32>(base + Hdr.NSEG);
  gSegShift = load<u32>(base + Hdr.SEG_SHIFT);
  gSegSize = <u32>1 << gSegShift;
  gHashPower = load<u32>(base + Hdr.HASH_POWER);
  gMask = (<u32>1 << gHashPower) - 1;
  gNovf = load<u32>(base + Hdr.NOVF);
  gSegTab = base + load<u32>(base + Hdr.SEGTAB);
  gLiveTab = base + load<u32>(base + Hdr.LIVETAB);
  gIndex = base + load<u32>(base + Hdr.INDEX);
  gOvf = base + load<u32>(base + Hdr.OVF);
  gItems = base + load<u32>(base + Hdr.ITEMS);
  gItemsEnd = gItems + (<usize>gNseg << gSegShift);
  gStats = base + Hdr.STATS + core * LINE;
  return 0;
}
