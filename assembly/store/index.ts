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
// THIS FILE IS THE CONTRACT. The implementation is in the modules beside it
// (design: docs/store.md); these are one-line forwards.

import { storeRegionSize as storeRegionSize_, storeFormat as storeFormat_, storeAttach as storeAttach_ } from "./setup";
import { relExptime as relExptime_ } from "./clock";
import { storeItemSizeOk as storeItemSizeOk_, storeAlloc as storeAlloc_, storeCommit as storeCommit_, storeAbort as storeAbort_, storeDelete as storeDelete_, storeTouch as storeTouch_ } from "./write";
import { storeFind as storeFind_, storeLastMiss as storeLastMiss_, storeReadOk as storeReadOk_, itemKey as itemKey_, itemKeyLen as itemKeyLen_, itemFlags as itemFlags_, itemValueLen as itemValueLen_, itemValue as itemValue_, itemCas as itemCas_, itemExptime as itemExptime_, storePin as storePin_, storeUnpin as storeUnpin_, storeTouchAccess as storeTouchAccess_ } from "./read";
import { storeDelta as storeDelta_, storeDeltaResult as storeDeltaResult_ } from "./delta";
import { storeFlush as storeFlush_ } from "./flush";
import { storeTick as storeTick_ } from "./sweep";
import { hashKey as hashKey_ } from "./hash";
import { warmBatch as warmBatch_ } from "./buckets";
import { storeLastCas as storeLastCas_ } from "./write";
import { gNoCas as gNoCasFlag } from "./layout";
import { storeDeltaExptime as storeDeltaExptime_ } from "./delta";
import { itemMetaBits as itemMetaBits_, itemTime as itemTime_, storeMarkKeyBinary as storeMarkKeyBinary_, storeClaimWin as storeClaimWin_, storeSetTtl as storeSetTtl_, storeSetTtlPrevious as storeSetTtlPrevious_, storeVivify as storeVivify_, storeVivified as storeVivified_, storeDeleteMeta as storeDeleteMeta_ } from "./meta";
import { statCurrItems as statCurrItems_, statTotalItems as statTotalItems_, statBytes as statBytes_, statEvictions as statEvictions_, statReclaimed as statReclaimed_, statExpiredUnfetched as statExpiredUnfetched_, statEvictedUnfetched as statEvictedUnfetched_, statCrawlerReclaimed as statCrawlerReclaimed_, statHashPowerLevel as statHashPowerLevel_, statHashBytes as statHashBytes_, statReset as statReset_ } from "./stats";

// ---- results ---------------------------------------------------------------
// STORED, NOT_STORED, EXISTS, NOT_FOUND, NO_MEMORY ("SERVER_ERROR out of memory
// storing object"), NON_NUMERIC (incr/decr on a value that is not a number),
// DELTA_OK (incr/decr applied); values in results.ts.
export { STORED, NOT_STORED, EXISTS, NOT_FOUND, NO_MEMORY, NON_NUMERIC, DELTA_OK } from "./results";

// ---- store modes for commit -------------------------------------------------
export { MODE_SET, MODE_ADD, MODE_REPLACE, MODE_APPEND, MODE_PREPEND, MODE_CAS, MODE_CAS_STALE } from "./results";

// ---- setup ------------------------------------------------------------------
/** Bytes the store region needs for `itemBytes` of items (-m), excluding nothing: index + segment table + items. */
export function storeRegionSize(itemBytes: usize, itemSizeMax: u32): usize { return storeRegionSize_(itemBytes, itemSizeMax); }
/** Format the region described by the control block. Once per process, before any attach. 0 or negative error. */
export function storeFormat(control: usize): i32 { return storeFormat_(control); }
/** Per instance: remember bases from the control block. 0 or negative error. */
export function storeAttach(control: usize, core: u32): i32 { return storeAttach_(control, core); }

// ---- time -------------------------------------------------------------------
/** memcached's realtime(): wire exptime -> rel time (0 = never; <0 or absolute past => already expired). */
export function relExptime(exptime: i64, now: u32): u32 { return relExptime_(exptime, now); }

// ---- reads: lock-free, write nothing shared on the steady state -------------
/** memcached's item_size_ok: false => "SERVER_ERROR object too large for cache". vlen excludes CRLF. */
export function storeItemSizeOk(klen: u32, flags: u32, vlen: u32): bool { return storeItemSizeOk_(klen, flags, vlen); }
/** Find a live item. Returns a handle (0 = miss; expired and flushed items are misses). Records a read snapshot for storeReadOk. */
export function storeFind(key: usize, klen: u32, now: u32): usize { return storeFind_(key, klen, now); }
/** Why the last storeFind/storeTouch on this instance missed: MISS_NONE, MISS_EXPIRED (get_expired) or MISS_FLUSHED (get_flushed). */
export { MISS_NONE, MISS_EXPIRED, MISS_FLUSHED } from "./results";
export function storeLastMiss(): u32 { return storeLastMiss_(); }
/** True if `it` was not recycled since it was found: the bytes copied from it are a consistent snapshot.
 *  "Found" means the last storeFind/storeTouch on this instance: check before finding the next key. */
