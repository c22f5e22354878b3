// Counter names for net_counter_name: the iface's, then the TCP layer's
// (docs/net-tcp.md numbers), as static strings (no allocation); the module
// writes them once into its region as NUL-terminated ASCII.

import { Ctr } from "../net/tcp/index";
import { reasonName } from "../net/wire/reasons";

/** Stable name of TCP counter i. */
export function tcpCounterName(i: u32): string {
  if (i >= Ctr.WIRE_BASE) return i < Ctr.COUNT ? reasonName(i - Ctr.WIRE_BASE) : "unknown";
  switch (i) {
    case Ctr.SEG_IN: return "seg_in";
    case Ctr.SEG_OUT: return "seg_out";
    case Ctr.BYTES_IN: return "bytes_in";
    case Ctr.BYTES_OUT: return "bytes_out";
    case Ctr.RETRANSMITS: return "retransmits";
    case Ctr.RTO_FIRED: return "rto_fired";
    case Ctr.FAST_RETRANSMITS: return "fast_retransmits";
    case Ctr.PARTIAL_ACKS: return "partial_acks";
    case Ctr.SYN_REFUSED: return "syn_refused";
    case Ctr.COOKIES_SENT: return "cookies_sent";
    case Ctr.COOKIES_VALIDATED: return "cookies_validated";
    case Ctr.COOKIES_REJECTED: return "cookies_rejected";
    case Ctr.CHALLENGE_ACKS: return "challenge_acks";
    case Ctr.CHALLENGE_ACKS_LIMITED: return "challenge_acks_limited";
    case Ctr.RST_IN: return "rst_in";
    case Ctr.RST_OUT: return "rst_out";
    case Ctr.PASSIVE_OPENS: return "passive_opens";
    case Ctr.ACTIVE_OPENS: return "active_opens";
    case Ctr.CONN_RESET: return "conn_reset";
    case Ctr.CONN_TIMEOUT: return "conn_timeout";
    case Ctr.TX_NO_BUFFER: return "tx_no_buffer";
    case Ctr.ZERO_WINDOW_PROBES: return "zero_window_probes";
    case Ctr.KEEPALIVES: return "keepalives";
    case Ctr.DELAYED_ACKS: return "delayed_acks";
    case Ctr.OOO_SEGMENTS: return "ooo_segments";
    case Ctr.DUP_SEGMENTS: return "dup_segments";
    case Ctr.DROP_NO_LISTENER: return "drop_no_listener";
    case Ctr.DROP_PAWS: return "drop_paws";
    case Ctr.DROP_OUT_OF_WINDOW: return "drop_out_of_window";
    case Ctr.DROP_NO_ACK: return "drop_no_ack";
    case Ctr.DROP_ACK_TOO_NEW: return "drop_ack_too_new";
    case Ctr.DROP_ACK_TOO_OLD: return "drop_ack_too_old";
    case Ctr.DROP_RST_OUT_OF_WINDOW: return "drop_rst_out_of_window";
    case Ctr.DROP_BAD_SYN_ACK: return "drop_bad_syn_ack";
    case Ctr.DROP_OOO_FULL: return "drop_ooo_full";
    case Ctr.DROP_RX_FULL: return "drop_rx_full";
    case Ctr.DROP_UNEXPECTED: return "drop_unexpected";
    case Ctr.DROP_BAD_COOKIE: return "drop_bad_cookie";
    case Ctr.DROP_TABLE_FULL: return "drop_table_full";
    case Ctr.TAIL_LOSS_PROBES: return "tail_loss_probes";
    case Ctr.SACK_RECOVERIES: return "sack_recoveries";
    case Ctr.SACK_RETRANSMITS: return "sack_retransmits";
    case Ctr.SACK_OVERFLOWS: return "sack_overflows";
    case Ctr.LOST_RETRANSMITS: return "lost_retransmits";
    default: return "unknown";
  }
}

/** Bytes of one name slot (prefix + name + NUL). */
export const NAME_SLOT: u32 = 48;

/** Write prefix + name as NUL-terminated ASCII at p (cut to fit NAME_SLOT). */
export function writeName(p: usize, prefix: string, name: string): void {
  let n: i32 = 0;
  let cap = <i32>NAME_SLOT - 1;
  for (let i = 0; i < prefix.length && n < cap; i++) store<u8>(p + n++, <u8>prefix.charCodeAt(i));
  for (let i = 0; i < name.length && n < cap; i++) store<u8>(p + n++, <u8>name.charCodeAt(i));
  store<u8>(p + n, 0);
}
