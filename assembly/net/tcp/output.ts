// Segment emission and the decision of what to send when.
//
// The link: two function references set with tcpSetLink. begin(ctx, src,
// dst, maxLen) returns where to write the TCP header and payload (0 = no tx
// buffer now: the segment is not sent, the timers recover); commit(ctx, len)
// hands the `len` bytes written there to the IP layer (the iface later; a
// fake link in the specs).
//
// What to send (tcpOutput): new or rewound data within min(snd_wnd, cwnd)
// (RFC 5681 §3.1), in MSS pieces, skipping what the peer SACKed; in RFC 6675
// recovery, while cwnd - pipe >= 1 SMSS: lost holes first (NextSeg rule 1),
// then new data within the peer's window (rule 2), then holes not yet
// presumed lost (rule 3), then once the unSACKed tail (rule 4); no Nagle;
// sender silly-window avoidance (RFC 9293 §3.8.6.2.1); FIN after the last
// byte once the app closed; every segment carries the ACK (the delayed one
// rides along); a pure ACK only when one is due now.

import { pseudoSumIpv4 } from "../wire/checksum";
import { Ipv4 } from "../wire/ipv4";
import { Tcp, TcpFlag, TcpRepr, tcpEmit, tcpFillChecksum, tcpLen, tcpReprClear } from "../wire/tcp";
import { ccInSackRecovery, ccSendWindow } from "./congestion";
import { CF, clearFlag, Conn, hasFlag, seqGe, seqGt, seqLt, setFlag, State } from "./conn";
import { Ctr, ctrAdd } from "./counters";
import { synAckOptions, synOffer } from "./options";
import { ringRead } from "./ring";
import { tlpArm } from "./timers";
import { sackBlocksFill, sackHighest, sackHoleLen, sackNextHole, sackNextSeg, sackPipe } from "./reassembly";
import { Stack, txRing } from "./stack";

export type SegTxBeginFn = (ctx: usize, src: u32, dst: u32, maxLen: u32) => usize;
export type SegTxCommitFn = (ctx: usize, len: u32) => void;

/** Segments one flush may send (the rest go at the next poll). */
const MAX_BURST: u32 = 64;

@inline function reprOut(s: Stack): TcpRepr { return changetype<TcpRepr>(s.reprOut); }

/** Emit r (+ `len` payload bytes from `ring` at offset `off`) from src to dst. False when the link had no buffer. */
function transmit(s: Stack, src: u32, dst: u32, r: TcpRepr, ring: usize, off: u32, len: u32): bool {
  let hlen = tcpLen(r);
  let total = hlen + len;
  let p = s.linkBegin ? changetype<SegTxBeginFn>(s.linkBegin)(s.linkCtx, src, dst, total) : 0;
  if (p == 0) { ctrAdd(s.counters, Ctr.TX_NO_BUFFER, 1); return false; }
  tcpEmit(r, p);
  if (len) ringRead(ring, s.txSize, off, p + hlen, len);
  tcpFillChecksum(p, total, pseudoSumIpv4(src, dst, Ipv4.PROTO_TCP, total));
  changetype<SegTxCommitFn>(s.linkCommit)(s.linkCtx, total);
  ctrAdd(s.counters, Ctr.SEG_OUT, 1);
  if (r.flags & TcpFlag.RST) ctrAdd(s.counters, Ctr.RST_OUT, 1);
  return true;
}

/** The window field for a non-SYN segment, with receiver silly-window avoidance (RFC 9293 §3.8.6.2.2). */
function windowField(s: Stack, c: Conn): u16 {
  let free = s.rxSize - c.rxLen;
  let right = c.rcvNxt + free;
  if (seqGt(right, c.rcvAdv)) {
    // move the right edge only by at least min(half the buffer, one MSS)
    if (right - c.rcvAdv >= min(s.rxSize >> 1, s.ourMss) || seqLt(c.rcvAdv, c.rcvNxt)) c.rcvAdv = right;
  }
  let wnd = seqGt(c.rcvAdv, c.rcvNxt) ? c.rcvAdv - c.rcvNxt : 0;
  wnd >>= c.rcvWs;
  return <u16>(wnd > 0xFFFF ? 0xFFFF : wnd);
}

