// The userspace TCP/IP stack as a transport (docs/net-device.md,
// docs/protocol-modules.md, docs/netstack.md): frames in and out through
// the descriptor arrays of the frame-burst interface, bytes to and from one
// protocol module instance through its app_* exports and its `stack`
// imports (tx_reserve / tx_avail / tx_commit / conn_close, exported here).
//
// The protocol module's exports are called with call_indirect through this
// module's exported function table: the host puts them in slots
// [APP_SLOT, APP_SLOT + 5) in the order app_open, app_data, app_writable,
// app_closed, app_tick (net_app_slot() says where), and app_peek, which a
// module may leave out, in APP_SLOT + 5 (then net_app_peek(1)). Build with
// `--exportTable --tableBase 8` so those slots exist and are free.
//
// One instance per core. Everything lives in the core's region (given to
// net_init) or in globals (thread-local); nothing is allocated.
//
// Region layout, from `base` (all parts 64-byte aligned):
//   device     rx_desc, tx_desc (BURST_MAX x [addr, len] each), then 2 x BURST_MAX
//              copy buffers of FRAME_CAP bytes (rx first): host/devices DeviceRegion's layout
//   names      counter names, NAME_SLOT bytes each
//   peek list  BURST_MAX x [payload address, length] for app_peek (peek.ts)
//   conn marks one byte per connection (ConnMark)
//   iface      assembly/net/iface
//   tcp        assembly/net/tcp (rings of RX_RING / TX_RING bytes per connection)

import { Ctl } from "../shared/control";
import {
  BURST_MAX, DESC_SIZE, FRAME_CAP, IfCtr, ifaceAnnounce, ifaceCounter, ifaceInit, ifacePoll, ifacePollAt, ifaceSetNow, ifaceSize,
  ifCounterName,
} from "../net/iface/index";
import {
  Ctr, NO_CONN, tcpActive, tcpClose, tcpConnAt, tcpConnect, tcpCounter, tcpInit, tcpListen, tcpPinIsn, tcpRegionSize, tcpResetsDue,
  tcpSetApp, tcpSetLink, tcpShutdown, tcpTxAvail, tcpTxCommit, tcpTxReserve,
} from "../net/tcp/index";
import { ifaceOf } from "../net/iface/iface";
import { linkCommit } from "../net/iface/output";
import { CF } from "../net/tcp/conn";
import { reasonName } from "../net/wire/reasons";
import { drainBegin, heldFrames } from "./drain";
import { peekList } from "./peek";
import { NAME_SLOT, tcpCounterName, writeName } from "./names";

/** First table slot of the protocol module's exports (the host fills it; see net_app_slot). */
const APP_SLOT: u32 = 1;
namespace Slot {
  export const OPEN: u32 = APP_SLOT;
  export const DATA: u32 = APP_SLOT + 1;
  export const WRITABLE: u32 = APP_SLOT + 2;
  export const CLOSED: u32 = APP_SLOT + 3;
  export const TICK: u32 = APP_SLOT + 4;
  export const PEEK: u32 = APP_SLOT + 5;
}

/** Per-connection receive and send rings (powers of two; each has up to 8 KiB of slack beside it). */
const RX_RING: u32 = 32768;
const TX_RING: u32 = 32768;
/** Largest `min` a module may pass to tx_reserve (the ABI's limit). */
const RESERVE_MAX: u32 = 4096;
/** net_connect's ephemeral ports: IANA's dynamic range, each core starting at its own place in it. */
const EPHEMERAL_FIRST: u32 = 49152;
const EPHEMERAL_COUNT: u32 = 16384;

/** Per-connection marks (one byte). */
namespace ConnMark {
  /** The peer finished sending while the module still had output to write: close after app_writable. */
  export const CLOSE_AFTER_WRITABLE: u8 = 1;
}

const COUNTERS: u32 = IfCtr.COUNT + Ctr.COUNT;

let gDevice: usize = 0;
let gNames: usize = 0;
let gPeekList: usize = 0;
/** The module exports app_peek and the host put it in Slot.PEEK. */
let gPeekOn = false;
let gMarks: usize = 0;
let gIface: usize = 0;
let gTcp: usize = 0;
let gMax: u32 = 0;
let gIp: u32 = 0;
let gNextPort: u32 = EPHEMERAL_FIRST;
let gNowMs: f64 = -1;

