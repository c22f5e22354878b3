// Segment arrival: one dispatch over (state, flags, ack), each branch citing
// its rule in RFC 9293 §3.10.7 ("SEGMENT ARRIVES") or the RFC that amends
// it (5961 for RST/SYN/ACK checks, 7323 for PAWS, 5681/6582 for ACKs,
// 2018 for SACK). The segment is parsed and its checksum verified already.

import { TcpFlag, TcpRepr } from "../wire/tcp";
import { appOpen, appPeerFin, appWritable } from "./app";
import { ccDupThresh, ccEnterRecovery, ccInit, ccInRecovery, ccInSackRecovery, ccOnAck, ccOnAckInRecovery, ccOnDupAckInRecovery } from "./congestion";
import { CF, clearFlag, Conn, hasFlag, seqGe, seqGt, seqLe, seqLt, setFlag, State, synchronized } from "./conn";
import { COOKIE_NO_WS, COOKIE_TS_BITS, cookieCheck, cookieMake, cookieMss, cookieTsBits } from "./cookie";
import { Ctr, ctrAdd } from "./counters";
import { isnFor, tsOffsetFor } from "./isn";
import { connAbort, connFree, tellClosed, toTimeWait } from "./lifecycle";
import { DEFAULT_MSS, negotiate } from "./options";
import { emit, emitRepr, emitResetFor, emitSyn, reprFor, segMss, tcpOutput, unsentBytes } from "./output";
import { SACK_NEW, SACK_OVERFLOW, sackHoleLen, sackIsLost, sackLostRetransmits, sackTrim, sackUpdate } from "./reassembly";
import { rttInit, rttSample } from "./rtt";
import { rxAccept, rxDeliver, rxRoom, rxStashFlush } from "./rx";
import { connAt, Stack } from "./stack";
import { NO_CONN, tableInsert, tableLookup } from "./table";
import { connNote, keepaliveArm, tlpArm } from "./timers";
import { txAvail } from "./tx";

/** RFC 7323 §5.5: TS.Recent older than 24 days is invalid (PAWS does not apply). */
const PAWS_IDLE_MS: u64 = 24 * 24 * 3600 * 1000;

/** Ports we listen on: a short list (Stack.listen). */
function isListening(s: Stack, port: u32): bool {
  for (let i: u32 = 0; i < s.nListen; i++) if (load<u32>(s.listen + (<usize>i << 2)) == port) return true;
  return false;
}

/** The ISN for a new connection: the pinned one (test hook) or RFC 6528's. */
export function newIss(s: Stack, localIp: u32, localPort: u32, remoteIp: u32, remotePort: u32, now: u64): u32 {
  if (s.pinIssOn) return s.pinIss;
  return isnFor(s.key0, s.key1, localIp, localPort, remoteIp, remotePort, now);
}

/** Fields every new connection starts with (iss, irs known). */
export function connStart(s: Stack, c: Conn, iss: u32, now: u64): void {
  c.iss = iss;
  c.sndUna = iss;
  c.sndNxt = iss + 1;
  c.sndMax = iss + 1;
  c.txBase = iss + 1;
  c.recover = iss;
  c.mss = s.ourMss;
  c.tsOffset = tsOffsetFor(s.key0, s.key1, c.localIp, c.localPort, c.remoteIp, c.remotePort);
  rttInit(s, c);
  c.lastRecvAt = now;
}

@inline function setPeerIrs(c: Conn, irs: u32): void {
  c.irs = irs;
  c.rcvNxt = irs + 1;
  c.rcvAdv = irs + 1;
  c.lastAckSent = irs + 1;
}

/** The app's open upcall; a refusal resets the connection. False if it is gone. */
function openApp(s: Stack, c: Conn, now: u64): bool {
  if (appOpen(s, c.index) != 0) { connAbort(s, c, true, now); return false; }
  setFlag(c, CF.APP_OPEN);
  keepaliveArm(s, c, now);
  return true;
}

/** RFC 5961 §7: challenge ACKs, at most Stack.challengeLimit per second. */
function challengeAck(s: Stack, c: Conn, now: u64): void {
  if (now - s.challengeAt >= 1000) { s.challengeAt = now; s.challengeCount = 0; }
  if (s.challengeCount >= s.challengeLimit) { ctrAdd(s.counters, Ctr.CHALLENGE_ACKS_LIMITED, 1); return; }
  s.challengeCount++;
  ctrAdd(s.counters, Ctr.CHALLENGE_ACKS, 1);
  setFlag(c, CF.ACK_NOW);
}

