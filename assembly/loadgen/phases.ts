// The instance's run: connect, FILL, the measured phase, drain, close, done
// (State in stats.ts). progress() moves it on; it runs at the end of every
// app_tick and after connection events, scanning at most `conns`
// connections, never per reply. Every wait has a bound: connects and
// replies time out (timeoutMs), the FILL barrier and the final close too.

import { Conn, connAt, connFail, Status } from "./conn";
import { Flag } from "./config";
import { I, NO_SLOT, ordSlot, setOrdSlot } from "./inst";
import { pump } from "./requests";
import { conn_close, net_connect } from "./stack";
import { addU64, getState, setF64, setState, setU32, St, State, statU32 } from "./stats";

/** The connection ord's state, or null once it is gone (never opened, or app_closed came). */
@inline function ordConn(ord: u32): Conn | null {
  let slot = ordSlot(ord);
  return slot == NO_SLOT ? null : connAt(slot);
}

/**
 * Open the next connection. One per app_tick: the stack holds only the
 * latest segment per next hop between bursts (docs/netstack.md), so SYNs
 * sent together from one tick would replace each other.
 */
function connectNext(): void {
  let ord = I.nextOrd++;
  let r = net_connect(I.ip, I.port);
  if (r < 0 || <u32>r >= I.maxSlots) {
    if (r >= 0) conn_close(<u32>r); // a slot past our table (cannot happen with Ctl.MAX_CONNS slots)
    setOrdSlot(ord, NO_SLOT);
    addU64(St.FAILED, 1);
    return;
  }
  let slot = <u32>r;
  let c = connAt(slot);
  memory.fill(changetype<usize>(c), 0, offsetof<Conn>());
  c.status = Status.CONNECTING;
  c.ordinal = ord;
  c.since = I.now;
  // FILL: the key space split evenly over every core's connections
  let all = <u64>I.nCores * I.conns, g = <u64>I.core * I.conns + ord;
  c.fillNext = <u32>(<u64>I.keys * g / all);
  c.fillEnd = <u32>(<u64>I.keys * (g + 1) / all);
  // the instance's request count split evenly over its connections
  let R = <u64>I.requests;
  c.quota = R == 0 ? U64.MAX_VALUE : R * (ord + 1) / I.conns - R * ord / I.conns;
  c.rng = ((<u64>I.seed << 32) | I.core) ^ (<u64>(ord + 1) * 0xD1B54A32D192ED03);
  setOrdSlot(ord, slot);
}

function pumpAll(): void {
  for (let ord: u32 = 0; ord < I.nextOrd; ord++) {
    let slot = ordSlot(ord);
    if (slot != NO_SLOT) pump(slot);
  }
}

function startMeasured(): void {
  I.startMs = I.now;
  setF64(St.START_MS, I.now);
  setState(State.RUNNING);
  pumpAll();
}

/** Connections open now (not failed, not closing). */
function liveCount(): u32 {
  let n: u32 = 0;
  for (let ord: u32 = 0; ord < I.nextOrd; ord++) {
    let c = ordConn(ord);
    if (c && c.status == Status.OPEN) n++;
  }
  return n;
}

