// The admin commands of memcached 1.6.18's proto_text.c that the store can
// answer truly: `lru_crawler` (process_lru_crawler_command), `slabs`
// (process_slabs_command). Their settings live in the control block, so
// every core answers alike.
import { Ctl } from "../shared/control";
import { setCas, setFlags, sFlags, F_NOREPLY } from "./conn";
import { ctl } from "./instance";
import { numValue, parseU32 } from "./numbers";
import { lastIsNoreply, ntok, tokIs, tokLen, tokStart } from "./parse";
import { R, reply } from "./reply";
import { L, startListing } from "./stats";
import { SLAB_CLASSES } from "./metadump";

const CRAWLER_OFF: u32 = 1;
/** memcached's lru_crawler_sleep default (µs). */
const CRAWLER_SLEEP_DEFAULT: u32 = 100;

export function crawlerEnabled(): bool { return (atomic.load<u32>(ctl + Ctl.ADMIN_FLAGS) & CRAWLER_OFF) == 0; }
export function crawlerSleep(): u32 {
  const v = load<u32>(ctl + Ctl.CRAWLER_SLEEP);
  return v == 0 ? CRAWLER_SLEEP_DEFAULT : v - 1;
}

/** Sets or clears flag bits; returns whether `bit` was set before. */
function flag(bit: u32, on: bool): bool {
  const old = on ? atomic.or<u32>(ctl + Ctl.ADMIN_FLAGS, bit) : atomic.and<u32>(ctl + Ctl.ADMIN_FLAGS, ~bit);
  return (old & bit) != 0;
}

/**
 * The class list of `crawl` / `metadump`: `all`, `hash`, or class ids
 * 1..63 separated by commas (strtok_r: empty pieces skipped). A bit per
 * class; 0 for a bad list (BADCLASS).
 */
function classMask(p: usize, i: u32): u64 {
  if (tokIs(p, i, "all") || tokIs(p, i, "hash")) return ~(<u64>1);
  const start = p + tokStart(i);
  const end = start + tokLen(i);
  let mask: u64 = 0;
  let a = start;
  while (a < end) {
    let b = a;
    while (b < end && load<u8>(b) != 0x2c) b++;
    if (b > a) {
      if (!parseU32(a, <u32>(b - a)) || numValue < 1 || numValue >= SLAB_CLASSES) return 0;
      mask |= <u64>1 << numValue;
    }
    a = b + 1;
  }
  return mask == 0 ? ~(<u64>1) : mask;
}

export function lruCrawler(conn: u32, s: usize, p: usize): void {
  const nt = ntok + 1;
  if (nt == 4 && (tokIs(p, 1, "crawl") || tokIs(p, 1, "metadump"))) {
    if (!crawlerEnabled()) { reply(conn, false, R.CRAWLER_DISABLED); return; }
    const mask = classMask(p, 2);
    if (mask == 0) { reply(conn, false, R.BADCLASS); return; }
    // crawl: the store reclaims expired and flushed items as it reads and sweeps (docs/store.md)
    if (tokIs(p, 1, "crawl")) { reply(conn, false, R.OK); return; }
    setCas(s, mask);
    startListing(s, L.METADUMP);
  } else if (nt == 4 && (tokIs(p, 1, "tocrawl") || tokIs(p, 1, "sleep"))) {
    if (!parseU32(p + tokStart(2), tokLen(2))) { reply(conn, false, R.BAD_FORMAT); return; }
    const v = <u32>numValue;
    if (tokIs(p, 1, "tocrawl")) {
      store<u32>(ctl + Ctl.CRAWLER_TOCRAWL, v);
    } else {
      if (v > 1000000) { reply(conn, false, R.CRAWLER_SLEEP_MAX); return; }
      store<u32>(ctl + Ctl.CRAWLER_SLEEP, v + 1);
    }
    reply(conn, false, R.OK);
  } else if (nt == 3 && tokIs(p, 1, "enable")) {
    // memcached cannot start a crawler thread that runs already
    reply(conn, false, flag(CRAWLER_OFF, false) ? R.OK : R.CRAWLER_START_FAILED);
  } else if (nt == 3 && tokIs(p, 1, "disable")) {
    flag(CRAWLER_OFF, true); // memcached stops a stopped crawler without complaint
    reply(conn, false, R.OK);
  } else {
    reply(conn, false, R.ERROR);
  }
}

export function slabs(conn: u32, s: usize, p: usize): void {
  const nt = ntok + 1;
  if (nt == 5 && tokIs(p, 1, "reassign")) {
    reply(conn, false, R.REASSIGN_DISABLED); // no slab classes to move pages between
  } else if (nt >= 4 && tokIs(p, 1, "automove")) {
    const noreply = lastIsNoreply(p);
    if (noreply) setFlags(s, sFlags(s) | F_NOREPLY);
    if (tokIs(p, 2, "ratio")) {
      // the ratio is a float memcached keeps; the store has no slabs to move, so it is checked for a number only
      if (nt < 5 || tokLen(3) == 0) { reply(conn, noreply, R.ERROR); return; }
    } else {
      if (!parseU32(p + tokStart(2), tokLen(2))) { reply(conn, noreply, R.BAD_FORMAT); return; }
      if (numValue > 2) { reply(conn, noreply, R.ERROR); return; }
      store<u32>(ctl + Ctl.SLAB_AUTOMOVE, <u32>numValue);
    }
    reply(conn, noreply, R.OK);
  } else {
    reply(conn, false, R.ERROR);
  }
}
