// SACK-based loss recovery for the sender (RFC 6675 with RFC 2018 blocks):
// the scoreboard (merging, bogus blocks, overflow), IsLost, the pipe
// estimate and NextSeg on a hand-built connection, then whole recoveries on
// a stack: several holes repaired within one round trip, lost
// retransmissions resent, an RTO clearing the scoreboard, the overflow
// falling back to NewReno, a peer without SACK staying on NewReno.

import { TcpFlag, TcpRepr, tcpSetSack } from "../../wire/tcp";
import { CF, Conn, CONN_SIZE, rangeEnd, rangeStart, SACK_BASE, SACK_RANGES, setRange } from "../conn";
import { Ctr, tcpConnAt, tcpCounter, tcpPoll, tcpTxCommit, tcpTxReserve } from "../index";
import { sackIsLost, sackNextSeg, sackPipe } from "../reassembly";
import { clear, CONN, deliver, established, Link, newLink, pattern, PEER_ISS, PINNED_ISS, pseg, sent, sentLen, setPeerSack } from "./support";

let l: Link = newLink(512);
const P: u32 = PEER_ISS + 1; // the peer's first data sequence number
const U: u32 = PINNED_ISS + 1; // ours
const RING64: u32 = 65536;

// ---- a hand-built connection for the scoreboard functions ------------------------------
const M: u32 = 1000; // its MSS

/** A zeroed Conn with snd_una = 0, snd_max = segs * M and the given SACKed segment ranges [a, b). */
function board(segs: u32, ranges: u32[]): Conn {
  let c = changetype<Conn>(heap.alloc(CONN_SIZE));
  memory.fill(changetype<usize>(c), 0, CONN_SIZE);
  c.mss = M;
  c.sndUna = 0;
  c.sndNxt = segs * M;
  c.sndMax = segs * M;
  c.flags = CF.SACK;
  let n = <u32>ranges.length >> 1;
  for (let i: u32 = 0; i < n; i++) setRange(c, SACK_BASE, i, ranges[i * 2] * M, ranges[i * 2 + 1] * M);
  c.sackCount = n;
  return c;
}
@inline function nsSeq(v: u64): u32 { return <u32>v; }
@inline function nsLen(v: u64): u32 { return <u32>(v >> 32); }

// ---- a stack with `segs` full segments out ----------------------------------------------
let m: u32 = 0;

/**
 * Established (64 KiB rings) with segs full segments sent at t=10 (cwnd
 * exactly that), and `queued` more segments written but not sent; the link
 * is cleared.
 */
function outstanding(segs: u32, queued: u32 = 0): usize {
  let s = established(l, false, RING64);
  let c = tcpConnAt(s, CONN);
  m = c.mss;
  c.cwnd = segs * m;
  appWrite(s, 0, (segs + queued) * m);
  tcpPoll(s, 10);
  expect(l.count).toBe(segs);
  clear(l);
  return s;
}

function appWrite(s: usize, from: u32, n: u32): void {
  let p = tcpTxReserve(s, CONN, n);
  assert(p != 0, "no tx space");
  memory.copy(p, pattern(from, n), n);
  tcpTxCommit(s, CONN, n);
}

/** The peer's ACK of segment `ackSeg` (in segments from U) with SACK blocks of segment ranges [a, b). */
function sackAck(s: usize, ackSeg: u32, blocks: u32[], now: u64): void {
  let r = ackWith(ackSeg, blocks);
  deliver(s, r, 0, 0, now);
}
function ackWith(ackSeg: u32, blocks: u32[]): TcpRepr {
  let r = pseg(TcpFlag.ACK, P, U + ackSeg * m);
  let n = <u32>blocks.length >> 1;
  for (let i: u32 = 0; i < n; i++) tcpSetSack(r, i, U + blocks[i * 2] * m, U + blocks[i * 2 + 1] * m);
  r.sackCount = <u8>n;
  return r;
}

function rangesOf(c: Conn): string {
  let out = "";
  for (let i: u32 = 0; i < c.sackCount; i++) {
    out += "[" + ((rangeStart(c, SACK_BASE, i) - U) / m).toString() + "," + ((rangeEnd(c, SACK_BASE, i) - U) / m).toString() + ")";
  }
  return out;
}

/** Segment numbers (from U) of what the link holds, comma-separated. */
function sentSegs(): string {
  let out = "";
  for (let i: u32 = 0; i < l.count; i++) {
    if (i) out += ",";
    out += ((sent(l, i).seq - U) / m).toString();
  }
  return out;
}

