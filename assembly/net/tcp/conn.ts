// One connection's state (a TCB, RFC 9293 §3.3.1), an @unmanaged struct at
// an address in the stack's region: `changetype<Conn>(ptr)`, never `new`.
// Sequence numbers are absolute u32 and compared modulo 2^32 (seq.ts style
// helpers below). Times are u64 milliseconds; 0 means "timer not armed".

export namespace State {
  export const CLOSED: u32 = 0; // slot free
  export const SYN_SENT: u32 = 1;
  export const SYN_RECEIVED: u32 = 2;
  export const ESTABLISHED: u32 = 3;
  export const FIN_WAIT_1: u32 = 4;
  export const FIN_WAIT_2: u32 = 5;
  export const CLOSE_WAIT: u32 = 6;
  export const CLOSING: u32 = 7;
  export const LAST_ACK: u32 = 8;
  export const TIME_WAIT: u32 = 9;
}

export namespace CF {
  export const SACK: u32 = 1 << 0;        // SACK-permitted both ways
  export const TS: u32 = 1 << 1;          // timestamps both ways
  export const WS: u32 = 1 << 2;          // window scaling both ways
  export const APP_OPEN: u32 = 1 << 3;    // app open upcall done and accepted
  export const APP_DONE: u32 = 1 << 4;    // app closed upcall done
  export const CLOSE_REQ: u32 = 1 << 5;   // app asked to close: FIN after the queued data
  export const FIN_SENT: u32 = 1 << 6;    // our FIN has a sequence number (finSeq)
  export const FIN_RCVD: u32 = 1 << 7;    // peer's FIN consumed (rcv_nxt past it)
  export const FIN_OOO: u32 = 1 << 8;     // peer's FIN seen beyond rcv_nxt (at finRcvSeq)
  export const ACK_NOW: u32 = 1 << 9;     // send an ACK at the next flush
  export const DIRTY: u32 = 1 << 10;      // output may be possible: flush at the next poll
  export const RECOVERY: u32 = 1 << 11;   // NewReno fast recovery
  export const TIMING: u32 = 1 << 12;     // an RTT sample is timed (no timestamps)
  export const WANT_WRITABLE: u32 = 1 << 13; // app was refused tx space or left bytes: tell it when space frees
  export const PEER_FIN_TOLD: u32 = 1 << 14;
  export const PERSIST: u32 = 1 << 15;    // rtoAt is the zero-window probe timer
  export const COOKIE: u32 = 1 << 16;     // opened from a SYN cookie
  export const RX_PENDING: u32 = 1 << 17; // unconsumed bytes to present to the app again
  export const ACTIVE: u32 = 1 << 18;     // opened by tcpConnect: the app knows the slot from the start
  export const HALF_OPEN: u32 = 1 << 19;  // counted in Stack.halfOpen
  export const TX_FREED: u32 = 1 << 20;   // an ACK freed tx space since the last service
  export const FORCE: u32 = 1 << 21;      // the SWS override timer fired: send a short segment
  export const TLP_SENT: u32 = 1 << 22;   // a tail loss probe is out (one per episode)
  export const RTO_MARK: u32 = 1 << 23;   // a timeout happened: no timestamp RTT sample from before rtoTsMark
  export const QUEUED: u32 = 1 << 24;     // in Stack.queue
  export const ABORT: u32 = 1 << 25;      // tcpShutdown: the app heard closed, a RST is owed (then the slot is freed)
  export const SACK_REC: u32 = 1 << 26;   // the recovery (CF.RECOVERY) is RFC 6675's: pipe and scoreboard, no window inflation
  export const SACK_OVF: u32 = 1 << 27;   // the scoreboard overflowed: SACK blocks ignored (NewReno) until snd_una reaches sackOffUntil
  export const RESCUED: u32 = 1 << 28;    // this RFC 6675 recovery sent its rescue retransmission (NextSeg rule 4)
}

/** Out-of-order ranges kept per connection (what we report: at most 4 fit in a segment anyway). */
export const MAX_RANGES: u32 = 4;
/**
 * SACK scoreboard entries (ranges the peer holds above snd_una). A peer
 * reports at most 3-4 blocks per ACK but they accumulate: 16 covers 16 holes
 * in one window; past that the scoreboard is dropped and NewReno takes over.
 */
export const SACK_RANGES: u32 = 16;

@unmanaged export class Conn {
  state: u32;
  flags: u32;
  localIp: u32;
  remoteIp: u32;
  localPort: u32;
  remotePort: u32;
  index: u32;

  // send side
  iss: u32;
  sndUna: u32;
  sndNxt: u32;
  sndMax: u32;       // highest sequence sent + 1 (snd_nxt rewinds on RTO)
  sndWnd: u32;       // peer's window in bytes (scaled)
  maxSndWnd: u32;
  sndWl1: u32;
  sndWl2: u32;
  sndWs: u32;        // shift applied to the peer's window field
  mss: u32;          // effective send MSS (payload bytes)
  txBase: u32;       // sequence number of the byte at txHead
  txHead: u32;       // ring offset of the oldest unacknowledged byte
  txLen: u32;        // bytes in the tx ring from txHead (sent or not)
  finSeq: u32;       // our FIN's sequence number (CF.FIN_SENT)