/**
 * Send one segment of c: `flags`, sequence `seq`, `len` payload bytes from
 * the tx ring at `seq` (data offset from txBase). Fills ACK, window,
 * timestamps and SACK blocks. False when the link had no buffer.
 */
export function emit(s: Stack, c: Conn, seq: u32, flags: u16, len: u32, now: u64): bool {
  let r = reprOut(s);
  tcpReprClear(r);
  r.srcPort = <u16>c.localPort;
  r.dstPort = <u16>c.remotePort;
  r.seq = seq;
  r.flags = flags;
  if (flags & TcpFlag.ACK) r.ack = c.rcvNxt;
  if (flags & TcpFlag.SYN) {
    // RFC 7323 §2.2: the window of a SYN is never scaled
    let free = s.rxSize - c.rxLen;
    r.window = <u16>(free > 0xFFFF ? 0xFFFF : free);
    if (flags & TcpFlag.ACK) synAckOptions(s, c, r); else synOffer(s, r);
    if (r.hasTimestamp) { r.tsVal = <u32>now + c.tsOffset; r.tsEcr = (flags & TcpFlag.ACK) ? c.tsRecent : 0; }
  } else {
    r.window = windowField(s, c);
    if (hasFlag(c, CF.TS)) { r.hasTimestamp = true; r.tsVal = <u32>now + c.tsOffset; r.tsEcr = c.tsRecent; }
    if (hasFlag(c, CF.SACK) && c.oooCount && (flags & TcpFlag.ACK)) sackBlocksFill(c, r);
  }
  let off = c.txHead + (seq - c.txBase);
  if (!transmit(s, c.localIp, c.remoteIp, r, txRing(s, c.index), off, len)) return false;
  if (flags & TcpFlag.ACK) {
    c.lastAckSent = c.rcvNxt;
    clearFlag(c, CF.ACK_NOW);
    c.ackAt = 0;
    c.segsUnacked = 0;
  }
  ctrAdd(s.counters, Ctr.BYTES_OUT, len);
  return true;
}

/**
 * A segment with no connection behind it (RST, cookie SYN-ACK): the caller
 * filled reprOut. Addresses are ours (src) and the peer's (dst).
 */
export function emitRepr(s: Stack, src: u32, dst: u32): bool {
  return transmit(s, src, dst, reprOut(s), 0, 0, 0);
}

/** reprOut cleared and addressed from our port to the peer's; the caller sets the rest. */
export function reprFor(s: Stack, localPort: u32, remotePort: u32): TcpRepr {
  let r = reprOut(s);
  tcpReprClear(r);
  r.srcPort = <u16>localPort;
  r.dstPort = <u16>remotePort;
  return r;
}

/**
 * RFC 9293 §3.10.7.1: the reset answering a segment (seq, ack, flags, len)
 * that has no connection: <SEQ=SEG.ACK><CTL=RST> if it had an ACK, else
 * <SEQ=0><ACK=SEG.SEQ+SEG.LEN><CTL=RST,ACK>.
 */
export function emitResetFor(s: Stack, localIp: u32, localPort: u32, remoteIp: u32, remotePort: u32,
  seq: u32, ack: u32, flags: u16, segLen: u32): void {
  if (flags & TcpFlag.RST) return; // never answer a reset
  let r = reprFor(s, localPort, remotePort);
  if (flags & TcpFlag.ACK) {
    r.seq = ack;
    r.flags = TcpFlag.RST;
  } else {
    r.seq = 0;
    r.ack = seq + segLen + ((flags & TcpFlag.SYN) ? 1 : 0) + ((flags & TcpFlag.FIN) ? 1 : 0);
    r.flags = TcpFlag.RST | TcpFlag.ACK;
  }
  emitRepr(s, localIp, remoteIp);
}

