// ICMP for IPv4 (RFC 792), echo request and reply only. ICMPv4's checksum
// covers the ICMP message alone: there is no pseudo-header (unlike TCP).

import { loadBe16, storeBe16 } from "./bytes";
import { checksum, csumUpdate16, csumVerify } from "./checksum";
import { Reason } from "./reasons";

export namespace Icmp {
  export const TYPE: usize = 0;
  export const CODE: usize = 1;
  export const CHECKSUM: usize = 2;
  export const IDENT: usize = 4; // echo only
  export const SEQ: usize = 6;   // echo only
  export const HEADER_LEN: u32 = 8;

  export const ECHO_REPLY: u8 = 0;
  export const ECHO_REQUEST: u8 = 8;
}

// ---- view -------------------------------------------------------------------
@inline export function icmpType(p: usize): u8 { return load<u8>(p + Icmp.TYPE); }
@inline export function icmpCode(p: usize): u8 { return load<u8>(p + Icmp.CODE); }
@inline export function icmpChecksum(p: usize): u16 { return loadBe16(p + Icmp.CHECKSUM); }
@inline export function icmpIdent(p: usize): u16 { return loadBe16(p + Icmp.IDENT); }
@inline export function icmpSeq(p: usize): u16 { return loadBe16(p + Icmp.SEQ); }

/**
 * Turn an echo request into its reply in place: the type byte changes and
 * the checksum is updated (RFC 1624) without reading the data again.
 */
export function icmpEchoToReply(p: usize): void {
  let oldWord = loadBe16(p + Icmp.TYPE);
  store<u8>(p + Icmp.TYPE, Icmp.ECHO_REPLY);
  let newWord = loadBe16(p + Icmp.TYPE);
  storeBe16(p + Icmp.CHECKSUM, csumUpdate16(icmpChecksum(p), oldWord, newWord));
}

/** Untrusted message of `len` bytes (the IPv4 payload): OK, TRUNCATED or BAD_CHECKSUM. */
export function icmpCheck(p: usize, len: u32): u32 {
  if (len < Icmp.HEADER_LEN) return Reason.TRUNCATED;
  if (!csumVerify(p, len, 0)) return Reason.BAD_CHECKSUM;
  return Reason.OK;
}

// ---- representation ---------------------------------------------------------
/** Lives in caller memory: `changetype<IcmpRepr>(ptr)`, never `new`. */
@unmanaged export class IcmpRepr {
  dataLen: u32; // echo data bytes after the 8-byte header
  ident: u16;
  seq: u16;
  type: u8;     // Icmp.ECHO_REQUEST or Icmp.ECHO_REPLY
  code: u8;
}
export const ICMP_REPR_SIZE: u32 = offsetof<IcmpRepr>();

/** Fill `r` from a checked message; refuses all but echo request/reply. */
export function icmpParse(p: usize, len: u32, r: IcmpRepr): u32 {
  let t = icmpType(p);
  if (t != Icmp.ECHO_REQUEST && t != Icmp.ECHO_REPLY) return Reason.UNSUPPORTED_ICMP;
  memory.fill(changetype<usize>(r), 0, ICMP_REPR_SIZE); // padding too: reprs compare as bytes
  r.dataLen = len - Icmp.HEADER_LEN;
  r.ident = icmpIdent(p);
  r.seq = icmpSeq(p);
  r.type = t;
  r.code = icmpCode(p);
  return Reason.OK;
}

@inline export function icmpLen(r: IcmpRepr): u32 { return Icmp.HEADER_LEN; }

/**
 * Write the 8-byte header and the checksum over it and the r.dataLen bytes
 * of data, which the caller has already placed at p + Icmp.HEADER_LEN.
 */
export function icmpEmit(r: IcmpRepr, p: usize): void {
  store<u8>(p + Icmp.TYPE, r.type);
  store<u8>(p + Icmp.CODE, r.code);
  storeBe16(p + Icmp.CHECKSUM, 0);
  storeBe16(p + Icmp.IDENT, r.ident);
  storeBe16(p + Icmp.SEQ, r.seq);
  storeBe16(p + Icmp.CHECKSUM, checksum(p, Icmp.HEADER_LEN + r.dataLen));
}
