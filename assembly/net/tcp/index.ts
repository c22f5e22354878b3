// The TCP socket layer's public surface (docs/net-tcp.md). One instance per
// core in a caller-given region; `s` is the region's address (the Stack
// header). Time is an argument everywhere: `now` is u64 milliseconds.

import { pseudoSumIpv4 } from "../wire/checksum";
import { Ipv4 } from "../wire/ipv4";
import { Reason } from "../wire/reasons";
import { tcpCheck, tcpParse, TcpRepr } from "../wire/tcp";
import { AppDataFn, AppEventFn, AppOpenFn } from "./app";
import { CF, clearFlag, Conn, hasFlag, setFlag, State } from "./conn";
import { Ctr, ctrAdd, ctrAt } from "./counters";
import { afterInput, connStart, newIss, tcpInput } from "./input";
import { connFree } from "./lifecycle";
import { wsFor } from "./options";
import { emitSyn, SegTxBeginFn, SegTxCommitFn, tcpOutput } from "./output";
import { connAt, MAX_LISTEN, queueWrap, regionSize, Stack, stackLayout, stackOf } from "./stack";
import { NO_CONN, tableInsert, tableLookup } from "./table";
import { resetsServe, shutdown } from "./shutdown";
import { connNextAt, connNote, timersFire } from "./timers";
import { txAvail, txCommit, txReserve } from "./tx";

export { Ctr } from "./counters";
export { State } from "./conn";
export { NO_CONN } from "./table";
export { tcpInput } from "./input";

/** Bytes of region for maxConns connections with rx/tx rings of rxSize/txSize bytes (powers of two, >= 64). */
export function tcpRegionSize(maxConns: u32, rxSize: u32, txSize: u32): usize {
  return regionSize(maxConns, rxSize, txSize);
}

@inline function isPow2(x: u32): bool { return x >= 64 && (x & (x - 1)) == 0; }

/**
 * Set up a stack in the zeroed region [base, base + size). mtu gives our
 * MSS (mtu - 40); seed keys the ISN, cookie and table hashes. Returns 0, or
 * -1 when the parameters are invalid or the region too small.
 */
export function tcpInit(base: usize, size: usize, maxConns: u32, rxSize: u32, txSize: u32, mtu: u32, seed: u64): i32 {
  if (maxConns == 0 || !isPow2(rxSize) || !isPow2(txSize) || mtu < 576 || mtu > 65535) return -1;
  if (regionSize(maxConns, rxSize, txSize) > size) return -1;
  let s = stackOf(base);
  memory.fill(base, 0, offsetof<Stack>());
  stackLayout(s, base, size, maxConns, rxSize, txSize);
  s.ourMss = mtu - 40;
  s.rcvWs = wsFor(rxSize);
  s.halfOpenMax = max(maxConns >> 1, 1);
  s.delAckMs = 40;
  s.minRtoMs = 200; // Linux's floor; RFC 6298 §2.4 says 1 s
  s.maxRtoMs = 60000;
  s.initRtoMs = 1000;
  s.timeWaitMs = 2000;
  s.finWait2Ms = 120000; // silence bound: longer than the peer's largest backed-off RTO (60 s)
  s.keepIdleMs = 0;
  s.keepIntvlMs = 75000;
  s.maxRetries = 12;
  s.synRetries = 5;
  s.challengeLimit = 1000;
  s.key0 = seed ^ 0x5157a7c9d1e2f30b;
  s.key1 = (seed * 0x9E3779B97F4A7C15) ^ 0x2d358dccaa6c78a5;
  return 0;
}

/** Where segments go (output.ts): begin/commit function references and their context. */
export function tcpSetLink(s: usize, ctx: usize, begin: SegTxBeginFn, commit: SegTxCommitFn): void {
  let st = stackOf(s);
  st.linkCtx = ctx;
  st.linkBegin = changetype<usize>(begin);
  st.linkCommit = changetype<usize>(commit);
}

/** The app's upcalls (app.ts). */
export function tcpSetApp(s: usize, open: AppOpenFn, data: AppDataFn, writable: AppEventFn, peerFin: AppEventFn, closed: AppEventFn): void {
  let st = stackOf(s);
  st.appOpen = changetype<usize>(open);
  st.appData = changetype<usize>(data);
  st.appWritable = changetype<usize>(writable);
  st.appPeerFin = changetype<usize>(peerFin);
  st.appClosed = changetype<usize>(closed);
}

