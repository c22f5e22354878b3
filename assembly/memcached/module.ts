// The memcached text protocol module: the protocol-module ABI
// (docs/protocol-modules.md) over session.ts, plus thin wrappers that let
// the host size and format the store through this module.

import { Ctl } from "../shared/control";
import { storeAttach, storeFormat, storeRegionSize, storeTick } from "../store/index";
import { resetSession, S, session, SESSION_SIZE, sState } from "./conn";
import { warmBurst, warmTick } from "./warm";
import { instanceInit, maxConns, nowRel, REGION_SESSIONS, setClock } from "./instance";
import { sessionClosed, sessionData, sessionWritable } from "./session";
import { outFlush } from "./output";
import { decStat, incStat, St, writeStats } from "./stats";

export function app_region_size(max_conns: u32): usize {
  return REGION_SESSIONS + <usize>max_conns * SESSION_SIZE;
}

export function app_init(control: usize, core: u32, base: usize, size: usize): i32 {
  const conns = load<u32>(control + Ctl.MAX_CONNS);
  if (size < app_region_size(conns)) return -1;
  instanceInit(control, core, base, conns);
  const r = storeAttach(control, core);
  attached = r == 0;
  return r;
}

let attached = false;

export function app_tick(now_ms: f64): void {
  setClock(now_ms);
  // a bounded sweep step: expired items leave curr_items/bytes within seconds
  if (attached) { storeTick(nowRel); warmTick(); }
}

export function app_open(conn: u32): i32 {
  if (conn >= maxConns) { incStat(St.REJECTED_CONNECTIONS); return 1; }
  const s = session(conn);
  if (sState(s) != S.FREE) sessionClosed(conn);
  resetSession(s, S.CMD);
  incStat(St.CURR_CONNECTIONS);
  incStat(St.TOTAL_CONNECTIONS);
  return 0;
}

export function app_data(conn: u32, ptr: usize, len: u32): u32 {
  if (conn >= maxConns) return len;
  const used = sessionData(conn, ptr, len);
  outFlush(); // the replies written go to the transport in one commit
  return used;
}

/** Ahead of a burst (the stack's optional hint): warm the store for the keys its frames name. */
export function app_peek(list: usize, n: u32): void { warmBurst(list, n); }

export function app_writable(conn: u32): void {
  if (conn >= maxConns) return;
  sessionWritable(conn);
  outFlush();
}

export function app_closed(conn: u32): void {
  if (conn >= maxConns || sState(session(conn)) == S.FREE) return;
  sessionClosed(conn);
  decStat(St.CURR_CONNECTIONS);
}

/** Optional export for the host's metrics endpoint, on an instance that serves no connections:
 *  writes the `stats` listing ("STAT name value\r\n" lines, < 4 KiB) at `out` as of now_ms and
 *  returns its length. It reads every core's counters (from core 0's region, the same offset in
 *  every core region) and the store's, and writes nothing shared. */
export function app_stats(control: usize, region0: usize, now_ms: f64, out: usize): u32 {
  instanceInit(control, 0, region0, load<u32>(control + Ctl.MAX_CONNS));
  if (storeAttach(control, 0) != 0) return 0;
  setClock(now_ms);
  return <u32>writeStats(out);
}

/** memcached writes this to a connection it refuses for want of a slot, then closes it. */
const REFUSAL = memory.data<u8>([
  0x45, 0x52, 0x52, 0x4f, 0x52, 0x20, // "ERROR "
  0x54, 0x6f, 0x6f, 0x20, 0x6d, 0x61, 0x6e, 0x79, 0x20, // "Too many "
  0x6f, 0x70, 0x65, 0x6e, 0x20, // "open "
  0x63, 0x6f, 0x6e, 0x6e, 0x65, 0x63, 0x74, 0x69, 0x6f, 0x6e, 0x73, 0x0d, 0x0a, 0, // "connections\r\n"
]);

/** Optional ABI export: NUL-terminated bytes a transport sends to a connection it refuses. */
export function app_refusal(): usize {
  return REFUSAL;
}

export function static_end(): usize {
  return __heap_base;
}

export function store_region_size(itemBytes: usize, itemSizeMax: u32): usize {
  return storeRegionSize(itemBytes, itemSizeMax);
}

export function store_format(control: usize): i32 {
  return storeFormat(control);
}
