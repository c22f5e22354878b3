// tcpShutdown: listening stops, every connection is aborted with one RST
// (sent at the following polls, bounded per poll), the app hears closed once.

import { TcpFlag, TcpRepr } from "../../wire/tcp";
import { State } from "../conn";
import {
  Ctr, NO_CONN, tcpActive, tcpClose, tcpConnect, tcpCounter, tcpListen, tcpPinIsn, tcpPoll, tcpPollAt, tcpResetsDue, tcpSetApp,
  tcpShutdown, tcpState, tcpTxCommit, tcpTxReserve,
} from "../index";
import {
  appClosedCb, appOpenCb, appPeerFinCount, appWritableCb, clear, closedCount, closeWait, closing, CONN, deliver, established,
  finWait1, finWait2, last, lastAck, Link, newLink, newStack, OUR_IP, OUR_PORT, PEER_IP, PEER_ISS, PINNED_ISS, pseg, resetApps, seg,
  sent, sinkData, synReceived, timeWait,
} from "./support";

let l: Link = newLink(64);

/** Shut s down; nothing may leave before the next poll; then exactly one RST|ACK <seq, ack> and the slot is free. */
function expectOneReset(s: usize, seq: u32, ack: u32, closedBefore: u32, closedAfter: u32): TcpRepr {
  clear(l);
  expect(closedCount).toBe(closedBefore);
  expect(tcpShutdown(s)).toBe(1);
  expect(closedCount).toBe(closedAfter); // told at once, not when the RST leaves
  expect(l.count).toBe(0);
  expect(tcpResetsDue(s)).toBe(1);
  expect(tcpPollAt(s)).toBe(1); // at once
  tcpPoll(s, 100);
  expect(l.count).toBe(1);
  let r = last(l);
  expect(r.flags).toBe(TcpFlag.RST | TcpFlag.ACK);
  expect(r.seq).toBe(seq);
  expect(r.ack).toBe(ack);
  expect(tcpState(s, CONN)).toBe(State.CLOSED);
  expect(tcpActive(s)).toBe(0);
  expect(tcpResetsDue(s)).toBe(0);
  expect(tcpPollAt(s)).toBe(0);
  expect(tcpCounter(s, Ctr.RST_OUT)).toBe(1);
  // nothing more, ever: a second shutdown and more polls
  expect(tcpShutdown(s)).toBe(0);
  tcpPoll(s, 200);
  tcpPoll(s, 100000);
  expect(l.count).toBe(1);
  expect(closedCount).toBe(closedAfter);
  return r;
}

