// Opening: option negotiation, active open, SYN cookies, the connection
// limit, an app that refuses, a link with no buffer.

import { Tcp, TcpFlag } from "../../wire/tcp";
import { CF, State } from "../conn";
import {
  Ctr, NO_CONN, tcpActive, tcpConnAt, tcpConnect, tcpCounter, tcpPinIsn, tcpPoll, tcpSetApp, tcpSetHalfOpenMax, tcpState,
  tcpTxCommit, tcpTxReserve,
} from "../index";
import {
  appClosedCb, appOpenCb, appPeerFinCount, appWritableCb, clear, closedCount, CONN, deliver, established, last, Link,
  listening, newLink, newStack, opened, OUR_IP, OUR_PORT, PEER_IP, PEER_ISS, PEER_PORT, PINNED_ISS, resetApps, seg,
  sentLen, setRefuseOpen, sinkData,
} from "./support";

let l: Link = newLink(64);

describe("negotiation (passive open)", () => {
  it("without options: MSS 536, no scaling, SACK or timestamps; the SYN-ACK offers only its MSS", () => {
    clear(l);
    let s = listening(l);
    deliver(s, seg(TcpFlag.SYN, PEER_ISS, 0), 0, 0, 0);
    let r = last(l);
    expect(r.mss).toBe(1460);
    expect(r.wscale).toBe(Tcp.NO_WSCALE);
    expect(r.sackPermitted).toBe(false);
    expect(r.hasTimestamp).toBe(false);
    let c = tcpConnAt(s, CONN);
    expect(c.mss).toBe(536);
    expect(c.flags & (CF.SACK | CF.TS | CF.WS)).toBe(0);
  });
  it("honours the peer's MSS, less the timestamp option, and echoes its TSval", () => {
    clear(l);
    let s = listening(l);
    let syn = seg(TcpFlag.SYN, PEER_ISS, 0);
    syn.mss = 1000;
    syn.hasTimestamp = true;
    syn.tsVal = 777;
    deliver(s, syn, 0, 0, 0);
    expect(last(l).hasTimestamp).toBe(true);
    expect(last(l).tsEcr).toBe(777);
    expect(tcpConnAt(s, CONN).mss).toBe(988);
  });
  it("scales the peer's window by its shift after the handshake (never on the SYN)", () => {
    clear(l);
    let s = listening(l);
    let syn = seg(TcpFlag.SYN, PEER_ISS, 0);
    syn.wscale = 7;
    syn.window = 1000;
    deliver(s, syn, 0, 0, 0);
    expect(tcpConnAt(s, CONN).sndWnd).toBe(1000);
    let ack = seg(TcpFlag.ACK, PEER_ISS + 1, last(l).seq + 1);
    ack.window = 100;
    deliver(s, ack, 0, 0, 1);
    expect(tcpConnAt(s, CONN).sndWnd).toBe(12800);
  });
  it("resets the connection when the app refuses it", () => {
    clear(l);
    let s = listening(l);
    setRefuseOpen(true);
    deliver(s, seg(TcpFlag.SYN, PEER_ISS, 0), 0, 0, 0);
    deliver(s, seg(TcpFlag.ACK, PEER_ISS + 1, last(l).seq + 1), 0, 0, 1);
    expect(last(l).flags & TcpFlag.RST).toBe(TcpFlag.RST);
    expect(tcpState(s, CONN)).toBe(State.CLOSED);
    setRefuseOpen(false);
  });
});

function connecting(): usize {
  clear(l);
  resetApps();
  let s = newStack(l);
  tcpSetApp(s, appOpenCb, sinkData, appWritableCb, appPeerFinCount, appClosedCb);
  tcpPinIsn(s, true, PINNED_ISS);
  expect(tcpConnect(s, OUR_IP, OUR_PORT, PEER_IP, PEER_PORT, 0)).toBe(CONN);
  return s;
}

