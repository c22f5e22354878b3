// Data transfer on an established connection: reassembly and SACK blocks,
// flow control, retransmission (RTO backoff, fast retransmit, NewReno
// partial ACKs), zero-window probes, PAWS, keep-alive, ring wrap.

import { TcpFlag, tcpSackLeft, tcpSackRight } from "../../wire/tcp";
import { CF, State } from "../conn";
import {
  Ctr, tcpConnAt, tcpCounter, tcpPoll, tcpPollAt, tcpSetKeepalive, tcpState, tcpTxAvail, tcpTxCommit, tcpTxReserve,
} from "../index";
import {
  bytesSeen, clear, CONN, deliver, entrySeg, established, last, lastData, Link, newLink, pattern, patternByte,
  PEER_ISS, PINNED_ISS, pseg, sent, sentLen, setPeerSack, setSinkTake, closedCount, RING, peerTs,
} from "./support";

let l: Link = newLink(256);
const P: u32 = PEER_ISS + 1; // the peer's first data sequence number
const U: u32 = PINNED_ISS + 1; // ours

function peerData(s: usize, off: u32, len: u32, now: u64): void {
  deliver(s, pseg(TcpFlag.ACK, P + off, U), pattern(off, len), len, now);
}

/** The app writes n pattern bytes starting at stream offset from. */
function appWrite(s: usize, from: u32, n: u32): void {
  let p = tcpTxReserve(s, CONN, n);
  assert(p != 0, "no tx space");
  for (let i: u32 = 0; i < n; i++) store<u8>(p + i, patternByte(from + i));
  tcpTxCommit(s, CONN, n);
}

/**
 * Poll at the times tcpPollAt gives until something is sent (tcpPollAt may
 * be early, never late); returns the time it was sent.
 */
function pollUntilSent(s: usize): u64 {
  let before = l.count;
  let at: u64 = 0;
  for (let i = 0; i < 8 && l.count == before; i++) {
    at = tcpPollAt(s);
    tcpPoll(s, at);
  }
  return at;
}

/** Index of the segment sent with sequence number seq, -1 if none. */
function sentAt(seq: u32): i32 {
  for (let i: u32 = 0; i < l.count; i++) if (sent(l, i).seq == seq) return <i32>i;
  return -1;
}

describe("established: reassembly and SACK", () => {
  it("keeps out-of-order segments, reports them as SACK blocks and delivers once the gap fills", () => {
    let s = established(l);
    setSinkTake(0); // the app keeps nothing: all bytes stay in the ring
    peerData(s, 100, 100, 10);
    let r = last(l);
    expect(r.ack).toBe(P);
    expect(r.sackCount).toBe(1);
    expect(tcpSackLeft(r, 0)).toBe(P + 100);
    expect(tcpSackRight(r, 0)).toBe(P + 200);
    peerData(s, 300, 100, 11);
    r = last(l);
    expect(r.sackCount).toBe(2);
    expect(tcpSackLeft(r, 0)).toBe(P + 300); // the latest first (RFC 2018 §4)
    expect(tcpSackLeft(r, 1)).toBe(P + 100);
    expect(tcpCounter(s, Ctr.OOO_SEGMENTS)).toBe(2);
    peerData(s, 0, 100, 12);
    r = last(l);
    expect(r.ack).toBe(P + 200);
    expect(r.sackCount).toBe(1);
    expect(tcpSackLeft(r, 0)).toBe(P + 300);
    peerData(s, 200, 100, 13);
    r = last(l);
    expect(r.ack).toBe(P + 400);
    expect(r.sackCount).toBe(0);
    // the app saw all 400 bytes in one contiguous span, in order
    for (let i: u32 = 0; i < 400; i++) {
      if (load<u8>(lastData + i) != patternByte(i)) { expect(i).toBe(0xFFFFFFFF); break; }
    }
  });
  it("shrinks the advertised window while the app holds bytes and opens it when it reads", () => {
    let s = established(l);
    setSinkTake(0);
    peerData(s, 0, 1000, 10);
    tcpPoll(s, 60);
    expect(last(l).window).toBe(<u16>(RING - 1000));
    peerData(s, 1000, RING - 1000, 61);
    tcpPoll(s, 200);
    expect(last(l).window).toBe(0);
    // bytes past a zero window are not taken
    clear(l);
    peerData(s, RING, 10, 201);
    expect(last(l).ack).toBe(P + RING);
    expect(tcpCounter(s, Ctr.DROP_OUT_OF_WINDOW)).toBe(1);
    // the app reads: the next delivery (a probe here) presents the bytes again and the window opens
    setSinkTake(0xFFFFFFFF);
    tcpTxReserve(s, CONN, 1); // nothing refused: writable comes only after an ACK frees space,
    deliver(s, pseg(TcpFlag.ACK, P + RING, U), pattern(RING, 1), 1, 202); // so new bytes trigger it
    expect(tcpConnAt(s, CONN).rxLen).toBe(0);
    expect(last(l).window).toBe(<u16>RING);
  });
  it("presents bytes that wrap around the ring's end as one span", () => {
    let s = established(l);
    peerData(s, 0, 3000, 10); // consumed at once
    setSinkTake(0);
    peerData(s, 3000, 2000, 11); // ring offsets 3000..4095 then 0..903
    for (let i: u32 = 0; i < 2000; i++) {
      if (load<u8>(lastData + i) != patternByte(3000 + i)) { expect(i).toBe(0xFFFFFFFF); break; }
    }
  });
});

