// Echo: the smallest protocol module (docs/protocol-modules.md). Every byte
// received is sent back, in order. It is the ping-pong baseline for the
// transports and the module the host's end-to-end tests run.
//
// Region: one u64 counter of bytes echoed by this instance (for tests).

@external("stack", "tx_reserve") declare function tx_reserve(conn: u32, min: u32): usize;
@external("stack", "tx_avail") declare function tx_avail(conn: u32): u32;
@external("stack", "tx_commit") declare function tx_commit(conn: u32, len: u32): void;
@external("stack", "conn_close") declare function conn_close(conn: u32): void;

const REGION_BYTES: usize = 64;

let gBase: usize = 0;

export function app_region_size(maxConns: u32): usize { return REGION_BYTES; }

export function app_init(control: usize, core: u32, base: usize, size: usize): i32 {
  if (size < REGION_BYTES) return -1;
  gBase = base;
  return 0;
}

export function app_tick(nowMs: f64): void {}

export function app_open(conn: u32): i32 { return 0; }

/** Echo as much as fits in the output now; the transport re-presents the rest after app_writable. */
export function app_data(conn: u32, ptr: usize, len: u32): u32 {
  const n = min(len, tx_avail(conn));
  if (n == 0) return 0;
  const out = tx_reserve(conn, 1);
  if (out == 0) return 0;
  memory.copy(out, ptr, n);
  tx_commit(conn, n);
  store<u64>(gBase, load<u64>(gBase) + n);
  return n;
}

export function app_writable(conn: u32): void {}

export function app_closed(conn: u32): void {}

/** Bytes echoed by this instance since app_init. */
export function echoed_bytes(): u64 { return load<u64>(gBase); }

export function static_end(): usize { return __heap_base; }
