// TCP header (RFC 9293) and its representation with parsed options
// (tcp-options.ts). Segment lengths come from the IPv4 total length, which
// ipv4Check has held against the frame, so a data offset beyond the segment
// is a malformed header (BAD_HEADER_LEN), not a truncated frame.
//
// The checksum needs the IPv4 pseudo-header: callers pass its sum,
// pseudoSumIpv4(src, dst, Ipv4.PROTO_TCP, len), to the check and the fill.

import { loadBe16, loadBe32, storeBe16, storeBe32 } from "./bytes";
import { csumFinish, csumPartial, csumVerify } from "./checksum";
import { Reason } from "./reasons";
import { tcpOptionsEmit, tcpOptionsLen, tcpOptionsParse } from "./tcp-options";
import { zeroBytes } from "../../shared/bytes";

export namespace Tcp {
  export const SRC_PORT: usize = 0;
  export const DST_PORT: usize = 2;
  export const SEQ: usize = 4;
  export const ACK: usize = 8;
  export const OFFSET_FLAGS: usize = 12; // data offset (4 bits), reserved (3), NS, then CWR..FIN
  export const WINDOW: usize = 14;
  export const CHECKSUM: usize = 16;
  export const URGENT: usize = 18;
  export const OPTIONS: usize = 20;
  export const HEADER_LEN: u32 = 20;
  export const MAX_HEADER_LEN: u32 = 60;

  /** TcpRepr.wscale when the segment has no window-scale option. */
  export const NO_WSCALE: u8 = 0xFF;
  /** RFC 7323 §2.3: larger shift counts are used as 14. */
  export const MAX_WSCALE: u8 = 14;
  /** SACK blocks a repr holds: the most 40 option bytes carry (2 + 4 * 8 = 34; a fifth needs 42). */
  export const MAX_SACK_BLOCKS: u32 = 4;
}

/** The nine flag bits as tcpFlags and TcpRepr.flags hold them. */
export namespace TcpFlag {
  export const FIN: u16 = 0x001;
  export const SYN: u16 = 0x002;
  export const RST: u16 = 0x004;
  export const PSH: u16 = 0x008;
  export const ACK: u16 = 0x010;
  export const URG: u16 = 0x020;
  export const ECE: u16 = 0x040;
  export const CWR: u16 = 0x080;
  export const NS: u16 = 0x100; // RFC 3540, historic; kept so no bit is lost
  export const MASK: u16 = 0x1FF;
}

// ---- view -------------------------------------------------------------------
@inline export function tcpSrcPort(p: usize): u16 { return loadBe16(p + Tcp.SRC_PORT); }
@inline export function tcpDstPort(p: usize): u16 { return loadBe16(p + Tcp.DST_PORT); }
@inline export function tcpSeq(p: usize): u32 { return loadBe32(p + Tcp.SEQ); }
@inline export function tcpAck(p: usize): u32 { return loadBe32(p + Tcp.ACK); }
/** Header length in bytes (data offset * 4). */
@inline export function tcpHeaderLen(p: usize): u32 { return (<u32>load<u8>(p + Tcp.OFFSET_FLAGS) >> 4) << 2; }
/** The nine flag bits (TcpFlag). */
@inline export function tcpFlags(p: usize): u16 { return loadBe16(p + Tcp.OFFSET_FLAGS) & TcpFlag.MASK; }
@inline export function tcpWindow(p: usize): u16 { return loadBe16(p + Tcp.WINDOW); }
@inline export function tcpChecksum(p: usize): u16 { return loadBe16(p + Tcp.CHECKSUM); }
@inline export function tcpUrgent(p: usize): u16 { return loadBe16(p + Tcp.URGENT); }

@inline export function tcpSetSeq(p: usize, v: u32): void { storeBe32(p + Tcp.SEQ, v); }
@inline export function tcpSetAck(p: usize, v: u32): void { storeBe32(p + Tcp.ACK, v); }
@inline export function tcpSetWindow(p: usize, v: u16): void { storeBe16(p + Tcp.WINDOW, v); }

/** Checksum over header and payload, `len` bytes in all, on top of the pseudo-header sum. */
@inline export function tcpFillChecksum(p: usize, len: u32, pseudo: u32): void {
  storeBe16(p + Tcp.CHECKSUM, 0);
  storeBe16(p + Tcp.CHECKSUM, csumFinish(csumPartial(p, len, pseudo)));
}