/** Timing knobs in ms (0 leaves one as it is): delayed ACK, minimum RTO, TIME-WAIT, FIN-WAIT-2 bound. */
export function tcpSetTimers(s: usize, delAckMs: u32, minRtoMs: u32, timeWaitMs: u32, finWait2Ms: u32): void {
  let st = stackOf(s);
  if (delAckMs) st.delAckMs = delAckMs;
  if (minRtoMs) st.minRtoMs = minRtoMs;
  if (timeWaitMs) st.timeWaitMs = timeWaitMs;
  if (finWait2Ms) st.finWait2Ms = finWait2Ms;
}

/** Keep-alive: probe after idleMs of silence, every intvlMs; 0 turns it off. */
export function tcpSetKeepalive(s: usize, idleMs: u32, intvlMs: u32): void {
  let st = stackOf(s);
  st.keepIdleMs = idleMs;
  if (intvlMs) st.keepIntvlMs = intvlMs;
}

/** Connections allowed in SYN-RECEIVED before SYN cookies take over. */
export function tcpSetHalfOpenMax(s: usize, n: u32): void { stackOf(s).halfOpenMax = n; }

/** Test hook (pcap replay): every new connection gets ISN iss. Off by default. */
export function tcpPinIsn(s: usize, on: bool, iss: u32): void {
  let st = stackOf(s);
  st.pinIssOn = on ? 1 : 0;
  st.pinIss = iss;
}

/** Accept connections on port. False when the listen list is full. */
export function tcpListen(s: usize, port: u32): bool {
  let st = stackOf(s);
  if (st.nListen >= MAX_LISTEN) return false;
  store<u32>(st.listen + (<usize>st.nListen << 2), port & 0xFFFF);
  st.nListen++;
  return true;
}

/** Active open: send a SYN. Returns the connection slot, or NO_CONN when the table is full or the 4-tuple in use. */
export function tcpConnect(s: usize, localIp: u32, localPort: u32, remoteIp: u32, remotePort: u32, now: u64): u32 {
  let st = stackOf(s);
  localPort &= 0xFFFF;
  remotePort &= 0xFFFF;
  if (st.shut) return NO_CONN; // shut down: no new connections
  if (tableLookup(st, localIp, localPort, remoteIp, remotePort) != NO_CONN) return NO_CONN; // the tuple is in use
  let idx = tableInsert(st, localIp, localPort, remoteIp, remotePort);
  if (idx == NO_CONN) { ctrAdd(st.counters, Ctr.SYN_REFUSED, 1); return NO_CONN; }
  let c = connAt(st, idx);
  c.state = State.SYN_SENT;
  setFlag(c, CF.ACTIVE);
  connStart(st, c, newIss(st, localIp, localPort, remoteIp, remotePort, now), now);
  c.rcvWs = st.rcvWs;
  ctrAdd(st.counters, Ctr.ACTIVE_OPENS, 1);
  emitSyn(st, c, now);
  c.rtoAt = now + c.rto;
  connNote(st, c);
  return idx;
}

/**
 * A TCP segment from the IP layer: `p`/`len` is the IPv4 payload from
 * remoteIp to localIp. Checks (checksum, lengths, options) and parses it,
 * counting refusals by wire reason, then runs the state machine.
 */
export function tcpReceive(s: usize, remoteIp: u32, localIp: u32, p: usize, len: u32, now: u64): void {
  let st = stackOf(s);
  let why = tcpCheck(p, len, pseudoSumIpv4(remoteIp, localIp, Ipv4.PROTO_TCP, len));
  let r = changetype<TcpRepr>(st.reprIn);
  if (why == Reason.OK) why = tcpParse(p, len, r);
  if (why != Reason.OK) { ctrAdd(st.counters, Ctr.WIRE_BASE + why, 1); return; }
  let hlen = <u32>r.headerLen;
  tcpInput(st, remoteIp, localIp, r, p + hlen, len - hlen, now);
}

/**
 * Run due timers and pending output; tell apps about freed space. Only the
 * queued connections are visited unless a timer is due (then every slot:
 * the scan also recomputes when the next one is).
 */