describe("the scoreboard", () => {
  it("merges blocks into sorted disjoint ranges", () => {
    let s = outstanding(20);
    let c = tcpConnAt(s, CONN);
    sackAck(s, 0, [4, 5], 20);
    sackAck(s, 0, [4, 5, 2, 3], 21); // the latest first, as a receiver sends them
    expect(rangesOf(c)).toBe("[2,3)[4,5)");
    sackAck(s, 0, [3, 4], 22); // fills the gap: one range
    expect(rangesOf(c)).toBe("[2,5)");
    sackAck(s, 0, [7, 9, 5, 6], 23); // touching [2,5) and a new one
    expect(rangesOf(c)).toBe("[2,6)[7,9)");
    sackAck(s, 1, [7, 9], 24); // the cumulative ACK moves: what it passed goes
    expect(rangesOf(c)).toBe("[2,6)[7,9)");
    sackAck(s, 6, [7, 9], 25);
    expect(rangesOf(c)).toBe("[7,9)");
  });
  it("ignores blocks outside (snd_una, snd_max], empty ones, and D-SACKs below snd_una", () => {
    let s = outstanding(10);
    let c = tcpConnAt(s, CONN);
    sackAck(s, 2, [9, 11], 20);  // past snd_max
    sackAck(s, 2, [5, 5], 21);   // empty
    sackAck(s, 2, [6, 4], 22);   // reversed
    sackAck(s, 2, [1, 3], 23);   // starts below snd_una
    sackAck(s, 2, [0, 1, 5, 6], 24); // a D-SACK (RFC 2883) below snd_una, then a real block
    expect(rangesOf(c)).toBe("[5,6)");
    expect(tcpCounter(s, Ctr.SACK_OVERFLOWS)).toBe(0);
  });
});

describe("IsLost, pipe and NextSeg (RFC 6675 §4)", () => {
  it("IsLost: three SACKed pieces, or more than two segments of SACKed bytes, above", () => {
    let c = board(10, [1, 2, 3, 4]);
    expect(sackIsLost(c, 0)).toBe(false); // two ranges, 2 SMSS
    c = board(10, [1, 2, 3, 4, 5, 6]);
    expect(sackIsLost(c, 0)).toBe(true); // three ranges
    expect(sackIsLost(c, 2 * M)).toBe(false); // two above it
    expect(sackIsLost(c, 1 * M)).toBe(false); // SACKed itself
    c = board(10, [1, 4]);
    expect(sackIsLost(c, 0)).toBe(true); // 3 SMSS in one range
    c = board(10, [1, 3]);
    expect(sackIsLost(c, 0)).toBe(false); // exactly 2 SMSS: not more than (DupThresh - 1) * SMSS
  });
  it("NextSeg: lost holes first from HighRxt up, then (rule 3) holes not yet lost", () => {
    let c = board(10, [1, 2, 3, 4, 5, 6]); // holes [0,1) lost, [2,3) and [4,5) not (two ranges above)
    let v = sackNextSeg(c, true, M);
    expect(nsSeq(v)).toBe(0);
    expect(nsLen(v)).toBe(M);
    c.rtxHigh = M; // the first hole went
    expect(sackNextSeg(c, true, M)).toBe(0);
    v = sackNextSeg(c, false, M);
    expect(nsSeq(v)).toBe(2 * M);
    c.rtxHigh = 3 * M;
    expect(nsSeq(sackNextSeg(c, false, M))).toBe(4 * M);
    c.rtxHigh = 5 * M;
    expect(sackNextSeg(c, false, M)).toBe(0); // nothing unSACKed below the highest SACKed byte is left
    // a hole longer than the segment size goes a segment at a time, from HighRxt
    c = board(10, [5, 9]);
    c.rtxHigh = 2 * M + 100;
    v = sackNextSeg(c, true, M);
    expect(nsSeq(v)).toBe(2 * M + 100);
    expect(nsLen(v)).toBe(M);
  });
  it("pipe: unSACKed bytes not lost, plus those resent", () => {
    let c = board(10, [1, 2, 3, 4, 5, 6]);
    // [0,1) lost: 0; [2,3), [4,5) not lost: 2 SMSS; [6,10) above the highest SACK: 4 SMSS
    expect(sackPipe(c)).toBe(6 * M);
    c.rtxHigh = M; // [0,1) resent
    expect(sackPipe(c)).toBe(7 * M);
    c = board(10, []);
    expect(sackPipe(c)).toBe(10 * M); // no scoreboard: everything out is in the pipe
    c = board(10, [0, 10]);
    expect(sackPipe(c)).toBe(0);
  });
});