describe("shutdown: one RST per state", () => {
  it("SYN-RECEIVED: <SEQ=ISS+1><ACK=RCV.NXT>, the app never heard of it", () => {
    let s = synReceived(l);
    expectOneReset(s, PINNED_ISS + 1, PEER_ISS + 1, 0, 0);
  });
  it("ESTABLISHED", () => {
    let s = established(l);
    expectOneReset(s, PINNED_ISS + 1, PEER_ISS + 1, 0, 1);
  });
  it("ESTABLISHED with timestamps: the RST carries them", () => {
    let s = established(l, true);
    let r = expectOneReset(s, PINNED_ISS + 1, PEER_ISS + 1, 0, 1);
    expect(r.hasTimestamp).toBe(true);
  });
  it("ESTABLISHED with data sent and unacknowledged: SEQ is SND.NXT past it", () => {
    let s = established(l);
    let p = tcpTxReserve(s, CONN, 3);
    memory.fill(p, 0x41, 3);
    tcpTxCommit(s, CONN, 3);
    tcpPoll(s, 5);
    expect(l.count).toBe(1);
    expectOneReset(s, PINNED_ISS + 4, PEER_ISS + 1, 0, 1);
  });
  it("ESTABLISHED with unread bytes and output not yet sent", () => {
    let s = established(l);
    let d = heap.alloc(8);
    memory.fill(d, 0x42, 8);
    deliver(s, pseg(TcpFlag.ACK | TcpFlag.PSH, PEER_ISS + 1, PINNED_ISS + 1), d, 8, 5);
    let p = tcpTxReserve(s, CONN, 5);
    memory.fill(p, 0x43, 5);
    tcpTxCommit(s, CONN, 5); // outside an upcall: would leave at the next poll
    expectOneReset(s, PINNED_ISS + 1, PEER_ISS + 9, 0, 1); // the queued bytes are discarded
  });
  it("FIN-WAIT-1", () => {
    let s = finWait1(l);
    expectOneReset(s, PINNED_ISS + 2, PEER_ISS + 1, 0, 1);
  });
  it("FIN-WAIT-2", () => {
    let s = finWait2(l);
    expectOneReset(s, PINNED_ISS + 2, PEER_ISS + 1, 0, 1);
  });
  it("CLOSING", () => {
    let s = closing(l);
    expectOneReset(s, PINNED_ISS + 2, PEER_ISS + 2, 0, 1);
  });
  it("CLOSE-WAIT", () => {
    let s = closeWait(l);
    expectOneReset(s, PINNED_ISS + 1, PEER_ISS + 2, 0, 1);
  });
  it("LAST-ACK", () => {
    let s = lastAck(l);
    expectOneReset(s, PINNED_ISS + 2, PEER_ISS + 2, 0, 1);
  });
  it("TIME-WAIT: dropped, no RST, not counted, the app told once only", () => {
    let s = timeWait(l);
    expect(closedCount).toBe(1);
    clear(l);
    expect(tcpShutdown(s)).toBe(0);
    expect(tcpActive(s)).toBe(0);
    tcpPoll(s, 100);
    expect(l.count).toBe(0);
    expect(closedCount).toBe(1);
  });
  it("SYN-SENT: freed without a RST, the app hears closed", () => {
    clear(l);
    resetApps();
    let s = newStack(l);
    tcpSetApp(s, appOpenCb, sinkData, appWritableCb, appPeerFinCount, appClosedCb);
    expect(tcpConnect(s, OUR_IP, 3000, PEER_IP, 80, 0)).toBe(0);
    clear(l);
    expect(tcpShutdown(s)).toBe(1);
    expect(closedCount).toBe(1);
    expect(tcpActive(s)).toBe(0);
    tcpPoll(s, 100);
    expect(l.count).toBe(0);
    expect(tcpConnect(s, OUR_IP, 3001, PEER_IP, 80, 200)).toBe(NO_CONN); // no new connections
  });
});

describe("shutdown: the listener and the aborted slots", () => {
  it("stops listening: a SYN gets the closed port's RST", () => {
    let s = established(l);
    tcpShutdown(s);
    tcpPoll(s, 10);
    clear(l);
    let r = seg(TcpFlag.SYN, 777, 0);
    r.srcPort = 41000;
    deliver(s, r, 0, 0, 20);
    expect(l.count).toBe(1);
    expect(last(l).flags).toBe(TcpFlag.RST | TcpFlag.ACK);
    expect(last(l).ack).toBe(778);
    expect(tcpCounter(s, Ctr.DROP_NO_LISTENER)).toBe(1);
    expect(tcpActive(s)).toBe(0);
  });
  it("drops segments for a connection whose RST is queued, refuses the app's calls on it", () => {
    let s = established(l);
    tcpShutdown(s);
    let d = heap.alloc(4);
    deliver(s, pseg(TcpFlag.ACK | TcpFlag.PSH, PEER_ISS + 1, PINNED_ISS + 1), d, 4, 5);
    deliver(s, pseg(TcpFlag.FIN | TcpFlag.ACK, PEER_ISS + 5, PINNED_ISS + 1), 0, 0, 5);
    expect(l.count).toBe(0);
    expect(tcpTxReserve(s, CONN, 1)).toBe(0);
    tcpClose(s, CONN);
    tcpPoll(s, 6);
    expect(l.count).toBe(1);
    expect(last(l).flags).toBe(TcpFlag.RST | TcpFlag.ACK);
    expect(last(l).ack).toBe(PEER_ISS + 1);
    expect(closedCount).toBe(1);
  });
  it("keeps a RST the link had no buffer for until a poll that has one", () => {
    let s = established(l);
    tcpShutdown(s);
    l.refuse = 1;
    tcpPoll(s, 5);
    tcpPoll(s, 6);
    expect(l.count).toBe(0);
    expect(tcpResetsDue(s)).toBe(1);
    expect(tcpPollAt(s)).toBe(1);
    l.refuse = 0;
    tcpPoll(s, 7);
    expect(l.count).toBe(1);
    expect(tcpResetsDue(s)).toBe(0);
  });
});