/**
 * Segment for a tuple with no connection: RFC 9293 §3.10.7.1 (CLOSED) and
 * §3.10.7.2 (LISTEN). Returns the connection it opened, or NO_CONN.
 */
function inputNoConn(s: Stack, remoteIp: u32, localIp: u32, r: TcpRepr, ptr: usize, len: u32, now: u64): u32 {
  let f = r.flags;
  let lp = <u32>r.dstPort, rp = <u32>r.srcPort;
  if (!isListening(s, lp)) {
    // §3.10.7.1: CLOSED — a reset answers anything but a reset
    ctrAdd(s.counters, Ctr.DROP_NO_LISTENER, 1);
    emitResetFor(s, localIp, lp, remoteIp, rp, r.seq, r.ack, f, len);
    return NO_CONN;
  }
  // §3.10.7.2 first: a RST in LISTEN is ignored
  if (f & TcpFlag.RST) { ctrAdd(s.counters, Ctr.DROP_UNEXPECTED, 1); return NO_CONN; }
  // §3.10.7.2 second: an ACK in LISTEN is bad — unless it returns a SYN cookie
  if (f & TcpFlag.ACK) {
    if (!(f & TcpFlag.SYN)) {
      let ci = cookieAccept(s, remoteIp, localIp, r, ptr, len, now);
      if (ci != NO_CONN) return ci;
    }
    emitResetFor(s, localIp, lp, remoteIp, rp, r.seq, r.ack, f, len);
    return NO_CONN;
  }
  // §3.10.7.2 third: SYN
  if (!(f & TcpFlag.SYN)) { ctrAdd(s.counters, Ctr.DROP_UNEXPECTED, 1); return NO_CONN; }
  if (s.active >= s.maxConns) {
    // the connection limit: refuse and count (never trap)
    ctrAdd(s.counters, Ctr.SYN_REFUSED, 1);
    emitResetFor(s, localIp, lp, remoteIp, rp, r.seq, r.ack, f, len);
    return NO_CONN;
  }
  if (s.halfOpen >= s.halfOpenMax) { cookieSynAck(s, remoteIp, localIp, r, now); return NO_CONN; }
  let idx = tableInsert(s, localIp, lp, remoteIp, rp);
  if (idx == NO_CONN) {
    ctrAdd(s.counters, Ctr.SYN_REFUSED, 1);
    emitResetFor(s, localIp, lp, remoteIp, rp, r.seq, r.ack, f, len);
    return NO_CONN;
  }
  let c = connAt(s, idx);
  c.state = State.SYN_RECEIVED;
  setFlag(c, CF.HALF_OPEN);
  s.halfOpen++;
  connStart(s, c, newIss(s, localIp, lp, remoteIp, rp, now), now);
  setPeerIrs(c, r.seq);
  negotiate(s, c, r);
  if (hasFlag(c, CF.TS)) c.tsRecentAt = now;
  c.sndWnd = r.window; // RFC 7323 §2.2: a SYN's window is not scaled
  c.maxSndWnd = c.sndWnd;
  c.sndWl1 = r.seq;
  c.sndWl2 = r.ack;
  ccInit(c);
  ctrAdd(s.counters, Ctr.PASSIVE_OPENS, 1);
  // data on a SYN is not accepted (it is sent again after the handshake)
  emitSyn(s, c, now);
  c.rtoAt = now + c.rto;
  return idx;
}

/** The SYN-ACK carrying a cookie: no slot taken (half-open table full). */
function cookieSynAck(s: Stack, remoteIp: u32, localIp: u32, syn: TcpRepr, now: u64): void {
  let lp = <u32>syn.dstPort, rp = <u32>syn.srcPort;
  let peerMss = syn.mss ? <u32>syn.mss : DEFAULT_MSS;
  let isn = cookieMake(s, localIp, lp, remoteIp, rp, syn.seq, min(peerMss, s.ourMss), now);
  let seq = syn.seq, tsVal = syn.tsVal, hasTs = syn.hasTimestamp, ws = <u32>syn.wscale, sack = syn.sackPermitted;
  let r = reprFor(s, lp, rp); // reprOut: syn (reprIn) stays intact
  r.seq = isn;
  r.ack = seq + 1;
  r.flags = TcpFlag.SYN | TcpFlag.ACK;
  r.window = <u16>min(s.rxSize, 0xFFFF);
  r.mss = <u16>s.ourMss;
  if (hasTs) {
    // without timestamps the cookie cannot carry window scale or SACK: offer neither
    if (ws <= 14) r.wscale = <u8>s.rcvWs;
    r.sackPermitted = sack;
    r.hasTimestamp = true;
    let t = <u32>now + tsOffsetFor(s.key0, s.key1, localIp, lp, remoteIp, rp);
    let v = (t & ~((1 << COOKIE_TS_BITS) - 1)) | cookieTsBits(ws, sack);
    if (seqGt(v, t)) v -= 1 << COOKIE_TS_BITS; // never ahead of the clock the connection will use
    r.tsVal = v;
    r.tsEcr = tsVal;
  }
  if (emitRepr(s, localIp, remoteIp)) ctrAdd(s.counters, Ctr.COOKIES_SENT, 1);
}

