// What memcached's do_add_delta answers when a delta's CAS does not match.
//
// do_add_delta (memcached.c) refuses an empty value and a chunked one (an
// item larger than a slab chunk) as NON_NUMERIC before it compares the CAS;
// the store compares the CAS first. So on the store's EXISTS the item is
// looked at again: an error path only, nothing allocated, bounded retries.

import { EXISTS, itemFlags, itemKeyLen, itemValueLen, NON_NUMERIC, storeFind, storeReadOk } from "../store/index";

/** sizeof(item) in memcached on 64-bit, and its CAS field. */
export const MC_ITEM_HEADER: u32 = 48 + 8;
/** memcached's slab_chunk_max with the default 1 MB item size: larger items are chunked. */
export const MC_SLAB_CHUNK_MAX: u32 = 524288;

/** memcached's ntotal for an item (key NUL, value CRLF, flags stored only when nonzero). */
export function mcItemTotal(klen: u32, flags: u32, vlen: u32): u32 {
  return MC_ITEM_HEADER + klen + 1 + vlen + 2 + (flags != 0 ? 4 : 0);
}

const READ_TRIES: u32 = 4;

/** The store answered EXISTS to a delta with a CAS: NON_NUMERIC where memcached checks that first. */
export function deltaCasMismatch(key: usize, klen: u32, now: u32): i32 {
  for (let t: u32 = 0; t < READ_TRIES; t++) {
    const it = storeFind(key, klen, now);
    if (it == 0) return EXISTS; // gone since: the store's answer stands
    const vlen = itemValueLen(it);
    const chunked = mcItemTotal(itemKeyLen(it), itemFlags(it), vlen) > MC_SLAB_CHUNK_MAX;
    if (!storeReadOk(it)) continue; // overwritten while read: look again
    return vlen == 0 || chunked ? NON_NUMERIC : EXISTS;
  }
  return EXISTS;
}
