// Per-core counters with memcached's names, and the `stats` /
// `stats settings` listings (memcached 1.6.18's names and order).
// Counters live in this core's region and are written only by this core,
// except `stats reset`, which zeroes every core's counters. Other cores'
// counters are read with plain 64-bit loads (a count may be one behind).

import { Ctl, SET_NO_CAS, SET_PROTO_ASCII, SET_PROTO_BINARY, SET_PROTO_MASK } from "../shared/control";
import {
  statBytes, statCurrItems, statEvictedUnfetched, statEvictions, statExpiredUnfetched,
  statHashBytes, statHashPowerLevel, statReclaimed, statCrawlerReclaimed, statReset, statTotalItems,
} from "../store/index";
import { base, coreBase, ctl, nowRel, nowUnix, REGION_SESSIONS, REGION_STATS } from "./instance";
import { writeU64 } from "./numbers";
import { putField, putStr } from "./reply";
import { HEADER_LEN, Op, putHeader } from "./binary/header";
import { sOpaque } from "./binary/state";
import {
  PROTO_BINARY, S, SESSION_SIZE, setHalted, setMode, setRemain, setState, sLast, sMode, sProto, sRemain,
  sState,
} from "./conn";
import { outAvail, outCommit, outReserve } from "./output";
import { metadumpStep } from "./metadump";
import { crawlerEnabled, crawlerSleep } from "./admin";
import { gNseg, gSegSize } from "../store/layout";
import { segEntry, S_STATE, SEG_FREE } from "../store/segtab";

export namespace St {
  export const CMD_GET: u32 = 0;
  export const CMD_SET: u32 = 1;
  export const CMD_FLUSH: u32 = 2;
  export const CMD_TOUCH: u32 = 3;
  export const GET_HITS: u32 = 4;
  export const GET_MISSES: u32 = 5;
  export const GET_EXPIRED: u32 = 6;
  export const GET_FLUSHED: u32 = 7;
  export const DELETE_MISSES: u32 = 8;
  export const DELETE_HITS: u32 = 9;
  export const INCR_MISSES: u32 = 10;
  export const INCR_HITS: u32 = 11;
  export const DECR_MISSES: u32 = 12;
  export const DECR_HITS: u32 = 13;
  export const CAS_MISSES: u32 = 14;
  export const CAS_HITS: u32 = 15;
  export const CAS_BADVAL: u32 = 16;
  export const TOUCH_HITS: u32 = 17;
  export const TOUCH_MISSES: u32 = 18;
  export const STORE_TOO_LARGE: u32 = 19;
  export const STORE_NO_MEMORY: u32 = 20;
  export const BYTES_READ: u32 = 21;
  export const BYTES_WRITTEN: u32 = 22;
  export const TOTAL_CONNECTIONS: u32 = 23;
  export const REJECTED_CONNECTIONS: u32 = 24;
  export const CONN_YIELDS: u32 = 25;
  export const CURR_CONNECTIONS: u32 = 26; // not cleared by `stats reset`
  export const COUNT: u32 = 27;            // counters cleared by reset are [0, CURR_CONNECTIONS)
}

@inline export function addStat(i: u32, n: u64): void {
  const p = base + REGION_STATS + (<usize>i << 3);
  store<u64>(p, load<u64>(p) + n);
}

@inline export function incStat(i: u32): void {
  addStat(i, 1);
}

@inline export function decStat(i: u32): void {
  const p = base + REGION_STATS + (<usize>i << 3);
  store<u64>(p, load<u64>(p) - 1);
}

/** Sum of counter i over every core. */
export function sumStat(i: u32): u64 {
  const n = load<u32>(ctl + Ctl.N_CORES);
  let s: u64 = 0;
  for (let k: u32 = 0; k < n; k++) s += load<u64>(coreBase(k) + REGION_STATS + (<usize>i << 3));
  return s;
}

/** `stats reset`: every core's counters (not curr_connections) and the store's. */
export function resetStats(): void {
  const n = load<u32>(ctl + Ctl.N_CORES);
  for (let k: u32 = 0; k < n; k++) {
    const b = coreBase(k) + REGION_STATS;
    for (let i: u32 = 0; i < St.CURR_CONNECTIONS; i++) store<u64>(b + (<usize>i << 3), 0);
  }
  statReset();
}

// ---- listing helpers ---------------------------------------------------------