/**
 * An ACK in LISTEN that may return a cookie: rebuild the connection
 * (ESTABLISHED) and process the segment. NO_CONN when it does not validate.
 */
function cookieAccept(s: Stack, remoteIp: u32, localIp: u32, r: TcpRepr, ptr: usize, len: u32, now: u64): u32 {
  let lp = <u32>r.dstPort, rp = <u32>r.srcPort;
  let mi = cookieCheck(s, localIp, lp, remoteIp, rp, r.seq - 1, r.ack - 1, now);
  if (mi < 0) { ctrAdd(s.counters, Ctr.COOKIES_REJECTED, 1); return NO_CONN; }
  if (s.active >= s.maxConns) { ctrAdd(s.counters, Ctr.DROP_TABLE_FULL, 1); return NO_CONN; }
  let idx = tableInsert(s, localIp, lp, remoteIp, rp);
  if (idx == NO_CONN) { ctrAdd(s.counters, Ctr.DROP_TABLE_FULL, 1); return NO_CONN; }
  ctrAdd(s.counters, Ctr.COOKIES_VALIDATED, 1);
  ctrAdd(s.counters, Ctr.PASSIVE_OPENS, 1);
  let c = connAt(s, idx);
  c.state = State.ESTABLISHED;
  setFlag(c, CF.COOKIE);
  connStart(s, c, r.ack - 1, now);
  c.sndUna = r.ack;
  c.txBase = r.ack;
  setPeerIrs(c, r.seq - 1);
  c.mss = min(cookieMss(<u32>mi), s.ourMss);
  if (r.hasTimestamp) {
    let bits = r.tsEcr & ((1 << COOKIE_TS_BITS) - 1);
    let ws = bits >> 1;
    setFlag(c, CF.TS);
    c.tsRecent = r.tsVal;
    c.tsRecentAt = now;
    if (c.mss > 12 + 64) c.mss -= 12;
    if (bits & 1) setFlag(c, CF.SACK);
    if (ws != COOKIE_NO_WS) { setFlag(c, CF.WS); c.sndWs = ws; c.rcvWs = s.rcvWs; }
  }
  c.sndWnd = <u32>r.window << c.sndWs;
  c.maxSndWnd = c.sndWnd;
  c.sndWl1 = r.seq;
  c.sndWl2 = r.ack;
  ccInit(c);
  if (!openApp(s, c, now)) return idx;
  inputSynchronized(s, c, r, ptr, len, now);
  if (c.state != State.CLOSED) afterInput(s, c, now);
  return idx;
}

/** RFC 9293 §3.10.7.3: SYN-SENT. */
function inputSynSent(s: Stack, c: Conn, r: TcpRepr, now: u64): void {
  let f = r.flags;
  // first: an ACK must acknowledge our SYN: ISS < SEG.ACK <= SND.NXT
  let ackOk = (f & TcpFlag.ACK) != 0 && seqGt(r.ack, c.iss) && seqLe(r.ack, c.sndNxt);
  if ((f & TcpFlag.ACK) && !ackOk) {
    ctrAdd(s.counters, Ctr.DROP_BAD_SYN_ACK, 1);
    if (!(f & TcpFlag.RST)) emitResetFor(s, c.localIp, c.localPort, c.remoteIp, c.remotePort, r.seq, r.ack, f, 0);
    return;
  }
  // second: a RST with an acceptable ACK resets the connection (RFC 5961 §3.2 applies the ACK check)
  if (f & TcpFlag.RST) {
    if (ackOk) { ctrAdd(s.counters, Ctr.RST_IN, 1); ctrAdd(s.counters, Ctr.CONN_RESET, 1); connFree(s, c); }
    else ctrAdd(s.counters, Ctr.DROP_RST_OUT_OF_WINDOW, 1);
    return;
  }
  // fourth: SYN
  if (!(f & TcpFlag.SYN)) { ctrAdd(s.counters, Ctr.DROP_UNEXPECTED, 1); return; }
  setPeerIrs(c, r.seq);
  negotiate(s, c, r);
  if (hasFlag(c, CF.TS)) c.tsRecentAt = now;
  c.sndWnd = r.window; // not scaled on a SYN
  c.maxSndWnd = c.sndWnd;
  c.sndWl1 = r.seq;
  c.sndWl2 = r.ack;
  ccInit(c);
  if (ackOk) {
    // our SYN is acknowledged: ESTABLISHED, send <SEQ=SND.NXT><ACK=RCV.NXT><CTL=ACK>
    c.sndUna = r.ack;
    if (hasFlag(c, CF.TS) && r.tsEcr) rttSample(s, c, <u32>now + c.tsOffset - r.tsEcr);
    else if (c.backoff == 0) rttSample(s, c, <u32>(now - (c.rtoAt - c.rto)));
    c.backoff = 0;
    c.rtoAt = 0;
    c.state = State.ESTABLISHED;
    setFlag(c, CF.ACK_NOW);
    if (!openApp(s, c, now)) return;
    afterInput(s, c, now);
  } else {
    // simultaneous open: SYN-RECEIVED, send <SEQ=ISS><ACK=RCV.NXT><CTL=SYN,ACK>
    c.state = State.SYN_RECEIVED;
    emitSyn(s, c, now);
    c.rtoAt = now + c.rto;
  }
}

