// The settings the host writes at control + Ctl.APP_CONFIG before app_init
// (docs/loadgen.md, "Settings"), and their validation. app_init copies them
// into the instance state (inst.ts): the control block is not read again on
// the data path, except the FILL barrier word.

import { Ctl } from "../shared/control";

export const LGEN_MAGIC: u32 = 0x4E45474C; // "LGEN" little-endian

/** Byte offsets from control + Ctl.APP_CONFIG (all u32, little-endian). */
export namespace Cfg {
  export const MAGIC: u32 = 0;
  export const SERVER_IP: u32 = 4;      // host byte order
  export const SERVER_PORT: u32 = 8;
  export const CONNS: u32 = 12;         // per instance
  export const DEPTH: u32 = 16;         // requests in flight per connection
  export const KEYS: u32 = 20;
  export const KEY_SIZE: u32 = 24;
  export const VALUE_SIZE: u32 = 28;
  export const SET_PERMILLE: u32 = 32;
  export const FLAGS: u32 = 36;
  export const REQUESTS: u32 = 40;      // per instance, measured phase; 0 = no limit
  export const DURATION_MS: u32 = 44;   // measured phase; 0 = no limit
  export const SEED: u32 = 48;
  export const TIMEOUT_MS: u32 = 52;    // 0 = DEFAULT_TIMEOUT_MS
  /** (atomic) instances that finished their FILL share; the host leaves it 0. Not a setting. */
  export const FILL_BARRIER: u32 = 56;
  export const ZIPF_MILLI: u32 = 60;    // Zipf exponent × 1000 for the measured phase's keys; 0 = uniform
}

export namespace Flag {
  /** Set every key once before the measured phase. */
  export const FILL: u32 = 1;
  export const KNOWN: u32 = FILL;
}

/** app_init's results (docs/loadgen.md, "Error codes"). */
export namespace Err {
  export const REGION: i32 = -1;        // region smaller than app_region_size(Ctl.MAX_CONNS)
  export const MAGIC: i32 = -2;         // no "LGEN" at APP_CONFIG: the host wrote no settings
  export const CONNS: i32 = -3;         // conns 0 or > Ctl.MAX_CONNS
  export const DEPTH: i32 = -4;         // depth not in 1..64
  export const KEYS: i32 = -5;          // keys 0
  export const KEY_SIZE: i32 = -6;      // key size not in 4..250
  export const KEY_FIT: i32 = -7;       // "k" + the largest key index does not fit the key size
  export const VALUE_SIZE: i32 = -8;    // value size > 1 MiB
  export const SET_PERMILLE: i32 = -9;  // > 1000
  export const NO_END: i32 = -10;       // requests and duration both 0: the run would never end
  export const SERVER: i32 = -11;       // server address 0, or port 0 or > 65535
  export const FLAGS: i32 = -12;        // unknown flag bits
  export const CORE: i32 = -13;         // Ctl.N_CORES 0 or core >= Ctl.N_CORES
  export const ZIPF: i32 = -14;         // Zipf exponent over 10 (× 1000: over 10000)
}

export const DEPTH_MAX: u32 = 64;
export const KEY_SIZE_MIN: u32 = 4;
export const KEY_SIZE_MAX: u32 = 250; // memcached's KEY_MAX_LENGTH
export const VALUE_SIZE_MAX: u32 = 1 << 20;
export const DEFAULT_TIMEOUT_MS: u32 = 5000;
export const ZIPF_MILLI_MAX: u32 = 10000;

@inline export function cfg(control: usize, field: u32): u32 {
  return load<u32>(control + Ctl.APP_CONFIG + field);
}

/** Decimal digits of v (1 for 0). */
export function decDigits(v: u32): u32 {
  let n: u32 = 1;
  while (v >= 10) { v /= 10; n++; } // at most 10 rounds
  return n;
}

/** 0 if the settings are usable by instance `core`, else the first problem's Err code. */
export function checkConfig(control: usize, core: u32): i32 {
  if (cfg(control, Cfg.MAGIC) != LGEN_MAGIC) return Err.MAGIC;
  let nCores = load<u32>(control + Ctl.N_CORES);
  if (nCores == 0 || core >= nCores) return Err.CORE;
  let conns = cfg(control, Cfg.CONNS);
  if (conns == 0 || conns > load<u32>(control + Ctl.MAX_CONNS)) return Err.CONNS;
  let depth = cfg(control, Cfg.DEPTH);
  if (depth == 0 || depth > DEPTH_MAX) return Err.DEPTH;
  let keys = cfg(control, Cfg.KEYS);
  if (keys == 0) return Err.KEYS;
  let keySize = cfg(control, Cfg.KEY_SIZE);
  if (keySize < KEY_SIZE_MIN || keySize > KEY_SIZE_MAX) return Err.KEY_SIZE;
  if (1 + decDigits(keys - 1) > keySize) return Err.KEY_FIT;
  if (cfg(control, Cfg.VALUE_SIZE) > VALUE_SIZE_MAX) return Err.VALUE_SIZE;
  if (cfg(control, Cfg.SET_PERMILLE) > 1000) return Err.SET_PERMILLE;
  if (cfg(control, Cfg.REQUESTS) == 0 && cfg(control, Cfg.DURATION_MS) == 0) return Err.NO_END;
  let port = cfg(control, Cfg.SERVER_PORT);
  if (cfg(control, Cfg.SERVER_IP) == 0 || port == 0 || port > 65535) return Err.SERVER;
  if (cfg(control, Cfg.FLAGS) & ~Flag.KNOWN) return Err.FLAGS;
  if (cfg(control, Cfg.ZIPF_MILLI) > ZIPF_MILLI_MAX) return Err.ZIPF;
  return 0;
}