export function storeReadOk(it: usize): bool { return storeReadOk_(it); }
export function itemKey(it: usize): usize { return itemKey_(it); }
export function itemKeyLen(it: usize): u32 { return itemKeyLen_(it); }
export function itemFlags(it: usize): u32 { return itemFlags_(it); }
/** Value length without the trailing CRLF. */
export function itemValueLen(it: usize): u32 { return itemValueLen_(it); }
/** Address of the value; value_len + 2 bytes (the CRLF) are readable there. */
export function itemValue(it: usize): usize { return itemValue_(it); }
export function itemCas(it: usize): u64 { return itemCas_(it); }
/** Rel-time expiry (0 = never). */
export function itemExptime(it: usize): u32 { return itemExptime_(it); }
/** Keep `it`'s memory from being recycled while a value larger than one output chunk is streamed. Pair with storeUnpin.
 *  False (nothing pinned) if `it` was recycled since the last storeFind/storeTouch on this instance. */
export function storePin(it: usize): bool { return storePin_(it); }
export function storeUnpin(it: usize): void { storeUnpin_(it); }
/** Mark a hit for eviction's benefit (writes only the first time). Call once per GET hit. */
export function storeTouchAccess(it: usize): void { storeTouchAccess_(it); }

// ---- writes -----------------------------------------------------------------
/** Reserve an unpublished item: key copied in, value space of vlen+2 bytes at itemValue() for the caller to fill
 *  (possibly across many calls). Evicts synchronously to make room; 0 only if storeItemSizeOk is false or
 *  every candidate is pinned. The reservation is invisible to readers until storeCommit. */
export function storeAlloc(key: usize, klen: u32, flags: u32, exptime: u32, vlen: u32, now: u32): usize { return storeAlloc_(key, klen, flags, exptime, vlen, now); }
/** Publish a filled reservation with memcached's semantics for `mode`; casIn used by MODE_CAS (and
 *  MODE_CAS_STALE: an older casIn stores, marked stale) and, when nonzero, by append/prepend (EXISTS on mismatch).
 *  Returns STORED / NOT_STORED / EXISTS / NOT_FOUND / NO_MEMORY. The reservation is consumed either way. */
export function storeCommit(it: usize, mode: u32, casIn: u64, now: u32): i32 { return storeCommit_(it, mode, casIn, now); }
/** Drop a reservation that will not be committed (bad data chunk, connection closed). */
export function storeAbort(it: usize): void { storeAbort_(it); }
import { storeHoldUpload as storeHoldUpload_, storeReleaseUpload as storeReleaseUpload_, storeUploadSegments as storeUploadSegments_ } from "./upload";
/** An incomplete upload of `it` (false: refused, more segments would hold one than may) and its end. */
export function storeHoldUpload(it: usize): bool { return storeHoldUpload_(it); }
export function storeReleaseUpload(it: usize): void { storeReleaseUpload_(it); }
export function storeUploadSegments(): u32 { return storeUploadSegments_(); }
/** delete: true if a live item was removed. */
export function storeDelete(key: usize, klen: u32, now: u32): bool { return storeDelete_(key, klen, now); }
/** incr/decr with memcached's rules; a nonzero casIn must be the item's CAS, else EXISTS (64-bit wrap on incr, floor 0 on decr, length behaviour, new CAS).
 *  Returns NOT_FOUND, NON_NUMERIC, NO_MEMORY or DELTA_OK; the new value is storeDeltaResult(). */
export function storeDelta(key: usize, klen: u32, incr: bool, delta: u64, now: u32, casIn: u64 = 0): i32 { return storeDelta_(key, klen, incr, delta, now, casIn); }
export function storeDeltaResult(): u64 { return storeDeltaResult_(); }
/** touch/gat: set a live item's exptime. Returns the item handle (for gat's reply) or 0 on miss. */
export function storeTouch(key: usize, klen: u32, exptime: u32, now: u32): usize { return storeTouch_(key, klen, exptime, now); }
/** flush_all [delay]: memcached's oldest_live/oldest_cas semantics. `delay` is the wire value (0 = now). */
export function storeFlush(delay: i64, now: u32): void { storeFlush_(delay, now); }

/** Periodic, from the module's tick (any rate): a bounded step of the sweep that unlinks expired and
 *  flushed items (counted as reclaimed / expired_unfetched), so curr_items and bytes drop within seconds. */