/** A listening stack of n slots with tiny rings whose ISN is pinned; n connections established from ports 1024 + i. */
function many(link: Link, n: u32): usize {
  resetApps();
  let s = newStack(link, n, 64, 64);
  tcpSetApp(s, appOpenCb, sinkData, appWritableCb, appPeerFinCount, appClosedCb);
  tcpListen(s, OUR_PORT);
  tcpPinIsn(s, true, PINNED_ISS);
  for (let i: u32 = 0; i < n; i++) {
    let r = seg(TcpFlag.SYN, PEER_ISS + i, 0);
    r.srcPort = <u16>(1024 + i);
    deliver(s, r, 0, 0, 1);
    r = seg(TcpFlag.ACK, PEER_ISS + i + 1, PINNED_ISS + 1);
    r.srcPort = <u16>(1024 + i);
    deliver(s, r, 0, 0, 1);
    link.count = 0;
  }
  return s;
}

describe("shutdown: many connections", () => {
  it("sends 200 RSTs over several polls of 16 tx buffers, each once, in slot order", () => {
    let big = newLink(16);
    let s = many(big, 200);
    expect(tcpActive(s)).toBe(200);
    expect(tcpShutdown(s)).toBe(200);
    expect(closedCount).toBe(200);
    let seen: u32 = 0;
    for (let p: u32 = 0; p < 13; p++) {
      big.count = 0;
      expect(tcpPollAt(s)).toBe(1);
      tcpPoll(s, 10 + p);
      expect(big.count).toBe(min(16, 200 - seen));
      for (let i: u32 = 0; i < big.count; i++) {
        let r = sent(big, i);
        expect(r.flags).toBe(TcpFlag.RST | TcpFlag.ACK);
        expect(<u32>r.dstPort).toBe(1024 + seen);
        expect(r.seq).toBe(PINNED_ISS + 1);
        expect(r.ack).toBe(PEER_ISS + seen + 1);
        seen++;
      }
      expect(tcpResetsDue(s)).toBe(200 - seen);
    }
    expect(seen).toBe(200);
    expect(tcpActive(s)).toBe(0);
    expect(tcpPollAt(s)).toBe(0);
    expect(closedCount).toBe(200);
    expect(tcpCounter(s, Ctr.RST_OUT)).toBe(200);
  });
  it("handles 50 000 slots: one scan at shutdown, at most 64 RSTs per poll", () => {
    let n: u32 = 50000;
    let big = newLink(128);
    let s = many(big, n);
    expect(tcpActive(s)).toBe(n);
    expect(tcpShutdown(s)).toBe(n);
    expect(closedCount).toBe(n);
    let polls: u32 = 0;
    let total: u32 = 0;
    while (tcpResetsDue(s) > 0 && polls < 1000) {
      big.count = 0;
      tcpPoll(s, 10 + polls);
      expect(big.count).toBeLessThanOrEqual(64);
      total += big.count;
      polls++;
    }
    expect(total).toBe(n);
    expect(polls).toBe((n + 63) / 64);
    expect(tcpActive(s)).toBe(0);
    expect(tcpShutdown(s)).toBe(0);
  });
});
