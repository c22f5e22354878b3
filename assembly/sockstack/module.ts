// The kernel-socket transport's Wasm side (docs/protocol-modules.md).
//
// host/socket-worker.ts moves bytes between kernel sockets and the buffers
// kept here; the protocol module writes its replies here through the `stack`
// imports (tx_reserve / tx_avail / tx_commit / conn_close), which the host
// links Wasm-to-Wasm to this instance's exports.
//
// One instance per core. All state is in the core's region (given to
// sock_init) or in globals (thread-local); nothing is allocated.
//
// Region layout, from `base` (all offsets multiples of 64):
//   [0, 64)                 header (see Hdr)
//   [64, 64 + SCRATCH)      host scratch: epoll events, sockaddr, option words
//   conn table              max_conns x CONN_BYTES: rx_len, tx_sent, tx_len, flags
//   rx buffers              max_conns x RX_CAP: unconsumed input at the start
//   tx buffers              max_conns x TX_CAP: output, pending = [tx_sent, tx_len)

import { Ctl } from "../shared/control";

/** Receive buffer per connection: the ABI promises modules >= 8 KiB of unconsumed input. */
export const RX_CAP: u32 = 16384;
/** Output buffer per connection. A reply larger than this is streamed (tx_avail + app_writable). */
export const TX_CAP: u32 = 32768;
/** Largest `min` a module may pass to tx_reserve (the ABI's limit). */
export const RESERVE_MAX: u32 = 4096;
/** Bytes of host scratch after the header. */
export const SCRATCH: u32 = 4032;

const HDR: u32 = 64;
const CONN_BYTES: u32 = 16;

// Header words (u32).
namespace Hdr {
  export const MAX_CONNS: u32 = 0;
  export const CORE: u32 = 4;
}

// Conn table words.
namespace C {
  export const RX_LEN: u32 = 0;
  export const TX_SENT: u32 = 4;
  export const TX_LEN: u32 = 8;
  export const FLAGS: u32 = 12;
}

/** conn_close was called: close once the committed output is sent. */
export const F_CLOSE: u32 = 1;
/** The module found too little output space: call app_writable after draining. */
export const F_BLOCKED: u32 = 2;

let gBase: usize = 0;
let gControl: usize = 0;
let gMax: u32 = 0;
let gTable: usize = 0;
let gRx: usize = 0;
let gTx: usize = 0;

@inline function align64(n: usize): usize { return (n + 63) & ~(<usize>63); }
@inline function tableBytes(maxConns: u32): usize { return align64(<usize>maxConns * CONN_BYTES); }
@inline function st(conn: u32): usize { return gTable + <usize>conn * CONN_BYTES; }
@inline function txBuf(conn: u32): usize { return gTx + <usize>conn * TX_CAP; }

// ---- host side ---------------------------------------------------------------

/** Bytes of region this transport needs for max_conns connections (a multiple of 64); 0xFFFFFFC0 if over 4 GiB. */
export function sock_region_size(maxConns: u32): usize {
  const n = <u64>HDR + SCRATCH + ((<u64>maxConns * CONN_BYTES + 63) & ~(<u64>63)) + <u64>maxConns * (RX_CAP + TX_CAP);
  return n > 0xFFFFFFC0 ? <usize>0xFFFFFFC0 : <usize>n;
}

/** Bind this instance to its region. Returns 0, -1 if the region is too small, -2 if max_conns is 0. */
export function sock_init(control: usize, core: u32, base: usize, size: usize): i32 {
  const maxConns = load<u32>(control + Ctl.MAX_CONNS);
  if (maxConns == 0) return -2;
  if (size < sock_region_size(maxConns)) return -1;
  gBase = base;
  gControl = control;
  gMax = maxConns;
  gTable = base + HDR + SCRATCH;
  gRx = gTable + tableBytes(maxConns);
  gTx = gRx + <usize>maxConns * RX_CAP;
  store<u32>(base + Hdr.MAX_CONNS, maxConns);
  store<u32>(base + Hdr.CORE, core);
  return 0;
}

export function sock_scratch(): usize { return gBase + HDR; }
export function sock_scratch_size(): u32 { return SCRATCH; }
export function rx_cap(): u32 { return RX_CAP; }
export function tx_cap(): u32 { return TX_CAP; }

/** Count a connection refused because every slot was taken: process-wide, for stats rejected_connections. */
export function sock_reject(): void { atomic.add<u32>(gControl + Ctl.REJECTED_CONNS, 1); }
export function sock_rejected(): u32 { return atomic.load<u32>(gControl + Ctl.REJECTED_CONNS); }

/** Forget everything about slot conn (new connection, or after close). */
export function conn_reset(conn: u32): void {
  if (conn >= gMax) return;
  const s = st(conn);
  store<u64>(s, 0);
  store<u64>(s + 8, 0);
}