describe("established: sending", () => {
  it("hands out a contiguous span across the tx ring's end and sends it intact", () => {
    let s = established(l);
    appWrite(s, 0, 3000);
    tcpPoll(s, 10);
    deliver(s, pseg(TcpFlag.ACK, P, U + 3000), 0, 0, 11);
    expect(tcpTxAvail(s, CONN)).toBe(RING);
    clear(l);
    appWrite(s, 3000, 2500);
    tcpPoll(s, 12);
    let got: u32 = 0;
    for (let i: u32 = 0; i < l.count; i++) {
      let n = sentLen(l, i);
      let p = entrySeg(l, i) + sent(l, i).headerLen;
      for (let k: u32 = 0; k < n; k++) if (load<u8>(p + k) != patternByte(3000 + got + k)) { expect(k).toBe(0xFFFFFFFF); break; }
      got += n;
    }
    expect(got).toBe(2500);
  });
  it("retransmits on RTO with exponential backoff, and stops when acknowledged", () => {
    let s = established(l);
    appWrite(s, 0, 100);
    tcpPoll(s, 10);
    expect(l.count).toBe(1);
    tcpPoll(s, 10 + 999);
    expect(l.count).toBe(1);
    tcpPoll(s, 10 + 1000); // initial RTO 1 s (RFC 6298 §2.1)
    expect(l.count).toBe(2);
    expect(last(l).seq).toBe(U);
    expect(sentLen(l, 1)).toBe(100);
    tcpPoll(s, 1010 + 1999);
    expect(l.count).toBe(2);
    tcpPoll(s, 1010 + 2000); // doubled
    expect(l.count).toBe(3);
    tcpPoll(s, 3010 + 4000); // doubled again
    expect(l.count).toBe(4);
    expect(tcpCounter(s, Ctr.RTO_FIRED)).toBe(3);
    deliver(s, pseg(TcpFlag.ACK, P, U + 100), 0, 0, 7100);
    expect(tcpConnAt(s, CONN).rtoAt).toBe(0);
    expect(tcpConnAt(s, CONN).backoff).toBe(0);
    tcpPoll(s, 100000);
    expect(l.count).toBe(4);
  });
  it("takes RTT samples and sets the RTO from them (RFC 6298)", () => {
    let s = established(l);
    appWrite(s, 0, 100);
    tcpPoll(s, 10);
    deliver(s, pseg(TcpFlag.ACK, P, U + 100), 0, 0, 110); // 100 ms
    let c = tcpConnAt(s, CONN);
    expect(c.srtt).toBe(100);
    expect(c.rttvar).toBe(50);
    expect(c.rto).toBe(300);
  });
  it("fast-retransmits after three duplicate ACKs and retransmits on a partial ACK (NewReno, a peer without SACK)", () => {
    setPeerSack(false); // with SACK the recovery is RFC 6675's (sack.spec.ts)
    let s = established(l, false, 16384);
    setPeerSack(true);
    expect(tcpConnAt(s, CONN).flags & CF.SACK).toBe(0);
    let c = tcpConnAt(s, CONN);
    let m = c.mss;
    appWrite(s, 0, 8 * m);
    tcpPoll(s, 10);
    let first = l.count; // the initial window
    expect(first).toBe(3);
    deliver(s, pseg(TcpFlag.ACK, P, U + m), 0, 0, 20); // segment 1 acknowledged: the window grows
    expect(l.count).toBe(first + 2);
    clear(l);
    // segment 2 lost: three duplicate ACKs (their SACK blocks are ignored: SACK is not in force)
    for (let i = 0; i < 3; i++) {
      let r = pseg(TcpFlag.ACK, P, U + m);
      r.sackCount = 1;
      r.sack0Left = U + 2 * m; r.sack0Right = U + 4 * m;
      deliver(s, r, 0, 0, 30 + i);
    }
    expect(tcpCounter(s, Ctr.FAST_RETRANSMITS)).toBe(1);
    // among new data sent by limited transmit (RFC 3042) and the inflated window (RFC 6582 §3.2 step 4)
    let i = sentAt(U + m);
    expect(i).toBeGreaterThanOrEqual(0);
    expect(sentLen(l, i)).toBe(m);
    // partial ACK up to the SACKed block's end: segment 5 is retransmitted (RFC 6582 §3.2 step 5)
    clear(l);
    deliver(s, pseg(TcpFlag.ACK, P, U + 4 * m), 0, 0, 40);
    expect(tcpCounter(s, Ctr.PARTIAL_ACKS)).toBe(1);
    expect(sentAt(U + 4 * m)).toBeGreaterThanOrEqual(0);
    // full ACK (of everything sent when recovery began): recovery ends
    deliver(s, pseg(TcpFlag.ACK, P, c.recover), 0, 0, 50);
    expect(c.flags & CF.RECOVERY).toBe(0);
  });
  it("sends a new segment on each of the first two duplicate ACKs (limited transmit, RFC 3042)", () => {
    let s = established(l, false, 16384);
    let m = tcpConnAt(s, CONN).mss;
    appWrite(s, 0, 6 * m);
    tcpPoll(s, 10);
    expect(l.count).toBe(3); // the initial window
    clear(l);
    let r = pseg(TcpFlag.ACK, P, U);
    r.sackCount = 1;
    r.sack0Left = U + m; r.sack0Right = U + 2 * m;
    deliver(s, r, 0, 0, 20);
    expect(l.count).toBe(1);
    expect(sent(l, 0).seq).toBe(U + 3 * m);
    expect(tcpCounter(s, Ctr.FAST_RETRANSMITS)).toBe(0);
  });
  it("retransmits after fewer duplicate ACKs when few segments are out (early retransmit, RFC 5827)", () => {
    let s = established(l, false, 16384);
    let m = tcpConnAt(s, CONN).mss;
    appWrite(s, 0, 2 * m);
    tcpPoll(s, 10);
    clear(l);
    let r = pseg(TcpFlag.ACK, P, U);
    r.sackCount = 1;
    r.sack0Left = U + m; r.sack0Right = U + 2 * m;
    deliver(s, r, 0, 0, 20); // two segments out: one duplicate ACK is enough
    expect(tcpCounter(s, Ctr.FAST_RETRANSMITS)).toBe(1);
    expect(sent(l, 0).seq).toBe(U);
    expect(sentLen(l, 0)).toBe(m);
  });
  it("sends a tail loss probe (the last segment again) before the RTO (RFC 8985 §7)", () => {
    let s = established(l);
    appWrite(s, 0, 100);
    tcpPoll(s, 10);
    deliver(s, pseg(TcpFlag.ACK, P, U + 100), 0, 0, 110); // SRTT 100, RTO 300
    clear(l);
    appWrite(s, 100, 100);
    tcpPoll(s, 200);
    let at = pollUntilSent(s);
    expect(at).toBe(200 + 2 * 100 + 40); // 2 SRTT + the peer's delayed-ACK time for one segment
    expect(l.count).toBe(2);
    expect(sent(l, 1).seq).toBe(U + 100);
    expect(sentLen(l, 1)).toBe(100);
    expect(tcpCounter(s, Ctr.TAIL_LOSS_PROBES)).toBe(1);
    expect(tcpConnAt(s, CONN).rtoAt).toBe(at + 300);
  });
  it("probes a zero window and sends when it opens", () => {
    let s = established(l);
    let r = pseg(TcpFlag.ACK, P, U);
    r.window = 0;
    deliver(s, r, 0, 0, 5);
    appWrite(s, 0, 100);
    tcpPoll(s, 10);
    expect(l.count).toBe(0);
    let at = pollUntilSent(s);
    expect(at).toBe(10 + 1000);
    expect(l.count).toBe(1);
    expect(last(l).seq).toBe(U - 1); // an old sequence number draws the peer's ACK with its window
    expect(sentLen(l, 0)).toBe(0);
    expect(tcpCounter(s, Ctr.ZERO_WINDOW_PROBES)).toBe(1);
    tcpPoll(s, at + 2000); // backed off
    expect(l.count).toBe(2);
    deliver(s, pseg(TcpFlag.ACK, P, U), 0, 0, at + 2001); // window 65535 << 2
    expect(l.count).toBe(3);
    expect(sentLen(l, 2)).toBe(100);
  });
});