/** Our SYN (SYN-SENT) or SYN-ACK (SYN-RECEIVED), first or again. */
export function emitSyn(s: Stack, c: Conn, now: u64): bool {
  let flags = c.state == State.SYN_SENT ? TcpFlag.SYN : TcpFlag.SYN | TcpFlag.ACK;
  return emit(s, c, c.iss, flags, 0, now);
}

/**
 * A pure ACK. Its sequence number is snd_max, not a rewound snd_nxt: the
 * peer has received up to there at most, so it stays acceptable to the
 * peer while we resend older data after a timeout (as Linux, whose snd_nxt
 * never rewinds). A lower one would be "old" and its ACK dropped.
 */
@inline export function emitAck(s: Stack, c: Conn, now: u64): bool {
  return emit(s, c, ackSeq(c), TcpFlag.ACK, 0, now);
}

/** snd_max, but not past the peer's window's right edge (Linux's tcp_acceptable_seq). */
@inline export function ackSeq(c: Conn): u32 {
  let edge = c.sndUna + c.sndWnd;
  return seqGt(c.sndMax, edge) && seqGe(edge, c.sndNxt) ? edge : c.sndMax;
}

/** RFC 9293 §3.8.6.1 / RFC 1122 §4.2.2.17 style probe (Linux's form): an old sequence number, no data, to draw an ACK. */
@inline export function emitProbe(s: Stack, c: Conn, now: u64): bool {
  return emit(s, c, c.sndUna - 1, TcpFlag.ACK, 0, now);
}

/**
 * Payload bytes a data segment may carry now: the MSS less the SACK blocks
 * it will carry beside the timestamps (RFC 6691: options come out of the
 * data, so the segment still fits the MTU).
 */
export function segMss(c: Conn): u32 {
  if (!hasFlag(c, CF.SACK) || c.oooCount == 0) return c.mss;
  let blocks = min(c.oooCount, hasFlag(c, CF.TS) ? <u32>3 : <u32>4);
  let opt: u32 = 4 + blocks * 8;
  return c.mss > opt + 64 ? c.mss - opt : c.mss;
}

/** Data bytes queued and not yet sent at snd_nxt. */
@inline export function unsentBytes(c: Conn): u32 {
  let end = c.txBase + c.txLen;
  return seqGt(end, c.sndNxt) ? end - c.sndNxt : 0;
}

@inline function finDue(c: Conn): bool {
  if (!hasFlag(c, CF.CLOSE_REQ)) return false;
  let st = c.state;
  if (st == State.ESTABLISHED || st == State.CLOSE_WAIT) return true;
  // FIN_WAIT_1, CLOSING, LAST_ACK: again after a rewind, while unacknowledged
  return hasFlag(c, CF.FIN_SENT) && (st == State.FIN_WAIT_1 || st == State.CLOSING || st == State.LAST_ACK) && c.sndNxt == c.finSeq;
}

/** sackResend's answer when the link had no buffer. */
const NO_BUFFER: u32 = 0xFFFFFFFF;

/**
 * RFC 6675 §5 step C with NextSeg rule 1 (lostOnly) or 3: resend holes while
 * cwnd - pipe >= 1 SMSS. Returns the pipe after what went, or NO_BUFFER.
 */
function sackResend(s: Stack, c: Conn, now: u64, pipe: u32, lostOnly: bool): u32 {
  let end = c.txBase + c.txLen; // holes lie below the highest SACKed byte: data, never the FIN
  for (let k: u32 = 0; k < MAX_BURST; k++) {
    if (pipe >= c.cwnd || c.cwnd - pipe < c.mss) break;
    let next = sackNextSeg(c, lostOnly, segMss(c));
    let len = <u32>(next >> 32);
    let seq = <u32>next;
    if (len == 0 || !seqLt(seq, end)) break;
    len = min(len, end - seq);
    if (!emit(s, c, seq, TcpFlag.ACK, len, now)) return NO_BUFFER;
    ctrAdd(s.counters, Ctr.RETRANSMITS, 1);
    ctrAdd(s.counters, Ctr.SACK_RETRANSMITS, 1);
    c.rtxHigh = seq + len; // C.2: HighRxt
    c.rtxMark = c.sndMax;
    pipe += len;           // C.4
    if (hasFlag(c, CF.TIMING) && seqGt(c.rttSeq, seq)) clearFlag(c, CF.TIMING); // Karn
  }
  return pipe;
}

