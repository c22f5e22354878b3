// Option negotiation on the handshake: MSS (RFC 9293 §3.7.1, RFC 6691),
// window scale and timestamps (RFC 7323 §2.2, §3.2), SACK-permitted
// (RFC 2018 §2). An option is in force only when both SYNs carried it.

import { Tcp, TcpRepr } from "../wire/tcp";
import { CF, Conn, hasFlag, setFlag } from "./conn";
import { Stack } from "./stack";

/** RFC 9293 §3.7.1: without the option, the peer's MSS is 536. */
export const DEFAULT_MSS: u32 = 536;
/** A peer's MSS below this is raised to it (Linux's TCP_MIN_MSS is 88): no 1-byte segments. */
export const MIN_MSS: u32 = 88;

/** The window shift that lets a ring of `size` bytes be advertised in 16 bits. */
export function wsFor(size: u32): u32 {
  let ws: u32 = 0;
  while (ws < Tcp.MAX_WSCALE && (size >> ws) > 0xFFFF) ws++;
  return ws;
}

/** Fill our SYN's (active) options: offer everything. */
export function synOffer(s: Stack, r: TcpRepr): void {
  r.mss = <u16>s.ourMss;
  r.wscale = <u8>s.rcvWs;
  r.sackPermitted = true;
  r.hasTimestamp = true;
}

/** Fill our SYN-ACK's options: MSS always, the rest only what the peer offered (RFC 7323 §2.2, RFC 2018 §2). */
export function synAckOptions(s: Stack, c: Conn, r: TcpRepr): void {
  r.mss = <u16>s.ourMss;
  r.wscale = hasFlag(c, CF.WS) ? <u8>c.rcvWs : Tcp.NO_WSCALE;
  r.sackPermitted = hasFlag(c, CF.SACK);
  r.hasTimestamp = hasFlag(c, CF.TS);
}

/** Take the peer's SYN (or SYN-ACK) options: what both sides offered is in force. */
export function negotiate(s: Stack, c: Conn, peer: TcpRepr): void {
  let pm = peer.mss ? <u32>peer.mss : DEFAULT_MSS;
  c.mss = max(min(pm, s.ourMss), MIN_MSS);
  if (peer.wscale != Tcp.NO_WSCALE) {
    setFlag(c, CF.WS);
    c.sndWs = peer.wscale;
    c.rcvWs = s.rcvWs;
  } else {
    c.sndWs = 0;
    c.rcvWs = 0;
  }
  if (peer.sackPermitted) setFlag(c, CF.SACK);
  if (peer.hasTimestamp) {
    setFlag(c, CF.TS);
    c.tsRecent = peer.tsVal;
  }
  // timestamps take 12 bytes of every segment (RFC 7323 §2.2 note on effective MSS)
  if (hasFlag(c, CF.TS) && c.mss > 12 + 64) c.mss -= 12;
}
