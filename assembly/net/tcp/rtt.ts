// Retransmission timeout from measured round-trip times (RFC 6298), in ms.
// Samples come from timestamps (RFC 7323 §4: TSecr of an ACK that advances
// snd_una) or, without them, from one timed segment at a time (Karn: never
// from a retransmitted one). Clock granularity G is 1 ms.

import { Conn } from "./conn";
import { Stack } from "./stack";

const G: u32 = 1;

/** RFC 6298 §2.1: before any sample, RTO = initial (1 s by default). */
export function rttInit(s: Stack, c: Conn): void {
  c.srtt = 0;
  c.rttvar = 0;
  c.rto = s.initRtoMs;
  c.backoff = 0;
}

/** RFC 6298 §2.2 (first sample) and §2.3 (later ones, alpha 1/8, beta 1/4); §2.4 minimum, §2.5 maximum. */
export function rttSample(s: Stack, c: Conn, r: u32): void {
  if (r == 0) r = 1;
  if (c.srtt == 0) {
    c.srtt = r;
    c.rttvar = r >> 1;
  } else {
    let d = c.srtt > r ? c.srtt - r : r - c.srtt;
    c.rttvar = c.rttvar - (c.rttvar >> 2) + (d >> 2);
    c.srtt = c.srtt - (c.srtt >> 3) + (r >> 3);
  }
  let v = c.rttvar << 2;
  c.rto = clampRto(s, c.srtt + (v > G ? v : G));
}

@inline function clampRto(s: Stack, rto: u32): u32 {
  return rto < s.minRtoMs ? s.minRtoMs : rto > s.maxRtoMs ? s.maxRtoMs : rto;
}

/** RFC 6298 §5.5: the timer that fired doubles the RTO (bounded). */
export function rttBackoff(s: Stack, c: Conn): void {
  c.backoff++;
  c.rto = clampRto(s, c.rto << 1);
}
