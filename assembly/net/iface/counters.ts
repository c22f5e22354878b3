// Interface-layer counters, u64 each, in the iface's region (Iface.counters).
// One per event or drop reason; numbers are stable (docs/netstack.md).
// Wire-layer refusals (Ethernet, ARP, IPv4, ICMP) are counted by their wire
// Reason code at WIRE_BASE + code.

import { Reason, reasonName } from "../wire/reasons";

export namespace IfCtr {
  export const RX_FRAMES: u32 = 0;
  export const RX_BYTES: u32 = 1;
  export const TX_FRAMES: u32 = 2;
  export const TX_BYTES: u32 = 3;
  export const DROP_NOT_OUR_MAC: u32 = 4;      // unicast frame for another station
  export const DROP_ETHERTYPE: u32 = 5;        // neither IPv4 nor ARP (VLAN-tagged, IPv6, ...)
  export const DROP_NOT_OUR_IP: u32 = 6;       // IPv4 datagram for another address (broadcast included)
  export const DROP_TTL_ZERO: u32 = 7;
  export const DROP_BAD_SRC: u32 = 8;          // source 0.0.0.0, broadcast or multicast
  export const DROP_PROTOCOL: u32 = 9;         // IPv4 protocol other than TCP and ICMP
  export const ARP_REQUESTS_IN: u32 = 10;      // for our address
  export const ARP_REPLIES_IN: u32 = 11;
  export const ARP_REQUESTS_OUT: u32 = 12;     // resolutions
  export const ARP_REPLIES_OUT: u32 = 13;
  export const ARP_ANNOUNCES_OUT: u32 = 14;    // gratuitous
  export const ARP_NOT_FOR_US: u32 = 15;       // ARP for another address (cache refreshed if known)
  export const ARP_QUEUED: u32 = 16;           // a segment held until its next hop resolves (or the next poll)
  export const ARP_QUEUE_REPLACED: u32 = 17;   // a held segment overwritten by a newer one (TCP timers recover it)
  export const ARP_QUEUE_EXPIRED: u32 = 18;    // a held segment whose next hop never answered
  export const ARP_QUEUE_SENT: u32 = 19;
  export const NEIGH_EVICTED: u32 = 20;        // cache full: the stalest entry made room
  export const DROP_NO_ROUTE: u32 = 21;        // off-subnet destination and no gateway
  export const TX_NO_BUFFER: u32 = 22;         // no tx buffer left in this burst (TCP retries; ARP/ICMP replies lost)
  export const TX_TOO_BIG: u32 = 23;           // a frame larger than the offered buffer or the MTU
  export const ICMP_ECHO_IN: u32 = 24;
  export const ICMP_ECHO_OUT: u32 = 25;
  export const ICMP_REPLY_IN: u32 = 26;        // echo replies to us (we send no requests): ignored
  /** Wire refusals: WIRE_BASE + Reason code. */
  export const NEIGH_NO_SLOT: u32 = 27;        // an unresolved next hop found every slot held by a resolved peer
  export const WIRE_BASE: u32 = 28;
  export const COUNT: u32 = WIRE_BASE + Reason.COUNT;
}

/** Stable name of counter i (static strings: no allocation). */
export function ifCounterName(i: u32): string {
  if (i >= IfCtr.WIRE_BASE) return i < IfCtr.COUNT ? reasonName(i - IfCtr.WIRE_BASE) : "unknown";
  switch (i) {
    case IfCtr.RX_FRAMES: return "rx_frames";
    case IfCtr.RX_BYTES: return "rx_bytes";
    case IfCtr.TX_FRAMES: return "tx_frames";
    case IfCtr.TX_BYTES: return "tx_bytes";
    case IfCtr.DROP_NOT_OUR_MAC: return "drop_not_our_mac";
    case IfCtr.DROP_ETHERTYPE: return "drop_ethertype";
    case IfCtr.DROP_NOT_OUR_IP: return "drop_not_our_ip";
    case IfCtr.DROP_TTL_ZERO: return "drop_ttl_zero";
    case IfCtr.DROP_BAD_SRC: return "drop_bad_src";
    case IfCtr.DROP_PROTOCOL: return "drop_protocol";
    case IfCtr.ARP_REQUESTS_IN: return "arp_requests_in";
    case IfCtr.ARP_REPLIES_IN: return "arp_replies_in";
    case IfCtr.ARP_REQUESTS_OUT: return "arp_requests_out";
    case IfCtr.ARP_REPLIES_OUT: return "arp_replies_out";
    case IfCtr.ARP_ANNOUNCES_OUT: return "arp_announces_out";
    case IfCtr.ARP_NOT_FOR_US: return "arp_not_for_us";
    case IfCtr.ARP_QUEUED: return "arp_queued";
    case IfCtr.ARP_QUEUE_REPLACED: return "arp_queue_replaced";
    case IfCtr.ARP_QUEUE_EXPIRED: return "arp_queue_expired";
    case IfCtr.ARP_QUEUE_SENT: return "arp_queue_sent";
    case IfCtr.NEIGH_EVICTED: return "neigh_evicted";
    case IfCtr.NEIGH_NO_SLOT: return "neigh_no_slot";
    case IfCtr.DROP_NO_ROUTE: return "drop_no_route";
    case IfCtr.TX_NO_BUFFER: return "tx_no_buffer";
    case IfCtr.TX_TOO_BIG: return "tx_too_big";
    case IfCtr.ICMP_ECHO_IN: return "icmp_echo_in";
    case IfCtr.ICMP_ECHO_OUT: return "icmp_echo_out";
    case IfCtr.ICMP_REPLY_IN: return "icmp_reply_in";
    default: return "unknown";
  }
}

@inline export function ifCtrAt(base: usize, i: u32): u64 {
  return load<u64>(base + (<usize>i << 3));
}

@inline export function ifCtrAdd(base: usize, i: u32, n: u64): void {
  let p = base + (<usize>i << 3);
  store<u64>(p, load<u64>(p) + n);
}
