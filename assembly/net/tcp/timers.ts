// Timers are values: expiry times (ms) in the connection, 0 = not armed.
// timersFire(now) runs the due ones; connNextAt says when to come back.
//   rtoAt  retransmission (RFC 6298 §5), SYN / SYN-ACK again, or the
//          zero-window probe when CF.PERSIST (RFC 9293 §3.8.6.1)
//   tlpAt  tail loss probe (RFC 8985 §7), before the RTO
//   ackAt  delayed ACK (RFC 5681 §4.2; at most Stack.delAckMs)
//   idleAt TIME-WAIT end, the FIN-WAIT-2 bound, or the next keep-alive
//          (RFC 1122 §4.2.3.6)

import { ccOnTimeout } from "./congestion";
import { TcpFlag } from "../wire/tcp";
import { CF, clearFlag, Conn, hasFlag, seqGt, seqLt, setFlag, State, synchronized } from "./conn";
import { Ctr, ctrAdd } from "./counters";
import { connAbort, connFree } from "./lifecycle";
import { emit, emitAck, emitProbe, emitSyn, segMss, tcpOutput, unsentBytes } from "./output";
import { rttBackoff } from "./rtt";
import { queueWrap, Stack } from "./stack";

@inline function due(at: u64, now: u64): bool { return at != 0 && now >= at; }

/**
 * After anything touched c: keep Stack.nextAt no later than c's earliest
 * timer, and queue c for the next poll when it has output or upcalls due.
 * nextAt may run early (a timer was pushed back): the poll's scan then
 * recomputes it; it is never late.
 */
export function connNote(s: Stack, c: Conn): void {
  if (c.state == State.CLOSED || s.shut) return; // after shutdown the queue holds only RSTs
  let t = connNextAt(c);
  if (t && (s.nextAt == 0 || t < s.nextAt)) s.nextAt = t;
  if (!hasFlag(c, CF.DIRTY | CF.ACK_NOW | CF.TX_FREED) || hasFlag(c, CF.QUEUED)) return;
  if (s.qLen >= s.maxConns) { s.nextAt = 1; return; } // full of stale entries: the next poll scans all
  setFlag(c, CF.QUEUED);
  store<u32>(s.queue + (<usize>queueWrap(s, s.qHead + s.qLen) << 2), c.index);
  s.qLen++;
}

/** Earliest armed timer of c, 0 if none. */
export function connNextAt(c: Conn): u64 {
  let t: u64 = 0;
  if (c.rtoAt && (t == 0 || c.rtoAt < t)) t = c.rtoAt;
  if (c.tlpAt && (t == 0 || c.tlpAt < t)) t = c.tlpAt;
  if (c.ackAt && (t == 0 || c.ackAt < t)) t = c.ackAt;
  if (c.idleAt && (t == 0 || c.idleAt < t)) t = c.idleAt;
  return t;
}

/**
 * RFC 8985 §7.2: arm the tail loss probe after new data goes out or an ACK
 * leaves data outstanding: PTO = 2 SRTT, plus the peer's delayed-ACK time
 * when one segment is out; only if it comes before the RTO.
 */
export function tlpArm(s: Stack, c: Conn, now: u64): void {
  c.tlpAt = 0;
  if (c.srtt == 0 || c.sndUna == c.sndMax || seqLt(c.sndNxt, c.sndMax)) return;
  if (hasFlag(c, CF.RECOVERY | CF.TLP_SENT | CF.PERSIST) || !synchronized(c.state) || c.state == State.SYN_RECEIVED) return;
  let pto = <u64>(2 * c.srtt) + (c.sndMax - c.sndUna <= c.mss ? s.delAckMs : 0);
  let at = now + max(pto, <u64>2);
  if (c.rtoAt == 0 || at < c.rtoAt) c.tlpAt = at;
}

/** RFC 8985 §7.3: send one probe — a new segment if the peer's window allows, else the last one again. */
function onTlp(s: Stack, c: Conn, now: u64): void {
  c.tlpAt = 0;
  if (c.sndUna == c.sndMax || seqLt(c.sndNxt, c.sndMax) || hasFlag(c, CF.RECOVERY)) return;
  setFlag(c, CF.TLP_SENT);
  ctrAdd(s.counters, Ctr.TAIL_LOSS_PROBES, 1);
  let inflight = c.sndMax - c.sndUna;
  let room = c.sndWnd > inflight ? c.sndWnd - inflight : 0;
  let len = min(min(unsentBytes(c), segMss(c)), room);
  if (len) {
    if (emit(s, c, c.sndNxt, TcpFlag.ACK | TcpFlag.PSH, len, now)) { c.sndNxt += len; c.sndMax = c.sndNxt; }
  } else {
    let finOut = hasFlag(c, CF.FIN_SENT) && c.sndMax == c.finSeq + 1;
    let end = finOut ? c.finSeq : c.sndMax;
    let seq = end - c.sndUna > segMss(c) ? end - segMss(c) : c.sndUna;
    if (seqGt(seq, end)) seq = end; // only the FIN (or the SYN's byte) is out
    let flags = TcpFlag.ACK | (finOut ? TcpFlag.FIN : 0);
    if (emit(s, c, seq, flags, end - seq, now)) ctrAdd(s.counters, Ctr.RETRANSMITS, 1);
  }
  c.rtoAt = now + c.rto; // §7.3: restart the RTO
}

