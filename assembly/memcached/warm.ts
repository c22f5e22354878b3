// app_peek: before the stack delivers a burst, it shows the module the
// payload of each frame (docs/protocol-modules.md). A GET's cost over many
// keys is two cache misses in a row — the bucket, then the item — and a
// burst of requests served one after another pays them one after another.
// Here the keys of the whole burst are hashed and their buckets read in one
// tight pass, then their items in a second: the misses of different
// requests overlap, and the requests that follow find their lines in cache.
// Hints only: nothing is parsed for real, nothing is written but this
// instance's own scratch, and anything unexpected is skipped.

import { statCurrItems, storeHash, storeWarm } from "../store/index";
import { base, REGION_WARM } from "./instance";
import { KEY_MAX_LENGTH } from "./parse";

/** Frames of one burst warmed at most (the scratch holds one u64 hash each). */
const WARM_MAX: u32 = 64;
/** "get " / "set " / "gets" / "mg " as little-endian u32s (the first four bytes of the line). */
const GET_SP: u32 = 0x20746567;
const SET_SP: u32 = 0x20746573;
const GETS: u32 = 0x73746567;
const MG_SP: u32 = 0x0020676d;

/** Below this many items the index and items stay in cache anyway, and warming is only cost
 *  (bench:core, 1000 keys: about 30 ns a request for nothing). */
const WARM_MIN_ITEMS: u64 = 8192;

/** Keeps the warming loads from being optimised away. */
let sink: u32 = 0;
/** Whether the store held enough items at the last tick for warming to pay. */
let warmOn = false;

/** From app_tick (once per ms at most): decide whether bursts are warmed. */
export function warmTick(): void { warmOn = statCurrItems() >= WARM_MIN_ITEMS; }

/** Offset of the key in a line of a command that names one first, or 0. */
@inline function keyStart(p: usize, n: u32): u32 {
  const w = load<u32>(p);
  if (w == GET_SP || w == SET_SP) return 4;
  if (w == GETS && n > 5 && load<u8>(p + 4) == 0x20) return 5;
  if ((w & 0x00ffffff) == MG_SP) return 3;
  return 0;
}

/** The hash of the first key of the line at [p, p+n), or 0 when there is none to warm. */
function keyHash(p: usize, n: u32): u64 {
  if (n < 8) return 0;
  const at = keyStart(p, n);
  if (at == 0) return 0;
  const key = p + at;
  const limit = n - at < KEY_MAX_LENGTH ? n - at : KEY_MAX_LENGTH;
  let k: u32 = 0;
  while (k < limit && load<u8>(key + k) > 0x20) k++;
  if (k == 0 || k == limit) return 0; // no end in sight: not worth a guess
  return storeHash(key, k); // (a key hashing to 0 is just not warmed)
}

/** `list` holds n pairs of u32 [payload address, length]. */
export function warmBurst(list: usize, n: u32): void {
  if (!warmOn) return;
  const hashes = base + REGION_WARM;
  const count = n < WARM_MAX ? n : WARM_MAX;
  for (let i: u32 = 0; i < count; i++) {
    const e = list + (<usize>i << 3);
    store<u64>(hashes + (<usize>i << 3), keyHash(<usize>load<u32>(e), load<u32>(e, 4)));
  }
  sink ^= storeWarm(hashes, count);
}
