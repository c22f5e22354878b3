// Test harness for the load generator: a control block with APP_CONFIG, one
// instance's region, and the fake transport of as-pect.config.js (output
// bytes per connection that the specs read back; net_connect handing out
// slots 0, 1, ...). The specs play the server: they read the requests and
// answer with app_data, and they play the stack's app_open / app_closed.

import { Ctl } from "../../shared/control";
import { Cfg, LGEN_MAGIC } from "../config";
import {
  app_closed, app_data, app_init, app_open, app_region_size, app_tick, app_writable, loadgen_stats,
} from "../module";
import { St } from "../stats";

import { aligned, closed, register_tx, tx_drain, tx_len, tx_reset, tx_window } from "../../shared/__tests__/fake-transport";
export { closed, tx_drain, tx_len, tx_reset, tx_window };
@external("testing", "connect_reset") export declare function connect_reset(base: u32): void;
@external("testing", "connect_fail") export declare function connect_fail(n: u32): void;
@external("testing", "connects") export declare function connects(): u32;
@external("testing", "connect_ip") export declare function connect_ip(): u32;
@external("testing", "connect_port") export declare function connect_port(): u32;

export const MAX_CONNS: u32 = 8;
export const TX_CAP: u32 = 2 << 20;
export const T0: f64 = 1700000000000;
export const SERVER_IP: u32 = 0x0A000002;

let ctl: usize = 0;
let region: usize = 0;
let regionSize: usize = 0;
let txBase: usize = 0;
let now: f64 = T0;
const taken = new StaticArray<u32>(8);

export function control(): usize { return ctl; }
export function regionBase(): usize { return region; }

/** Settings to their defaults: 1 connection, depth 1, 10 keys of 8 bytes, values of 10, all gets, 10 requests. */
export function defaults(): void {
  if (ctl == 0) {
    ctl = aligned(4096);
    regionSize = app_region_size(MAX_CONNS);
    region = aligned(regionSize);
    txBase = aligned(<usize>TX_CAP * MAX_CONNS);
    register_tx(txBase, TX_CAP);
  }
  store<u32>(ctl + Ctl.MAGIC, 0x57434331);
  store<u32>(ctl + Ctl.N_CORES, 1);
  store<u32>(ctl + Ctl.MAX_CONNS, MAX_CONNS);
  memory.fill(ctl + Ctl.APP_CONFIG, 0, 256);
  set(Cfg.MAGIC, LGEN_MAGIC);
  set(Cfg.SERVER_IP, SERVER_IP);
  set(Cfg.SERVER_PORT, 11211);
  set(Cfg.CONNS, 1);
  set(Cfg.DEPTH, 1);
  set(Cfg.KEYS, 10);
  set(Cfg.KEY_SIZE, 8);
  set(Cfg.VALUE_SIZE, 10);
  set(Cfg.SET_PERMILLE, 0);
  set(Cfg.FLAGS, 0);
  set(Cfg.REQUESTS, 10);
  set(Cfg.DURATION_MS, 0);
  set(Cfg.SEED, 1);
  set(Cfg.TIMEOUT_MS, 0);
}

export function set(field: u32, v: u32): void { store<u32>(ctl + Ctl.APP_CONFIG + field, v); }
export function setCtl(field: u32, v: u32): void { store<u32>(ctl + field, v); }

/** app_init with the settings as they are, a fresh fake transport, the clock at T0. */
export function init(): i32 {
  for (let c: u32 = 0; c < MAX_CONNS; c++) { tx_reset(c); taken[c] = 0; }
  tx_window(0x7fffffff);
  connect_reset(0);
  now = T0;
  return app_init(ctl, 0, region, regionSize);
}

/** init, then the first tick and every connection opened (one per tick, as the module asks). */
export function start(): void {
  assert(init() == 0, "app_init");
  const n = load<u32>(ctl + Ctl.APP_CONFIG + Cfg.CONNS);
  tick(0);
  for (let c: u32 = 0; c < n; c++) {
    assert(app_open(c) == 0, "app_open");
    tick(0);
  }
}

export function time(): f64 { return now; }
/** app_tick after `ms` more milliseconds. */
export function tick(ms: f64): void { now += ms; app_tick(now); }

export function stat32(off: usize): u32 { return load<u32>(loadgen_stats() + off); }
export function stat64(off: usize): u64 { return load<u64>(loadgen_stats() + off); }
export function state(): u32 { return stat32(St.STATE); }

/** Output of conn since the last take, as text. */
export function take(conn: u32): string {
  const end = tx_len(conn);
  const s = String.UTF8.decodeUnsafe(txBase + <usize>conn * TX_CAP + taken[conn], end - taken[conn]);
  taken[conn] = end;
  return s;
}

/** Skip conn's output (large values) and say how many bytes there were. */
export function skip(conn: u32): u32 {
  const end = tx_len(conn);
  const n = end - taken[conn];
  taken[conn] = end;
  return n;
}

/** Output bytes of conn at [from, from + len) of everything it wrote since init. */
export function outAt(conn: u32, from: u32): usize { return txBase + <usize>conn * TX_CAP + from; }

/** Deliver s as conn's input, in one app_data; the module consumes everything. */
export function reply(conn: u32, s: string): void {
  const b = String.UTF8.encode(s);
  const n = <u32>b.byteLength;
  assert(app_data(conn, changetype<usize>(b), n) == n, "app_data consumed everything");
}

/** Deliver s in two app_data calls, split at offset cut. */
export function replyAt(conn: u32, s: string, cut: i32): void {
  reply(conn, s.substring(0, cut));
  reply(conn, s.substring(cut));
}

export function closeConn(conn: u32): void { app_closed(conn); }
export function writable(conn: u32): void { app_writable(conn); }

const ALPHA = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";

/** Key i as the module writes it, computed independently. */
export function keyText(i: u32, size: i32): string {
  const d = i.toString();
  return "k" + "0".repeat(size - 1 - d.length) + d;
}

/** The value of key k (byte j = ALPHA[(k + j) % 62]). */
export function valueText(k: u32, size: u32): string {
  let s = "";
  const start = <i32>(k % 62);
  for (let done: u32 = 0; done < size; ) {
    const n = min<u32>(62, size - done);
    const from = (start + <i32>(done % 62)) % 62;
    s += (ALPHA + ALPHA).substring(from, from + <i32>n);
    done += n;
  }
  return s;
}

export function hit(k: u32, keySize: i32, valueSize: u32): string {
  return "VALUE " + keyText(k, keySize) + " 0 " + valueSize.toString() + "\r\n" + valueText(k, valueSize) + "\r\nEND\r\n";
}

/** The key index of a request line "get kNNN" / "set kNNN ..." at the start of s. */
export function keyOf(s: string): u32 {
  let end = s.length;
  const sp = s.indexOf(" ", 4), cr = s.indexOf("\r");
  if (sp >= 0 && sp < end) end = sp;
  if (cr >= 0 && cr < end) end = cr;
  return <u32>parseInt(s.substring(5, end));
}

/** The request lines (commands only) in s: "get k.." and "set k.. 0 0 N" lines, values skipped. */
export function commands(s: string): string[] {
  const out: string[] = [];
  let i = 0;
  for (let guard = 0; guard < 100000 && i < s.length; guard++) {
    const e = s.indexOf("\r\n", i);
    if (e < 0) break;
    const line = s.substring(i, e);
    out.push(line);
    i = e + 2;
    if (line.startsWith("set ")) {
      const n = parseInt(line.substring(line.lastIndexOf(" ") + 1));
      i += <i32>n + 2;
    }
  }
  return out;
}