export function storeTick(now: u32): void { storeTick_(now); }

// ---- warming: hints ahead of a burst (no lock, no shared write) ----------------
/** The key's 64-bit hash, as the store's lookups compute it. */
export function storeHash(key: usize, klen: u32): u64 { return hashKey_(key, klen); }
/** Read ahead what lookups of n keys will read: `hashes` holds their storeHash values (u64 each,
 *  0 = skip) and is overwritten (with item addresses). Returns a word to sink, so the loads stay. */
export function storeWarm(hashes: usize, n: u32): u32 { return warmBatch_(hashes, n); }

// ---- meta commands (memcached 1.6 mg/ms/md/ma/me; meta.ts) ------------------
/** The CAS of the item this instance published last (ms/ma `c`). */
export function storeLastCas(): u64 { return storeLastCas_(); }
/** -C: CAS disabled (cas.ts): a binary set ignores the CAS it carries, as memcached's does. */
export function storeCasDisabled(): bool { return gNoCasFlag; }
/** The exptime of the item the last successful storeDelta published. */
export function storeDeltaExptime(): u32 { return storeDeltaExptime_(); }
/** Bits META_FETCHED / META_STALE / META_WON / META_KEY_BINARY of an item. */
export { META_FETCHED, META_STALE, META_WON, META_KEY_BINARY } from "./meta";
export function itemMetaBits(it: usize): u32 { return itemMetaBits_(it); }
/** Rel time the item was stored (memcached's it->time). */
export function itemTime(it: usize): u32 { return itemTime_(it); }
/** Mark a reservation, before storeCommit, as stored under a base64 key. */
export function storeMarkKeyBinary(it: usize): void { storeMarkKeyBinary_(it); }
/** Hand out `it`'s win token: true for the one caller that gets it. */
export function storeClaimWin(it: usize, now: u32): bool { return storeClaimWin_(it, now); }
/** Set a live item's exptime, marking nothing. The item (snapshot recorded for storeReadOk) or 0. */
export function storeSetTtl(key: usize, klen: u32, exptime: u32, now: u32): usize { return storeSetTtl_(key, klen, exptime, now); }
/** The exptime the item had before the last storeSetTtl that found it. */
export function storeSetTtlPrevious(): u32 { return storeSetTtlPrevious_(); }
/** Vivify on a miss: add an item of `vlen` bytes from `value` (win token taken when `won`); another
 *  client's item added meanwhile is returned instead. 0 = no memory. Snapshot recorded for storeReadOk. */
export function storeVivify(key: usize, klen: u32, exptime: u32, value: usize, vlen: u32, won: bool, now: u32): usize { return storeVivify_(key, klen, exptime, value, vlen, won, now); }
/** Whether the last storeVivify created its item. */
export function storeVivified(): bool { return storeVivified_(); }
/** md: delete or (stale) mark stale with a new CAS, optionally gated by a CAS and setting exptime.
 *  STORED (done), NOT_FOUND, EXISTS or NO_MEMORY. */
export function storeDeleteMeta(key: usize, klen: u32, hasCas: bool, casIn: u64, stale: bool, setTtl: bool, exptime: u32, now: u32): i32 { return storeDeleteMeta_(key, klen, hasCas, casIn, stale, setTtl, exptime, now); }

// ---- statistics (memcached's names) -----------------------------------------
export function statCurrItems(): u64 { return statCurrItems_(); }
export function statTotalItems(): u64 { return statTotalItems_(); }
export function statBytes(): u64 { return statBytes_(); }
export function statEvictions(): u64 { return statEvictions_(); }
export function statReclaimed(): u64 { return statReclaimed_(); }
export function statExpiredUnfetched(): u64 { return statExpiredUnfetched_(); }
export function statCrawlerReclaimed(): u64 { return statCrawlerReclaimed_(); }
export function statEvictedUnfetched(): u64 { return statEvictedUnfetched_(); }
export function statHashPowerLevel(): u32 { return statHashPowerLevel_(); }
export function statHashBytes(): u64 { return statHashBytes_(); }
/** `stats reset` clears total_items, evictions, reclaimed and friends (not curr_items/bytes). */
export function statReset(): void { statReset_(); }
import { storeBuckets as storeBuckets_, storeScanBegin as storeScanBegin_, storeScanNext as storeScanNext_, storeScanEnd as storeScanEnd_ } from "./scan";
/** A walk over the live items, chain by chain (scan.ts): `lru_crawler metadump`. */
export function storeBuckets(): u32 { return storeBuckets_(); }
export function storeScanBegin(i: u32): bool { return storeScanBegin_(i); }
export function storeScanNext(now: u32): usize { return storeScanNext_(now); }
export function storeScanEnd(): void { storeScanEnd_(); }