// ---- listing window ----------------------------------------------------------
// A listing is written line by line at consecutive addresses. Lines before
// gFrom, and every line from the first one that would pass gBudget bytes,
// are written but not kept (their length counts as 0, so the next line
// overwrites them): a listing longer than one output reservation is sent in
// pieces (state LISTING). In binary mode a line is a STAT response packet
// (key = name, value = the text value) instead of "STAT name value\r\n".
const NO_LIMIT: usize = <usize>0x7fffffff;
let gBin = false;
let gOpaque: u32 = 0;
let gKeyStart: usize = 0;
let gKeyLen: u32 = 0;
let gLine: u32 = 0;
let gFrom: u32 = 0;
let gBudget: usize = NO_LIMIT;
let gUsed: usize = 0;
export const LISTING_DONE: u32 = 0xffffffff;
/** The first line past the budget (LISTING_DONE while every line fits). */
let gStop: u32 = LISTING_DONE;
/** After writeListing: the first line not kept, or LISTING_DONE. */
export let listingNext: u32 = LISTING_DONE;

/** The start of a line at p: "STAT " or a binary header's room; then the key follows. */
function open(p: usize): usize {
  if (gBin) { gKeyStart = p + HEADER_LEN; return gKeyStart; }
  return p + putStr(p, "STAT ");
}

/** The key's end at q: the separator before the value. */
@inline function sep(q: usize): usize {
  if (gBin) { gKeyLen = <u32>(q - gKeyStart); return q; }
  store<u8>(q, 0x20);
  return q + 1;
}

/** "STAT <name> " at p; returns the end. */
function head(p: usize, name: string): usize {
  const q = open(p);
  return sep(q + putStr(q, name));
}

/** Ends the line that started at p at q; returns its length if it is kept, else 0. */
function tail(p: usize, q: usize): usize {
  let len: usize;
  if (gBin) {
    len = q - p;
    putHeader(p, Op.STAT, gKeyLen, 0, 0, <u32>(q - gKeyStart), gOpaque, 0);
  } else {
    store<u16>(q, 0x0a0d);
    len = q + 2 - p;
  }
  const i = gLine++;
  if (i < gFrom || gStop != LISTING_DONE) return 0;
  if (gUsed + len > gBudget) { gStop = i; return 0; }
  gUsed += len;
  return len;
}

function line(p: usize, name: string, v: u64): usize {
  const q = head(p, name);
  return tail(p, q + writeU64(q, v));
}

function lineStr(p: usize, name: string, v: string): usize {
  const q = head(p, name);
  return tail(p, q + putStr(q, v));
}

/** A NUL-padded text field of the control block. */
function lineField(p: usize, name: string, off: u32, max: u32): usize {
  const q = head(p, name);
  return tail(p, q + putField(q, ctl + off, max));
}

/** "seconds.micros" as memcached prints rusage. */
function lineUsec(p: usize, name: string, us: u64): usize {
  let q = head(p, name);
  q += writeU64(q, us / 1000000);
  store<u8>(q++, 0x2e);
  const frac = us % 1000000;
  let div: u64 = 100000;
  for (let i = 0; i < 6; i++) { store<u8>(q++, <u8>(0x30 + <u32>((frac / div) % 10))); div /= 10; }
  return tail(p, q);
}

