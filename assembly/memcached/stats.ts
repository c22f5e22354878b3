// Per-core counters with memcached's names, and the `stats` /
// `stats settings` listings (memcached 1.6.18's names and order).
// Counters live in this core's region and are written only by this core,
// except `stats reset`, which zeroes every core's counters. Other cores'
// counters are read with plain 64-bit loads (a count may be one behind).

import { Ctl } from "../shared/control";
import {
  statBytes, statCurrItems, statEvictedUnfetched, statEvictions, statExpiredUnfetched,
  statHashBytes, statHashPowerLevel, statReclaimed, statReset, statTotalItems,
} from "../store/index";
import { base, coreBase, ctl, nowRel, nowUnix, REGION_STATS } from "./instance";
import { writeU64 } from "./numbers";
import { putField, putStr } from "./reply";

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

/** "STAT <name> " at p; returns the end. */
function head(p: usize, name: string): usize {
  let q = p + putStr(p, "STAT ");
  q += putStr(q, name);
  store<u8>(q, 0x20);
  return q + 1;
}

/** CRLF at q; returns the length of the line that started at p. */
@inline function tail(p: usize, q: usize): usize {
  store<u16>(q, 0x0a0d);
  return q + 2 - p;
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
  q += line(q, "crawler_reclaimed", 0);
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
  q += lineStr(q, "domain_socket", "NULL");
  q += line(q, "umask", 700);
  q += lineStr(q, "growth_factor", "1.25");
  q += line(q, "chunk_size", 48);
  q += line(q, "num_threads", cores);
  q += line(q, "num_threads_per_udp", cores);
  q += lineStr(q, "stat_key_prefix", ":");
  q += lineStr(q, "detail_enabled", "no");
  q += line(q, "reqs_per_event", 20);
  q += lineStr(q, "cas_enabled", "yes");
  q += line(q, "tcp_backlog", 1024);
  q += lineStr(q, "binding_protocol", "ascii");
  q += lineStr(q, "auth_enabled_sasl", "no");
  q += lineStr(q, "auth_enabled_ascii", "no");
  q += line(q, "item_size_max", load<u32>(ctl + Ctl.ITEM_SIZE_MAX));
  q += lineStr(q, "maxconns_fast", "yes");
  q += line(q, "hashpower_init", 0);
  q += lineStr(q, "slab_reassign", "no");
  q += line(q, "slab_automove", 0);
  q += lineStr(q, "slab_automove_ratio", "0.80");
  q += line(q, "slab_automove_window", 30);
  q += line(q, "slab_chunk_max", 524288);
  q += lineStr(q, "lru_crawler", "no");
  q += line(q, "lru_crawler_sleep", 100);
  q += line(q, "lru_crawler_tocrawl", 0);
  q += line(q, "tail_repair_time", 0);
  q += lineStr(q, "flush_enabled", "yes");
  q += lineStr(q, "dump_enabled", "no");
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
  q += lineStr(q, "ssl_enabled", "no");
  q += lineStr(q, "memory_file", "(null)");
  return q - p;
}
