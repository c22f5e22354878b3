// The store as a Wasm module of its own (build/store.wasm): the store ABI
// (docs/store-abi.md) that protocol modules in any language import as
// `store.*`. Plain Wasm values only (i32, i64, f64); every per-lookup fact
// comes back in a result record the caller owns, so nothing here has a
// "check before the next call" rule.
//
// One instance per core on the shared memory, attached with that core's
// number (store_attach); the host passes its exports to the protocol module
// as imports, Wasm to Wasm. Globals here are this instance's own: its open
// segment for appends and its view of the region's geometry.
import { Ctl } from "../shared/control";
import { gItems, gItemsEnd, gCtl } from "./layout";
import { storeRegionSize, storeFormat, storeAttach } from "./setup";
import { relExptime } from "./clock";
import { storeFind, storeTouchAccess, itemValue, itemValueLen, itemFlags, itemCas, itemExptime } from "./read";
import { gFoundGen } from "./buckets";
import { storeAlloc, storeCommit, storeAbort, storeDelete, storeTouch, storeItemSizeOk, storeLastCas } from "./write";
import { storeDelta, storeDeltaResult } from "./delta";
import { storeFlush } from "./flush";
import { storeTick } from "./sweep";
import { segOf, segGen } from "./segtab";
import { KEY_MAX } from "./item";
import { pinSeg, unpinSeg } from "./segments";
import { statCurrItems, statTotalItems, statBytes, statEvictions, statReclaimed, statExpiredUnfetched, statEvictedUnfetched, statCrawlerReclaimed, statHashBytes } from "./stats";
import { DELTA_OK, NO_MEMORY, STORED, TOO_LARGE } from "./results";

// ---- the result record (48 bytes, 8-aligned, owned by the caller) ----------
namespace Res {
  export const ITEM: u32 = 0;     // u32 item handle (0 = none)
  export const VALUE: u32 = 4;    // u32 address of the value bytes (vlen + 2 readable: the CRLF)
  export const VLEN: u32 = 8;     // u32 value length without the CRLF
  export const FLAGS: u32 = 12;   // u32 client flags
  export const CAS: u32 = 16;     // u64 the item's CAS (after a store: the new item's)
  export const EXPTIME: u32 = 24; // u32 rel-time expiry, 0 = never
  export const GEN: u32 = 28;     // u32 segment generation at lookup (for valid / pin)
  export const NUMBER: u32 = 32;  // u64 incr/decr result
  export const SIZE: u32 = 48;
}

/** An item address the store could have handed out: guards records a caller may have scribbled on. */
@inline function inItems(it: usize): bool { return it >= gItems && it < gItemsEnd; }

// ---- setup (host) ------------------------------------------------------------
export function store_region_size(itemBytes: usize, itemSizeMax: u32): usize { return storeRegionSize(itemBytes, itemSizeMax); }
export function store_format(control: usize): i32 { return storeFormat(control); }
export function store_attach(control: usize, core: u32): i32 { return storeAttach(control, core); }

// ---- time --------------------------------------------------------------------
/** The store's clock for unix milliseconds: seconds since the process started (rel time). */
export function clock(nowMs: f64): u32 {
  const unix = <u32>Math.floor(nowMs / 1000);
  const started = load<u32>(gCtl + Ctl.PROCESS_STARTED);
  return unix > started ? unix - started : 0;
}
/** memcached's wire exptime (0 never, <= 30 days relative, else unix seconds, negative past) to rel time. */
export function exptime(wire: i64, now: u32): u32 { return relExptime(wire, now); }

// ---- reads ---------------------------------------------------------------------
/** Look up key; on a hit fill `res` and return 1 (the hit is counted for eviction), else 0. */
export function get(key: usize, klen: u32, now: u32, res: usize): i32 {
  const it = storeFind(key, klen, now);
  if (it == 0) { store<u32>(res + Res.ITEM, 0); return 0; }
  const gen = gFoundGen;
  store<u32>(res + Res.ITEM, <u32>it);
  store<u32>(res + Res.VALUE, <u32>itemValue(it));
  store<u32>(res + Res.VLEN, itemValueLen(it));
  store<u32>(res + Res.FLAGS, itemFlags(it));
  store<u64>(res + Res.CAS, itemCas(it));
  store<u32>(res + Res.EXPTIME, itemExptime(it));
  store<u32>(res + Res.GEN, gen);
  storeTouchAccess(it);
  return 1;
}

/** 1 if the item of `res` was not recycled since its get: what was read from it since is whole. */
export function valid(res: usize): i32 {
  const it = <usize>load<u32>(res + Res.ITEM);
  if (!inItems(it)) return 0;
  return segGen(segOf(it)) == load<u32>(res + Res.GEN) ? 1 : 0;
}

/** Keep the item of `res` from being recycled (while its value is streamed out); 0 if it already was. */
export function pin(res: usize): i32 {
  const it = <usize>load<u32>(res + Res.ITEM);
  if (!inItems(it)) return 0;
  return pinSeg(it, load<u32>(res + Res.GEN)) ? 1 : 0;
}