describe("established with timestamps", () => {
  it("drops a segment whose timestamp is older than TS.Recent (PAWS) and ACKs", () => {
    let s = established(l, true);
    peerData(s, 0, 10, 10);
    expect(bytesSeen).toBe(10);
    clear(l);
    let r = pseg(TcpFlag.ACK, P + 10, U);
    r.tsVal = peerTs - 50;
    deliver(s, r, pattern(10, 10), 10, 11);
    expect(bytesSeen).toBe(10);
    expect(tcpCounter(s, Ctr.DROP_PAWS)).toBe(1);
    expect(l.count).toBe(1);
    expect(last(l).ack).toBe(P + 10);
    expect(last(l).tsEcr).toBe(peerTs - 1); // pseg drew a fresh TSval for the stale segment
  });
  it("lets a reordered duplicate ACK through PAWS (Linux's disordered ACK), not a far older one or one with news", () => {
    let s = established(l, true);
    peerData(s, 0, 10, 10); // TS.Recent is the peer's latest TSval
    tcpPoll(s, 300); // our ACK of it is out
    clear(l);
    let dup = pseg(TcpFlag.ACK, P + 10, U);
    dup.tsVal = peerTs - 50; // overtaken on the path: 50 ms behind, within an RTO
    deliver(s, dup, 0, 0, 301);
    expect(tcpCounter(s, Ctr.DROP_PAWS)).toBe(0);
    expect(l.count).toBe(0); // a duplicate ACK draws nothing
    let ancient = pseg(TcpFlag.ACK, P + 10, U);
    ancient.tsVal = peerTs - 100000; // far older than an RTO: an old duplicate after all
    deliver(s, ancient, 0, 0, 302);
    expect(tcpCounter(s, Ctr.DROP_PAWS)).toBe(1);
    let news = pseg(TcpFlag.ACK, P + 10, U); // a window update is news: PAWS applies
    news.tsVal = peerTs - 50;
    news.window = 1000;
    deliver(s, news, 0, 0, 303);
    expect(tcpCounter(s, Ctr.DROP_PAWS)).toBe(2);
  });
  it("samples RTT from the echoed timestamp", () => {
    let s = established(l, true);
    appWrite(s, 0, 10);
    tcpPoll(s, 1000);
    let r = pseg(TcpFlag.ACK, P, U + 10);
    r.tsEcr = last(l).tsVal;
    deliver(s, r, 0, 0, 1040);
    expect(tcpConnAt(s, CONN).srtt).toBe(40);
  });
});

describe("keep-alive", () => {
  it("probes after the idle time and gives up on silence", () => {
    let s = established(l);
    tcpSetKeepalive(s, 1000, 100);
    peerData(s, 0, 1, 10); // arms the keep-alive
    clear(l);
    tcpPoll(s, 10 + 1000);
    expect(tcpCounter(s, Ctr.KEEPALIVES)).toBe(1);
    expect(last(l).seq).toBe(U - 1);
    let now: u64 = 1010;
    for (let i = 0; i < 20; i++) { now += 100; tcpPoll(s, now); }
    expect(tcpState(s, CONN)).toBe(State.CLOSED);
    expect(tcpCounter(s, Ctr.CONN_TIMEOUT)).toBe(1);
    expect(closedCount).toBe(1);
    expect(last(l).flags).toBe(TcpFlag.RST);
  });
});
