// State transitions, grouped by state, each from a fixture (support.ts).

import { TcpFlag } from "../../wire/tcp";
import { State } from "../conn";
import { Ctr, tcpClose, tcpConnAt, tcpCounter, tcpPoll, tcpState, tcpTxCommit, tcpTxReserve, tcpActive } from "../index";
import {
  clear, closeWait, closing, CONN, deliver, established, finWait1, finWait2, last, lastAck, Link, listening, newLink,
  PEER_ISS, PINNED_ISS, pseg, seg, sent, synReceived, timeWait, opened, closedCount, peerFins, bytesSeen,
} from "./support";

let l: Link = newLink(64);

describe("listen", () => {
  it("answers a SYN with a SYN-ACK and enters SYN-RECEIVED", () => {
    clear(l);
    let s = synReceived(l);
    expect(tcpState(s, CONN)).toBe(State.SYN_RECEIVED);
    expect(l.count).toBe(1);
    let r = last(l);
    expect(r.flags).toBe(TcpFlag.SYN | TcpFlag.ACK);
    expect(r.seq).toBe(PINNED_ISS);
    expect(r.ack).toBe(PEER_ISS + 1);
    expect(r.mss).toBe(1460);
    expect(r.sackPermitted).toBe(true);
    expect(r.wscale).toBe(0); // a 4 KiB ring needs no shift, but the option is offered back
    expect(r.hasTimestamp).toBe(false); // the peer did not offer timestamps
  });
  it("answers a stray ACK with a RST <SEQ=SEG.ACK>", () => {
    clear(l);
    let s = listening(l);
    deliver(s, seg(TcpFlag.ACK, 77, 12345), 0, 0, 0);
    expect(last(l).flags).toBe(TcpFlag.RST);
    expect(last(l).seq).toBe(12345);
  });
  it("ignores a RST", () => {
    clear(l);
    let s = listening(l);
    deliver(s, seg(TcpFlag.RST, 77, 0), 0, 0, 0);
    expect(l.count).toBe(0);
  });
  it("resets a SYN to a port nobody listens on", () => {
    clear(l);
    let s = listening(l);
    let r = seg(TcpFlag.SYN, 77, 0);
    r.dstPort = 81;
    deliver(s, r, 0, 0, 0);
    expect(last(l).flags).toBe(TcpFlag.RST | TcpFlag.ACK);
    expect(last(l).ack).toBe(78);
    expect(tcpCounter(s, Ctr.DROP_NO_LISTENER)).toBe(1);
  });
});

describe("syn-received", () => {
  it("becomes ESTABLISHED on the ACK of its SYN and opens the app", () => {
    clear(l);
    let s = synReceived(l);
    deliver(s, pseg(TcpFlag.ACK, PEER_ISS + 1, PINNED_ISS + 1), 0, 0, 5);
    expect(tcpState(s, CONN)).toBe(State.ESTABLISHED);
    expect(opened).toBe(1);
  });
  it("sends the SYN-ACK again when the SYN comes again", () => {
    clear(l);
    let s = synReceived(l);
    clear(l);
    deliver(s, seg(TcpFlag.SYN, PEER_ISS, 0), 0, 0, 5);
    expect(last(l).flags).toBe(TcpFlag.SYN | TcpFlag.ACK);
    expect(tcpState(s, CONN)).toBe(State.SYN_RECEIVED);
  });
  it("resets an ACK of something else", () => {
    clear(l);
    let s = synReceived(l);
    clear(l);
    deliver(s, pseg(TcpFlag.ACK, PEER_ISS + 1, PINNED_ISS + 9), 0, 0, 5);
    expect(last(l).flags).toBe(TcpFlag.RST);
    expect(last(l).seq).toBe(PINNED_ISS + 9);
  });
  it("retransmits the SYN-ACK on timeout, then gives up and frees the slot", () => {
    clear(l);
    let s = synReceived(l);
    clear(l);
    tcpPoll(s, 1000);
    expect(l.count).toBe(1);
    expect(last(l).flags).toBe(TcpFlag.SYN | TcpFlag.ACK);
    let now: u64 = 1000;
    for (let i = 0; i < 10; i++) { now += 70000; tcpPoll(s, now); }
    expect(tcpState(s, CONN)).toBe(State.CLOSED);
    expect(tcpActive(s)).toBe(0);
  });
  it("goes back to LISTEN (slot freed, app never told) on a RST at RCV.NXT", () => {
    clear(l);
    let s = synReceived(l);
    deliver(s, seg(TcpFlag.RST, PEER_ISS + 1, 0), 0, 0, 5);
    expect(tcpState(s, CONN)).toBe(State.CLOSED);
    expect(closedCount).toBe(0);
  });
});

