// Two stacks of ours (a client and an echo server, each in its own region)
// over the fake link with a seeded fault injector: loss, reordering (extra
// delay), duplication and corruption (one byte flipped: the checksum fails
// and the receiver drops and counts it). Time is virtual, 1 ms per tick; a
// segment takes 1 ms plus any injected delay. Everything is seeded, so a run
// replays exactly: the link's hash of every emitted segment is the trace.

import { State } from "../conn";
import {
  NO_CONN, tcpActive, tcpClose, tcpConnect, tcpInit, tcpListen, tcpPoll, tcpPollAt, tcpReceive, tcpRegionSize, tcpSetApp,
  tcpSetLink, tcpSetTimers, tcpState, tcpTxAvail, tcpTxCommit, tcpTxReserve,
} from "../index";
import {
  appClosedCb, appOpenCb, appPeerFinClose, appPeerFinCount, appWritableCb, echoData, entryDst, entryLen, entrySeg, entrySrc,
  freeLink, Link, linkBegin, linkCommit, newLink, patternByte, resetApps,
} from "./support";

export const CLIENT_IP: u32 = 0x0A000001;
export const SERVER_IP: u32 = 0x0A000002;
const FLIGHT: u32 = 2048;
const FSLOT: u32 = 2048; // header 32 bytes, then the segment

// faults, in 1/1000
export let lossPm: u32 = 0;
export let reorderPm: u32 = 0;
export let dupPm: u32 = 0;
export let corruptPm: u32 = 0;
export function setFaults(loss: u32, reorder: u32, dup: u32, corrupt: u32): void {
  lossPm = loss; reorderPm = reorder; dupPm = dup; corruptPm = corrupt;
}

let rng: u64 = 1;
function rand(): u32 {
  rng ^= rng >> 12; rng ^= rng << 25; rng ^= rng >> 27;
  return <u32>((rng * 0x2545F4914F6CDD1D) >> 33);
}
@inline function chance(pm: u32): bool { return pm != 0 && rand() % 1000 < pm; }

// results of the last run
export let received: u32 = 0;
export let mismatches: u32 = 0;
export let traceHash: u64 = 0;
export let ticks: u64 = 0;
export let segments: u32 = 0;
export let clientStack: usize = 0;
export let serverStack: usize = 0;
export let finished: bool = false;

function clientData(s: usize, conn: u32, ptr: usize, len: u32): u32 {
  for (let i: u32 = 0; i < len; i++) {
    if (load<u8>(ptr + i) != patternByte(received + i)) mismatches++;
  }
  received += len;
  return len;
}

let flight: usize = 0;
let lastLink: usize = 0;

function stackFor(ip: u32): usize { return ip == CLIENT_IP ? clientStack : serverStack; }

/** Put the link's new segments in flight, with faults. */
function launch(l: Link, now: u64): void {
  for (let i: u32 = 0; i < l.count; i++) {
    segments++;
    if (chance(lossPm)) continue;
    let copies: u32 = chance(dupPm) ? 2 : 1;
    for (let k: u32 = 0; k < copies; k++) {
      let slot = freeSlot();
      if (slot == 0) break; // the wire is full: a loss
      let len = entryLen(l, i);
      store<u32>(slot, 1);
      let due = now + 1 + k + (chance(reorderPm) ? 1 + rand() % 5 : 0);
      store<u64>(slot, due, 8);
      if (nextDue == 0 || due < nextDue) nextDue = due;
      store<u32>(slot, entrySrc(l, i), 16);
      store<u32>(slot, entryDst(l, i), 20);
      store<u32>(slot, len, 24);
      memory.copy(slot + 32, entrySeg(l, i), len);
      if (chance(corruptPm)) {
        let at = rand() % len;
        store<u8>(slot + 32 + at, load<u8>(slot + 32 + at) ^ <u8>(1 + rand() % 255));
      }
    }
  }
  l.count = 0;
}

let inFlight: u32 = 0;
let nextDue: u64 = 0;

function freeSlot(): usize {
  for (let i: u32 = 0; i < FLIGHT; i++) {
    let p = flight + <usize>i * FSLOT;
    if (load<u32>(p) == 0) { inFlight++; return p; }
  }
  return 0;
}

