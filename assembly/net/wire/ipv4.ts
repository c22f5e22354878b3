// IPv4 header (RFC 791). Addresses are u32 in numeric order: 10.0.0.2 is
// 0x0A000002. The check covers what must hold to read the header safely
// (lengths, version, checksum); the parse refuses what the stack does not
// support: options and fragments.

import { loadBe16, loadBe32, storeBe16, storeBe32 } from "./bytes";
import { csumFinish, csumPartial, csumPartial20 } from "./checksum";
import { Reason } from "./reasons";
import { zeroBytes } from "../../shared/bytes";

export namespace Ipv4 {
  export const VER_IHL: usize = 0;
  export const TOS: usize = 1; // DSCP and ECN
  export const TOTAL_LEN: usize = 2;
  export const IDENT: usize = 4;
  export const FLAGS_FRAG: usize = 6;
  export const TTL: usize = 8;
  export const PROTOCOL: usize = 9;
  export const CHECKSUM: usize = 10;
  export const SRC: usize = 12;
  export const DST: usize = 16;
  export const HEADER_LEN: u32 = 20;

  export const FLAG_DF: u16 = 0x4000;
  export const FLAG_MF: u16 = 0x2000;
  export const FRAG_OFFSET: u16 = 0x1FFF;

  export const PROTO_ICMP: u8 = 1;
  export const PROTO_TCP: u8 = 6;
  export const PROTO_UDP: u8 = 17;
}

// ---- view -------------------------------------------------------------------
@inline export function ipv4Version(p: usize): u8 { return load<u8>(p + Ipv4.VER_IHL) >> 4; }
/** Header length in bytes (IHL * 4). */
@inline export function ipv4HeaderLen(p: usize): u32 { return (<u32>load<u8>(p + Ipv4.VER_IHL) & 0xF) << 2; }
@inline export function ipv4Tos(p: usize): u8 { return load<u8>(p + Ipv4.TOS); }
@inline export function ipv4TotalLen(p: usize): u16 { return loadBe16(p + Ipv4.TOTAL_LEN); }
@inline export function ipv4Ident(p: usize): u16 { return loadBe16(p + Ipv4.IDENT); }
/** Flags (Ipv4.FLAG_*) and fragment offset, as one word. */
@inline export function ipv4FlagsFrag(p: usize): u16 { return loadBe16(p + Ipv4.FLAGS_FRAG); }
@inline export function ipv4Ttl(p: usize): u8 { return load<u8>(p + Ipv4.TTL); }
@inline export function ipv4Protocol(p: usize): u8 { return load<u8>(p + Ipv4.PROTOCOL); }
@inline export function ipv4Checksum(p: usize): u16 { return loadBe16(p + Ipv4.CHECKSUM); }
@inline export function ipv4Src(p: usize): u32 { return loadBe32(p + Ipv4.SRC); }
@inline export function ipv4Dst(p: usize): u32 { return loadBe32(p + Ipv4.DST); }

@inline export function ipv4SetTotalLen(p: usize, v: u16): void { storeBe16(p + Ipv4.TOTAL_LEN, v); }
@inline export function ipv4SetTtl(p: usize, v: u8): void { store<u8>(p + Ipv4.TTL, v); }
@inline export function ipv4SetSrc(p: usize, a: u32): void { storeBe32(p + Ipv4.SRC, a); }
@inline export function ipv4SetDst(p: usize, a: u32): void { storeBe32(p + Ipv4.DST, a); }

// Sum of a header of `hlen` bytes; the usual 20 take the inline path.
@inline function headerSum(p: usize, hlen: u32): u32 {
  return hlen == Ipv4.HEADER_LEN ? csumPartial20(p) : csumPartial(p, hlen, 0);
}

/** Recompute the header checksum (after any field changed). */
@inline export function ipv4FillChecksum(p: usize): void {
  storeBe16(p + Ipv4.CHECKSUM, 0);
  storeBe16(p + Ipv4.CHECKSUM, csumFinish(headerSum(p, ipv4HeaderLen(p))));
}

/**
 * Untrusted datagram: `len` is the bytes after the Ethernet header, which may
 * exceed the total length (Ethernet pads frames to 60 bytes): the payload
 * ends at ipv4TotalLen, not at `len`.
 */
export function ipv4Check(p: usize, len: u32): u32 {
  if (len < Ipv4.HEADER_LEN) return Reason.TRUNCATED;
  if (ipv4Version(p) != 4) return Reason.BAD_VERSION;
  let hlen = ipv4HeaderLen(p);
  if (hlen < Ipv4.HEADER_LEN) return Reason.BAD_HEADER_LEN;
  let total = <u32>ipv4TotalLen(p);
  if (total < hlen) return Reason.BAD_TOTAL_LEN;
  if (len < total) return Reason.TRUNCATED;
  if (headerSum(p, hlen) != 0xFFFF) return Reason.BAD_CHECKSUM;
  return Reason.OK;
}

// ---- representation ---------------------------------------------------------
/** Lives in caller memory: `changetype<Ipv4Repr>(ptr)`, never `new`. */
@unmanaged export class Ipv4Repr {
  src: u32;
  dst: u32;
  payloadLen: u16; // total length - 20
  ident: u16;
  protocol: u8;
  ttl: u8;
  tos: u8;
  dontFrag: bool;
}
export const IPV4_REPR_SIZE: u32 = offsetof<Ipv4Repr>();

/** Fill `r` from a checked datagram; refuses options and fragments. */
export function ipv4Parse(p: usize, len: u32, r: Ipv4Repr): u32 {
  if (ipv4HeaderLen(p) != Ipv4.HEADER_LEN) return Reason.IP_OPTIONS;
  let ff = ipv4FlagsFrag(p);
  if (ff & (Ipv4.FLAG_MF | Ipv4.FRAG_OFFSET)) return Reason.FRAGMENT;
  zeroBytes(changetype<usize>(r), IPV4_REPR_SIZE); // padding too: reprs compare as bytes
  r.src = ipv4Src(p);
  r.dst = ipv4Dst(p);
  r.payloadLen = ipv4TotalLen(p) - <u16>Ipv4.HEADER_LEN;
  r.ident = ipv4Ident(p);
  r.protocol = ipv4Protocol(p);
  r.ttl = ipv4Ttl(p);
  r.tos = ipv4Tos(p);
  r.dontFrag = (ff & Ipv4.FLAG_DF) != 0;
  return Reason.OK;
}

@inline export function ipv4Len(r: Ipv4Repr): u32 { return Ipv4.HEADER_LEN; }

/** Write the 20-byte header with its checksum; the payload follows. */
export function ipv4Emit(r: Ipv4Repr, p: usize): void {
  store<u8>(p + Ipv4.VER_IHL, 0x45);
  store<u8>(p + Ipv4.TOS, r.tos);
  ipv4SetTotalLen(p, r.payloadLen + <u16>Ipv4.HEADER_LEN);
  storeBe16(p + Ipv4.IDENT, r.ident);
  storeBe16(p + Ipv4.FLAGS_FRAG, r.dontFrag ? Ipv4.FLAG_DF : 0);
  ipv4SetTtl(p, r.ttl);
  store<u8>(p + Ipv4.PROTOCOL, r.protocol);
  ipv4SetSrc(p, r.src);
  ipv4SetDst(p, r.dst);
  ipv4FillChecksum(p);
}