/** The bytes of a segment in sequence space: data plus one each for SYN and FIN. */
@inline function segSpace(f: u16, len: u32): u32 {
  return len + ((f & TcpFlag.SYN) ? 1 : 0) + ((f & TcpFlag.FIN) ? 1 : 0);
}

/** RFC 9293 §3.10.7.4 first: is the segment in the receive window? */
function acceptable(s: Stack, c: Conn, seq: u32, space: u32): bool {
  let wnd = rxRoom(s, c);
  let end = c.rcvNxt + wnd;
  if (space == 0) {
    if (wnd == 0) return seq == c.rcvNxt;
    // RCV.NXT =< SEG.SEQ < RCV.NXT+RCV.WND, taking the right edge too (as Linux's tcp_sequence):
    // a sender that filled our window sends its ACKs at the edge
    return seqGe(seq, c.rcvNxt) && seqLe(seq, end);
  }
  if (wnd == 0) return false;
  let last = seq + space - 1;
  return (seqGe(seq, c.rcvNxt) && seqLt(seq, end)) || (seqGe(last, c.rcvNxt) && seqLt(last, end));
}

/** The peer's FIN has been reached in order: RFC 9293 §3.10.7.4 eighth. */
function finReached(s: Stack, c: Conn, now: u64): void {
  c.rcvNxt++;
  setFlag(c, CF.FIN_RCVD | CF.ACK_NOW);
  clearFlag(c, CF.FIN_OOO);
  let st = c.state;
  if (st == State.SYN_RECEIVED || st == State.ESTABLISHED) {
    c.state = State.CLOSE_WAIT;
  } else if (st == State.FIN_WAIT_1) {
    // our FIN acknowledged too: TIME-WAIT; otherwise CLOSING
    if (hasFlag(c, CF.FIN_SENT) && seqGt(c.sndUna, c.finSeq)) toTimeWait(s, c, now);
    else c.state = State.CLOSING;
  } else if (st == State.FIN_WAIT_2) {
    toTimeWait(s, c, now);
  }
}