/** Deliver the segments due by now. */
function land(now: u64): void {
  if (inFlight == 0 || nextDue > now) return;
  let next: u64 = 0;
  for (let i: u32 = 0; i < FLIGHT; i++) {
    let p = flight + <usize>i * FSLOT;
    if (load<u32>(p) == 0) continue;
    let due = load<u64>(p, 8);
    if (due > now) { if (next == 0 || due < next) next = due; continue; }
    store<u32>(p, 0);
    inFlight--;
    let src = load<u32>(p, 16), dst = load<u32>(p, 20), len = load<u32>(p, 24);
    tcpReceive(stackFor(dst), src, dst, p + 32, len, now);
  }
  nextDue = next;
}

function newEndpoint(l: Link, seed: u64, ring: u32): usize {
  let size = tcpRegionSize(4, ring, ring);
  let base = heap.alloc(size);
  memory.fill(base, 0, size);
  tcpInit(base, size, 4, ring, ring, 1500, seed);
  tcpSetLink(base, changetype<usize>(l), linkBegin, linkCommit);
  tcpSetTimers(base, 0, 0, 100, 0); // short TIME-WAIT so a run ends
  return base;
}

/**
 * The client sends `total` pattern bytes to the echo server and checks what
 * comes back; then closes (with halfClose, right after the last byte is
 * written: the echo comes back in FIN-WAIT). Returns when both sides are
 * done or maxTicks pass.
 */
export function runEcho(total: u32, faultSeed: u64, ring: u32, maxTicks: u64, halfClose: bool = false): void {
  resetApps();
  rng = faultSeed * 2 + 1;
  received = 0; mismatches = 0; ticks = 0; segments = 0; finished = false;
  if (flight == 0) flight = heap.alloc(<usize>FLIGHT * FSLOT);
  memory.fill(flight, 0, <usize>FLIGHT * FSLOT);
  inFlight = 0;
  nextDue = 0;
  // the last run's link and regions go back to the heap (sweeps run many)
  if (lastLink) { freeLink(changetype<Link>(lastLink)); heap.free(clientStack); heap.free(serverStack); }
  let l = newLink(4096);
  lastLink = changetype<usize>(l);
  clientStack = newEndpoint(l, 11, ring);
  serverStack = newEndpoint(l, 22, ring);
  tcpSetApp(clientStack, appOpenCb, clientData, appWritableCb, appPeerFinCount, appClosedCb);
  tcpSetApp(serverStack, appOpenCb, echoData, appWritableCb, appPeerFinClose, appClosedCb);
  tcpListen(serverStack, 7);
  let conn = tcpConnect(clientStack, CLIENT_IP, 40000, SERVER_IP, 7, 0);
  let written: u32 = 0;
  let closed = false;
  for (let now: u64 = 0; now < maxTicks; now++) {
    ticks = now;
    if (tcpState(clientStack, conn) == State.ESTABLISHED && written < total) {
      let n = min(tcpTxAvail(clientStack, conn), total - written);
      if (n) {
        let p = tcpTxReserve(clientStack, conn, n);
        for (let i: u32 = 0; i < n; i++) store<u8>(p + i, patternByte(written + i));
        tcpTxCommit(clientStack, conn, n);
        written += n;
      }
    }
    // close when everything came back, or (half-close) as soon as everything is written
    if (!closed && (halfClose ? written >= total : received >= total)) { tcpClose(clientStack, conn); closed = true; }
    tcpPoll(clientStack, now);
    tcpPoll(serverStack, now);
    launch(l, now);
    land(now);
    launch(l, now); // replies made while landing go out this tick
    if (closed && tcpActive(clientStack) == 0 && tcpActive(serverStack) == 0) { finished = true; break; }
    // idle: jump to the next event (a landing or a timer), one tick before it
    let wake = nextDue;
    let ta = tcpPollAt(clientStack), tb = tcpPollAt(serverStack);
    if (ta && (wake == 0 || ta < wake)) wake = ta;
    if (tb && (wake == 0 || tb < wake)) wake = tb;
    let canWrite = written < total && tcpTxAvail(clientStack, conn) > 0;
    if (!canWrite && l.count == 0 && wake > now + 1) now = wake - 1;
  }
  traceHash = l.hash;
}