/** Writes the `stats` listing (without END) at p; returns its length (< 3 KiB). */
export function writeStats(p: usize): usize {
  let q = p;
  const cores = <u64>load<u32>(ctl + Ctl.N_CORES);
  const curr = sumStat(St.CURR_CONNECTIONS);
  q += line(q, "pid", load<u32>(ctl + Ctl.PID));
  // memcached's clock starts ITEM_UPDATE_INTERVAL (60) + 2 s early and it prints now - 60
  q += line(q, "uptime", nowRel > 60 ? nowRel - 60 : 0);
  q += line(q, "time", nowUnix);
  q += lineField(q, "version", Ctl.VERSION_STR, 32);
  q += lineStr(q, "libevent", "none");
  q += line(q, "pointer_size", 32);
  q += lineUsec(q, "rusage_user", load<u64>(ctl + Ctl.RUSAGE_USER_US));
  q += lineUsec(q, "rusage_system", load<u64>(ctl + Ctl.RUSAGE_SYS_US));
  q += line(q, "max_connections", <u64>load<u32>(ctl + Ctl.MAX_CONNS) * cores);
  q += line(q, "curr_connections", curr);
  q += line(q, "total_connections", sumStat(St.TOTAL_CONNECTIONS));
  // refused by this module (slot out of range) + refused by the transport (no slot free)
  q += line(q, "rejected_connections", sumStat(St.REJECTED_CONNECTIONS) + <u64>atomic.load<u32>(ctl + Ctl.REJECTED_CONNS));
  q += line(q, "connection_structures", curr);
  q += line(q, "response_obj_oom", 0);
  q += line(q, "response_obj_count", 0);
  q += line(q, "response_obj_bytes", 0);
  q += line(q, "read_buf_count", 0);
  q += line(q, "read_buf_bytes", 0);
  q += line(q, "read_buf_bytes_free", 0);
  q += line(q, "read_buf_oom", 0);
  q += line(q, "reserved_fds", 0);
  q += line(q, "cmd_get", sumStat(St.CMD_GET));
  q += line(q, "cmd_set", sumStat(St.CMD_SET));
  q += line(q, "cmd_flush", sumStat(St.CMD_FLUSH));
  q += line(q, "cmd_touch", sumStat(St.CMD_TOUCH));
  q += line(q, "cmd_meta", 0);
  q += line(q, "get_hits", sumStat(St.GET_HITS));
  q += line(q, "get_misses", sumStat(St.GET_MISSES));
  q += line(q, "get_expired", sumStat(St.GET_EXPIRED));
  q += line(q, "get_flushed", sumStat(St.GET_FLUSHED));
  q += line(q, "delete_misses", sumStat(St.DELETE_MISSES));
  q += line(q, "delete_hits", sumStat(St.DELETE_HITS));
  q += line(q, "incr_misses", sumStat(St.INCR_MISSES));
  q += line(q, "incr_hits", sumStat(St.INCR_HITS));
  q += line(q, "decr_misses", sumStat(St.DECR_MISSES));
  q += line(q, "decr_hits", sumStat(St.DECR_HITS));
  q += line(q, "cas_misses", sumStat(St.CAS_MISSES));
  q += line(q, "cas_hits", sumStat(St.CAS_HITS));
  q += line(q, "cas_badval", sumStat(St.CAS_BADVAL));
  q += line(q, "touch_hits", sumStat(St.TOUCH_HITS));
  q += line(q, "touch_misses", sumStat(St.TOUCH_MISSES));
  q += line(q, "store_too_large", sumStat(St.STORE_TOO_LARGE));
  q += line(q, "store_no_memory", sumStat(St.STORE_NO_MEMORY));
  q += line(q, "auth_cmds", 0);
  q += line(q, "auth_errors", 0);
  q += line(q, "bytes_read", sumStat(St.BYTES_READ));
  q += line(q, "bytes_written", sumStat(St.BYTES_WRITTEN));
  q += line(q, "limit_maxbytes", load<u64>(ctl + Ctl.MAXBYTES_LO));
  q += line(q, "accepting_conns", 1);
  q += line(q, "listen_disabled_num", 0);
  q += line(q, "time_in_listen_disabled_us", 0);
  q += line(q, "threads", cores);
  q += line(q, "conn_yields", sumStat(St.CONN_YIELDS));
  q += line(q, "hash_power_level", statHashPowerLevel());
  q += line(q, "hash_bytes", statHashBytes());
  q += line(q, "hash_is_expanding", 0);
  q += line(q, "slab_reassign_rescues", 0);
  q += line(q, "slab_reassign_chunk_rescues", 0);
  q += line(q, "slab_reassign_evictions_nomem", 0);
  q += line(q, "slab_reassign_inline_reclaim", 0);
  q += line(q, "slab_reassign_busy_items", 0);
  q += line(q, "slab_reassign_busy_deletes", 0);
  q += line(q, "slab_reassign_running", 0);
  q += line(q, "slabs_moved", 0);
  q += line(q, "lru_crawler_running", 0);
  q += line(q, "lru_crawler_starts", 0);
  q += line(q, "lru_maintainer_juggles", 0);
  q += line(q, "malloc_fails", 0);
  q += line(q, "log_worker_dropped", 0);
  q += line(q, "log_worker_written", 0);
  q += line(q, "log_watcher_skipped", 0);
  q += line(q, "log_watcher_sent", 0);
  q += line(q, "log_watchers", 0);
  q += line(q, "unexpected_napi_ids", 0);
  q += line(q, "round_robin_fallback", 0);
  q += line(q, "bytes", statBytes());
  q += line(q, "curr_items", statCurrItems());
  q += line(q, "total_items", statTotalItems());
  q += line(q, "slab_global_page_pool", 0);
  q += line(q, "expired_unfetched", statExpiredUnfetched());
  q += line(q, "evicted_unfetched", statEvictedUnfetched());
  q += line(q, "evicted_active", 0);
  q += line(q, "evictions", statEvictions());
  q += line(q, "reclaimed", statReclaimed());
  q += line(q, "crawler_reclaimed", statCrawlerReclaimed());
  q += line(q, "crawler_items_checked", 0);
  q += line(q, "lrutail_reflocked", 0);
  q += line(q, "moves_to_cold", 0);
  q += line(q, "moves_to_warm", 0);
  q += line(q, "moves_within_lru", 0);
  q += line(q, "direct_reclaims", 0);
  q += line(q, "lru_bumps_dropped", 0);
  return q - p;
}

