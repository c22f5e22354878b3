// SYN cookies: when the half-open table is full, the SYN-ACK's ISN carries
// the connection's state and no slot is taken; the final ACK rebuilds it.
//
//   ISN = t (5 bits) | MSS index (3 bits) | keyed hash of (4-tuple, peer ISN, t) (24 bits)
//
// t counts 64-second periods; a cookie is valid for the current period and
// the one before. When the SYN had timestamps, our TSval's low 5 bits carry
// the peer's window scale (4 bits, 15 = none) and SACK-permitted (1 bit),
// and come back in the ACK's TSecr (as Linux does). Without timestamps a
// cookie connection has no window scaling and no SACK.

import { sip2, tupleHi, tupleLo } from "./isn";
import { Stack } from "./stack";

const PERIOD_MS: u64 = 64000;
const MSS_TABLE: StaticArray<u16> = [536, 1024, 1200, 1360, 1400, 1440, 1460, 8960];
export const COOKIE_TS_BITS: u32 = 5;
export const COOKIE_NO_WS: u32 = 15;

@inline function period(now: u64): u32 { return <u32>(now / PERIOD_MS) & 31; }

function cookieHash(s: Stack, localIp: u32, localPort: u32, remoteIp: u32, remotePort: u32, peerIsn: u32, t: u32): u32 {
  let a = sip2(s.key0 ^ 0x636f6f6b6965, s.key1, tupleHi(localIp, remoteIp), tupleLo(localPort, remotePort, peerIsn));
  return <u32>(a ^ <u64>t * 0x9E3779B97F4A7C15) & 0xFFFFFF;
}

/** The largest table MSS not above `mss` (index 0 if none). */
export function cookieMssIndex(mss: u32): u32 {
  let best: u32 = 0;
  for (let i: u32 = 0; i < 8; i++) if (<u32>MSS_TABLE[i] <= mss) best = i;
  return best;
}

@inline export function cookieMss(idx: u32): u32 { return <u32>MSS_TABLE[idx & 7]; }

/** Our ISN for a SYN answered by cookie. */
export function cookieMake(s: Stack, localIp: u32, localPort: u32, remoteIp: u32, remotePort: u32, peerIsn: u32, mss: u32, now: u64): u32 {
  let t = period(now);
  return (t << 27) | (cookieMssIndex(mss) << 24) | cookieHash(s, localIp, localPort, remoteIp, remotePort, peerIsn, t);
}

/** The MSS index an ACK's cookie (ack - 1) carries, or -1 if it does not validate. */
export function cookieCheck(s: Stack, localIp: u32, localPort: u32, remoteIp: u32, remotePort: u32, peerIsn: u32, cookie: u32, now: u64): i32 {
  let t = cookie >> 27;
  let cur = period(now);
  if (t != cur && t != ((cur - 1) & 31)) return -1;
  if ((cookie & 0xFFFFFF) != cookieHash(s, localIp, localPort, remoteIp, remotePort, peerIsn, t)) return -1;
  return <i32>((cookie >> 24) & 7);
}

/** The low TSval bits that carry the peer's window scale and SACK-permitted. */
@inline export function cookieTsBits(wscale: u32, sack: bool): u32 {
  return ((wscale > 14 ? COOKIE_NO_WS : wscale) << 1) | (sack ? 1 : 0);
}