/** Move the run on as far as it can go now. */
export function progress(): void {
  let s = getState();
  if (s == State.CONNECTING) {
    if (I.nextOrd < I.conns) return;
    for (let ord: u32 = 0; ord < I.nextOrd; ord++) {
      let c = ordConn(ord);
      if (c && c.status == Status.CONNECTING) return;
    }
    // every connection is open or failed: the phases start together
    if (I.flags & Flag.FILL) { setState(State.FILLING); pumpAll(); } else startMeasured();
    s = getState();
  }
  if (s == State.FILLING) {
    if (!I.arrived) {
      for (let ord: u32 = 0; ord < I.nextOrd; ord++) {
        let c = ordConn(ord);
        if (c && c.status == Status.OPEN && (c.fillNext < c.fillEnd || c.count > 0)) return;
      }
      I.arrived = 1;
      I.arrivedAt = I.now;
      atomic.add<u32>(I.barrier, 1);
    }
    // every core's share must be stored before any core's gets count misses; a core that
    // never arrives (its worker died) holds the others for one timeout at most
    if (atomic.load<u32>(I.barrier) < I.nCores && liveCount() > 0 && I.now < I.arrivedAt + <f64>I.timeoutMs) return;
    startMeasured();
    s = getState();
  }
  if (s == State.RUNNING) {
    if (I.durationMs != 0 && I.now >= I.startMs + <f64>I.durationMs) I.stopped = 1;
    if (!I.stopped) {
      for (let ord: u32 = 0; ord < I.nextOrd; ord++) {
        let c = ordConn(ord);
        if (c && c.status == Status.OPEN && c.quota > 0) return;
      }
    }
    I.stopped = 1;
    setState(State.DRAINING);
    s = State.DRAINING;
  }
  if (s == State.DRAINING) {
    if (!I.closing) {
      for (let ord: u32 = 0; ord < I.nextOrd; ord++) {
        let c = ordConn(ord);
        if (c && c.status == Status.OPEN && c.count > 0) return;
      }
      I.closing = 1;
      I.closeAt = I.now;
      for (let ord: u32 = 0; ord < I.nextOrd; ord++) {
        let slot = ordSlot(ord);
        if (slot == NO_SLOT) continue;
        let c = connAt(slot);
        if (c.status != Status.OPEN) continue;
        c.status = Status.CLOSING;
        conn_close(slot);
      }
    }
    if (I.now < I.closeAt + <f64>I.timeoutMs) {
      for (let ord: u32 = 0; ord < I.nextOrd; ord++) if (ordSlot(ord) != NO_SLOT) return; // app_closed to come
    }
    setState(State.DONE);
  }
}

/** app_tick: connect, time out, resume stalled output, move on. */
export function tick(now: f64): void {
  I.now = now;
  if (!I.started) { I.started = 1; setState(State.CONNECTING); }
  // the first connection alone until it resolves (its SYN waits for ARP), then one per tick
  if (I.nextOrd < I.conns && getState() == State.CONNECTING) {
    let first = I.nextOrd == 0 ? NO_SLOT : ordSlot(0);
    if (I.nextOrd == 0 || first == NO_SLOT || connAt(first).status != Status.CONNECTING) connectNext();
  }
  let limit = <f64>I.timeoutMs;
  for (let ord: u32 = 0; ord < I.nextOrd; ord++) {
    let slot = ordSlot(ord);
    if (slot == NO_SLOT) continue;
    let c = connAt(slot);
    if (c.status == Status.CONNECTING) {
      if (now - c.since >= limit) connFail(slot);
    } else if (c.status == Status.OPEN) {
      if (c.count > 0 && now - c.since >= limit) connFail(slot);
      else if (!c.blocked) pump(slot);
    }
  }
  progress();
}

/** app_open: our connection is established. Non-zero refuses a connection we did not open. */
export function opened(slot: u32): i32 {
  if (slot >= I.maxSlots) return 1;
  let c = connAt(slot);
  if (c.status != Status.CONNECTING) return 1;
  c.status = Status.OPEN;
  c.opened = 1;
  c.since = I.now;
  setU32(St.OPEN, statU32(St.OPEN) + 1);
  setU32(St.ESTABLISHED, statU32(St.ESTABLISHED) + 1);
  return 0;
}

/** app_closed: counted failed unless we were ending it; the ordinal no longer has a slot. */
export function closed(slot: u32): void {
  if (slot >= I.maxSlots) return;
  let c = connAt(slot);
  let s = c.status;
  if (s == Status.NONE || s == Status.CLOSED) return;
  if (s == Status.CONNECTING || s == Status.OPEN) addU64(St.FAILED, 1); // refused, reset, closed by the peer
  if (c.opened) { c.opened = 0; setU32(St.OPEN, statU32(St.OPEN) - 1); }
  c.status = Status.CLOSED;
  setOrdSlot(c.ordinal, NO_SLOT);
}