@inline function align64(n: usize): usize { return (n + 63) & ~(<usize>63); }
@inline function deviceBytes(): usize { return <usize>2 * BURST_MAX * DESC_SIZE + <usize>2 * BURST_MAX * FRAME_CAP; }
@inline function namesBytes(): usize { return align64(<usize>COUNTERS * NAME_SLOT); }
@inline function peekBytes(): usize { return align64(<usize>BURST_MAX * 8); }
@inline function marksBytes(maxConns: u32): usize { return align64(<usize>maxConns); }

// ---- the host side ------------------------------------------------------------------

/** Connections past which the region would not fit in 4 GiB (about 80 KiB each). */
const MAX_CONNS_LIMIT: u32 = 50000;

@inline function fixedBytes(maxConns: u32): usize {
  return deviceBytes() + namesBytes() + peekBytes() + marksBytes(maxConns) + align64(ifaceSize());
}

/** Bytes of core-private region for max_conns connections (a multiple of 64); 0xFFFFFFC0 if over 4 GiB. */
export function net_region_size(maxConns: u32): usize {
  if (maxConns > MAX_CONNS_LIMIT) return <usize>0xFFFFFFC0;
  return align64(fixedBytes(maxConns) + tcpRegionSize(max(maxConns, 1), RX_RING, TX_RING));
}

/**
 * Bind this instance to its region and read the settings (Ctl.NET_*).
 * Returns 0; -1 region too small; -2 no connection slots; -3 bad address,
 * prefix, MAC or MTU; -4 the TCP layer refused its parameters.
 */
export function net_init(control: usize, core: u32, base: usize, size: usize): i32 {
  let maxConns = load<u32>(control + Ctl.MAX_CONNS);
  if (maxConns == 0) return -2;
  if (size < net_region_size(maxConns)) return -1;
  let ip = load<u32>(control + Ctl.NET_IP);
  let mtu = load<u32>(control + Ctl.NET_MTU);
  if (mtu == 0) mtu = 1500;
  bind(base, maxConns);
  gIp = ip;
  gNextPort = EPHEMERAL_FIRST + (core * 1021) % EPHEMERAL_COUNT; // cores apart, so their 4-tuples differ
  gNowMs = -1;
  memory.fill(gMarks, 0, marksBytes(maxConns));
  let tcpSize = base + size - gTcp;
  if (tcpInit(gTcp, tcpSize, maxConns, RX_RING, TX_RING, mtu, load<u64>(control + Ctl.NET_SEED)) != 0) return -4;
  if (ifaceInit(gIface, gTcp, load<u64>(control + Ctl.NET_MAC), ip, load<u32>(control + Ctl.NET_PREFIX),
    load<u32>(control + Ctl.NET_GATEWAY), mtu, load<u32>(control + Ctl.NET_FLAGS)) != 0) return -3;
  tcpSetApp(gTcp, upOpen, upData, upWritable, upPeerFin, upClosed);
  let port = load<u32>(control + Ctl.NET_PORT);
  if (port != 0) tcpListen(gTcp, port);
  // descriptors point at the copy buffers until a device offers its own
  let rxBufs = net_frame_buffers();
  for (let i: u32 = 0; i < BURST_MAX; i++) {
    store<u32>(net_rx_desc() + <usize>i * DESC_SIZE, <u32>(rxBufs + <usize>i * FRAME_CAP));
    store<u32>(net_rx_desc() + <usize>i * DESC_SIZE, FRAME_CAP, 4);
    store<u32>(net_tx_desc() + <usize>i * DESC_SIZE, <u32>(rxBufs + <usize>(BURST_MAX + i) * FRAME_CAP));
    store<u32>(net_tx_desc() + <usize>i * DESC_SIZE, FRAME_CAP, 4);
  }
  for (let i: u32 = 0; i < COUNTERS; i++) {
    let p = gNames + <usize>i * NAME_SLOT;
    if (i < IfCtr.WIRE_BASE) writeName(p, "if_", ifCounterName(i));
    else if (i < IfCtr.COUNT) writeName(p, "if_drop_", reasonName(i - IfCtr.WIRE_BASE));
    else if (i - IfCtr.COUNT < Ctr.WIRE_BASE) writeName(p, "tcp_", tcpCounterName(i - IfCtr.COUNT));
    else writeName(p, "tcp_drop_", reasonName(i - IfCtr.COUNT - Ctr.WIRE_BASE));
  }
  return 0;
}

