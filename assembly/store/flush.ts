// flush_all as memcached 1.6.18 does it (proto_text.c
// process_flush_all_command, items.c item_is_flushed). The state lives at
// Ctl.FLUSH so every instance sees it:
//   +0 u32 oldest_live (rel time; 0 = no flush)  +8 u64 oldest_cas
import { Ctl } from "../shared/control";
import { gCtl } from "./layout";
import { relExptime } from "./clock";
import { nextCas } from "./cas";
import { I_CAS, I_TIME } from "./item";

const F_OLDEST_LIVE: u32 = 0;
const F_OLDEST_CAS: u32 = 8;

export function storeFlush(delay: i64, now: u32): void {
  let p = gCtl + Ctl.FLUSH;
  let newOldest: u32 = delay > 0 ? relExptime(delay, now) : now;
  let oldestLive = newOldest - 1;
  // oldest_cas first: a reader that sees the new oldest_live also sees it
  if (oldestLive <= now) atomic.store<u64>(p + F_OLDEST_CAS, nextCas());
  atomic.store<u32>(p + F_OLDEST_LIVE, oldestLive);
}

/** item_is_flushed(): stored at or before oldest_live, or older than oldest_cas. */
export function isFlushed(it: usize, now: u32): bool {
  let p = gCtl + Ctl.FLUSH;
  let oldestLive = atomic.load<u32>(p + F_OLDEST_LIVE);
  if (oldestLive == 0 || oldestLive > now) return false;
  if (load<u32>(it + I_TIME) <= oldestLive) return true;
  let oldestCas = atomic.load<u64>(p + F_OLDEST_CAS);
  let cas = load<u64>(it + I_CAS);
  return oldestCas != 0 && cas != 0 && cas < oldestCas;
}

/** oldest_live if a flush is in effect at `now`, else 0 (the sweep's skip test). */
export function flushOldestLive(now: u32): u32 {
  let oldestLive = atomic.load<u32>(gCtl + Ctl.FLUSH + F_OLDEST_LIVE);
  return oldestLive == 0 || oldestLive > now ? 0 : oldestLive;
}

export function flushReset(): void {
  let p = gCtl + Ctl.FLUSH;
  atomic.store<u64>(p + F_OLDEST_CAS, 0);
  atomic.store<u32>(p + F_OLDEST_LIVE, 0);
}
