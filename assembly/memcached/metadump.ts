// `lru_crawler metadump all|hash|<class,...>` (memcached 1.6.18 crawler.c):
// one line per live item, `key=<uri-encoded> exp=<unix or -1> la=<unix>
// cas=<n> fetch=<yes|no> cls=<class> size=<bytes>\n`, then `END\r\n`.
// Sent in pieces (state LISTING, mode L.METADUMP): the cursor is the head
// bucket and the position in its chain, so a dump never holds more than one
// chain's lock and never more output than one reservation. `size` and `cls`
// are what memcached would report for the item (its item header and slab
// classes: -f 1.25, -n 48, 512 KiB chunks), so memcached-tool's output and
// a differential test agree; the store itself has no slab classes.
import { Ctl } from "../shared/control";
import {
  itemCas, itemExptime, itemFlags, itemKey, itemKeyLen, itemMetaBits, itemTime, itemValueLen,
  storeBuckets, storeScanBegin, storeScanEnd, storeScanNext,
} from "../store/index";
import { META_FETCHED } from "../store/meta";
import { sCas, setHalted, setRemain, setState, sRemain, S } from "./conn";
import { ctl, nowRel } from "./instance";
import { writeU64 } from "./numbers";
import { outAvail, outCommit, outReserve } from "./output";
import { putStr } from "./reply";

/** The longest line: a 250-byte key, every byte %XX-encoded, and the numbers. */
const LINE_MAX: u32 = 250 * 3 + 160;
/** Chain positions per bucket in the cursor (a chain holds at most 28 items). */
const POS_BITS: u32 = 5;
/**
 * Head buckets one step looks at. Empty ones cost a few loads; the session
 * comes back to a listing only for its input or when output drains, so a
 * step must not end without output while buckets remain (the largest index
 * has 2^24 heads).
 */
const BUCKETS_PER_STEP: u32 = 1 << 24;
/** memcached's sizeof(item) with CAS, on 64-bit: ITEM_ntotal = this + nkey + 1 + nbytes (value + CRLF) + 4 when flags != 0. */
const ITEM_HEADER: u32 = 56;

/** memcached's ITEM_ntotal for the item. */
function ntotalOf(it: usize): u32 {
  return ITEM_HEADER + itemKeyLen(it) + 1 + itemValueLen(it) + 2 + (itemFlags(it) != 0 ? 4 : 0);
}
/** memcached's slab_chunk_size_max (slab_page_size / 2). */
const CHUNK_MAX: u32 = 524288;
/** memcached 1.6.18's MAX_NUMBER_OF_SLAB_CLASSES. */
export const SLAB_CLASSES: u32 = 64;

/** memcached's slab class for an item of `ntotal` bytes (slabs_init and slabs_clsid with the defaults). */
export function slabClass(ntotal: u32): u32 {
  let size: u32 = 48 + 48; // sizeof(item) + chunk_size
  for (let i: u32 = 1; i < SLAB_CLASSES - 1; i++) {
    if (<f64>size >= <f64>CHUNK_MAX / 1.25) return i; // the largest class: CHUNK_MAX, and chunked items
    if (size % 8 != 0) size += 8 - size % 8;
    if (ntotal <= size) return i;
    size = <u32>(<f64>size * 1.25);
  }
  return SLAB_CLASSES - 1;
}

/** Whether byte c stays as it is in memcached's uri_encode (RFC 3986 unreserved). */
@inline function unreserved(c: u32): bool {
  return (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a) ||
    c == 0x2d || c == 0x2e || c == 0x5f || c == 0x7e;
}

@inline function hex(d: u32): u8 { return <u8>(d < 10 ? 0x30 + d : 0x41 + d - 10); }

/** One item's line at p; returns its length. */
function itemLine(p: usize, it: usize, started: u32): u32 {
  let q = p + putStr(p, "key=");
  const key = itemKey(it);
  const klen = itemKeyLen(it);
  for (let i: u32 = 0; i < klen; i++) {
    const c = <u32>load<u8>(key + i);
    if (unreserved(c)) { store<u8>(q++, <u8>c); continue; }
    store<u8>(q, 0x25); store<u8>(q + 1, hex(c >> 4)); store<u8>(q + 2, hex(c & 15));
    q += 3;
  }
  q += putStr(q, " exp=");
  const exp = itemExptime(it);
  if (exp == 0) q += putStr(q, "-1");
  else q += writeU64(q, <u64>exp + started);
  q += putStr(q, " la=");
  q += writeU64(q, <u64>itemTime(it) + started);
  q += putStr(q, " cas=");
  q += writeU64(q, itemCas(it));
  q += putStr(q, (itemMetaBits(it) & META_FETCHED) != 0 ? " fetch=yes cls=" : " fetch=no cls=");
  const ntotal = ntotalOf(it);
  q += writeU64(q, ntotal > CHUNK_MAX ? slabClass(CHUNK_MAX) : slabClass(ntotal));
  q += putStr(q, " size=");
  q += writeU64(q, ntotal);
  store<u8>(q++, 0x0a);
  return <u32>(q - p);
}

/** LISTING in mode METADUMP: lines while a whole one fits, then END. The session's CAS field holds the class mask. */
export function metadumpStep(conn: u32, s: usize): void {
  const p = outReserve(conn, LINE_MAX + 8);
  if (p == 0) { setHalted(true); return; }
  const room = outAvail(conn);
  const classes = sCas(s);
  const started = load<u32>(ctl + Ctl.PROCESS_STARTED);
  const nb = storeBuckets();
  let b = sRemain(s) >> POS_BITS;
  let pos = sRemain(s) & ((1 << POS_BITS) - 1);
  let n: u32 = 0;
  for (let step: u32 = 0; step < BUCKETS_PER_STEP && b < nb; step++) {
    // a chain whose lock a writer kept past the spin is skipped: a dump is no snapshot, and it must not stall
    if (!storeScanBegin(b)) { b++; pos = 0; continue; }
    let k: u32 = 0;
    let full = false;
    for (let it = storeScanNext(nowRel); it != 0; it = storeScanNext(nowRel), k++) {
      if (k < pos) continue;
      const ntotal = ntotalOf(it);
      const cls = ntotal > CHUNK_MAX ? slabClass(CHUNK_MAX) : slabClass(ntotal);
      if ((classes & (<u64>1 << cls)) == 0) continue;
      if (room - n < LINE_MAX + 8) { full = true; pos = k; break; }
      n += itemLine(p + n, it, started);
    }
    storeScanEnd();
    if (full) break;
    b++;
    pos = 0;
  }
  if (b >= nb && room - n >= 5) {
    n += putStr(p + n, "END\r\n");
    outCommit(conn, n);
    setState(s, S.CMD);
    return;
  }
  outCommit(conn, n);
  setRemain(s, (b << POS_BITS) | pos);
}
