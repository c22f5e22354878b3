// Per-stack counters, u64 each, in the stack's region (Stack.counters).
// One counter per event or drop reason; numbers are stable (docs/net-tcp.md).
// Wire-layer refusals (checksum, header length, options) are counted by their
// wire Reason code at WIRE_BASE + code.

import { Reason } from "../wire/reasons";

export namespace Ctr {
  export const SEG_IN: u32 = 0;
  export const SEG_OUT: u32 = 1;
  export const BYTES_IN: u32 = 2;          // payload bytes accepted in order
  export const BYTES_OUT: u32 = 3;         // payload bytes sent (first transmissions and retransmissions)
  export const RETRANSMITS: u32 = 4;       // segments sent again (any cause)
  export const RTO_FIRED: u32 = 5;
  export const FAST_RETRANSMITS: u32 = 6;  // entries into fast recovery (3 duplicate ACKs)
  export const PARTIAL_ACKS: u32 = 7;      // NewReno partial ACKs (RFC 6582)
  export const SYN_REFUSED: u32 = 8;       // connection limit or table probe bound: answered with RST
  export const COOKIES_SENT: u32 = 9;
  export const COOKIES_VALIDATED: u32 = 10;
  export const COOKIES_REJECTED: u32 = 11;
  export const CHALLENGE_ACKS: u32 = 12;   // RFC 5961
  export const CHALLENGE_ACKS_LIMITED: u32 = 13;
  export const RST_IN: u32 = 14;           // resets that closed a connection
  export const RST_OUT: u32 = 15;
  export const PASSIVE_OPENS: u32 = 16;
  export const ACTIVE_OPENS: u32 = 17;
  export const CONN_RESET: u32 = 18;       // connections ended by a peer RST
  export const CONN_TIMEOUT: u32 = 19;     // connections ended by too many retransmissions or keep-alives
  export const TX_NO_BUFFER: u32 = 20;     // the link had no buffer: not sent now, timers recover
  export const ZERO_WINDOW_PROBES: u32 = 21;
  export const KEEPALIVES: u32 = 22;
  export const DELAYED_ACKS: u32 = 23;     // pure ACKs sent by the delayed-ACK timer
  export const OOO_SEGMENTS: u32 = 24;     // segments kept out of order
  export const DUP_SEGMENTS: u32 = 25;     // segments wholly before rcv_nxt (acknowledged again)
  // Drops, one per reason.
  export const DROP_NO_LISTENER: u32 = 26; // no connection, no listener (answered with RST)
  export const DROP_PAWS: u32 = 27;        // RFC 7323 §5: timestamp older than TS.Recent
  export const DROP_OUT_OF_WINDOW: u32 = 28;
  export const DROP_NO_ACK: u32 = 29;      // synchronized state, ACK bit off
  export const DROP_ACK_TOO_NEW: u32 = 30; // ack above snd_max (answered with an ACK)
  export const DROP_ACK_TOO_OLD: u32 = 31; // RFC 5961 §5.2: ack below snd_una - max window
  export const DROP_RST_OUT_OF_WINDOW: u32 = 32;
  export const DROP_BAD_SYN_ACK: u32 = 33; // SYN-SENT: unacceptable ACK
  export const DROP_OOO_FULL: u32 = 34;    // out-of-order range list full
  export const DROP_RX_FULL: u32 = 35;     // bytes beyond the receive window trimmed
  export const DROP_UNEXPECTED: u32 = 36;  // segment with no meaning in its state (e.g. no SYN in LISTEN)
  export const DROP_BAD_COOKIE: u32 = 37;
  export const DROP_TABLE_FULL: u32 = 38;  // cookie ACK or SYN with no free slot / probe bound
  export const TAIL_LOSS_PROBES: u32 = 39; // RFC 8985 §7
  export const SACK_RECOVERIES: u32 = 40;  // RFC 6675 recoveries entered (also counted in FAST_RETRANSMITS)
  export const SACK_RETRANSMITS: u32 = 41; // segments resent in RFC 6675 recovery (also counted in RETRANSMITS)
  export const SACK_OVERFLOWS: u32 = 42;   // scoreboard full: dropped, NewReno until snd_una passes snd_max of then
  export const LOST_RETRANSMITS: u32 = 43; // SACKs of later data showed this recovery's retransmissions lost: resent
  /** Wire refusals: WIRE_BASE + Reason code. */
  export const WIRE_BASE: u32 = 44;
  export const COUNT: u32 = WIRE_BASE + Reason.COUNT;
}

@inline export function ctrAt(base: usize, i: u32): u64 {
  return load<u64>(base + (<usize>i << 3));
}

@inline export function ctrAdd(base: usize, i: u32, n: u64): void {
  let p = base + (<usize>i << 3);
  store<u64>(p, load<u64>(p) + n);
}