describe("SACK recovery on a stack", () => {
  it("repairs three holes in one window from the ACKs of that window, without an RTO", () => {
    let s = outstanding(20);
    let c = tcpConnAt(s, CONN);
    // segments 2, 5 and 9 are lost
    sackAck(s, 2, [], 20);
    expect(l.count).toBe(0);
    sackAck(s, 2, [3, 5], 21); // one range, 2 SMSS: not yet lost
    expect(c.flags & CF.RECOVERY).toBe(0);
    sackAck(s, 2, [6, 9, 3, 5], 22); // IsLost(snd_una): fast retransmit, RFC 6675 recovery
    expect(c.flags & CF.SACK_REC).toBe(CF.SACK_REC);
    expect(tcpCounter(s, Ctr.SACK_RECOVERIES)).toBe(1);
    expect(tcpCounter(s, Ctr.FAST_RETRANSMITS)).toBe(1);
    expect(c.ssthresh).toBe(9 * m); // FlightSize / 2
    expect(c.cwnd).toBe(9 * m);     // no inflation
    expect(sentSegs()).toBe("2");
    expect(c.recover).toBe(U + 20 * m);
    sackAck(s, 2, [10, 20, 6, 9, 3, 5], 23); // pipe is now small: both other holes go at once
    expect(sentSegs()).toBe("2,5,9");
    for (let i: u32 = 0; i < l.count; i++) expect(sentLen(l, i)).toBe(m);
    // the three resent segments arrive
    sackAck(s, 5, [10, 20, 6, 9], 30);
    expect(tcpCounter(s, Ctr.PARTIAL_ACKS)).toBe(0); // RFC 6675: a partial ACK resends nothing by itself
    expect(l.count).toBe(3);
    sackAck(s, 9, [10, 20], 31);
    sackAck(s, 20, [], 32);
    expect(c.flags & (CF.RECOVERY | CF.SACK_REC)).toBe(0);
    expect(tcpCounter(s, Ctr.RTO_FIRED)).toBe(0);
    expect(tcpCounter(s, Ctr.RETRANSMITS)).toBe(3);
    expect(tcpCounter(s, Ctr.SACK_RETRANSMITS)).toBe(3);
    expect(c.sackCount).toBe(0);
  });
  it("sends lost holes before new data, and new data only as the pipe allows", () => {
    let s = outstanding(10, 10); // 10 segments out, 10 more queued (cwnd ran out)
    let c = tcpConnAt(s, CONN);
    sackAck(s, 0, [1, 4], 20); // 3 SMSS above segment 0: lost; one segment out of the pipe
    expect(c.flags & CF.SACK_REC).toBe(CF.SACK_REC);
    expect(c.cwnd).toBe(5 * m);
    expect(sentSegs()).toBe("0"); // pipe 7 + 1 resent > cwnd 5: nothing else
    sackAck(s, 0, [1, 8], 21);  // pipe: 2 (8..10) + 1 (resent) = 3: two segments may go
    expect(sentSegs()).toBe("0,10,11"); // no lost hole left: new data (rule 2)
    expect(c.sndMax).toBe(U + 12 * m);
  });
  it("sends one rescue retransmission of the unSACKed tail when nothing else may go (NextSeg rule 4)", () => {
    let s = outstanding(10);
    let c = tcpConnAt(s, CONN);
    sackAck(s, 0, [1, 7], 20); // segment 0 lost; 7..9 unSACKed (lost too: nothing above says so)
    // cwnd 5, pipe 1 (0 resent) + 3 (the tail): one segment more — the last one
    expect(sentSegs()).toBe("0,9");
    expect(tcpCounter(s, Ctr.SACK_RETRANSMITS)).toBe(2);
    sackAck(s, 0, [1, 7], 21); // nothing new in it
    sackAck(s, 1, [], 22);     // 0 arrived: pipe shrinks, but one rescue per recovery
    expect(sentSegs()).toBe("0,9");
    expect(c.flags & CF.RESCUED).toBe(CF.RESCUED);
  });
  it("takes IsLost from an ACK that carries data (an echoing peer) as well", () => {
    let s = outstanding(10);
    let c = tcpConnAt(s, CONN);
    let r = ackWith(0, [1, 2, 3, 4, 5, 6]);
    deliver(s, r, pattern(0, 100), 100, 20); // data and a window field: never a duplicate ACK
    expect(c.dupAcks).toBe(0);
    expect(tcpCounter(s, Ctr.SACK_RECOVERIES)).toBe(1);
    expect(sent(l, 0).seq).toBe(U);
  });
  it("resends a retransmission lost again once later data is SACKed", () => {
    let s = outstanding(10, 10);
    let c = tcpConnAt(s, CONN);
    sackAck(s, 0, [1, 10], 20); // recovery: segment 0 resent, then new data 10.. as the pipe allows
    expect(sent(l, 0).seq).toBe(U);
    expect(c.sndMax).toBeGreaterThan(U + 13 * m);
    clear(l);
    // the resent segment 0 is lost too: the peer SACKs three segments sent after it
    sackAck(s, 0, [1, 14], 30);
    expect(tcpCounter(s, Ctr.LOST_RETRANSMITS)).toBe(1);
    expect(sent(l, 0).seq).toBe(U);
    expect(tcpCounter(s, Ctr.RTO_FIRED)).toBe(0);
  });
  it("an RTO ends the recovery and clears the scoreboard; later ACKs fill it again", () => {
    let s = outstanding(10);
    let c = tcpConnAt(s, CONN);
    sackAck(s, 0, [1, 2, 3, 4, 5, 6], 20);
    expect(c.flags & CF.SACK_REC).toBe(CF.SACK_REC);
    clear(l);
    tcpPoll(s, c.rtoAt);
    expect(tcpCounter(s, Ctr.RTO_FIRED)).toBe(1);
    expect(c.sackCount).toBe(0);
    expect(c.flags & (CF.RECOVERY | CF.SACK_REC)).toBe(0);
    expect(c.cwnd).toBe(m);
    expect(sentSegs()).toBe("0"); // go back to snd_una, SACK information ignored
    expect(c.recover).toBe(U + 10 * m); // RFC 6675 §5.1: RecoveryPoint = HighData
    sackAck(s, 0, [1, 2], c.rtoAt - 1);
    expect(rangesOf(c)).toBe("[1,2)");
    sackAck(s, 1, [3, 4, 5, 6, 7, 8], c.rtoAt - 1); // lost again, but before RecoveryPoint: no new recovery
    expect(c.flags & CF.RECOVERY).toBe(0);
    expect(tcpCounter(s, Ctr.SACK_RECOVERIES)).toBe(1);
  });
  it("falls back to NewReno when the scoreboard overflows, and never traps", () => {
    let s = outstanding(40);
    let c = tcpConnAt(s, CONN);
    // every other segment SACKed: 1, 3, 5, ... — SACK_RANGES ranges, then one more
    let k: u32 = 0;
    for (let i: u32 = 0; i < SACK_RANGES; i += 2) {
      sackAck(s, 0, [2 * i + 1, 2 * i + 2, 2 * i + 3, 2 * i + 4], 20 + i);
      k = i + 2;
    }
    expect(c.sackCount).toBe(SACK_RANGES);
    expect(c.flags & CF.SACK_REC).toBe(CF.SACK_REC);
    expect(tcpCounter(s, Ctr.SACK_OVERFLOWS)).toBe(0);
    sackAck(s, 0, [2 * k + 1, 2 * k + 2], 40);
    expect(tcpCounter(s, Ctr.SACK_OVERFLOWS)).toBe(1);
    expect(c.sackCount).toBe(0);
    expect(c.flags & CF.SACK_OVF).toBe(CF.SACK_OVF);
    expect(c.flags & (CF.RECOVERY | CF.SACK_REC)).toBe(CF.RECOVERY); // NewReno's recovery goes on
    // blocks are ignored now; a partial ACK resends the head (RFC 6582)
    sackAck(s, 0, [35, 36], 41);
    expect(c.sackCount).toBe(0);
    clear(l);
    sackAck(s, 2, [35, 36], 42);
    expect(tcpCounter(s, Ctr.PARTIAL_ACKS)).toBe(1);
    expect(sent(l, 0).seq).toBe(U + 2 * m);
    // everything acknowledged: the scoreboard is back for the next window
    sackAck(s, 40, [], 43);
    expect(c.flags & CF.RECOVERY).toBe(0);
    appWrite(s, 40 * m, 10 * m);
    c.cwnd = 10 * m;
    tcpPoll(s, 44);
    sackAck(s, 40, [42, 43], 45);
    expect(c.flags & CF.SACK_OVF).toBe(0);
    expect(rangesOf(c)).toBe("[42,43)");
  });
  it("a peer without SACK gets NewReno: window inflation, no scoreboard", () => {
    setPeerSack(false);
    let s = outstanding(10);
    setPeerSack(true);
    let c = tcpConnAt(s, CONN);
    expect(c.flags & CF.SACK).toBe(0);
    for (let i: u32 = 0; i < 3; i++) sackAck(s, 0, [1 + i, 2 + i], 20 + i); // blocks sent anyway are ignored
    expect(c.sackCount).toBe(0);
    expect(tcpCounter(s, Ctr.FAST_RETRANSMITS)).toBe(1);
    expect(tcpCounter(s, Ctr.SACK_RECOVERIES)).toBe(0);
    expect(c.flags & (CF.RECOVERY | CF.SACK_REC)).toBe(CF.RECOVERY);
    expect(c.cwnd).toBe(c.ssthresh + 3 * m); // RFC 6582 step 3
    expect(sentSegs()).toBe("0");
  });
});
