// ARP (RFC 826), for Ethernet hardware and IPv4 protocol addresses only.
// The check reads the generic 8-byte fixed part and the address lengths it
// declares; the parse refuses anything but Ethernet/IPv4 request or reply.

import { loadBe16, loadBe32, loadBe48, storeBe16, storeBe32, storeBe48 } from "./bytes";
import { Eth } from "./ethernet";
import { Reason } from "./reasons";

export namespace Arp {
  export const HTYPE: usize = 0;
  export const PTYPE: usize = 2;
  export const HLEN: usize = 4;
  export const PLEN: usize = 5;
  export const OPER: usize = 6;
  // Ethernet/IPv4 layout of the addresses.
  export const SHA: usize = 8;
  export const SPA: usize = 14;
  export const THA: usize = 18;
  export const TPA: usize = 24;
  export const FIXED_LEN: u32 = 8;
  export const PACKET_LEN: u32 = 28;

  export const HTYPE_ETHERNET: u16 = 1;
  export const OP_REQUEST: u16 = 1;
  export const OP_REPLY: u16 = 2;
}

// ---- view -------------------------------------------------------------------
@inline export function arpHtype(p: usize): u16 { return loadBe16(p + Arp.HTYPE); }
@inline export function arpPtype(p: usize): u16 { return loadBe16(p + Arp.PTYPE); }
@inline export function arpHlen(p: usize): u8 { return load<u8>(p + Arp.HLEN); }
@inline export function arpPlen(p: usize): u8 { return load<u8>(p + Arp.PLEN); }
@inline export function arpOp(p: usize): u16 { return loadBe16(p + Arp.OPER); }
@inline export function arpSha(p: usize): u64 { return loadBe48(p + Arp.SHA); }
@inline export function arpSpa(p: usize): u32 { return loadBe32(p + Arp.SPA); }
@inline export function arpTha(p: usize): u64 { return loadBe48(p + Arp.THA); }
@inline export function arpTpa(p: usize): u32 { return loadBe32(p + Arp.TPA); }

/** Untrusted packet of `len` bytes at `p`: Reason.OK or TRUNCATED. */
export function arpCheck(p: usize, len: u32): u32 {
  if (len < Arp.FIXED_LEN) return Reason.TRUNCATED;
  let need = Arp.FIXED_LEN + 2 * (<u32>arpHlen(p) + <u32>arpPlen(p));
  return len < need ? Reason.TRUNCATED : Reason.OK;
}

// ---- representation ---------------------------------------------------------
/** Lives in caller memory: `changetype<ArpRepr>(ptr)`, never `new`. */
@unmanaged export class ArpRepr {
  sha: u64; // sender hardware (MAC) address
  tha: u64; // target hardware address
  spa: u32; // sender IPv4 address
  tpa: u32; // target IPv4 address
  op: u16;  // Arp.OP_REQUEST or Arp.OP_REPLY
}
export const ARP_REPR_SIZE: u32 = offsetof<ArpRepr>();

/** Fill `r` from a checked packet; refuses all but Ethernet/IPv4 request/reply. */
export function arpParse(p: usize, len: u32, r: ArpRepr): u32 {
  if (arpHtype(p) != Arp.HTYPE_ETHERNET) return Reason.UNSUPPORTED_HTYPE;
  if (arpPtype(p) != Eth.TYPE_IPV4) return Reason.UNSUPPORTED_PTYPE;
  if (arpHlen(p) != 6 || arpPlen(p) != 4) return Reason.BAD_ADDR_LEN;
  let op = arpOp(p);
  if (op != Arp.OP_REQUEST && op != Arp.OP_REPLY) return Reason.UNSUPPORTED_OP;
  memory.fill(changetype<usize>(r), 0, ARP_REPR_SIZE); // padding too: reprs compare as bytes
  r.sha = arpSha(p);
  r.tha = arpTha(p);
  r.spa = arpSpa(p);
  r.tpa = arpTpa(p);
  r.op = op;
  return Reason.OK;
}

@inline export function arpLen(r: ArpRepr): u32 { return Arp.PACKET_LEN; }

/** Write the 28-byte Ethernet/IPv4 ARP packet. */
export function arpEmit(r: ArpRepr, p: usize): void {
  storeBe16(p + Arp.HTYPE, Arp.HTYPE_ETHERNET);
  storeBe16(p + Arp.PTYPE, Eth.TYPE_IPV4);
  store<u8>(p + Arp.HLEN, 6);
  store<u8>(p + Arp.PLEN, 4);
  storeBe16(p + Arp.OPER, r.op);
  storeBe48(p + Arp.SHA, r.sha);
  storeBe32(p + Arp.SPA, r.spa);
  storeBe48(p + Arp.THA, r.tha);
  storeBe32(p + Arp.TPA, r.tpa);
}
