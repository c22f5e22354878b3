// TCP options: MSS (RFC 9293), window scale and timestamps (RFC 7323),
// SACK-permitted and SACK blocks (RFC 2018); NOP and EOL; others skipped.
//
// Emission follows Linux's layout (tcp_options_write), every option padded
// with NOPs to 4 bytes, so a Linux segment re-emits byte for byte:
//   MSS | SACK-perm+TS (or NOP NOP TS) | NOP NOP SACK-perm (no TS) | NOP WS | NOP NOP SACK

import { loadBe16, loadBe32, storeBe32 } from "./bytes";
import { Reason } from "./reasons";
import { Tcp, TcpRepr, tcpSackLeft, tcpSackRight, tcpSetSack } from "./tcp";

export namespace TcpOpt {
  export const EOL: u8 = 0;
  export const NOP: u8 = 1;
  export const MSS: u8 = 2;
  export const WSCALE: u8 = 3;
  export const SACK_PERM: u8 = 4;
  export const SACK: u8 = 5;
  export const TIMESTAMP: u8 = 8;

  export const MSS_LEN: u32 = 4;
  export const WSCALE_LEN: u32 = 3;
  export const SACK_PERM_LEN: u32 = 2;
  export const SACK_BASE_LEN: u32 = 2;
  export const SACK_BLOCK_LEN: u32 = 8;
  export const TIMESTAMP_LEN: u32 = 10;

  /** Option bytes a header can hold: 60 - 20. */
  export const MAX_LEN: u32 = 40;
}

// The 4-byte words of the emitted layout; the value goes in the low bits.
const W_MSS: u32 = (<u32>TcpOpt.MSS << 24) | (TcpOpt.MSS_LEN << 16);
const W_SACK_PERM_TS: u32 = (<u32>TcpOpt.SACK_PERM << 24) | (TcpOpt.SACK_PERM_LEN << 16) |
  (<u32>TcpOpt.TIMESTAMP << 8) | TcpOpt.TIMESTAMP_LEN;
const W_NOP_NOP_TS: u32 = (<u32>TcpOpt.NOP << 24) | (<u32>TcpOpt.NOP << 16) |
  (<u32>TcpOpt.TIMESTAMP << 8) | TcpOpt.TIMESTAMP_LEN;
const W_NOP_NOP_SACK_PERM: u32 = (<u32>TcpOpt.NOP << 24) | (<u32>TcpOpt.NOP << 16) |
  (<u32>TcpOpt.SACK_PERM << 8) | TcpOpt.SACK_PERM_LEN;
const W_NOP_WSCALE: u32 = (<u32>TcpOpt.NOP << 24) | (<u32>TcpOpt.WSCALE << 16) | (TcpOpt.WSCALE_LEN << 8);
const W_NOP_NOP_SACK: u32 = (<u32>TcpOpt.NOP << 24) | (<u32>TcpOpt.NOP << 16) | (<u32>TcpOpt.SACK << 8);

/**
 * Read `len` option bytes at `p` into `r` (cleared by the caller). Each pass
 * consumes at least one byte of a header of at most 40 option bytes, so the
 * loop is bounded by `len`; the pass counter states the bound outright.
 */