  // receive side
  irs: u32;
  rcvNxt: u32;
  rcvAdv: u32;       // right edge last advertised (never moved left)
  rcvWs: u32;        // shift applied to the window we advertise
  lastAckSent: u32;
  rxHead: u32;       // ring offset of the first unconsumed byte
  rxLen: u32;        // in-order bytes not yet consumed by the app
  finRcvSeq: u32;
  segsUnacked: u32;  // full-size segments received since our last ACK
  oooCount: u32;
  oooLast: u32;      // index of the range the latest segment landed in (first SACK block)
  sackCount: u32;    // peer-reported SACK scoreboard entries

  // timestamps (RFC 7323)
  tsRecent: u32;
  tsOffset: u32;
  rtoTsMark: u32;    // our TSval when the last retransmission timeout fired

  // RTT and RTO (RFC 6298), ms
  srtt: u32;
  rttvar: u32;
  rto: u32;
  rttSeq: u32;
  backoff: u32;      // retransmissions of the same data (or probes) in a row

  // congestion (RFC 5681, RFC 6582)
  cwnd: u32;
  ssthresh: u32;
  dupAcks: u32;
  recover: u32;
  rtxHigh: u32;      // end of the highest range resent in this recovery (RFC 6675 HighRxt)
  rtxMark: u32;      // snd_max when the latest SACK-recovery retransmission went (lost retransmission detection)
  sackOffUntil: u32; // CF.SACK_OVF: snd_max when the scoreboard overflowed

  // timers: expiry times in ms, 0 = not armed
  rttAt: u64;
  tsRecentAt: u64;
  rtoAt: u64;        // retransmission, or zero-window probe when CF.PERSIST
  tlpAt: u64;        // tail loss probe (RFC 8985 §7)
  ackAt: u64;        // delayed ACK
  idleAt: u64;       // TIME_WAIT end, FIN_WAIT_2 bound, or next keep-alive
  lastRecvAt: u64;   // for keep-alive

  // ranges [start, end) of absolute sequence numbers
  ooo0s: u32; ooo0e: u32; ooo1s: u32; ooo1e: u32; ooo2s: u32; ooo2e: u32; ooo3s: u32; ooo3e: u32;
  // the SACK scoreboard: SACK_RANGES pairs
  sack0s: u32; sack0e: u32;
  sack1s: u32; sack1e: u32; sack2s: u32; sack2e: u32; sack3s: u32; sack3e: u32; sack4s: u32; sack4e: u32;
  sack5s: u32; sack5e: u32; sack6s: u32; sack6e: u32; sack7s: u32; sack7e: u32; sack8s: u32; sack8e: u32;
  sack9s: u32; sack9e: u32; sack10s: u32; sack10e: u32; sack11s: u32; sack11e: u32; sack12s: u32; sack12e: u32;
  sack13s: u32; sack13e: u32; sack14s: u32; sack14e: u32; sack15s: u32; sack15e: u32;
}
export const CONN_SIZE: usize = (offsetof<Conn>() + 63) & ~63;
export const OOO_BASE: usize = offsetof<Conn>("ooo0s");
export const SACK_BASE: usize = offsetof<Conn>("sack0s");

// ---- sequence arithmetic (RFC 9293 §3.4), modulo 2^32 ----------------------
@inline export function seqLt(a: u32, b: u32): bool { return <i32>(a - b) < 0; }
@inline export function seqLe(a: u32, b: u32): bool { return <i32>(a - b) <= 0; }
@inline export function seqGt(a: u32, b: u32): bool { return <i32>(a - b) > 0; }
@inline export function seqGe(a: u32, b: u32): bool { return <i32>(a - b) >= 0; }

@inline export function hasFlag(c: Conn, f: u32): bool { return (c.flags & f) != 0; }
@inline export function setFlag(c: Conn, f: u32): void { c.flags |= f; }
@inline export function clearFlag(c: Conn, f: u32): void { c.flags &= ~f; }

/** Range i of a list at `base` (OOO_BASE or SACK_BASE) in c. */
@inline export function rangeStart(c: Conn, base: usize, i: u32): u32 {
  return load<u32>(changetype<usize>(c) + base + (<usize>i << 3));
}
@inline export function rangeEnd(c: Conn, base: usize, i: u32): u32 {
  return load<u32>(changetype<usize>(c) + base + (<usize>i << 3), 4);
}
@inline export function setRange(c: Conn, base: usize, i: u32, s: u32, e: u32): void {
  let p = changetype<usize>(c) + base + (<usize>i << 3);
  store<u32>(p, s);
  store<u32>(p, e, 4);
}

/** States in which both sides' sequence numbers are known (RFC 9293 §3.10.7.4). */
@inline export function synchronized(state: u32): bool {
  return state >= State.SYN_RECEIVED;
}