/** RFC 9293 §3.10.7.4 fifth, SND.UNA < SEG.ACK <= SND.NXT: new data acknowledged. */
function ackNew(s: Stack, c: Conn, r: TcpRepr, now: u64): void {
  let ack = r.ack;
  let acked = ack - c.sndUna;
  if (seqGt(ack, c.txBase)) {
    let d = min(ack - c.txBase, c.txLen);
    c.txHead = (c.txHead + d) & (s.txSize - 1);
    c.txLen -= d;
    c.txBase += d;
    if (d) setFlag(c, CF.TX_FREED);
  }
  c.sndUna = ack;
  if (seqLt(c.sndNxt, ack)) c.sndNxt = ack;
  if (c.sackCount) sackTrim(c); // the scoreboard holds only what lies above snd_una
  // RTT: RFC 7323 §4.1 (TSecr of an ACK advancing SND.UNA) or the timed segment (RFC 6298 §3, Karn)
  if (hasFlag(c, CF.TS) && r.hasTimestamp && r.tsEcr) {
    // an echo from before the last timeout measures the recovery, not the path (Karn's spirit)
    if (!hasFlag(c, CF.RTO_MARK) || seqGe(r.tsEcr, c.rtoTsMark)) {
      clearFlag(c, CF.RTO_MARK);
      rttSample(s, c, <u32>now + c.tsOffset - r.tsEcr);
    }
  } else if (hasFlag(c, CF.TIMING) && seqGe(ack, c.rttSeq)) {
    clearFlag(c, CF.TIMING);
    rttSample(s, c, <u32>(now - c.rttAt));
  }
  c.backoff = 0;
  if (ccInRecovery(c)) {
    if (ccOnAckInRecovery(c, acked)) {
      // RFC 6582 §3.2 step 5: partial ACK — retransmit the first unacknowledged segment
      ctrAdd(s.counters, Ctr.PARTIAL_ACKS, 1);
      retransmitHead(s, c, now);
    }
  } else {
    ccOnAck(c, acked);
    c.dupAcks = 0;
  }
  // RFC 6298 §5.2 / §5.3: stop the timer when all is acknowledged, else restart it
  if (c.sndUna == c.sndMax) { if (!hasFlag(c, CF.PERSIST)) c.rtoAt = 0; }
  else { clearFlag(c, CF.PERSIST); c.rtoAt = now + c.rto; }
  clearFlag(c, CF.TLP_SENT);
  tlpArm(s, c, now); // RFC 8985 §7.2: again for what is still outstanding
}

/** Whether new data could go now (early retransmit applies only when it cannot). */
function canSendNew(c: Conn): bool {
  return unsentBytes(c) > 0 && c.sndMax - c.sndUna < min(c.sndWnd, c.cwnd);
}

/** RFC 6675 applies: SACK in force and the scoreboard not given up (CF.SACK_OVF). */
@inline function sackOn(c: Conn): bool {
  return (c.flags & (CF.SACK | CF.SACK_OVF)) == CF.SACK;
}

/**
 * Fast retransmit: enter recovery (RFC 6675 with SACK, else RFC 6582) and
 * resend snd_una's segment (RFC 6675 §5 step 4.3, RFC 6582 §3.2 step 2).
 */
function enterRecovery(s: Stack, c: Conn, now: u64): void {
  let sack = sackOn(c);
  if (!ccEnterRecovery(c, sack)) return;
  ctrAdd(s.counters, Ctr.FAST_RETRANSMITS, 1);
  if (sack) ctrAdd(s.counters, Ctr.SACK_RECOVERIES, 1);
  retransmitHead(s, c, now);
}

/** Send the segment at SND.UNA again (fast retransmit, partial ACK): one MSS, up to the next SACKed block. */
function retransmitHead(s: Stack, c: Conn, now: u64): void {
  let end = c.txBase + c.txLen;
  let len: u32 = seqGt(end, c.sndUna) ? min(end - c.sndUna, segMss(c)) : 0;
  if (hasFlag(c, CF.SACK) && len) len = min(len, sackHoleLen(c, c.sndUna, c.sndMax));
  let flags = TcpFlag.ACK;
  if (hasFlag(c, CF.FIN_SENT) && c.sndUna + len == c.finSeq) flags |= TcpFlag.FIN;
  if (len == 0 && !(flags & TcpFlag.FIN)) return;
  if (emit(s, c, c.sndUna, flags, len, now)) {
    ctrAdd(s.counters, Ctr.RETRANSMITS, 1);
    if (ccInSackRecovery(c)) ctrAdd(s.counters, Ctr.SACK_RETRANSMITS, 1);
  }
  if (seqGt(c.sndUna + len, c.rtxHigh)) c.rtxHigh = c.sndUna + len;
  c.rtxMark = c.sndMax;
  if (hasFlag(c, CF.TIMING) && seqGt(c.rttSeq, c.sndUna)) clearFlag(c, CF.TIMING); // Karn
  c.rtoAt = now + c.rto;
}

/**
 * A reordered duplicate ACK, not an old duplicate (Linux's
 * tcp_disordered_ack): no data, no SYN/FIN, exactly at RCV.NXT, acking
 * exactly SND.UNA with the window unchanged, its timestamp at most about an
 * RTO behind TS.Recent (the peer's clock taken as ms, RFC 7323's fastest).
 * PAWS would drop it and the SACK blocks it carries, which loss recovery
 * needs when the path reorders.
 */
function disorderedAck(c: Conn, r: TcpRepr, len: u32): bool {
  return len == 0 && (r.flags & (TcpFlag.SYN | TcpFlag.FIN | TcpFlag.ACK)) == TcpFlag.ACK &&
    r.seq == c.rcvNxt && r.ack == c.sndUna && (<u32>r.window << c.sndWs) == c.sndWnd &&
    c.tsRecent - r.tsVal <= c.rto;
}

