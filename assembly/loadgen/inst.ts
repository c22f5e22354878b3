// This instance's state: the settings copied from APP_CONFIG, where the
// parts of the region are, and the run's progress. An @unmanaged struct in
// the region right after the stats block, reached through one global.
//
// Region layout (app_region_size):
//   0      stats block (stats.ts, STATS_BYTES)
//   512    Inst (INST_BYTES)
//   768    value table (text.ts, TABLE_BYTES)
//   4928   ordinal -> slot table: u32 per connection we open (NO_SLOT once it is gone)
//   ...    one Conn (conn.ts, CONN_BYTES) per stack slot, Ctl.MAX_CONNS of them

@unmanaged export class Inst {
  // settings
  ip: u32;
  port: u32;
  conns: u32;
  depth: u32;
  keys: u32;
  keySize: u32;
  valueSize: u32;
  setPermille: u32;
  flags: u32;
  requests: u32;
  durationMs: u32;
  seed: u32;
  timeoutMs: u32;
  core: u32;
  nCores: u32;
  maxSlots: u32;
  // where
  table: usize;
  ordSlots: usize;
  conns0: usize;
  barrier: usize;
  // progress
  started: u32;     // the first app_tick came
  nextOrd: u32;     // connections opened with net_connect so far
  arrived: u32;     // this instance's FILL share is done and counted in the barrier
  closing: u32;     // the end: every connection was told to close
  busy: u32;        // depth of calls into this module (app_closed inside conn_close)
  stopped: u32;     // the measured phase issues nothing more
  zipf: u32;        // Zipf exponent × 1000 of the measured phase's keys; 0 = uniform
  pad1: u32;
  now: f64;         // the last app_tick's time
  startMs: f64;     // measured phase start
  arrivedAt: f64;   // when this instance reached the FILL barrier
  closeAt: f64;     // when the connections were told to close
}

export const INST_BYTES: usize = 256;
export const TABLE_AT: usize = 768;
export const ORD_AT: usize = 4928;
export const NO_SLOT: u32 = 0xFFFFFFFF;

export let I: Inst = changetype<Inst>(0);

export function instBind(p: usize): void {
  memory.fill(p, 0, INST_BYTES);
  I = changetype<Inst>(p);
}

@inline export function ordSlot(ord: u32): u32 { return load<u32>(I.ordSlots + (<usize>ord << 2)); }
@inline export function setOrdSlot(ord: u32, slot: u32): void { store<u32>(I.ordSlots + (<usize>ord << 2), slot); }
