// Per-instance context: globals are per instance (thread-local), so they
// hold this core's view; everything shared lives in linear memory.
//
// This instance's private region (from app_init):
//   [0, 512)        per-core counters (stats.ts), u64 each
//   [512, 1024)     scratch: the token table of the line being parsed
//   [1024, 1536)    the key hashes of the burst being warmed (warm.ts)
//   [1536, ...)     one session record per connection slot (session.ts)
// Every core's region has the same layout, at the same offset inside its
// core region, so core k's counters sit at base + (k - core) * CORE_STRIDE.

import { Ctl } from "../shared/control";

export const REGION_STATS: usize = 0;
export const REGION_TOKENS: usize = 512;
export const REGION_WARM: usize = 1024;
export const REGION_SESSIONS: usize = 1536;

export let ctl: usize = 0;        // control block
export let core: u32 = 0;         // this instance's core number
export let base: usize = 0;       // this instance's region
export let maxConns: u32 = 0;     // connection slots
export let nowRel: u32 = 0;       // memcached rel time (seconds since PROCESS_STARTED)
export let nowUnix: u32 = 0;      // unix seconds

export function instanceInit(control: usize, c: u32, b: usize, conns: u32): void {
  ctl = control;
  core = c;
  base = b;
  maxConns = conns;
  setClock(<f64>load<u32>(control + Ctl.PROCESS_STARTED) * 1000);
}

export function setClock(nowMs: f64): void {
  const unix = <u32>Math.floor(nowMs / 1000);
  nowUnix = unix;
  const started = load<u32>(ctl + Ctl.PROCESS_STARTED);
  nowRel = unix > started ? unix - started : 0;
}

/** Base of core k's region (k < N_CORES). */
@inline export function coreBase(k: u32): usize {
  const stride = <usize>load<u32>(ctl + Ctl.CORE_STRIDE);
  return base + <usize>k * stride - <usize>core * stride;
}