/** RFC 9293 §3.10.7.4: SYN-RECEIVED and every later state. */
function inputSynchronized(s: Stack, c: Conn, r: TcpRepr, ptr: usize, len: u32, now: u64): void {
  let f = r.flags;
  let seq = r.seq;
  let st = c.state;
  // SYN-RECEIVED: the peer's SYN again (our SYN-ACK was lost) — send the SYN-ACK again
  if (st == State.SYN_RECEIVED && (f & TcpFlag.SYN) && !(f & TcpFlag.ACK) && seq == c.irs) {
    emitSyn(s, c, now);
    return;
  }
  // RFC 7323 §5.3 R1: PAWS — a timestamp older than TS.Recent marks an old duplicate
  if (hasFlag(c, CF.TS) && r.hasTimestamp && !(f & TcpFlag.RST) &&
      seqLt(r.tsVal, c.tsRecent) && now - c.tsRecentAt < PAWS_IDLE_MS && !disorderedAck(c, r, len)) {
    ctrAdd(s.counters, Ctr.DROP_PAWS, 1);
    setFlag(c, CF.ACK_NOW);
    return;
  }
  // first: sequence number check
  if (!acceptable(s, c, seq, segSpace(f, len))) {
    // RFC 5961 §3.2: an out-of-window RST is dropped silently
    if (f & TcpFlag.RST) { ctrAdd(s.counters, Ctr.DROP_RST_OUT_OF_WINDOW, 1); return; }
    if (len && seqLe(seq + len, c.rcvNxt)) ctrAdd(s.counters, Ctr.DUP_SEGMENTS, 1);
    else ctrAdd(s.counters, Ctr.DROP_OUT_OF_WINDOW, 1);
    setFlag(c, CF.ACK_NOW); // <SEQ=SND.NXT><ACK=RCV.NXT><CTL=ACK>
    // "If the RCV.WND is zero, no segments will be acceptable, but special allowance should be
    // made to accept valid ACKs": keep the ACK (and window) of such a segment, drop its text
    if (rxRoom(s, c) != 0 || !(f & TcpFlag.ACK) || (f & TcpFlag.SYN) || st == State.SYN_RECEIVED) return;
    f &= ~TcpFlag.FIN;
    len = 0;
  }
  keepaliveArm(s, c, now);
  // second: RST (RFC 5961 §3.2): exactly RCV.NXT resets; elsewhere in the window draws a challenge ACK
  if (f & TcpFlag.RST) {
    if (seq == c.rcvNxt) {
      ctrAdd(s.counters, Ctr.RST_IN, 1);
      ctrAdd(s.counters, Ctr.CONN_RESET, 1);
      connFree(s, c); // SYN-RECEIVED from LISTEN: back to LISTEN (the slot is freed, the app never heard)
    } else {
      challengeAck(s, c, now);
    }
    return;
  }
  // fourth: SYN in a synchronized state (RFC 5961 §4.2): challenge ACK, drop
  if (f & TcpFlag.SYN) { challengeAck(s, c, now); return; }
  // fifth: the ACK field
  if (!(f & TcpFlag.ACK)) { ctrAdd(s.counters, Ctr.DROP_NO_ACK, 1); return; }
  if (st == State.SYN_RECEIVED) {
    // SND.UNA < SEG.ACK <= SND.NXT: ESTABLISHED; otherwise <SEQ=SEG.ACK><CTL=RST>
    if (!(seqGt(r.ack, c.sndUna) && seqLe(r.ack, c.sndMax))) {
      ctrAdd(s.counters, Ctr.DROP_BAD_SYN_ACK, 1);
      emitResetFor(s, c.localIp, c.localPort, c.remoteIp, c.remotePort, seq, r.ack, f, len);
      return;
    }
    c.state = State.ESTABLISHED;
    st = c.state;
    if (hasFlag(c, CF.HALF_OPEN)) { s.halfOpen--; clearFlag(c, CF.HALF_OPEN); }
    c.sndWnd = <u32>r.window << c.sndWs;
    c.maxSndWnd = c.sndWnd;
    c.sndWl1 = seq;
    c.sndWl2 = r.ack;
    if (!openApp(s, c, now)) return;
  }
  // RFC 9293: SEG.ACK > SND.NXT acknowledges something not yet sent — ACK and drop
  if (seqGt(r.ack, c.sndMax)) { ctrAdd(s.counters, Ctr.DROP_ACK_TOO_NEW, 1); setFlag(c, CF.ACK_NOW); return; }
  // RFC 5961 §5.2: SEG.ACK < SND.UNA - MAX.SND.WND is too old — ACK and drop
  if (seqLt(r.ack, c.sndUna - c.maxSndWnd)) { ctrAdd(s.counters, Ctr.DROP_ACK_TOO_OLD, 1); setFlag(c, CF.ACK_NOW); return; }
  // RFC 7323 §4.3: TS.Recent from a segment covering Last.ACK.sent
  if (hasFlag(c, CF.TS) && r.hasTimestamp && seqLe(seq, c.lastAckSent) && seqGe(r.tsVal, c.tsRecent)) {
    c.tsRecent = r.tsVal;
    c.tsRecentAt = now;
  }
  let wnd = <u32>r.window << c.sndWs;
  let sackNews = 0;
  if (hasFlag(c, CF.SACK) && (r.sackCount || c.sackCount || hasFlag(c, CF.SACK_OVF))) {
    sackNews = sackUpdate(c, r);
    if (sackNews == SACK_OVERFLOW) {
      // the scoreboard is gone: an RFC 6675 recovery goes on as NewReno's (partial ACKs resend the head)
      ctrAdd(s.counters, Ctr.SACK_OVERFLOWS, 1);
      clearFlag(c, CF.SACK_REC);
    }
  }
  if (seqGt(r.ack, c.sndUna)) {
    ackNew(s, c, r, now);
  } else if (r.ack == c.sndUna && len == 0 && !(f & TcpFlag.FIN) && wnd == c.sndWnd && c.sndMax != c.sndUna) {
    // RFC 5681 §2 duplicate ACK; RFC 6582 §3.2 steps 2-4 (RFC 6675: output sends by the pipe estimate)
    c.dupAcks++;
    if (ccInRecovery(c)) {
      if (!ccInSackRecovery(c)) ccOnDupAckInRecovery(c);
    } else if (c.dupAcks >= ccDupThresh(c, canSendNew(c))) {
      enterRecovery(s, c, now);
    }
  }
  if (sackNews == SACK_NEW && sackOn(c)) {
    if (!ccInRecovery(c)) {
      // RFC 6675 §5 step 2: IsLost(HighACK + 1) starts recovery without DupThresh duplicate ACKs. Taken
      // from any ACK with new SACK information, also one carrying data or a window change (an echoing
      // peer's ACKs ride on its data and never count as duplicates), as Linux does
      if (seqLt(c.sndUna, c.sndMax) && sackIsLost(c, c.sndUna)) enterRecovery(s, c, now);
    } else if (ccInSackRecovery(c) && sackLostRetransmits(c)) {
      ctrAdd(s.counters, Ctr.LOST_RETRANSMITS, 1);
    }
  }
  // window update: SND.WL1 < SEG.SEQ, or SND.WL1 = SEG.SEQ and SND.WL2 =< SEG.ACK
  if (seqLt(c.sndWl1, seq) || (c.sndWl1 == seq && seqLe(c.sndWl2, r.ack))) {
    if (c.sndWnd == 0 && wnd > 0) setFlag(c, CF.DIRTY);
    c.sndWnd = wnd;
    c.sndWl1 = seq;
    c.sndWl2 = r.ack;
    if (wnd > c.maxSndWnd) c.maxSndWnd = wnd;
  }
  let finAcked = hasFlag(c, CF.FIN_SENT) && seqGt(c.sndUna, c.finSeq);
  if (st == State.FIN_WAIT_1 && finAcked) {
    // our FIN is acknowledged: FIN-WAIT-2, bounded (Stack.finWait2Ms)
    c.state = State.FIN_WAIT_2;
    st = c.state;
    c.idleAt = now + s.finWait2Ms;
  } else if (st == State.CLOSING && finAcked) {
    toTimeWait(s, c, now);
    return;
  } else if (st == State.LAST_ACK && finAcked) {
    connFree(s, c);
    return;
  } else if (st == State.TIME_WAIT) {
    // a FIN again: acknowledge it and restart the 2 MSL wait
    if (f & TcpFlag.FIN) { setFlag(c, CF.ACK_NOW); c.idleAt = now + s.timeWaitMs; }
    return;
  }
  // seventh: segment text, in ESTABLISHED, FIN-WAIT-1 and FIN-WAIT-2
  let fin = (f & TcpFlag.FIN) != 0;
  if (st == State.ESTABLISHED || st == State.FIN_WAIT_1 || st == State.FIN_WAIT_2) {
    if (len) {
      if (seqLt(seq, c.rcvNxt)) {
        let skip = c.rcvNxt - seq;
        if (skip >= len) { len = 0; } else { ptr += skip; len -= skip; }
        seq = c.rcvNxt;
      }
      let room = rxRoom(s, c);
      let off = seq - c.rcvNxt;
      if (off + len > room) {
        let cut = off + len - room;
        ctrAdd(s.counters, Ctr.DROP_RX_FULL, 1);
        len = cut >= len ? 0 : len - cut;
        fin = false; // RFC 9293: the FIN lies beyond the window
      }
      if (len) {
        let inOrder = seq == c.rcvNxt;
        let hadGap = c.oooCount != 0;
        rxAccept(s, c, seq, ptr, len);
        if (!inOrder || hadGap) {
          setFlag(c, CF.ACK_NOW); // RFC 5681 §4.2: out of order, or filling a gap: ACK at once
        } else {
          c.segsUnacked++;
          // RFC 5681 §4.2: at least every second full-sized segment; else within delAckMs
          if (c.segsUnacked >= 2) setFlag(c, CF.ACK_NOW);
          else if (c.ackAt == 0) c.ackAt = now + s.delAckMs;
        }
      } else {
        setFlag(c, CF.ACK_NOW);
      }
    }
    // eighth: FIN — consumed once every byte before it is in
    if (fin) {
      let finAt = seq + len;
      if (finAt == c.rcvNxt) finReached(s, c, now);
      else { setFlag(c, CF.FIN_OOO | CF.ACK_NOW); c.finRcvSeq = finAt; }
    } else if (hasFlag(c, CF.FIN_OOO) && c.rcvNxt == c.finRcvSeq) {
      finReached(s, c, now);
    }
  } else if (fin) {
    // CLOSE-WAIT, CLOSING, LAST-ACK: the FIN again — acknowledge it
    setFlag(c, CF.ACK_NOW);
  }
}

