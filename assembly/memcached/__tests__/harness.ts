// Test harness for the memcached module: a control block, a formatted store,
// one core's region, and a fake transport (as-pect.config.js) whose output
// bytes the specs read back. Connections' unconsumed input is kept here and
// presented again, as a transport does.

import { Ctl } from "../../shared/control";
import {
  app_closed, app_data, app_init, app_open, app_region_size, app_tick, app_writable, store_format,
  store_region_size,
} from "../module";

import { aligned, closed, register_tx, tx_drain, tx_len, tx_reset, tx_window } from "../../shared/__tests__/fake-transport";
export { closed, tx_drain, tx_len, tx_reset, tx_window };

export const CONNS: u32 = 4;
export const TX_CAP: u32 = 3 << 20;
export const IN_CAP: u32 = 3 << 20;
export const ITEM_SIZE_MAX: u32 = 1 << 20;
export const STARTED: u32 = 1700000000;

let ctl: usize = 0;
let txBase: usize = 0;
let inBase: usize = 0;
let nowMs: f64 = 0;

/** Builds everything once; later calls only reset the connections. */
export function setup(): void {
  if (ctl == 0) {
    ctl = aligned(4096);
    store<u32>(ctl + Ctl.MAGIC, 0x57434331);
    store<u32>(ctl + Ctl.N_CORES, 1);
    store<u32>(ctl + Ctl.MAX_CONNS, CONNS);
    store<u32>(ctl + Ctl.ITEM_SIZE_MAX, ITEM_SIZE_MAX);
    const itemBytes: usize = 16 << 20;
    const storeSize = store_region_size(itemBytes, ITEM_SIZE_MAX);
    store<u32>(ctl + Ctl.STORE_BASE, <u32>aligned(storeSize));
    store<u32>(ctl + Ctl.STORE_SIZE, <u32>storeSize);
    store<u32>(ctl + Ctl.ITEM_BYTES, <u32>itemBytes);
    store<u64>(ctl + Ctl.MAXBYTES_LO, itemBytes);
    store<u32>(ctl + Ctl.PROCESS_STARTED, STARTED);
    store<u32>(ctl + Ctl.PID, 4242);
    store<u32>(ctl + Ctl.TCP_PORT, 11211);
    store<u32>(ctl + Ctl.EVICTIONS_ON, 1);
    const v = "1.6.18";
    for (let i = 0; i < v.length; i++) store<u8>(ctl + Ctl.VERSION_STR + i, <u8>v.charCodeAt(i));
    const regionSize = app_region_size(CONNS);
    const region = aligned(regionSize);
    store<u32>(ctl + Ctl.CORE_BASE, <u32>region);
    store<u32>(ctl + Ctl.CORE_STRIDE, <u32>regionSize);
    txBase = aligned(<usize>TX_CAP * CONNS);
    inBase = aligned(<usize>IN_CAP * CONNS);
    register_tx(txBase, TX_CAP);
    assert(store_format(ctl) == 0, "store_format");
    assert(app_init(ctl, 0, region, regionSize) == 0, "app_init");
    setTime(<f64>(STARTED + 100) * 1000);
  }
  for (let c: u32 = 0; c < CONNS; c++) reopen(c);
  tx_window(0x7fffffff);
}

export function setTime(ms: f64): void { nowMs = ms; app_tick(ms); }
export function advance(seconds: f64): void { setTime(nowMs + seconds * 1000); }

const pending = new StaticArray<u32>(4);

export function reopen(conn: u32): void {
  app_closed(conn);
  tx_reset(conn);
  pending[conn] = 0;
  assert(app_open(conn) == 0, "app_open");
}

@inline function inPtr(conn: u32): usize { return inBase + <usize>conn * IN_CAP; }

/** Presents the unconsumed input once; returns the bytes consumed. */
function deliver(conn: u32): u32 {
  const n = pending[conn];
  const p = inPtr(conn);
  const used = app_data(conn, p, n);
  assert(used <= n, "consumed more than given");
  memory.copy(p, p + used, n - used);
  pending[conn] = n - used;
  return used;
}

/** Appends bytes to conn's input and lets the module run until it waits for
 *  input. With a small tx window, output is "sent" (drained) whenever the
 *  module stalls on it, and app_writable is called, as a transport would. */
export function feedBytes(conn: u32, src: usize, len: u32): void {
  const p = inPtr(conn);
  assert(pending[conn] + len <= IN_CAP, "input overflow");
  memory.copy(p + pending[conn], src, len);
  pending[conn] += len;
  for (let i = 0; i < 1000000; i++) {
    const before = tx_len(conn);
    deliver(conn);
    tx_drain(conn);
    app_writable(conn);
    tx_drain(conn);
    if (tx_len(conn) == before) {
      // no output moved: one more delivery after app_writable, then wait for input
      if (pending[conn] == 0 || deliver(conn) == 0) break;
    }
  }
}

/** Feeds s in pieces of `step` bytes. */
export function feedSteps(conn: u32, s: string, step: i32): void {
  const b = String.UTF8.encode(s);
  const p = changetype<usize>(b);
  const n = b.byteLength;
  for (let i = 0; i < n; i += step) feedBytes(conn, p + i, <u32>min(step, n - i));
}

export function feed(conn: u32, s: string): void {
  const b = String.UTF8.encode(s);
  feedBytes(conn, changetype<usize>(b), <u32>b.byteLength);
}

/** Whether the connection was closed by the module before the last take(). */
export let lastClosed = false;

/** The output so far on conn, as a string; clears it (and reopens a closed connection). */
export function take(conn: u32): string {
  const s = String.UTF8.decodeUnsafe(txBase + <usize>conn * TX_CAP, tx_len(conn));
  lastClosed = closed(conn) != 0;
  tx_reset(conn);
  if (lastClosed) reopen(conn);
  return s;
}

/** Output bytes so far on conn (pointer into the fake transport's region). */
export function outPtr(conn: u32): usize { return txBase + <usize>conn * TX_CAP; }

/** Sends one request on a fresh connection and returns the reply. */
export function ask(req: string): string {
  reopen(0);
  feed(0, req);
  return take(0);
}

export function pendingInput(conn: u32): u32 { return pending[conn]; }