function onRto(s: Stack, c: Conn, now: u64): void {
  c.rtoAt = 0;
  c.tlpAt = 0;
  let st = c.state;
  if (hasFlag(c, CF.PERSIST)) {
    // zero-window probe; probing goes on while the peer answers (RFC 1122 §4.2.2.17)
    if (c.sndWnd == 0) {
      emitProbe(s, c, now);
      ctrAdd(s.counters, Ctr.ZERO_WINDOW_PROBES, 1);
      rttBackoff(s, c);
      c.rtoAt = now + c.rto;
    } else {
      clearFlag(c, CF.PERSIST);
      setFlag(c, CF.FORCE); // the window opened, or SWS avoidance held a short segment too long
      tcpOutput(s, c, now);
    }
    return;
  }
  ctrAdd(s.counters, Ctr.RTO_FIRED, 1);
  if (st == State.SYN_SENT || st == State.SYN_RECEIVED) {
    if (c.backoff >= s.synRetries) { ctrAdd(s.counters, Ctr.CONN_TIMEOUT, 1); connFree(s, c); return; }
    rttBackoff(s, c);
    emitSyn(s, c, now);
    ctrAdd(s.counters, Ctr.RETRANSMITS, 1);
    c.rtoAt = now + c.rto;
    return;
  }
  if (c.sndUna == c.sndMax) return; // nothing outstanding
  if (c.backoff >= s.maxRetries) { ctrAdd(s.counters, Ctr.CONN_TIMEOUT, 1); connAbort(s, c, true, now); return; }
  // RFC 6298 §5.4-5.6: retransmit the earliest unacknowledged segment, back off, restart the timer;
  // RFC 5681 §3.1: cwnd to one segment; go back to snd_una (the SACK scoreboard is dropped, RFC 2018 §8)
  ccOnTimeout(c);
  rttBackoff(s, c);
  clearFlag(c, CF.TIMING); // Karn
  setFlag(c, CF.RTO_MARK);
  c.rtoTsMark = <u32>now + c.tsOffset;
  c.sackCount = 0; // RFC 6675 §5.1: later ACKs fill it again (Update() goes on), from nothing
  clearFlag(c, CF.SACK_OVF);
  c.sndNxt = c.sndUna;
  tcpOutput(s, c, now);
  if (c.rtoAt == 0) c.rtoAt = now + c.rto;
}

function onIdle(s: Stack, c: Conn, now: u64): void {
  c.idleAt = 0;
  let st = c.state;
  if (st == State.TIME_WAIT || st == State.FIN_WAIT_2) { connFree(s, c); return; }
  if (s.keepIdleMs == 0 || (st != State.ESTABLISHED && st != State.CLOSE_WAIT)) return;
  // RFC 1122 §4.2.3.6: after keepIdleMs of silence probe every keepIntvlMs; give up after maxRetries probes
  let silent = now - c.lastRecvAt;
  let limit = <u64>s.keepIdleMs + <u64>s.keepIntvlMs * s.maxRetries;
  if (silent >= limit) { ctrAdd(s.counters, Ctr.CONN_TIMEOUT, 1); connAbort(s, c, true, now); return; }
  if (silent >= s.keepIdleMs) {
    emitProbe(s, c, now);
    ctrAdd(s.counters, Ctr.KEEPALIVES, 1);
    c.idleAt = now + s.keepIntvlMs;
  } else {
    c.idleAt = c.lastRecvAt + s.keepIdleMs;
  }
}

/** Run c's due timers. The connection may be gone afterwards (state CLOSED). */
export function timersFire(s: Stack, c: Conn, now: u64): void {
  if (due(c.tlpAt, now)) onTlp(s, c, now);
  if (due(c.rtoAt, now)) onRto(s, c, now);
  if (c.state == State.CLOSED) return;
  if (due(c.ackAt, now)) {
    c.ackAt = 0;
    setFlag(c, CF.ACK_NOW);
    if (emitAck(s, c, now)) ctrAdd(s.counters, Ctr.DELAYED_ACKS, 1);
  }
  if (c.state == State.CLOSED) return;
  if (due(c.idleAt, now)) onIdle(s, c, now);
}

/** A segment arrived: arm the keep-alive (when on) or push back the FIN-WAIT-2 bound. */
export function keepaliveArm(s: Stack, c: Conn, now: u64): void {
  c.lastRecvAt = now;
  // FIN-WAIT-2 is bounded by silence, not by its length: a half-closed peer may still be sending
  if (c.state == State.FIN_WAIT_2) { c.idleAt = now + s.finWait2Ms; return; }
  if (s.keepIdleMs && (c.state == State.ESTABLISHED || c.state == State.CLOSE_WAIT)) c.idleAt = now + s.keepIdleMs;
}