/**
 * After a segment (presentRx) or at a poll: deliver to the app, tell it
 * about the peer's FIN and freed space, send what is due. Unconsumed bytes
 * go to the app again only with new bytes or after app writable
 * (docs/protocol-modules.md), not at every poll.
 */
export function afterInput(s: Stack, c: Conn, now: u64, presentRx: bool = true): void {
  if (presentRx && hasFlag(c, CF.RX_PENDING)) rxDeliver(s, c);
  if (c.state == State.CLOSED) return;
  if (c.state == State.TIME_WAIT) tellClosed(s, c); // both directions done: the app is through with it
  if (hasFlag(c, CF.FIN_RCVD) && !hasFlag(c, CF.PEER_FIN_TOLD) && c.rxLen == 0 && hasFlag(c, CF.APP_OPEN) && !hasFlag(c, CF.APP_DONE)) {
    setFlag(c, CF.PEER_FIN_TOLD);
    appPeerFin(s, c.index);
  }
  if (hasFlag(c, CF.WANT_WRITABLE) && hasFlag(c, CF.TX_FREED) && txAvail(s, c) > 0) {
    clearFlag(c, CF.WANT_WRITABLE | CF.TX_FREED);
    appWritable(s, c.index);
    if (hasFlag(c, CF.RX_PENDING)) rxDeliver(s, c); // bytes held back by a full output go again
  }
  clearFlag(c, CF.TX_FREED);
  if (c.state == State.CLOSED) return;
  tcpOutput(s, c, now);
}

/** A parsed, checksum-verified segment from remoteIp to localIp (r in caller memory; payload at ptr). */
export function tcpInput(s: Stack, remoteIp: u32, localIp: u32, r: TcpRepr, ptr: usize, len: u32, now: u64): void {
  ctrAdd(s.counters, Ctr.SEG_IN, 1);
  let idx = tableLookup(s, localIp, r.dstPort, remoteIp, r.srcPort);
  if (idx == NO_CONN) {
    idx = inputNoConn(s, remoteIp, localIp, r, ptr, len, now);
    if (idx == NO_CONN) return;
  } else {
    let c = connAt(s, idx);
    if (hasFlag(c, CF.ABORT)) return; // shut down: its RST is on the way
    if (c.state == State.SYN_SENT) {
      inputSynSent(s, c, r, now);
    } else {
      inputSynchronized(s, c, r, ptr, len, now);
      if (c.state != State.CLOSED && synchronized(c.state)) afterInput(s, c, now);
    }
  }
  rxStashFlush(s); // bytes nobody delivered from the frame (the app is not open) go to the ring
  connNote(s, connAt(s, idx)); // timers it armed, output it left for the poll
}
