// One session record per connection slot, in this instance's region.
// The state says what the next input bytes are:
//   CMD       a command line
//   NREAD     value bytes going into a store reservation (item, remain of total)
//   SWALLOW   value bytes of a refused store, skipped (remain)
//   GETKEYS   the keys of a get/gets/gat/gats line, one at a time
//   GETVALUE  (no input) a hit's value being streamed out, then GETKEYS again
//   SKIPLINE  the rest of a line already answered, skipped up to '\n'
//   CLOSED    after quit or a protocol violation: input is discarded
//   LISTING   (no input) a stats listing too long for one output reservation
//   BIN_CMD   a binary request (binary/commands.ts); SWALLOW and GETVALUE
//             return to it on a binary connection
//   BIN_NREAD a binary value going into a store reservation

import { base, REGION_SESSIONS } from "./instance";

export const SESSION_SIZE: usize = 128;

export namespace S {
  export const FREE: u32 = 0;
  export const CMD: u32 = 1;
  export const NREAD: u32 = 2;
  export const SWALLOW: u32 = 3;
  export const GETKEYS: u32 = 4;
  export const GETVALUE: u32 = 5;
  export const SKIPLINE: u32 = 6;
  export const CLOSED: u32 = 7;
  export const LISTING: u32 = 16;
  export const BIN_CMD: u32 = 17;     // a binary request header (+ extras + key)
  export const BIN_NREAD: u32 = 18;   // a binary value into a store reservation
}

// the protocol of a connection, decided by its first byte (O_PROTO)
export const PROTO_UNDECIDED: u32 = 0;
export const PROTO_TEXT: u32 = 1;
export const PROTO_BINARY: u32 = 2;

// flag bits
export const F_NOREPLY: u32 = 1;   // this command's replies are suppressed
export const F_CAS: u32 = 2;       // gets/gats: print the CAS
export const F_TOUCH: u32 = 4;     // gat/gats: touch with `exptime`
export const F_KEYS: u32 = 8;      // the get line is known to have a key (else "ERROR" at its end)
export const F_DRAIN: u32 = 16;    // get line cut by a NUL: ignore up to '\n', then END
export const F_META: u32 = 32;     // a meta command (meta/): ms finishes as meta, mg's value returns to CMD
export const F_META_QUIET: u32 = 64; // meta `q`: the nominal reply (HD) is suppressed
export const F_UPLOAD: u32 = 128;   // the value being received holds an upload (upload.ts)

// field offsets
const O_STATE: usize = 0;
const O_FLAGS: usize = 4;
const O_ITEM: usize = 8;
const O_REMAIN: usize = 12;
const O_TOTAL: usize = 16;
const O_MODE: usize = 20;
const O_CAS: usize = 24;
const O_EXPTIME: usize = 32;
const O_CARRIED: usize = 36;
const O_PROTO: usize = 40;
const O_LAST: usize = 44;
/** 16 bytes kept by the binary protocol (binary/state.ts). */
export const O_BINARY: usize = 48;
/** 64 bytes kept by `ms` for its reply while the value arrives (meta/commands.ts). */
export const O_META: usize = 64;

@inline export function session(conn: u32): usize { return base + REGION_SESSIONS + <usize>conn * SESSION_SIZE; }

@inline export function sState(s: usize): u32 { return load<u32>(s + O_STATE); }
@inline export function setState(s: usize, v: u32): void { store<u32>(s + O_STATE, v); }
@inline export function sFlags(s: usize): u32 { return load<u32>(s + O_FLAGS); }
@inline export function setFlags(s: usize, v: u32): void { store<u32>(s + O_FLAGS, v); }
@inline export function sNoreply(s: usize): bool { return (sFlags(s) & F_NOREPLY) != 0; }
@inline export function sItem(s: usize): usize { return <usize>load<u32>(s + O_ITEM); }
@inline export function setItem(s: usize, v: usize): void { store<u32>(s + O_ITEM, <u32>v); }
/** Bytes still to come (NREAD, SWALLOW) or to send (GETVALUE). */
@inline export function sRemain(s: usize): u32 { return load<u32>(s + O_REMAIN); }
@inline export function setRemain(s: usize, v: u32): void { store<u32>(s + O_REMAIN, v); }
/** value_len + 2: the bytes NREAD / GETVALUE move in all. */
@inline export function sTotal(s: usize): u32 { return load<u32>(s + O_TOTAL); }
@inline export function setTotal(s: usize, v: u32): void { store<u32>(s + O_TOTAL, v); }
@inline export function sMode(s: usize): u32 { return load<u32>(s + O_MODE); }
@inline export function setMode(s: usize, v: u32): void { store<u32>(s + O_MODE, v); }
@inline export function sCas(s: usize): u64 { return load<u64>(s + O_CAS); }
@inline export function setCas(s: usize, v: u64): void { store<u64>(s + O_CAS, v); }
@inline export function sExptime(s: usize): u32 { return load<u32>(s + O_EXPTIME); }
@inline export function setExptime(s: usize, v: u32): void { store<u32>(s + O_EXPTIME, v); }

/** Input bytes left unconsumed by the last app_data (presented again). */
@inline export function sCarried(s: usize): u32 { return load<u32>(s + O_CARRIED); }
@inline export function setCarried(s: usize, v: u32): void { store<u32>(s + O_CARRIED, v); }

@inline export function sProto(s: usize): u32 { return load<u32>(s + O_PROTO); }
@inline export function setProto(s: usize, v: u32): void { store<u32>(s + O_PROTO, v); }
/** Rel time of the connection's last input (`stats conns`). */
@inline export function sLast(s: usize): u32 { return load<u32>(s + O_LAST); }
@inline export function setLast(s: usize, v: u32): void { store<u32>(s + O_LAST, v); }

/** A fresh record in state st. */
export function resetSession(s: usize, st: u32): void {
  memory.fill(s, 0, SESSION_SIZE);
  setState(s, st);
}

/** Set when the current state can make no progress in this call (input
 *  incomplete or output full); the app_data loop stops and returns. */
export let halted = false;
@inline export function setHalted(v: bool): void { halted = v; }
