// Zipf-distributed key ranks without a table: rejection-inversion sampling
// (Hörmann & Derflinger, "Rejection-inversion to generate variates from
// monotone discrete distributions", 1996). A table of cumulative weights
// for a million keys would make the region depend on the key count; this
// needs four numbers per instance and, on average, barely more than one
// round of the loop per sample.
//
// P(rank k) ∝ k^-s for k in 1..n. The continuous hat is h(x) = x^-s with
// integral H(x) = (x^(1-s) - 1) / (1-s) (log x when s = 1), written through
// expm1/log1p so that s near 1 loses no precision.

import { Conn, rngNext } from "./conn";

let gN: f64 = 0;
let gS: f64 = 0;
let gHX1: f64 = 0; // H(1.5) - h(1): the left end of the sampled interval
let gHN: f64 = 0;  // H(n + 0.5): the right end
let gSq: f64 = 0;  // squeeze: a candidate within it of its rounding is accepted at once

/** expm1(x)/x, continuous at 0. */
@inline function expm1OverX(x: f64): f64 { return x == 0 ? 1 : Math.expm1(x) / x; }
/** log1p(x)/x, continuous at 0. */
@inline function log1pOverX(x: f64): f64 { return x == 0 ? 1 : Math.log1p(x) / x; }

@inline function hat(x: f64): f64 { return Math.exp(-gS * Math.log(x)); }

function hatIntegral(x: f64): f64 {
  let lx = Math.log(x);
  return expm1OverX((1 - gS) * lx) * lx;
}

function hatIntegralInverse(y: f64): f64 {
  let t = y * (1 - gS);
  if (t < -1) t = -1; // rounding can step just past the domain's edge
  return Math.exp(log1pOverX(t) * y);
}

/** Prepare for ranks 1..n with exponent s > 0. */
export function zipfSetup(n: u32, s: f64): void {
  gN = <f64>n;
  gS = s;
  gHX1 = hatIntegral(1.5) - 1;
  gHN = hatIntegral(gN + 0.5);
  gSq = 2 - hatIntegralInverse(hatIntegral(2.5) - hat(2));
}

/** Rounds of the rejection loop before giving up on acceptance (never reached in practice). */
const ROUNDS_MAX: u32 = 64;

/** A uniform deviate in [0, 1) from the connection's PRNG (53 bits). */
@inline function uniform(c: Conn): f64 { return <f64>(rngNext(c) >> 11) * 1.1102230246251565e-16; }

/** A rank in [0, n) (rank 0 the most popular), from the connection's PRNG. */
export function zipfRank(c: Conn): u32 {
  let k: f64 = 1;
  for (let i: u32 = 0; i < ROUNDS_MAX; i++) {
    let u = gHN + uniform(c) * (gHX1 - gHN);
    let x = hatIntegralInverse(u);
    k = Math.floor(x + 0.5);
    if (k < 1) k = 1;
    else if (k > gN) k = gN;
    if (k - x <= gSq || u >= hatIntegral(k + 0.5) - hat(k)) break;
  }
  return <u32>k - 1;
}