/** Writes the `stats settings` listing (without END) at p; returns its length (< 3 KiB). */
/** A host setting of the control block; 0 (a control block written before it existed) reads as memcached's default. */
function orDefault(off: u32, dflt: u32): u64 {
  const v = load<u32>(ctl + off);
  return v == 0 ? dflt : v;
}

/** 0o700 -> 700: the octal digits of a mask read as a decimal number (memcached prints umask with %o). */
function octalDigits(v: u64): u64 {
  let out: u64 = 0;
  let scale: u64 = 1;
  while (v != 0) { out += (v & 7) * scale; scale *= 10; v >>= 3; }
  return out;
}

export function writeSettings(p: usize): usize {
  let q = p;
  const cores = <u64>load<u32>(ctl + Ctl.N_CORES);
  q += line(q, "maxbytes", load<u64>(ctl + Ctl.MAXBYTES_LO));
  q += line(q, "maxconns", <u64>load<u32>(ctl + Ctl.MAX_CONNS) * cores);
  q += line(q, "tcpport", load<u32>(ctl + Ctl.TCP_PORT));
  q += line(q, "udpport", 0);
  q += lineField(q, "inter", Ctl.INTERFACE, 64);
  q += line(q, "verbosity", load<u32>(ctl + Ctl.VERBOSITY));
  q += line(q, "oldest", 0);
  q += lineStr(q, "evictions", load<u32>(ctl + Ctl.EVICTIONS_ON) != 0 ? "on" : "off");
  if (load<u8>(ctl + Ctl.DOMAIN_SOCKET) == 0) q += lineStr(q, "domain_socket", "NULL");
  else q += lineField(q, "domain_socket", Ctl.DOMAIN_SOCKET, 112);
  q += line(q, "umask", octalDigits(orDefault(Ctl.UNIX_MASK, 0o700)));
  q += lineStr(q, "shutdown_command", "no");
  q += lineStr(q, "growth_factor", "1.25");
  q += line(q, "chunk_size", 48);
  q += line(q, "num_threads", cores);
  q += line(q, "num_threads_per_udp", cores);
  q += lineStr(q, "stat_key_prefix", ":");
  q += lineStr(q, "detail_enabled", "no");
  q += line(q, "reqs_per_event", orDefault(Ctl.REQS_PER_EVENT, 20));
  const settings = load<u32>(ctl + Ctl.SETTINGS_FLAGS);
  q += lineStr(q, "cas_enabled", (settings & SET_NO_CAS) != 0 ? "no" : "yes");
  q += line(q, "tcp_backlog", orDefault(Ctl.TCP_BACKLOG, 1024));
  const proto = settings & SET_PROTO_MASK;
  q += lineStr(q, "binding_protocol", proto == SET_PROTO_ASCII ? "ascii" : proto == SET_PROTO_BINARY ? "binary" : "auto-negotiate");
  q += lineStr(q, "auth_enabled_sasl", "no");
  q += lineStr(q, "auth_enabled_ascii", "no");
  q += line(q, "item_size_max", load<u32>(ctl + Ctl.ITEM_SIZE_MAX));
  q += lineStr(q, "maxconns_fast", "yes");
  q += line(q, "hashpower_init", 0);
  q += lineStr(q, "slab_reassign", "no");
  q += line(q, "slab_automove", load<u32>(ctl + Ctl.SLAB_AUTOMOVE));
  q += lineStr(q, "slab_automove_ratio", "0.80");
  q += line(q, "slab_automove_window", 30);
  q += line(q, "slab_chunk_max", 524288);
  q += lineStr(q, "lru_crawler", crawlerEnabled() ? "yes" : "no");
  q += line(q, "lru_crawler_sleep", crawlerSleep());
  q += line(q, "lru_crawler_tocrawl", load<u32>(ctl + Ctl.CRAWLER_TOCRAWL));
  q += line(q, "tail_repair_time", 0);
  q += lineStr(q, "flush_enabled", "yes");
  q += lineStr(q, "dump_enabled", "yes"); // lru_crawler metadump
  q += lineStr(q, "hash_algorithm", "murmur3");
  q += lineStr(q, "lru_maintainer_thread", "no");
  q += lineStr(q, "lru_segmented", "no");
  q += line(q, "hot_lru_pct", 20);
  q += line(q, "warm_lru_pct", 40);
  q += lineStr(q, "hot_max_factor", "0.20");
  q += lineStr(q, "warm_max_factor", "2.00");
  q += lineStr(q, "temp_lru", "no");
  q += line(q, "temporary_ttl", 61);
  q += line(q, "idle_timeout", 0);
  q += line(q, "watcher_logbuf_size", 262144);
  q += line(q, "worker_logbuf_size", 65536);
  q += line(q, "read_buf_mem_limit", 0);
  q += lineStr(q, "track_sizes", "no");
  q += lineStr(q, "inline_ascii_response", "no");
  // Debian's memcached is built with extstore and TLS: their settings at the
  // defaults that build prints with neither in use (as here)
  q += line(q, "ext_item_size", 512);
  q += line(q, "ext_item_age", 4294967295);
  q += line(q, "ext_low_ttl", 0);
  q += line(q, "ext_recache_rate", 2000);
  q += line(q, "ext_wbuf_size", 4194304);
  q += line(q, "ext_compact_under", 0);
  q += line(q, "ext_drop_under", 0);
  q += line(q, "ext_max_sleep", 1000000);
  q += lineStr(q, "ext_max_frag", "0.80");
  q += lineStr(q, "slab_automove_freeratio", "0.010");
  q += lineStr(q, "ext_drop_unread", "no");
  q += lineStr(q, "ssl_enabled", "no");
  q += lineStr(q, "ssl_chain_cert", "(null)");
  q += lineStr(q, "ssl_key", "(null)");
  q += line(q, "ssl_verify_mode", 0);
  q += line(q, "ssl_keyformat", 1);
  q += lineStr(q, "ssl_ciphers", "NULL");
  q += lineStr(q, "ssl_ca_cert", "NULL");
  q += line(q, "ssl_wbuf_size", 16384);
  q += lineStr(q, "ssl_session_cache", "no");
  q += lineStr(q, "ssl_kernel_tls", "no");
  q += lineStr(q, "ssl_min_version", "tlsv1.2");
  q += lineStr(q, "num_napi_ids", "(null)");
  q += lineStr(q, "memory_file", "(null)");
  return q - p;
}