export function tcpOptionsParse(p: usize, len: u32, r: TcpRepr): u32 {
  // Linux's (and most stacks') layout once established: NOP NOP TS, nothing else
  if (len == 12 && loadBe32(p) == W_NOP_NOP_TS) {
    r.hasTimestamp = true;
    r.tsVal = loadBe32(p + 4);
    r.tsEcr = loadBe32(p + 8);
    return Reason.OK;
  }
  let i: u32 = 0;
  for (let pass: u32 = 0; pass < TcpOpt.MAX_LEN && i < len; pass++) {
    let kind = load<u8>(p + i);
    if (kind == TcpOpt.EOL) break;
    if (kind == TcpOpt.NOP) { i++; continue; }
    if (i + 1 >= len) return Reason.BAD_OPTION_LEN; // no room for the length byte
    let olen = <u32>load<u8>(p + i + 1);
    // A length under 2 would not step past the option itself.
    if (olen < 2 || i + olen > len) return Reason.BAD_OPTION_LEN;
    let q = p + i + 2; // option data
    if (kind == TcpOpt.MSS) {
      if (olen == TcpOpt.MSS_LEN) r.mss = loadBe16(q);
    } else if (kind == TcpOpt.WSCALE) {
      if (olen == TcpOpt.WSCALE_LEN) {
        let s = load<u8>(q);
        r.wscale = s > Tcp.MAX_WSCALE ? Tcp.MAX_WSCALE : s;
      }
    } else if (kind == TcpOpt.SACK_PERM) {
      if (olen == TcpOpt.SACK_PERM_LEN) r.sackPermitted = true;
    } else if (kind == TcpOpt.SACK) {
      let body = olen - TcpOpt.SACK_BASE_LEN;
      // 1..4 whole blocks; 40 option bytes cannot hold a fifth.
      if (body && body % TcpOpt.SACK_BLOCK_LEN == 0) {
        let n = body / TcpOpt.SACK_BLOCK_LEN;
        if (n > Tcp.MAX_SACK_BLOCKS) n = Tcp.MAX_SACK_BLOCKS; // only if len > 40: keep r's bounds
        for (let b: u32 = 0; b < n; b++) {
          tcpSetSack(r, b, loadBe32(q + b * 8), loadBe32(q + b * 8 + 4));
        }
        r.sackCount = <u8>n;
      }
    } else if (kind == TcpOpt.TIMESTAMP) {
      if (olen == TcpOpt.TIMESTAMP_LEN) {
        r.hasTimestamp = true;
        r.tsVal = loadBe32(q);
        r.tsEcr = loadBe32(q + 4);
      }
    }
    i += olen;
  }
  return Reason.OK;
}

// Option bytes before the SACK blocks.
function lenBeforeSack(r: TcpRepr): u32 {
  let n: u32 = 0;
  if (r.mss) n += 4;
  if (r.hasTimestamp) n += 12; // SACK-perm, if any, rides in its padding
  else if (r.sackPermitted) n += 4;
  if (r.wscale != Tcp.NO_WSCALE) n += 4;
  return n;
}

/** How many of r's SACK blocks fit in the option space the other options leave. */
export function tcpSackRoom(r: TcpRepr): u32 {
  let room = TcpOpt.MAX_LEN - lenBeforeSack(r);
  let fit: u32 = room < 4 ? 0 : (room - 4) / TcpOpt.SACK_BLOCK_LEN;
  let n = <u32>r.sackCount;
  return n < fit ? n : fit;
}

/** Option bytes tcpOptionsEmit writes (a multiple of 4). */
export function tcpOptionsLen(r: TcpRepr): u32 {
  let k = tcpSackRoom(r);
  return lenBeforeSack(r) + (k ? 4 + k * TcpOpt.SACK_BLOCK_LEN : 0);
}

/** Write r's options at `p` in Linux's layout; returns the bytes written. */
export function tcpOptionsEmit(r: TcpRepr, p: usize): u32 {
  let q = p;
  if (r.mss) { storeBe32(q, W_MSS | r.mss); q += 4; }
  if (r.hasTimestamp) {
    storeBe32(q, r.sackPermitted ? W_SACK_PERM_TS : W_NOP_NOP_TS);
    storeBe32(q + 4, r.tsVal);
    storeBe32(q + 8, r.tsEcr);
    q += 12;
  } else if (r.sackPermitted) {
    storeBe32(q, W_NOP_NOP_SACK_PERM);
    q += 4;
  }
  if (r.wscale != Tcp.NO_WSCALE) { storeBe32(q, W_NOP_WSCALE | r.wscale); q += 4; }
  let k = tcpSackRoom(r);
  if (k) {
    storeBe32(q, W_NOP_NOP_SACK | (TcpOpt.SACK_BASE_LEN + k * TcpOpt.SACK_BLOCK_LEN));
    q += 4;
    for (let b: u32 = 0; b < k; b++) {
      storeBe32(q, tcpSackLeft(r, b));
      storeBe32(q + 4, tcpSackRight(r, b));
      q += 8;
    }
  }
  return <u32>(q - p);
}