/** Untrusted segment of `len` bytes (the IPv4 payload): OK, TRUNCATED, BAD_HEADER_LEN or BAD_CHECKSUM. */
export function tcpCheck(p: usize, len: u32, pseudo: u32): u32 {
  if (len < Tcp.HEADER_LEN) return Reason.TRUNCATED;
  let hlen = tcpHeaderLen(p);
  if (hlen < Tcp.HEADER_LEN || hlen > len) return Reason.BAD_HEADER_LEN;
  if (!csumVerify(p, len, pseudo)) return Reason.BAD_CHECKSUM;
  return Reason.OK;
}

// ---- representation ---------------------------------------------------------
/**
 * Lives in caller memory: `changetype<TcpRepr>(ptr)`, never `new`.
 * Absent options read as: mss 0, wscale Tcp.NO_WSCALE, sackPermitted and
 * hasTimestamp false, sackCount 0.
 */
@unmanaged export class TcpRepr {
  seq: u32;
  ack: u32;
  tsVal: u32;
  tsEcr: u32;
  // SACK blocks [left, right) in order; reach them by index with tcpSack*.
  sack0Left: u32; sack0Right: u32;
  sack1Left: u32; sack1Right: u32;
  sack2Left: u32; sack2Right: u32;
  sack3Left: u32; sack3Right: u32;
  srcPort: u16;
  dstPort: u16;
  flags: u16;   // TcpFlag bits
  window: u16;  // as on the wire, not scaled
  urgent: u16;
  mss: u16;
  headerLen: u8; // set by parse; emit computes its own (tcpLen)
  wscale: u8;
  sackCount: u8;
  sackPermitted: bool;
  hasTimestamp: bool;
}
export const TCP_REPR_SIZE: u32 = offsetof<TcpRepr>();
const SACK_BASE: usize = offsetof<TcpRepr>("sack0Left");

@inline export function tcpSackLeft(r: TcpRepr, i: u32): u32 {
  return load<u32>(changetype<usize>(r) + SACK_BASE + (<usize>i << 3));
}
@inline export function tcpSackRight(r: TcpRepr, i: u32): u32 {
  return load<u32>(changetype<usize>(r) + SACK_BASE + (<usize>i << 3), 4);
}
@inline export function tcpSetSack(r: TcpRepr, i: u32, left: u32, right: u32): void {
  let q = changetype<usize>(r) + SACK_BASE + (<usize>i << 3);
  store<u32>(q, left);
  store<u32>(q, right, 4);
}

/** Set `r` to no options (what a bare 20-byte header parses to). */
export function tcpReprClear(r: TcpRepr): void {
  zeroBytes(changetype<usize>(r), TCP_REPR_SIZE); // padding too: reprs compare as bytes
  r.wscale = Tcp.NO_WSCALE;
}

/**
 * Fill `r` from a checked segment. Unknown options are skipped; known ones
 * with a wrong length are ignored, as Linux does. Refuses (BAD_OPTION_LEN)
 * options that cannot be stepped over safely.
 */
export function tcpParse(p: usize, len: u32, r: TcpRepr): u32 {
  tcpReprClear(r);
  r.srcPort = tcpSrcPort(p);
  r.dstPort = tcpDstPort(p);
  r.seq = tcpSeq(p);
  r.ack = tcpAck(p);
  r.flags = tcpFlags(p);
  r.window = tcpWindow(p);
  r.urgent = tcpUrgent(p);
  let hlen = tcpHeaderLen(p);
  r.headerLen = <u8>hlen;
  return tcpOptionsParse(p + Tcp.OPTIONS, hlen - Tcp.HEADER_LEN, r);
}

/** Header bytes tcpEmit writes: 20 plus the options, a multiple of 4. */
@inline export function tcpLen(r: TcpRepr): u32 {
  return Tcp.HEADER_LEN + tcpOptionsLen(r);
}

/**
 * Write the header with its options and a zero checksum; returns its length.
 * Put the payload after it, then call tcpFillChecksum. SACK blocks that do
 * not fit beside the other options are left out (see tcpSackRoom).
 */
export function tcpEmit(r: TcpRepr, p: usize): u32 {
  storeBe16(p + Tcp.SRC_PORT, r.srcPort);
  storeBe16(p + Tcp.DST_PORT, r.dstPort);
  tcpSetSeq(p, r.seq);
  tcpSetAck(p, r.ack);
  let hlen = Tcp.HEADER_LEN + tcpOptionsEmit(r, p + Tcp.OPTIONS);
  storeBe16(p + Tcp.OFFSET_FLAGS, <u16>(hlen << 10) | (r.flags & TcpFlag.MASK));
  tcpSetWindow(p, r.window);
  storeBe16(p + Tcp.CHECKSUM, 0);
  storeBe16(p + Tcp.URGENT, r.urgent);
  return hlen;
}