/** This instance's parts in a core region at base (the region layout in the header). */
function bind(base: usize, maxConns: u32): void {
  gMax = maxConns;
  gDevice = base;
  gNames = base + deviceBytes();
  gPeekList = gNames + namesBytes();
  gMarks = gPeekList + peekBytes();
  gIface = gMarks + marksBytes(maxConns);
  gTcp = gIface + align64(ifaceSize());
}

/**
 * Points this instance at a core region that core's own instance set up
 * (net_init), writing nothing: the host's main thread reads a running core's
 * counters this way (net_counter, net_counter_name) for its metrics. Only
 * those reads are valid afterwards. 0, or -1 if the region is too small.
 */
export function net_attach(control: usize, base: usize, size: usize): i32 {
  let maxConns = load<u32>(control + Ctl.MAX_CONNS);
  if (maxConns == 0 || size < net_region_size(maxConns)) return -1;
  bind(base, maxConns);
  return 0;
}

export function net_rx_desc(): usize { return gDevice; }
export function net_tx_desc(): usize { return gDevice + <usize>BURST_MAX * DESC_SIZE; }
export function net_frame_buffers(): usize { return gDevice + <usize>2 * BURST_MAX * DESC_SIZE; }
/** First function-table slot the host fills with the protocol module's exports (see the header). */
export function net_app_slot(): u32 { return APP_SLOT; }
/** The host put the module's app_peek in slot net_app_slot() + 5: call it ahead of each burst of two or more frames. */
export function net_app_peek(on: u32): void { gPeekOn = on != 0; }

/**
 * One burst (docs/net-device.md): rx_count received frames, tx_avail offered
 * tx buffers, the time in unix ms. Returns how many tx descriptors describe
 * frames to send.
 */
export function net_poll(rxCount: u32, txAvail: u32, nowMs: f64): u32 {
  if (nowMs != gNowMs) {
    gNowMs = nowMs;
    ifaceSetNow(gIface, now());
    call_indirect<void>(Slot.TICK, nowMs);
  }
  let rx = min(rxCount, BURST_MAX);
  // one frame has no other request's misses to overlap with
  if (gPeekOn && rx > 1) {
    let n = peekList(net_rx_desc(), rx, gPeekList);
    if (n > 1) call_indirect<void>(Slot.PEEK, gPeekList, n);
  }
  return ifacePoll(gIface, net_rx_desc(), rx, net_tx_desc(), min(txAvail, BURST_MAX), now());
}

@inline function now(): u64 { return gNowMs > 0 ? <u64>gNowMs : 0; }

/** When net_poll is next needed with no input (unix ms; <= now: at once); +Inf if never. */
export function net_poll_at(): f64 {
  let t = ifacePollAt(gIface);
  return t == 0 ? Infinity : <f64>t;
}

/**
 * Test hook (pcap replay, docs/replay.md): while on != 0 every new connection
 * gets ISN iss (the recorded server's), so a recorded client's ACKs stay valid.
 * Off after net_init; the production host never calls it.
 */
export function net_pin_isn(on: u32, iss: u32): void { tcpPinIsn(gTcp, on != 0, iss); }

/**
 * The orderly end (docs/netstack.md, "Shutdown"): stop listening (a SYN gets
 * the closed port's RST) and abort every connection: the protocol module
 * hears app_closed now for each it had open, and one RST per connection is
 * queued for the following net_poll calls (as many per call as tx buffers
 * allow; net_poll_at() is "at once" and net_pending_tx() is non-zero until
 * they are all built). TIME-WAIT entries are dropped. Returns how many
 * connections were aborted; a second call returns 0 and does nothing.
 */