/** Undo one successful pin. */
export function unpin(res: usize): void {
  const it = <usize>load<u32>(res + Res.ITEM);
  if (inItems(it)) unpinSeg(it);
}

// ---- writes --------------------------------------------------------------------
/** memcached's item_size_ok: 0 means the item can never be stored (-I). */
export function size_ok(klen: u32, flags: u32, vlen: u32): i32 { return storeItemSizeOk(klen, flags, vlen) ? 1 : 0; }

/** Store vlen bytes at value under key with memcached's `mode` (MODE_*, docs/store-abi.md).
 *  A result code; on STORED res.CAS is the new item's CAS (res may be 0: no record). */
export function put(key: usize, klen: u32, value: usize, vlen: u32, flags: u32, exp: u32, mode: u32, casIn: u64, now: u32, res: usize): i32 {
  const it = storeAlloc(key, klen, flags, exp, vlen, now);
  if (it == 0) return storeItemSizeOk(klen, flags, vlen) && klen != 0 && klen <= KEY_MAX ? NO_MEMORY : TOO_LARGE;
  memory.copy(itemValue(it), value, vlen);
  store<u16>(itemValue(it) + vlen, 0x0a0d); // "\r\n": every value ends so
  const r = storeCommit(it, mode, casIn, now);
  if (r == STORED && res != 0) store<u64>(res + Res.CAS, storeLastCas());
  return r;
}

/** An unpublished item with room for vlen value bytes at item_value(it), for values that arrive in parts.
 *  0 if it can never fit or every segment is pinned. Pair with commit or abort. */
export function reserve(key: usize, klen: u32, flags: u32, exp: u32, vlen: u32, now: u32): usize {
  const it = storeAlloc(key, klen, flags, exp, vlen, now);
  if (it != 0) store<u16>(itemValue(it) + vlen, 0x0a0d);
  return it;
}
export function item_value(it: usize): usize { return inItems(it) ? itemValue(it) : 0; }
/** Publish a reservation with `mode`: a result code. The reservation is consumed either way. */
export function commit(it: usize, mode: u32, casIn: u64, now: u32): i32 { return inItems(it) ? storeCommit(it, mode, casIn, now) : 1; }
export function abort(it: usize): void { if (inItems(it)) storeAbort(it); }

/** 1 if a live item was removed. */
export function remove(key: usize, klen: u32, now: u32): i32 { return storeDelete(key, klen, now) ? 1 : 0; }

/** memcached's incr/decr (unsigned 64-bit, wrap on incr, floor 0 on decr); on DELTA_OK res.NUMBER and res.CAS. */
export function delta(key: usize, klen: u32, incr: i32, by: u64, casIn: u64, now: u32, res: usize): i32 {
  const r = storeDelta(key, klen, incr != 0, by, now, casIn);
  if (r == DELTA_OK && res != 0) { store<u64>(res + Res.NUMBER, storeDeltaResult()); store<u64>(res + Res.CAS, storeLastCas()); }
  return r;
}

/** Set a live item's rel-time exptime (0 = never): 1, or 0 on a miss. */
export function touch(key: usize, klen: u32, exp: u32, now: u32): i32 { return storeTouch(key, klen, exp, now) != 0 ? 1 : 0; }

/** flush_all: every item stored before now (delay 0) or before now + delay seconds is gone. */
export function flush(delay: i64, now: u32): void { storeFlush(delay, now); }

/** A bounded step of the background sweep of expired and flushed items; call from app_tick. */
export function tick(now: u32): void { storeTick(now); }

// ---- statistics ------------------------------------------------------------------
namespace Stat {
  export const CURR_ITEMS: u32 = 0;
  export const TOTAL_ITEMS: u32 = 1;
  export const BYTES: u32 = 2;
  export const EVICTIONS: u32 = 3;
  export const RECLAIMED: u32 = 4;
  export const EXPIRED_UNFETCHED: u32 = 5;
  export const EVICTED_UNFETCHED: u32 = 6;
  export const CRAWLER_RECLAIMED: u32 = 7;
  export const LIMIT_MAXBYTES: u32 = 8;
  export const HASH_BYTES: u32 = 9;
}
/** One of the store's counters, summed over cores (memcached's names; Stat above). -1 for an unknown id. */
export function stat(id: u32): i64 {
  switch (id) {
    case Stat.CURR_ITEMS: return <i64>statCurrItems();
    case Stat.TOTAL_ITEMS: return <i64>statTotalItems();
    case Stat.BYTES: return <i64>statBytes();
    case Stat.EVICTIONS: return <i64>statEvictions();
    case Stat.RECLAIMED: return <i64>statReclaimed();
    case Stat.EXPIRED_UNFETCHED: return <i64>statExpiredUnfetched();
    case Stat.EVICTED_UNFETCHED: return <i64>statEvictedUnfetched();
    case Stat.CRAWLER_RECLAIMED: return <i64>statCrawlerReclaimed();
    case Stat.LIMIT_MAXBYTES: return <i64>load<u32>(gCtl + Ctl.ITEM_BYTES);
    case Stat.HASH_BYTES: return <i64>statHashBytes();
  }
  return -1;
}

export function static_end(): usize { return __heap_base; }
