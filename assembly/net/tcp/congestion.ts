// Congestion control: slow start and congestion avoidance (RFC 5681 §3.1),
// fast retransmit and NewReno fast recovery (RFC 6582), SACK-based recovery
// (RFC 6675: cwnd = ssthresh, the pipe estimate decides what goes; the
// scoreboard part is in reassembly.ts, the sending in output.ts), and the
// loss response to a retransmission timeout (RFC 5681 §3.1, eq. 4).

import { CF, clearFlag, Conn, hasFlag, seqGt, setFlag } from "./conn";

/** RFC 5681 §3.1 eq. 1 (IW, RFC 3390 style: min(4 MSS, max(2 MSS, 4380))). */
export function ccInit(c: Conn): void {
  let iw = max(2 * c.mss, <u32>4380);
  c.cwnd = min(4 * c.mss, iw);
  c.ssthresh = 0x7FFFFFFF;
  c.dupAcks = 0;
}

@inline function flight(c: Conn): u32 { return c.sndMax - c.sndUna; }

/** RFC 5681 §3.1 eq. 4: ssthresh = max(FlightSize / 2, 2 * SMSS). */
@inline function halve(c: Conn): u32 { return max(flight(c) >> 1, 2 * c.mss); }

/** New data acknowledged (`acked` bytes) outside recovery: slow start or congestion avoidance. */
export function ccOnAck(c: Conn, acked: u32): void {
  if (c.cwnd < c.ssthresh) {
    c.cwnd += min(acked, c.mss); // RFC 5681 §3.1 eq. 2
  } else {
    let inc = (c.mss * c.mss) / max(c.cwnd, 1); // RFC 5681 §3.1 eq. 3
    c.cwnd += max(inc, 1);
  }
  if (c.cwnd > 0x3FFFFFFF) c.cwnd = 0x3FFFFFFF;
}

/**
 * RFC 6582 §3.2 step 2 (the third duplicate ACK) or RFC 6675 §5 step 4
 * (`sack`: DupThresh duplicate ACKs or IsLost(snd_una)). Returns true when
 * recovery starts (the caller retransmits snd_una's segment); false when the
 * ACK does not cover `recover` (RFC 6582 step 2 "if not" branch; RFC 6675
 * §5.1: none until RecoveryPoint is acknowledged).
 */
export function ccEnterRecovery(c: Conn, sack: bool): bool {
  // recover starts at the ISS; the ACK must lie beyond it (the §4.1 "ack > recover" form)
  if (!seqGt(c.sndUna, c.recover)) return false;
  c.ssthresh = halve(c);
  c.recover = c.sndMax; // RFC 6675 RecoveryPoint = HighData
  c.rtxHigh = c.sndUna;
  c.rtxMark = c.sndMax;
  if (sack) {
    c.cwnd = c.ssthresh; // RFC 6675 §5 step 4.2: no inflation, the pipe estimate accounts for what left
    setFlag(c, CF.SACK_REC);
    clearFlag(c, CF.RESCUED); // RescueRxt undefined
  } else {
    c.cwnd = c.ssthresh + 3 * c.mss; // RFC 6582 step 3
  }
  setFlag(c, CF.RECOVERY);
  return true;
}

/** RFC 6582 §3.2 step 4: each further duplicate ACK inflates the window. */
@inline export function ccOnDupAckInRecovery(c: Conn): void {
  c.cwnd += c.mss;
}

/**
 * RFC 6582 §3.2 step 5: an ACK of new data during recovery. Returns true for
 * a partial ACK (the caller retransmits the first unacknowledged segment).
 */
export function ccOnAckInRecovery(c: Conn, acked: u32): bool {
  if (seqGt(c.sndUna, c.recover) || c.sndUna == c.recover) {
    // full acknowledgment: deflate (option 1: min(ssthresh, FlightSize + SMSS)); for RFC 6675 the
    // same bound keeps a burst from following the exit
    c.cwnd = min(c.ssthresh, flight(c) + c.mss);
    clearFlag(c, CF.RECOVERY | CF.SACK_REC);
    c.dupAcks = 0;
    return false;
  }
  // RFC 6675: a partial ACK changes nothing but the scoreboard and pipe (NextSeg finds the holes)
  if (hasFlag(c, CF.SACK_REC)) return false;
  // partial acknowledgment: deflate by the amount acked, add back one SMSS
  c.cwnd = c.cwnd > acked ? c.cwnd - acked : 0;
  c.cwnd += c.mss;
  return true;
}

/** RFC 5681 §3.1 eq. 4 and 5: after a retransmission timeout. */
export function ccOnTimeout(c: Conn): void {
  if (c.backoff == 0) c.ssthresh = halve(c); // only on the first timeout of a series (RFC 5681 §3.1 note)
  c.cwnd = c.mss;
  c.recover = c.sndMax; // RFC 6582 §3.2 step 1 after a timeout
  c.rtxHigh = c.sndUna;
  clearFlag(c, CF.RECOVERY | CF.SACK_REC);
  c.dupAcks = 0;
}

/** In RFC 6675 recovery (not NewReno's). */
@inline export function ccInSackRecovery(c: Conn): bool { return hasFlag(c, CF.SACK_REC); }

@inline export function ccInRecovery(c: Conn): bool { return hasFlag(c, CF.RECOVERY); }

/**
 * Duplicate ACKs that start recovery: 3, or fewer when under four segments
 * are outstanding and no new data can go (early retransmit, RFC 5827 §3.1).
 */
export function ccDupThresh(c: Conn, canSendNew: bool): u32 {
  let segs = (c.sndMax - c.sndUna + c.mss - 1) / c.mss;
  if (segs < 4 && !canSendNew) return segs > 2 ? segs - 1 : 1;
  return 3;
}

/** The window for sending: cwnd, plus up to two segments on the first two duplicate ACKs (limited transmit, RFC 3042). */
@inline export function ccSendWindow(c: Conn): u32 {
  return hasFlag(c, CF.RECOVERY) ? c.cwnd : c.cwnd + min(c.dupAcks, 2) * c.mss;
}