describe("active open (syn-sent)", () => {
  it("sends a SYN offering MSS, window scale, SACK and timestamps", () => {
    let s = connecting();
    let r = last(l);
    expect(r.flags).toBe(TcpFlag.SYN);
    expect(r.seq).toBe(PINNED_ISS);
    expect(r.mss).toBe(1460);
    expect(r.wscale).toBe(0);
    expect(r.sackPermitted).toBe(true);
    expect(r.hasTimestamp).toBe(true);
    expect(tcpState(s, CONN)).toBe(State.SYN_SENT);
  });
  it("becomes ESTABLISHED on the SYN-ACK and ACKs it", () => {
    let s = connecting();
    let sa = seg(TcpFlag.SYN | TcpFlag.ACK, PEER_ISS, PINNED_ISS + 1);
    sa.mss = 1000;
    deliver(s, sa, 0, 0, 30);
    expect(tcpState(s, CONN)).toBe(State.ESTABLISHED);
    expect(opened).toBe(1);
    expect(last(l).flags).toBe(TcpFlag.ACK);
    expect(last(l).ack).toBe(PEER_ISS + 1);
    expect(tcpConnAt(s, CONN).mss).toBe(1000);
    expect(tcpConnAt(s, CONN).srtt).toBe(30);
  });
  it("answers a SYN-ACK for another ISN with a RST and stays", () => {
    let s = connecting();
    deliver(s, seg(TcpFlag.SYN | TcpFlag.ACK, PEER_ISS, PINNED_ISS + 7), 0, 0, 1);
    expect(last(l).flags).toBe(TcpFlag.RST);
    expect(last(l).seq).toBe(PINNED_ISS + 7);
    expect(tcpState(s, CONN)).toBe(State.SYN_SENT);
  });
  it("is reset by a RST acknowledging its SYN, and ignores one that does not", () => {
    let s = connecting();
    deliver(s, seg(TcpFlag.RST | TcpFlag.ACK, 0, PINNED_ISS + 5), 0, 0, 1);
    expect(tcpState(s, CONN)).toBe(State.SYN_SENT);
    deliver(s, seg(TcpFlag.RST | TcpFlag.ACK, 0, PINNED_ISS + 1), 0, 0, 2);
    expect(tcpState(s, CONN)).toBe(State.CLOSED);
    expect(closedCount).toBe(1);
  });
  it("enters SYN-RECEIVED on a simultaneous open", () => {
    let s = connecting();
    deliver(s, seg(TcpFlag.SYN, PEER_ISS, 0), 0, 0, 1);
    expect(tcpState(s, CONN)).toBe(State.SYN_RECEIVED);
    expect(last(l).flags).toBe(TcpFlag.SYN | TcpFlag.ACK);
  });
});

