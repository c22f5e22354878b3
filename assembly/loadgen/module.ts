// The load generator (docs/loadgen.md): a protocol module that runs on the
// userspace stack in active-open mode. It opens connections to a memcached
// server with net_connect, keeps `depth` pipelined text-protocol requests in
// flight on each, and verifies every reply byte for byte. Settings come from
// the control block's APP_CONFIG area; results go to the stats block at the
// start of the instance's region (loadgen_stats()).
//
// The parts: config.ts (settings, error codes), inst.ts (instance state,
// region layout), conn.ts (per-connection state), text.ts (keys, values,
// fixed words), requests.ts (writing), verify.ts (checking), phases.ts (the
// run), stats.ts (the stats block). Nothing is allocated; every loop is bounded.

import { Ctl } from "../shared/control";
import { Cfg, cfg, checkConfig, DEFAULT_TIMEOUT_MS, Err } from "./config";
import { zipfSetup } from "./zipf";
import { CONN_BYTES, connAt, Status } from "./conn";
import { I, instBind, ORD_AT, TABLE_AT } from "./inst";
import { closed, opened, progress, tick } from "./phases";
import { pump } from "./requests";
import { STATS_BYTES, statsAt, statsBind } from "./stats";
import { tableFill } from "./text";
import { verify } from "./verify";

/** Slots past which the region would not fit in 4 GiB. */
const MAX_SLOTS_LIMIT: u32 = 1 << 20;

@inline function align64(n: usize): usize { return (n + 63) & ~(<usize>63); }

/** Bytes for maxConns slots: fixed parts, then one Conn per slot (never the value size). */
export function app_region_size(maxConns: u32): usize {
  if (maxConns > MAX_SLOTS_LIMIT) return <usize>0xFFFFFFC0;
  return ORD_AT + align64(<usize>maxConns << 2) + <usize>maxConns * CONN_BYTES;
}

/** Read and check the settings (config.ts Err codes), lay out the region. */
export function app_init(control: usize, core: u32, base: usize, size: usize): i32 {
  let bad = checkConfig(control, core);
  if (bad != 0) return bad;
  let maxSlots = load<u32>(control + Ctl.MAX_CONNS);
  if (size < app_region_size(maxSlots)) return Err.REGION;
  statsBind(base);
  instBind(base + STATS_BYTES);
  I.ip = cfg(control, Cfg.SERVER_IP);
  I.port = cfg(control, Cfg.SERVER_PORT);
  I.conns = cfg(control, Cfg.CONNS);
  I.depth = cfg(control, Cfg.DEPTH);
  I.keys = cfg(control, Cfg.KEYS);
  I.keySize = cfg(control, Cfg.KEY_SIZE);
  I.valueSize = cfg(control, Cfg.VALUE_SIZE);
  I.setPermille = cfg(control, Cfg.SET_PERMILLE);
  I.flags = cfg(control, Cfg.FLAGS);
  I.requests = cfg(control, Cfg.REQUESTS);
  I.durationMs = cfg(control, Cfg.DURATION_MS);
  I.seed = cfg(control, Cfg.SEED);
  let timeout = cfg(control, Cfg.TIMEOUT_MS);
  I.timeoutMs = timeout == 0 ? DEFAULT_TIMEOUT_MS : timeout;
  I.zipf = cfg(control, Cfg.ZIPF_MILLI);
  if (I.zipf != 0) zipfSetup(I.keys, <f64>I.zipf / 1000);
  I.core = core;
  I.nCores = load<u32>(control + Ctl.N_CORES);
  I.maxSlots = maxSlots;
  I.table = base + TABLE_AT;
  I.ordSlots = base + ORD_AT;
  I.conns0 = base + ORD_AT + align64(<usize>maxSlots << 2);
  I.barrier = control + Ctl.APP_CONFIG + Cfg.FILL_BARRIER;
  tableFill(I.table);
  memory.fill(I.ordSlots, 0, I.conns0 - I.ordSlots + <usize>maxSlots * CONN_BYTES);
  return 0;
}

export function app_tick(nowMs: f64): void {
  I.busy++;
  tick(nowMs);
  I.busy--;
}

export function app_open(conn: u32): i32 {
  I.busy++;
  let r = opened(conn);
  if (r == 0) {
    progress(); // the last connection to resolve starts the first phase
    pump(conn);
  }
  I.busy--;
  return r;
}

/** Everything is consumed: verification keeps only the offset reached in the head reply. */
export function app_data(conn: u32, ptr: usize, len: u32): u32 {
  if (conn >= I.maxSlots) return len;
  I.busy++;
  verify(conn, ptr, len);
  let c = connAt(conn);
  if (c.status == Status.OPEN) pump(conn);
  if (c.status != Status.OPEN || c.count == 0) progress(); // its share may be done, or it failed
  I.busy--;
  return len;
}

export function app_writable(conn: u32): void {
  if (conn >= I.maxSlots) return;
  I.busy++;
  let c = connAt(conn);
  c.blocked = 0;
  pump(conn);
  if (c.count == 0) progress();
  I.busy--;
}

export function app_closed(conn: u32): void {
  let outer = I.busy == 0; // inside our own conn_close, the caller moves the run on
  I.busy++;
  closed(conn);
  if (outer) progress();
  I.busy--;
}

/** Address of the stats block (docs/loadgen.md), for tests and the host. */
export function loadgen_stats(): usize { return statsAt(); }

export function static_end(): usize { return __heap_base; }