// ---- stats items / slabs / conns ---------------------------------------------
// The store has no slab classes: items of every size share fixed-size
// segments (docs/store.md). `stats slabs` reports the segments as one class
// (chunk = segment); `stats items` reports every item in that class 1.
// See docs/memcached-text.md.

/** "STAT <prefix><n>:<name> " at p. */
function headNum(p: usize, prefix: string, n: u64, name: string): usize {
  let q = open(p);
  q += putStr(q, prefix);
  q += writeU64(q, n);
  store<u8>(q++, 0x3a);
  return sep(q + putStr(q, name));
}

function lineNum(p: usize, prefix: string, n: u64, name: string, v: u64): usize {
  const q = headNum(p, prefix, n, name);
  return tail(p, q + writeU64(q, v));
}

function lineNumStr(p: usize, prefix: string, n: u64, name: string, v: string): usize {
  const q = headNum(p, prefix, n, name);
  return tail(p, q + putStr(q, v));
}

function freeSegments(): u32 {
  let free: u32 = 0;
  for (let n: u32 = 0; n < gNseg; n++) if (load<u32>(segEntry(n) + S_STATE) == SEG_FREE) free++;
  return free;
}

/** `stats items`: one class (1) holding every item; nothing when the store is empty. */
export function writeItems(p: usize): usize {
  let q = p;
  const n = statCurrItems();
  if (n == 0) return 0;
  q += lineNum(q, "items:", 1, "number", n);
  q += lineNum(q, "items:", 1, "number_hot", 0);
  q += lineNum(q, "items:", 1, "number_warm", 0);
  q += lineNum(q, "items:", 1, "number_cold", n);
  q += lineNum(q, "items:", 1, "age_hot", 0);
  q += lineNum(q, "items:", 1, "age_warm", 0);
  q += lineNum(q, "items:", 1, "age", 0);
  q += lineNum(q, "items:", 1, "mem_requested", statBytes());
  q += lineNum(q, "items:", 1, "evicted", statEvictions());
  q += lineNum(q, "items:", 1, "evicted_nonzero", 0);
  q += lineNum(q, "items:", 1, "evicted_time", 0);
  q += lineNum(q, "items:", 1, "outofmemory", sumStat(St.STORE_NO_MEMORY));
  q += lineNum(q, "items:", 1, "tailrepairs", 0);
  q += lineNum(q, "items:", 1, "reclaimed", statReclaimed());
  q += lineNum(q, "items:", 1, "expired_unfetched", statExpiredUnfetched());
  q += lineNum(q, "items:", 1, "evicted_unfetched", statEvictedUnfetched());
  q += lineNum(q, "items:", 1, "evicted_active", 0);
  q += lineNum(q, "items:", 1, "crawler_reclaimed", statCrawlerReclaimed());
  q += lineNum(q, "items:", 1, "crawler_items_checked", 0);
  q += lineNum(q, "items:", 1, "lrutail_reflocked", 0);
  q += lineNum(q, "items:", 1, "moves_to_cold", 0);
  q += lineNum(q, "items:", 1, "moves_to_warm", 0);
  q += lineNum(q, "items:", 1, "moves_within_lru", 0);
  q += lineNum(q, "items:", 1, "direct_reclaims", 0);
  q += lineNum(q, "items:", 1, "hits_to_hot", 0);
  q += lineNum(q, "items:", 1, "hits_to_warm", 0);
  q += lineNum(q, "items:", 1, "hits_to_cold", sumStat(St.GET_HITS));
  q += lineNum(q, "items:", 1, "hits_to_temp", 0);
  return q - p;
}