/**
 * RFC 6675 NextSeg rule 4, once per recovery: when nothing else may go
 * (no lost or unSACKed hole left to resend, no new data the peer's window
 * takes) and cwnd - pipe >= 1 SMSS, resend the last segment (the FIN with
 * it): a lost tail has no SACKs above it, and TLP is off during recovery.
 */
function sackRescue(s: Stack, c: Conn, now: u64, pipe: u32): bool {
  if (hasFlag(c, CF.RESCUED) || pipe >= c.cwnd || c.cwnd - pipe < c.mss) return false;
  if (unsentBytes(c) > 0 && c.sndWnd > c.sndNxt - c.sndUna) return false; // rule 2 may still send
  let finOut = hasFlag(c, CF.FIN_SENT) && c.sndMax == c.finSeq + 1;
  let end = finOut ? c.finSeq : c.sndMax;
  if (!seqLt(sackHighest(c), c.sndMax)) return false; // the tail is SACKed: only holes, done by rules 1 and 3
  let most = segMss(c);
  let seq = end - c.sndUna > most ? end - most : c.sndUna;
  if (seqLt(seq, sackHighest(c))) seq = sackHighest(c); // only the unSACKed tail
  if (seqGt(seq, end)) seq = end;
  let flags = TcpFlag.ACK | (finOut ? TcpFlag.FIN : 0);
  if (end == seq && !finOut) return false;
  setFlag(c, CF.RESCUED); // RescueRxt = RecoveryPoint: no second one before the recovery ends
  if (!emit(s, c, seq, flags, end - seq, now)) return false;
  ctrAdd(s.counters, Ctr.RETRANSMITS, 1);
  ctrAdd(s.counters, Ctr.SACK_RETRANSMITS, 1);
  if (hasFlag(c, CF.TIMING) && seqGt(c.rttSeq, seq)) clearFlag(c, CF.TIMING); // Karn
  return true;
}