describe("syn cookies", () => {
  it("answers with a cookie when the half-open table is full, and opens on its ACK", () => {
    clear(l);
    let s = listening(l);
    tcpSetHalfOpenMax(s, 1);
    tcpPinIsn(s, true, PINNED_ISS);
    deliver(s, seg(TcpFlag.SYN, PEER_ISS, 0), 0, 0, 0); // takes the one half-open place
    let syn = seg(TcpFlag.SYN, 9000, 0);
    syn.srcPort = 40001;
    syn.mss = 1460;
    syn.wscale = 3;
    syn.sackPermitted = true;
    syn.hasTimestamp = true;
    syn.tsVal = 500;
    deliver(s, syn, 0, 0, 100);
    expect(tcpCounter(s, Ctr.COOKIES_SENT)).toBe(1);
    expect(tcpActive(s)).toBe(1); // no slot taken
    let sa = last(l);
    expect(sa.flags).toBe(TcpFlag.SYN | TcpFlag.ACK);
    expect(sa.ack).toBe(9001);
    let cookie = sa.seq;
    let ts = sa.tsVal;
    // a wrong cookie is refused
    let bad = seg(TcpFlag.ACK, 9001, cookie + 2);
    bad.srcPort = 40001;
    deliver(s, bad, 0, 0, 101);
    expect(tcpCounter(s, Ctr.COOKIES_REJECTED)).toBe(1);
    expect(last(l).flags).toBe(TcpFlag.RST);
    // the right one opens the connection, with scaling and SACK carried in the timestamp
    let ack = seg(TcpFlag.ACK, 9001, cookie + 1);
    ack.srcPort = 40001;
    ack.hasTimestamp = true;
    ack.tsVal = 501;
    ack.tsEcr = ts;
    ack.window = 100;
    deliver(s, ack, 0, 0, 102);
    expect(tcpCounter(s, Ctr.COOKIES_VALIDATED)).toBe(1);
    expect(tcpActive(s)).toBe(2);
    let c = tcpConnAt(s, 1);
    expect(c.state).toBe(State.ESTABLISHED);
    expect(c.flags & (CF.SACK | CF.TS | CF.WS | CF.COOKIE)).toBe(CF.SACK | CF.TS | CF.WS | CF.COOKIE);
    expect(c.sndWs).toBe(3);
    expect(c.sndWnd).toBe(800);
    expect(opened).toBe(1);
  });
  it("refuses a cookie from an earlier period than the one before", () => {
    clear(l);
    let s = listening(l);
    tcpSetHalfOpenMax(s, 0);
    deliver(s, seg(TcpFlag.SYN, 9000, 0), 0, 0, 0);
    let cookie = last(l).seq;
    deliver(s, seg(TcpFlag.ACK, 9001, cookie + 1), 0, 0, 3 * 64000);
    expect(tcpCounter(s, Ctr.COOKIES_REJECTED)).toBe(1);
    expect(tcpActive(s)).toBe(0);
  });
});

describe("limits", () => {
  it("refuses a SYN past the connection limit with a RST, and counts it", () => {
    clear(l);
    let s = listening(l); // 4 connections
    tcpSetHalfOpenMax(s, 100);
    for (let i: u32 = 0; i < 4; i++) {
      let r = seg(TcpFlag.SYN, 100 * i, 0);
      r.srcPort = <u16>(1000 + i);
      deliver(s, r, 0, 0, 0);
    }
    expect(tcpActive(s)).toBe(4);
    let r = seg(TcpFlag.SYN, 7, 0);
    r.srcPort = 2000;
    deliver(s, r, 0, 0, 0);
    expect(last(l).flags).toBe(TcpFlag.RST | TcpFlag.ACK);
    expect(tcpCounter(s, Ctr.SYN_REFUSED)).toBe(1);
    expect(tcpActive(s)).toBe(4);
  });
  it("an active open past the limit returns NO_CONN", () => {
    clear(l);
    let s = listening(l);
    for (let i: u32 = 0; i < 4; i++) expect(tcpConnect(s, OUR_IP, 3000 + i, PEER_IP, 80, 0)).toBe(i);
    expect(tcpConnect(s, OUR_IP, 4000, PEER_IP, 80, 0)).toBe(NO_CONN);
  });
  it("a link with no buffer: nothing sent, counted, and sent at a later poll", () => {
    let s = established(l);
    let p = tcpTxReserve(s, CONN, 10);
    memory.fill(p, 0x41, 10);
    tcpTxCommit(s, CONN, 10);
    l.refuse = 1;
    tcpPoll(s, 10);
    expect(l.count).toBe(0);
    expect(tcpCounter(s, Ctr.TX_NO_BUFFER)).toBe(1);
    l.refuse = 0;
    tcpPoll(s, 11);
    expect(l.count).toBe(1);
    expect(sentLen(l, 0)).toBe(10);
  });
});

describe("active open limits", () => {
  it("refuses a second connect on a 4-tuple in use", () => {
    clear(l);
    let s = newStack(l);
    expect(tcpConnect(s, OUR_IP, 5000, PEER_IP, 80, 0)).toBe(0);
    expect(tcpConnect(s, OUR_IP, 5000, PEER_IP, 80, 0)).toBe(NO_CONN);
    expect(tcpConnect(s, OUR_IP, 5001, PEER_IP, 80, 0)).toBe(1);
  });
});