describe("established", () => {
  it("delivers in-order data to the app and delays the ACK", () => {
    let s = established(l);
    let d = pattern4();
    deliver(s, pseg(TcpFlag.ACK | TcpFlag.PSH, PEER_ISS + 1, PINNED_ISS + 1), d, 4, 10);
    expect(bytesSeen).toBe(4);
    expect(l.count).toBe(0); // ACK delayed
    tcpPoll(s, 10 + 40);
    expect(l.count).toBe(1);
    expect(last(l).ack).toBe(PEER_ISS + 5);
    expect(tcpCounter(s, Ctr.DELAYED_ACKS)).toBe(1);
  });
  it("piggybacks the ACK on a reply", () => {
    let s = established(l);
    let d = pattern4();
    deliver(s, pseg(TcpFlag.ACK | TcpFlag.PSH, PEER_ISS + 1, PINNED_ISS + 1), d, 4, 10);
    let p = tcpTxReserve(s, CONN, 3);
    store<u8>(p, 0x41); store<u8>(p + 1, 0x42); store<u8>(p + 2, 0x43);
    tcpTxCommit(s, CONN, 3);
    tcpPoll(s, 11);
    expect(l.count).toBe(1);
    let r = last(l);
    expect(r.ack).toBe(PEER_ISS + 5);
    expect(r.seq).toBe(PINNED_ISS + 1);
    expect(r.flags).toBe(TcpFlag.ACK | TcpFlag.PSH);
    tcpPoll(s, 100);
    expect(l.count).toBe(1); // no separate delayed ACK
  });
  it("ACKs at once every second full segment", () => {
    let s = established(l);
    let d = pattern4();
    let mss = tcpConnAt(s, CONN).mss;
    let big = pattern1(mss);
    deliver(s, pseg(TcpFlag.ACK, PEER_ISS + 1, PINNED_ISS + 1), big, mss, 10);
    expect(l.count).toBe(0);
    deliver(s, pseg(TcpFlag.ACK, PEER_ISS + 1 + mss, PINNED_ISS + 1), big, mss, 10);
    expect(l.count).toBe(1);
    expect(last(l).ack).toBe(PEER_ISS + 1 + 2 * mss);
  });
  it("moves to CLOSE-WAIT on a FIN, ACKs it and tells the app", () => {
    let s = closeWait(l);
    expect(tcpState(s, CONN)).toBe(State.CLOSE_WAIT);
    expect(peerFins).toBe(1);
  });
  it("moves to FIN-WAIT-1 when the app closes and sends a FIN", () => {
    clear(l);
    let s = finWait1(l);
    expect(tcpState(s, CONN)).toBe(State.FIN_WAIT_1);
    expect(last(l).flags).toBe(TcpFlag.FIN | TcpFlag.ACK);
    expect(last(l).seq).toBe(PINNED_ISS + 1);
  });
  it("resets on a RST at exactly RCV.NXT and tells the app", () => {
    let s = rstAt(PEER_ISS + 1);
    expect(tcpState(s, CONN)).toBe(State.CLOSED);
    expect(closedCount).toBe(1);
    expect(tcpCounter(s, Ctr.CONN_RESET)).toBe(1);
  });
  it("answers an in-window RST not at RCV.NXT with a challenge ACK (RFC 5961 §3.2)", () => {
    let s = rstAt(PEER_ISS + 100);
    expect(tcpState(s, CONN)).toBe(State.ESTABLISHED);
    expect(l.count).toBe(1);
    expect(last(l).flags).toBe(TcpFlag.ACK);
    expect(last(l).ack).toBe(PEER_ISS + 1);
    expect(tcpCounter(s, Ctr.CHALLENGE_ACKS)).toBe(1);
  });
  it("drops an out-of-window RST silently", () => {
    let s = rstAt(PEER_ISS + 100000);
    expect(tcpState(s, CONN)).toBe(State.ESTABLISHED);
    expect(l.count).toBe(0);
    expect(tcpCounter(s, Ctr.DROP_RST_OUT_OF_WINDOW)).toBe(1);
  });
  it("answers a SYN with a challenge ACK (RFC 5961 §4.2)", () => {
    let s = established(l);
    deliver(s, seg(TcpFlag.SYN, PEER_ISS + 50, 0), 0, 0, 10);
    expect(tcpState(s, CONN)).toBe(State.ESTABLISHED);
    expect(last(l).flags).toBe(TcpFlag.ACK);
    expect(tcpCounter(s, Ctr.CHALLENGE_ACKS)).toBe(1);
  });
  it("ACKs and drops an ACK for data never sent", () => {
    let s = established(l);
    deliver(s, pseg(TcpFlag.ACK, PEER_ISS + 1, PINNED_ISS + 500), 0, 0, 10);
    expect(tcpCounter(s, Ctr.DROP_ACK_TOO_NEW)).toBe(1);
    expect(last(l).flags).toBe(TcpFlag.ACK);
  });
  it("ACKs an old duplicate segment", () => {
    let s = established(l);
    let d = pattern4();
    deliver(s, pseg(TcpFlag.ACK, PEER_ISS + 1, PINNED_ISS + 1), d, 4, 10);
    deliver(s, pseg(TcpFlag.ACK, PEER_ISS + 1, PINNED_ISS + 1), d, 4, 11);
    expect(bytesSeen).toBe(4);
    expect(tcpCounter(s, Ctr.DUP_SEGMENTS)).toBe(1);
    expect(last(l).ack).toBe(PEER_ISS + 5);
  });
});

