// The store's public interface: what the protocol modules may call.
// The protocol defines this surface (one operation per command family); the
// store implements it and never sees wire bytes.
//
// Times are memcached "rel time": seconds since Ctl.PROCESS_STARTED, passed
// in as `now` (the store reads no clock). Expiry conversion from the wire
// (0 / relative / absolute / negative) is done by `relExptime`.
//
// Items hold their value followed by "\r\n" (value_len excludes the CRLF),
// so a GET reply copies value+CRLF in one go.
//
// THIS FILE IS THE CONTRACT. Bodies marked PLACEHOLDER are to be replaced by
// the real implementation (assembly/store/*.ts), keeping the signatures.

// ---- results ---------------------------------------------------------------
export const STORED: i32 = 0;
export const NOT_STORED: i32 = 1;
export const EXISTS: i32 = 2;
export const NOT_FOUND: i32 = 3;
export const NO_MEMORY: i32 = 4;      // "SERVER_ERROR out of memory storing object"
export const NON_NUMERIC: i32 = 5;    // incr/decr on a value that is not a number
export const DELTA_OK: i32 = 6;       // incr/decr applied

// ---- store modes for commit -------------------------------------------------
export const MODE_SET: u32 = 0;
export const MODE_ADD: u32 = 1;
export const MODE_REPLACE: u32 = 2;
export const MODE_APPEND: u32 = 3;
export const MODE_PREPEND: u32 = 4;
export const MODE_CAS: u32 = 5;

// ---- setup ------------------------------------------------------------------
/** Bytes the store region needs for `itemBytes` of items (-m), excluding nothing: index + segment table + items. */
export function storeRegionSize(itemBytes: usize, itemSizeMax: u32): usize { return 0; /* PLACEHOLDER */ }
/** Format the region described by the control block. Once per process, before any attach. 0 or negative error. */
export function storeFormat(control: usize): i32 { return -1; /* PLACEHOLDER */ }
/** Per instance: remember bases from the control block. 0 or negative error. */
export function storeAttach(control: usize, core: u32): i32 { return -1; /* PLACEHOLDER */ }

// ---- time -------------------------------------------------------------------
/** memcached's realtime(): wire exptime -> rel time (0 = never; <0 or absolute past => already expired). */
export function relExptime(exptime: i64, now: u32): u32 { return 0; /* PLACEHOLDER */ }

// ---- reads: lock-free, write nothing shared on the steady state -------------
/** memcached's item_size_ok: false => "SERVER_ERROR object too large for cache". vlen excludes CRLF. */
export function storeItemSizeOk(klen: u32, flags: u32, vlen: u32): bool { return false; /* PLACEHOLDER */ }
/** Find a live item. Returns a handle (0 = miss; expired and flushed items are misses). Records a read snapshot for storeReadOk. */
export function storeFind(key: usize, klen: u32, now: u32): usize { return 0; /* PLACEHOLDER */ }
/** Why the last storeFind/storeTouch on this instance missed: MISS_NONE, MISS_EXPIRED (get_expired) or MISS_FLUSHED (get_flushed). */
export const MISS_NONE: u32 = 0;
export const MISS_EXPIRED: u32 = 1;
export const MISS_FLUSHED: u32 = 2;
export function storeLastMiss(): u32 { return MISS_NONE; /* PLACEHOLDER */ }
/** True if `it` was not recycled since it was found: the bytes copied from it are a consistent snapshot. */
export function storeReadOk(it: usize): bool { return false; /* PLACEHOLDER */ }
export function itemKey(it: usize): usize { return 0; /* PLACEHOLDER */ }
export function itemKeyLen(it: usize): u32 { return 0; /* PLACEHOLDER */ }
export function itemFlags(it: usize): u32 { return 0; /* PLACEHOLDER */ }
/** Value length without the trailing CRLF. */
export function itemValueLen(it: usize): u32 { return 0; /* PLACEHOLDER */ }
/** Address of the value; value_len + 2 bytes (the CRLF) are readable there. */
export function itemValue(it: usize): usize { return 0; /* PLACEHOLDER */ }
export function itemCas(it: usize): u64 { return 0; /* PLACEHOLDER */ }
/** Rel-time expiry (0 = never). */
export function itemExptime(it: usize): u32 { return 0; /* PLACEHOLDER */ }
/** Keep `it`'s memory from being recycled while a value larger than one output chunk is streamed. Pair with storeUnpin. */
export function storePin(it: usize): bool { return false; /* PLACEHOLDER */ }
export function storeUnpin(it: usize): void { /* PLACEHOLDER */ }
/** Mark a hit for eviction's benefit (writes only the first time). Call once per GET hit. */
export function storeTouchAccess(it: usize): void { /* PLACEHOLDER */ }