/** Send what c may send now: data, FIN, or a due ACK. */
export function tcpOutput(s: Stack, c: Conn, now: u64): void {
  clearFlag(c, CF.DIRTY);
  let st = c.state;
  if (st == State.SYN_SENT || st == State.SYN_RECEIVED) return; // the handshake sends its own
  let sent = false;
  let held = false;
  if (st != State.TIME_WAIT && st != State.FIN_WAIT_2) {
    // RFC 6675 recovery: the pipe estimate (SetPipe) replaces snd_nxt - snd_una as what is in flight
    let sackRec = ccInSackRecovery(c);
    let pipe: u32 = 0;
    if (sackRec) {
      let before = c.rtxHigh;
      pipe = sackResend(s, c, now, sackPipe(c), true);
      if (pipe == NO_BUFFER) { setFlag(c, CF.DIRTY); return; }
      if (c.rtxHigh != before) sent = true;
    }
    for (let k: u32 = 0; k < MAX_BURST; k++) {
      // skip what the peer holds (RFC 2018) when sending again after a rewind
      if (hasFlag(c, CF.SACK) && seqLt(c.sndNxt, c.sndMax) && c.sackCount) {
        let h = sackNextHole(c, c.sndNxt);
        if (h != c.sndNxt) c.sndNxt = seqLt(h, c.sndMax) ? h : c.sndMax;
      }
      let unsent = unsentBytes(c);
      let inflight = c.sndNxt - c.sndUna;
      let usable: u32;
      if (sackRec) {
        // new data (NextSeg rule 2): the peer's window still bounds snd_nxt; cwnd bounds the pipe
        let room = c.sndWnd > inflight ? c.sndWnd - inflight : 0;
        usable = min(room, c.cwnd > pipe ? c.cwnd - pipe : 0);
        if (usable < segMss(c) && usable < unsent) break; // congestion-limited: the next ACK clocks more out
      } else {
        let wnd = min(c.sndWnd, ccSendWindow(c));
        usable = wnd > inflight ? wnd - inflight : 0;
      }
      let mss = segMss(c);
      let len = min(min(unsent, mss), usable);
      // sender SWS avoidance (RFC 9293 §3.8.6.2.1): a short new segment only if it empties the
      // queue or fills half the peer's largest window, or the override timer fired (CF.FORCE)
      if (len < mss && len < unsent && len < (c.maxSndWnd >> 1) && !seqLt(c.sndNxt, c.sndMax) && !hasFlag(c, CF.FORCE)) {
        held = true;
        break;
      }
      // when sending again, stop at the next block the peer holds (or at snd_max)
      if (seqLt(c.sndNxt, c.sndMax) && len) len = min(len, sackHoleLen(c, c.sndNxt, c.sndMax));
      let fin = finDue(c) && len == unsent;
      if (len == 0 && !fin) break;
      let flags = TcpFlag.ACK;
      if (len && len == unsent) flags |= TcpFlag.PSH;
      if (fin) flags |= TcpFlag.FIN;
      let again = seqLt(c.sndNxt, c.sndMax);
      if (!emit(s, c, c.sndNxt, flags, len, now)) { setFlag(c, CF.DIRTY); break; } // no buffer: again at the next poll
      sent = true;
      if (again) ctrAdd(s.counters, Ctr.RETRANSMITS, 1);
      else if (!hasFlag(c, CF.TS) && !hasFlag(c, CF.TIMING) && len) {
        setFlag(c, CF.TIMING); // RFC 6298 §3: time one segment (never a retransmitted one)
        c.rttSeq = c.sndNxt + len;
        c.rttAt = now;
      }
      c.sndNxt += len;
      pipe += len;
      if (fin) {
        if (!hasFlag(c, CF.FIN_SENT)) {
          setFlag(c, CF.FIN_SENT);
          c.finSeq = c.sndNxt;
          // RFC 9293 §3.10.4 CLOSE: ESTABLISHED -> FIN-WAIT-1, CLOSE-WAIT -> LAST-ACK
          c.state = st == State.CLOSE_WAIT ? State.LAST_ACK : State.FIN_WAIT_1;
          st = c.state;
        }
        c.sndNxt++;
      }
      if (seqGt(c.sndNxt, c.sndMax)) c.sndMax = c.sndNxt;
      if (c.rtoAt == 0 || hasFlag(c, CF.PERSIST)) { clearFlag(c, CF.PERSIST); c.rtoAt = now + c.rto; } // RFC 6298 §5.1
      if (fin) break;
      // all queued data is out and no FIN can follow it: the next pass would find nothing (one reply: one pass)
      if (len == unsent && !hasFlag(c, CF.CLOSE_REQ)) break;
    }
    if (sackRec && !hasFlag(c, CF.DIRTY)) {
      // NextSeg rule 3: no new data could go; holes not yet presumed lost, while cwnd allows
      let before = c.rtxHigh;
      pipe = sackResend(s, c, now, pipe, false);
      if (pipe == NO_BUFFER) setFlag(c, CF.DIRTY);
      else if (sackRescue(s, c, now, pipe)) sent = true;
      if (c.rtxHigh != before) sent = true;
    }
  }
  clearFlag(c, CF.FORCE);
  if (sent && c.tlpAt == 0) tlpArm(s, c, now);
  if (!sent && hasFlag(c, CF.ACK_NOW)) emitAck(s, c, now);
  // RFC 9293 §3.8.6.1: a zero window with data waiting and nothing in flight arms the persist
  // timer; so does a short window held back by SWS avoidance (the override timeout, §3.8.6.2.1)
  if ((c.sndWnd == 0 || held) && unsentBytes(c) > 0 && c.sndNxt == c.sndUna && c.rtoAt == 0) {
    setFlag(c, CF.PERSIST);
    c.rtoAt = now + c.rto;
  }
}