export function tcpPoll(s: usize, now: u64): void {
  let st = stackOf(s);
  if (st.shut) { resetsServe(st, now); return; } // only RSTs are left to send
  if (st.nextAt != 0 && now >= st.nextAt) { pollAll(st, now); return; }
  let n = st.qLen; // entries queued while serving wait for the next poll
  for (let k: u32 = 0; k < n; k++) {
    let idx = load<u32>(st.queue + (<usize>st.qHead << 2));
    st.qHead = queueWrap(st, st.qHead + 1);
    st.qLen--;
    let c = connAt(st, idx);
    if (!hasFlag(c, CF.QUEUED)) continue; // freed (and maybe reused) since
    clearFlag(c, CF.QUEUED);
    if (c.state == State.CLOSED) continue;
    afterInput(st, c, now, false);
    connNote(st, c);
  }
}

function pollAll(st: Stack, now: u64): void {
  st.qHead = 0;
  st.qLen = 0;
  st.nextAt = 0; // notes made while serving lower it; the scan's minimum joins them
  let next: u64 = 0;
  for (let i: u32 = 0; i < st.maxConns; i++) {
    let c = connAt(st, i);
    if (c.state == State.CLOSED) continue;
    clearFlag(c, CF.QUEUED);
    timersFire(st, c, now);
    if (c.state == State.CLOSED) continue;
    if (hasFlag(c, CF.DIRTY | CF.TX_FREED | CF.ACK_NOW)) afterInput(st, c, now, false);
    if (c.state == State.CLOSED) continue;
    let t = connNextAt(c);
    if (t && (next == 0 || t < next)) next = t;
    connNote(st, c); // still owes output (no tx buffer): queued for the next poll
  }
  if (next && (st.nextAt == 0 || next < st.nextAt)) st.nextAt = next;
}

/**
 * Stop listening and abort every connection (shutdown.ts): the app hears
 * closed for each it had open now; the RSTs go out at the following polls
 * (tcpResetsDue says how many are left). Returns how many were aborted
 * (TIME-WAIT entries are dropped, not counted). A second call does nothing.
 */
export function tcpShutdown(s: usize): u32 { return shutdown(stackOf(s)); }

/** RSTs tcpShutdown queued that no poll has sent yet. */
export function tcpResetsDue(s: usize): u32 { return stackOf(s).resetsDue; }

/** When to call tcpPoll next: 0 = nothing armed, 1 (or any time <= now) = at once. */
export function tcpPollAt(s: usize): u64 {
  let st = stackOf(s);
  return st.qLen ? 1 : st.nextAt;
}

// ---- the send side (docs/protocol-modules.md tx_*) --------------------------------

@inline function live(st: Stack, conn: u32): Conn | null {
  if (conn >= st.maxConns) return null;
  let c = connAt(st, conn);
  return c.state == State.CLOSED || hasFlag(c, CF.ABORT) ? null : c; // aborted: the app heard closed
}

export function tcpTxAvail(s: usize, conn: u32): u32 {
  let st = stackOf(s);
  let c = live(st, conn);
  return c ? txAvail(st, c) : 0;
}

export function tcpTxReserve(s: usize, conn: u32, min: u32): usize {
  let st = stackOf(s);
  let c = live(st, conn);
  return c ? txReserve(st, c, min) : 0;
}

export function tcpTxCommit(s: usize, conn: u32, len: u32): void {
  let st = stackOf(s);
  let c = live(st, conn);
  if (c) { txCommit(st, c, len); connNote(st, c); }
}

/** Close after the committed output has been sent (FIN follows the last byte). */
export function tcpClose(s: usize, conn: u32): void {
  let st = stackOf(s);
  let c = live(st, conn);
  if (!c) return;
  if (c.state == State.SYN_SENT || c.state == State.SYN_RECEIVED) { connFree(st, c); return; }
  setFlag(c, CF.CLOSE_REQ | CF.DIRTY);
  clearFlag(c, CF.WANT_WRITABLE);
  connNote(st, c);
}

/** Send now what conn may send (after commits outside an upcall; tcpPoll does it too). */
export function tcpFlush(s: usize, conn: u32, now: u64): void {
  let st = stackOf(s);
  let c = live(st, conn);
  if (c) { tcpOutput(st, c, now); connNote(st, c); }
}

// ---- introspection ----------------------------------------------------------------

export function tcpState(s: usize, conn: u32): u32 {
  let st = stackOf(s);
  return conn < st.maxConns ? connAt(st, conn).state : State.CLOSED;
}
export function tcpCounter(s: usize, i: u32): u64 { return ctrAt(stackOf(s).counters, i); }
export function tcpConnAt(s: usize, conn: u32): Conn { return connAt(stackOf(s), conn); }
export function tcpActive(s: usize): u32 { return stackOf(s).active; }