describe("fin-wait-1", () => {
  it("moves to FIN-WAIT-2 when its FIN is acknowledged", () => {
    let s = finWait2(l);
    expect(tcpState(s, CONN)).toBe(State.FIN_WAIT_2);
  });
  it("moves to CLOSING on the peer's FIN without the ACK of ours", () => {
    let s = closing(l);
    expect(tcpState(s, CONN)).toBe(State.CLOSING);
  });
  it("moves straight to TIME-WAIT on a FIN that acknowledges ours", () => {
    let s = finWait1(l);
    deliver(s, pseg(TcpFlag.FIN | TcpFlag.ACK, PEER_ISS + 1, PINNED_ISS + 2), 0, 0, 3);
    expect(tcpState(s, CONN)).toBe(State.TIME_WAIT);
  });
  it("sends the FIN again on timeout", () => {
    clear(l);
    let s = finWait1(l);
    clear(l);
    tcpPoll(s, 2 + 1000);
    expect(l.count).toBe(1);
    expect(last(l).flags).toBe(TcpFlag.FIN | TcpFlag.ACK);
    expect(last(l).seq).toBe(PINNED_ISS + 1);
  });
  it("still receives data (half-close)", () => {
    let s = finWait1(l);
    deliver(s, pseg(TcpFlag.ACK, PEER_ISS + 1, PINNED_ISS + 2), pattern4(), 4, 3);
    expect(tcpState(s, CONN)).toBe(State.FIN_WAIT_2);
    expect(bytesSeen).toBe(4);
  });
});