/** `stats slabs`: the segments as one class whose chunk is a segment. */
export function writeSlabs(p: usize): usize {
  let q = p;
  const free = <u64>freeSegments();
  const total = <u64>gNseg;
  q += lineNum(q, "", 1, "chunk_size", gSegSize);
  q += lineNum(q, "", 1, "chunks_per_page", 1);
  q += lineNum(q, "", 1, "total_pages", total);
  q += lineNum(q, "", 1, "total_chunks", total);
  q += lineNum(q, "", 1, "used_chunks", total - free);
  q += lineNum(q, "", 1, "free_chunks", free);
  q += lineNum(q, "", 1, "free_chunks_end", 0);
  q += lineNum(q, "", 1, "get_hits", sumStat(St.GET_HITS));
  q += lineNum(q, "", 1, "cmd_set", sumStat(St.CMD_SET));
  q += lineNum(q, "", 1, "delete_hits", sumStat(St.DELETE_HITS));
  q += lineNum(q, "", 1, "incr_hits", sumStat(St.INCR_HITS));
  q += lineNum(q, "", 1, "decr_hits", sumStat(St.DECR_HITS));
  q += lineNum(q, "", 1, "cas_hits", sumStat(St.CAS_HITS));
  q += lineNum(q, "", 1, "cas_badval", sumStat(St.CAS_BADVAL));
  q += lineNum(q, "", 1, "touch_hits", sumStat(St.TOUCH_HITS));
  q += line(q, "active_slabs", 1);
  q += line(q, "total_malloced", total * <u64>gSegSize);
  return q - p;
}

/** memcached's conn state name for a session state. */
function stateName(st: u32): string {
  if (st == S.NREAD || st == S.BIN_NREAD) return "conn_nread";
  if (st == S.SWALLOW) return "conn_swallow";
  if (st == S.GETVALUE || st == S.LISTING) return "conn_mwrite";
  if (st == S.CLOSED) return "conn_closing";
  return "conn_parse_cmd";
}

/** `stats conns`: every open connection of every core, named core * slots + slot.
 *  The transport owns the sockets, so there is no address: `addr` says which
 *  core and slot serve it. secs_since_last_cmd counts from its last input. */