export function net_shutdown(): u32 {
  if (gTcp == 0) return 0; // never initialised: nothing to end
  tcpSetLink(gTcp, gIface, drainBegin, linkCommit); // no RST lost behind another held one
  return tcpShutdown(gTcp);
}

/**
 * Frames the stack still means to send and has not built into a tx buffer:
 * RSTs net_shutdown queued, plus frames held for an unresolved next hop.
 * The host steps (bounded) until it is 0 before closing the device.
 */
export function net_pending_tx(): u32 {
  if (gTcp == 0) return 0;
  return tcpResetsDue(gTcp) + heldFrames(ifaceOf(gIface));
}

/** Queue a gratuitous ARP (sent by the next net_poll). */
export function net_announce(): void { ifaceAnnounce(gIface); }

/**
 * Active open to ip:port (ip in host order) from our address and the next
 * free ephemeral port. Returns the connection slot (the module hears
 * app_open(conn) once established), or -1 when no slot is free.
 */
export function net_connect(ip: u32, port: u32): i32 {
  for (let tries: u32 = 0; tries < 64; tries++) {
    let lport = gNextPort;
    gNextPort = gNextPort >= 65535 ? EPHEMERAL_FIRST : gNextPort + 1;
    let c = tcpConnect(gTcp, gIp, lport, ip, port, now());
    if (c != NO_CONN) return <i32>c;
    if (tcpActive(gTcp) >= gMax) break; // the table is full, not just this 4-tuple in use
  }
  return -1;
}

export function net_counter_count(): u32 { return COUNTERS; }
export function net_counter(i: u32): u64 {
  if (i < IfCtr.COUNT) return ifaceCounter(gIface, i);
  if (i < COUNTERS) return tcpCounter(gTcp, i - IfCtr.COUNT);
  return 0;
}
/** Address of counter i's NUL-terminated ASCII name (0 past the end). */
export function net_counter_name(i: u32): usize { return i < COUNTERS ? gNames + <usize>i * NAME_SLOT : 0; }

// ---- the protocol module's `stack` imports ---------------------------------------------

export function tx_reserve(conn: u32, min: u32): usize {
  return min > RESERVE_MAX ? 0 : tcpTxReserve(gTcp, conn, min);
}
export function tx_avail(conn: u32): u32 { return tcpTxAvail(gTcp, conn); }
export function tx_commit(conn: u32, len: u32): void { tcpTxCommit(gTcp, conn, len); }
export function conn_close(conn: u32): void {
  if (conn < gMax) store<u8>(gMarks + conn, 0);
  tcpClose(gTcp, conn);
}

export function static_end(): usize { return __heap_base; }

// ---- upcalls from the TCP layer, passed on to the protocol module ---------------------

function upOpen(s: usize, conn: u32): i32 {
  store<u8>(gMarks + conn, 0);
  return call_indirect<i32>(Slot.OPEN, conn);
}

function upData(s: usize, conn: u32, ptr: usize, len: u32): u32 {
  return call_indirect<u32>(Slot.DATA, conn, ptr, len);
}

function upWritable(s: usize, conn: u32): void {
  call_indirect<void>(Slot.WRITABLE, conn);
  closeIfDone(conn);
}

/**
 * The peer finished sending and the module has consumed everything before
 * its FIN. The ABI has no half-close event: like memcached on EOF, we close
 * our side once the module's output is written — now, unless the module is
 * waiting for output space (then after the app_writable that lets it finish).
 */
function upPeerFin(s: usize, conn: u32): void {
  store<u8>(gMarks + conn, ConnMark.CLOSE_AFTER_WRITABLE);
  closeIfDone(conn);
}

function closeIfDone(conn: u32): void {
  if (load<u8>(gMarks + conn) != ConnMark.CLOSE_AFTER_WRITABLE) return;
  if (tcpConnAt(gTcp, conn).flags & CF.WANT_WRITABLE) return; // more output to come
  store<u8>(gMarks + conn, 0);
  tcpClose(gTcp, conn);
}

function upClosed(s: usize, conn: u32): void {
  store<u8>(gMarks + conn, 0);
  call_indirect<void>(Slot.CLOSED, conn);
}