describe("fin-wait-2", () => {
  it("moves to TIME-WAIT on the peer's FIN and ACKs it", () => {
    clear(l);
    let s = timeWait(l);
    expect(tcpState(s, CONN)).toBe(State.TIME_WAIT);
    expect(closedCount).toBe(1);
  });
  it("is bounded: the slot is freed after FIN-WAIT-2 silence, which the peer's segments push back", () => {
    let s = finWait2(l);
    deliver(s, pseg(TcpFlag.ACK, PEER_ISS + 1, PINNED_ISS + 2), pattern4(), 4, 100000);
    tcpPoll(s, 3 + 120000);
    expect(tcpState(s, CONN)).toBe(State.FIN_WAIT_2);
    tcpPoll(s, 100000 + 120000);
    expect(tcpState(s, CONN)).toBe(State.CLOSED);
  });
});

describe("closing", () => {
  it("moves to TIME-WAIT when its FIN is acknowledged", () => {
    let s = closing(l);
    deliver(s, pseg(TcpFlag.ACK, PEER_ISS + 2, PINNED_ISS + 2), 0, 0, 4);
    expect(tcpState(s, CONN)).toBe(State.TIME_WAIT);
  });
});

describe("time-wait", () => {
  it("ACKs a retransmitted FIN", () => {
    let s = timeWait(l);
    deliver(s, pseg(TcpFlag.FIN | TcpFlag.ACK, PEER_ISS + 1, PINNED_ISS + 2), 0, 0, 5);
    expect(l.count).toBe(1);
    expect(last(l).ack).toBe(PEER_ISS + 2);
  });
  it("frees the slot after the bounded wait", () => {
    let s = timeWait(l);
    tcpPoll(s, 4 + 1999);
    expect(tcpState(s, CONN)).toBe(State.TIME_WAIT);
    tcpPoll(s, 4 + 2000);
    expect(tcpState(s, CONN)).toBe(State.CLOSED);
    expect(tcpActive(s)).toBe(0);
  });
});

describe("close-wait", () => {
  it("moves to LAST-ACK when the app closes, sending its FIN", () => {
    let s = closeWait(l);
    tcpClose(s, CONN);
    tcpPoll(s, 3);
    expect(tcpState(s, CONN)).toBe(State.LAST_ACK);
    expect(last(l).flags).toBe(TcpFlag.FIN | TcpFlag.ACK);
  });
  it("sends queued output before its FIN", () => {
    let s = closeWait(l);
    let p = tcpTxReserve(s, CONN, 2);
    store<u16>(p, 0x4141);
    tcpTxCommit(s, CONN, 2);
    tcpClose(s, CONN);
    tcpPoll(s, 3);
    let r = last(l);
    expect(r.flags).toBe(TcpFlag.FIN | TcpFlag.ACK | TcpFlag.PSH);
    expect(r.seq).toBe(PINNED_ISS + 1);
  });
});

describe("last-ack", () => {
  it("closes when its FIN is acknowledged", () => {
    let s = lastAck(l);
    deliver(s, pseg(TcpFlag.ACK, PEER_ISS + 2, PINNED_ISS + 2), 0, 0, 4);
    expect(tcpState(s, CONN)).toBe(State.CLOSED);
    expect(closedCount).toBe(1);
    expect(tcpActive(s)).toBe(0);
  });
});

/** An established connection that just got a RST at seq. */
function rstAt(seq: u32): usize {
  let s = established(l);
  deliver(s, seg(TcpFlag.RST, seq, 0), 0, 0, 10);
  return s;
}

function pattern4(): usize {
  let p = heap.alloc(4);
  store<u32>(p, 0x64636261);
  return p;
}
function pattern1(n: u32): usize {
  let p = heap.alloc(n);
  memory.fill(p, 0x61, n);
  return p;
}
