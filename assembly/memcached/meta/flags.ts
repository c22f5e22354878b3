// The meta flags of one command line, as memcached 1.6.18's
// _meta_flag_preparse reads them: every token after the key (after the
// length for ms) is one flag character and an optional argument; a repeated
// flag or a character past 126 is "duplicate flag", an unknown one "invalid
// flag" (both stop at once); a bad argument records its error and parsing
// goes on. `b` decodes the key in place (the line is consumed either way).
// Results are per-instance globals: nothing is allocated.

import { relExptime } from "../../store/index";
import { nowRel } from "../instance";
import { numValue, parseI32, parseU32, parseU64 } from "../numbers";
import { ntok, tokLen, tokStart } from "../parse";
import { base64Decode } from "./base64";
import { E } from "./line";

export let mfError: u32 = E.NONE;
export let mfKey: usize = 0;
export let mfKeyLen: u32 = 0;
export let mfKeyBinary = false;
export let mfNoReply = false;
export let mfValue = false;
export let mfNoUpdate = false;
export let mfVivify = false;
export let mfNewTtl = false;
export let mfHasCas = false;
export let mfStale = false;
export let mfMode: u32 = 0;
export let mfExptime: u32 = 0;
export let mfAutoviv: u32 = 0;
export let mfRecache: u32 = 0;
export let mfClientFlags: u32 = 0;
export let mfCas: u64 = 0;
export let mfDelta: u64 = 1;
export let mfInitial: u64 = 0;

let seenLo: u64 = 0;
let seenHi: u64 = 0;

/** First byte of token i. */
@inline export function flagAt(p: usize, i: u32): u32 { return <u32>load<u8>(p + tokStart(i)); }

/** A signed 32-bit argument as a rel exptime (memcached: realtime(EXPTIME_TO_POSITIVE_TIME(v))). */
function ttlArg(p: usize, i: u32): bool {
  if (!parseI32(p + tokStart(i) + 1, tokLen(i) - 1)) { mfError = E.BAD_TOKEN; return false; }
  return true;
}

@inline function ttlValue(): u32 { return relExptime(<i64><i32><u32>numValue, nowRel); }

/** Parses tokens [start, ntok) of the line at p. False when the command must fail (error in mfError). */
export function parseFlags(p: usize, start: u32): bool {
  mfError = E.NONE;
  mfKey = p + tokStart(1);
  mfKeyLen = tokLen(1);
  mfKeyBinary = false; mfNoReply = false; mfValue = false; mfNoUpdate = false; mfVivify = false;
  mfNewTtl = false; mfHasCas = false; mfStale = false;
  mfMode = 0; mfExptime = 0; mfAutoviv = 0; mfRecache = 0; mfClientFlags = 0;
  mfCas = 0; mfDelta = 1; mfInitial = 0;
  seenLo = 0; seenHi = 0;
  let failed = false;
  for (let i = start; i < ntok; i++) {
    const o = flagAt(p, i);
    const bit: u64 = <u64>1 << <u64>(o & 63);
    const seen = o < 64 ? (seenLo & bit) != 0 : (seenHi & bit) != 0;
    if (o >= 127 || seen) { mfError = E.DUPLICATE; return false; }
    if (o < 64) seenLo |= bit; else seenHi |= bit;
    const arg = p + tokStart(i) + 1;
    const alen = tokLen(i) - 1;
    switch (o) {
      case 0x62: { // b: the key is base64, decoded in place
        mfKeyLen = base64Decode(mfKey, mfKeyLen, mfKey);
        if (mfKeyLen == 0) { mfError = E.DECODE; failed = true; }
        mfKeyBinary = true;
        break;
      }
      case 0x4e: // N(ttl): vivify on miss
        mfVivify = true;
        if (ttlArg(p, i)) mfAutoviv = ttlValue(); else failed = true;
        break;
      case 0x54: // T(ttl)
        if (ttlArg(p, i)) { mfExptime = ttlValue(); mfNewTtl = true; } else failed = true;
        break;
      case 0x52: // R(ttl): win for recache below this TTL
        if (ttlArg(p, i)) mfRecache = ttlValue(); else failed = true;
        break;
      case 0x4f: case 0x50: case 0x4c: // O(opaque), P and L (proxy hints, ignored)
      case 0x6b: case 0x73: case 0x74: case 0x63: case 0x66: case 0x6c: case 0x68: // k s t c f l h
        break;
      case 0x76: mfValue = true; break;        // v
      case 0x75: mfNoUpdate = true; break;     // u
      case 0x71: mfNoReply = true; break;      // q
      case 0x49: mfStale = true; break;        // I
      case 0x46: // F(flags): a bad one keeps the current error text
        if (parseU32(arg, alen)) mfClientFlags = <u32>numValue; else failed = true;
        break;
      case 0x43: // C(cas)
        if (parseU64(arg, alen)) { mfCas = numValue; mfHasCas = true; } else { mfError = E.BAD_TOKEN; failed = true; }
        break;
      case 0x4d: // M(mode): one character
        if (alen != 1) { mfError = E.M_LENGTH; failed = true; } else mfMode = <u32>load<u8>(arg);
        break;
      case 0x4a: // J(initial)
        if (parseU64(arg, alen)) mfInitial = numValue; else { mfError = E.BAD_INITIAL; failed = true; }
        break;
      case 0x44: // D(delta)
        if (parseU64(arg, alen)) mfDelta = numValue; else { mfError = E.BAD_DELTA; failed = true; }
        break;
      default:
        mfError = E.INVALID;
        return false;
    }
  }
  if (failed && mfError == E.NONE) mfError = E.BAD_FORMAT;
  return !failed;
}