/** Start of conn's receive buffer; unconsumed input is at [rx_buf, rx_buf + rx_len). */
export function rx_buf(conn: u32): usize {
  return conn < gMax ? gRx + <usize>conn * RX_CAP : 0;
}
export function rx_len(conn: u32): u32 {
  return conn < gMax ? load<u32>(st(conn) + C.RX_LEN) : 0;
}
/** n bytes were received at rx_buf + rx_len. */
export function rx_add(conn: u32, n: u32): void {
  if (conn >= gMax) return;
  const s = st(conn);
  const len = load<u32>(s + C.RX_LEN);
  store<u32>(s + C.RX_LEN, min(RX_CAP, len + min(n, RX_CAP)));
}
/** The module consumed n bytes: keep the rest at the start of the buffer. */
export function rx_consume(conn: u32, n: u32): void {
  if (conn >= gMax) return;
  const s = st(conn);
  const len = load<u32>(s + C.RX_LEN);
  if (n >= len) { store<u32>(s + C.RX_LEN, 0); return; }
  if (n == 0) return;
  const buf = gRx + <usize>conn * RX_CAP;
  memory.copy(buf, buf + n, len - n);
  store<u32>(s + C.RX_LEN, len - n);
}

/** Committed output not yet sent. */
export function tx_pending(conn: u32): u32 {
  if (conn >= gMax) return 0;
  const s = st(conn);
  return load<u32>(s + C.TX_LEN) - load<u32>(s + C.TX_SENT);
}
export function tx_pending_ptr(conn: u32): usize {
  return conn < gMax ? txBuf(conn) + load<u32>(st(conn) + C.TX_SENT) : 0;
}
/** n bytes of pending output went to the kernel. */
export function tx_sent(conn: u32, n: u32): void {
  if (conn >= gMax) return;
  const s = st(conn);
  const len = load<u32>(s + C.TX_LEN);
  const sent = load<u32>(s + C.TX_SENT) + n;
  if (sent >= len) { store<u64>(s + C.TX_SENT, 0); return; } // TX_SENT and TX_LEN both 0
  store<u32>(s + C.TX_SENT, sent);
}

export function conn_flags(conn: u32): u32 {
  return conn < gMax ? load<u32>(st(conn) + C.FLAGS) : 0;
}
/** Returns whether the module was blocked on output, and clears the mark. */
export function take_blocked(conn: u32): bool {
  if (conn >= gMax) return false;
  const s = st(conn);
  const f = load<u32>(s + C.FLAGS);
  store<u32>(s + C.FLAGS, f & ~F_BLOCKED);
  return (f & F_BLOCKED) != 0;
}

// ---- module side: the `stack` imports of a protocol module --------------------

/** Move unsent output to the start of the buffer so free space is contiguous. */
function compact(s: usize, conn: u32): void {
  const sent = load<u32>(s + C.TX_SENT);
  if (sent == 0) return;
  const len = load<u32>(s + C.TX_LEN);
  const buf = txBuf(conn);
  memory.copy(buf, buf + sent, len - sent);
  store<u32>(s + C.TX_SENT, 0);
  store<u32>(s + C.TX_LEN, len - sent);
}

function markBlocked(s: usize): void {
  store<u32>(s + C.FLAGS, load<u32>(s + C.FLAGS) | F_BLOCKED);
}

export function tx_avail(conn: u32): u32 {
  if (conn >= gMax) return 0;
  const s = st(conn);
  compact(s, conn);
  const avail = TX_CAP - load<u32>(s + C.TX_LEN);
  // A module that asks while output is pending may stop for lack of room:
  // make sure it hears app_writable once the output drains.
  if (avail < TX_CAP) markBlocked(s);
  return avail;
}

export function tx_reserve(conn: u32, min: u32): usize {
  if (conn >= gMax || min > RESERVE_MAX) return 0;
  const s = st(conn);
  compact(s, conn); // so tx_reserve and tx_avail agree on the pointer, in either order
  const len = load<u32>(s + C.TX_LEN);
  if (TX_CAP - len < min) { markBlocked(s); return 0; }
  return txBuf(conn) + len;
}

export function tx_commit(conn: u32, len: u32): void {
  if (conn >= gMax) return;
  const s = st(conn);
  const cur = load<u32>(s + C.TX_LEN);
  store<u32>(s + C.TX_LEN, cur + min(len, TX_CAP - cur));
}

export function conn_close(conn: u32): void {
  if (conn >= gMax) return;
  const s = st(conn);
  store<u32>(s + C.FLAGS, load<u32>(s + C.FLAGS) | F_CLOSE);
}

export function static_end(): usize { return __heap_base; }