export function writeConns(p: usize): usize {
  let q = p;
  const cores = load<u32>(ctl + Ctl.N_CORES);
  const slots = load<u32>(ctl + Ctl.MAX_CONNS);
  for (let k: u32 = 0; k < cores; k++) {
    const sessions = coreBase(k) + REGION_SESSIONS;
    for (let c: u32 = 0; c < slots; c++) {
      const ss = sessions + <usize>c * SESSION_SIZE;
      const st = sState(ss);
      if (st == S.FREE) continue;
      const id = <u64>k * slots + c;
      let h = headNum(q, "", id, "addr");
      h += putStr(h, "core");
      h += writeU64(h, k);
      h += putStr(h, ":slot");
      h += writeU64(h, c);
      q += tail(q, h);
      q += lineNumStr(q, "", id, "state", stateName(st));
      const last = sLast(ss);
      q += lineNum(q, "", id, "secs_since_last_cmd", nowRel > last ? nowRel - last : 0);
    }
  }
  return q - p;
}

// ---- listings sent in pieces (state LISTING) -----------------------------------

export namespace L {
  export const GENERAL: u32 = 0;
  export const SETTINGS: u32 = 1;
  export const ITEMS: u32 = 2;
  export const SLABS: u32 = 3;
  export const CONNS: u32 = 4;
  export const NONE: u32 = 5;     // the terminator only (binary `stat reset`)
  export const DETAIL: u32 = 6;   // binary `stat detail dump`: "detailed" = memcached's empty dump
  export const SIZES: u32 = 7;    // `sizes_status disabled`
  export const METADUMP: u32 = 8; // `lru_crawler metadump` (metadump.ts: its own cursor, not line numbers)
}

/** Room past the budget for the line that overflows it, and for the terminator
 *  (the longest line, binary or text, is under 200 bytes). */
const LINE_SLACK: u32 = 256;
/** Output a listing step waits for: one line at least, then the slack. */
const LISTING_MIN: u32 = LINE_SLACK * 2;

/** Writes the kept lines of listing `kind` from line `from` at p, within budget bytes. */
export function writeListing(kind: u32, p: usize, from: u32, budget: usize, bin: bool, opaque: u32): usize {
  gBin = bin;
  gOpaque = opaque;
  gLine = 0;
  gFrom = from;
  gBudget = budget;
  gUsed = 0;
  gStop = LISTING_DONE;
  let n: usize = 0;
  if (kind == L.GENERAL) n = writeStats(p);
  else if (kind == L.SETTINGS) n = writeSettings(p);
  else if (kind == L.ITEMS) n = writeItems(p);
  else if (kind == L.SLABS) n = writeSlabs(p);
  else if (kind == L.CONNS) n = writeConns(p);
  else if (kind == L.DETAIL) n = lineStr(p, "detailed", "END\r\n");
  else if (kind == L.SIZES) n = lineStr(p, "sizes_status", "disabled");
  listingNext = gStop;
  gBin = false;
  gFrom = 0;
  gBudget = NO_LIMIT;
  gStop = LISTING_DONE;
  return n;
}

/** Starts sending listing `kind` on the session (then END or the empty STAT packet). */
export function startListing(s: usize, kind: u32): void {
  setMode(s, kind);
  setRemain(s, 0);
  setState(s, S.LISTING);
}

/** LISTING: as much of the listing as one reservation holds; at its end, the terminator. */
export function listingStep(conn: u32, s: usize): void {
  if (sMode(s) == L.METADUMP) { metadumpStep(conn, s); return; }
  const p = outReserve(conn, LISTING_MIN);
  if (p == 0) { setHalted(true); return; }
  const bin = sProto(s) == PROTO_BINARY;
  const opaque = bin ? sOpaque(s) : 0;
  let n = writeListing(sMode(s), p, sRemain(s), outAvail(conn) - LINE_SLACK, bin, opaque);
  if (listingNext != LISTING_DONE) {
    outCommit(conn, <u32>n);
    setRemain(s, listingNext);
    return;
  }
  if (bin) {
    putHeader(p + n, Op.STAT, 0, 0, 0, 0, opaque, 0);
    n += HEADER_LEN;
  } else {
    n += putStr(p + n, "END\r\n");
  }
  outCommit(conn, <u32>n);
  setState(s, bin ? S.BIN_CMD : S.CMD);
}