// ---- writes -----------------------------------------------------------------
/** Reserve an unpublished item: key copied in, value space of vlen+2 bytes at itemValue() for the caller to fill
 *  (possibly across many calls). Evicts synchronously to make room; 0 only if storeItemSizeOk is false or
 *  every candidate is pinned. The reservation is invisible to readers until storeCommit. */
export function storeAlloc(key: usize, klen: u32, flags: u32, exptime: u32, vlen: u32, now: u32): usize { return 0; /* PLACEHOLDER */ }
/** Publish a filled reservation with memcached's semantics for `mode`; casIn used by MODE_CAS.
 *  Returns STORED / NOT_STORED / EXISTS / NOT_FOUND / NO_MEMORY. The reservation is consumed either way. */
export function storeCommit(it: usize, mode: u32, casIn: u64, now: u32): i32 { return NO_MEMORY; /* PLACEHOLDER */ }
/** Drop a reservation that will not be committed (bad data chunk, connection closed). */
export function storeAbort(it: usize): void { /* PLACEHOLDER */ }
/** delete: true if a live item was removed. */
export function storeDelete(key: usize, klen: u32, now: u32): bool { return false; /* PLACEHOLDER */ }
/** incr/decr with memcached's rules (64-bit wrap on incr, floor 0 on decr, length behaviour, new CAS).
 *  Returns NOT_FOUND, NON_NUMERIC, NO_MEMORY or DELTA_OK; the new value is storeDeltaResult(). */
export function storeDelta(key: usize, klen: u32, incr: bool, delta: u64, now: u32): i32 { return NOT_FOUND; /* PLACEHOLDER */ }
export function storeDeltaResult(): u64 { return 0; /* PLACEHOLDER */ }
/** touch/gat: set a live item's exptime. Returns the item handle (for gat's reply) or 0 on miss. */
export function storeTouch(key: usize, klen: u32, exptime: u32, now: u32): usize { return 0; /* PLACEHOLDER */ }
/** flush_all [delay]: memcached's oldest_live/oldest_cas semantics. `delay` is the wire value (0 = now). */
export function storeFlush(delay: i64, now: u32): void { /* PLACEHOLDER */ }

// ---- statistics (memcached's names) -----------------------------------------
export function statCurrItems(): u64 { return 0; /* PLACEHOLDER */ }
export function statTotalItems(): u64 { return 0; /* PLACEHOLDER */ }
export function statBytes(): u64 { return 0; /* PLACEHOLDER */ }
export function statEvictions(): u64 { return 0; /* PLACEHOLDER */ }
export function statReclaimed(): u64 { return 0; /* PLACEHOLDER */ }
export function statExpiredUnfetched(): u64 { return 0; /* PLACEHOLDER */ }
export function statEvictedUnfetched(): u64 { return 0; /* PLACEHOLDER */ }
export function statHashPowerLevel(): u32 { return 0; /* PLACEHOLDER */ }
export function statHashBytes(): u64 { return 0; /* PLACEHOLDER */ }
/** `stats reset` clears total_items, evictions, reclaimed and friends (not curr_items/bytes). */
export function statReset(): void { /* PLACEHOLDER */ }
