// Ethernet II header: destination MAC, source MAC, EtherType. No 802.1Q tag
// (a tagged frame shows EtherType 0x8100 and the stack drops it as unknown).
// MAC addresses are u64 values holding the 48 bits (see bytes.ts).

import { loadBe16, loadBe48, storeBe16, storeBe48 } from "./bytes";
import { Reason } from "./reasons";

export namespace Eth {
  export const DST: usize = 0;
  export const SRC: usize = 6;
  export const ETHERTYPE: usize = 12;
  export const HEADER_LEN: u32 = 14;

  export const TYPE_IPV4: u16 = 0x0800;
  export const TYPE_ARP: u16 = 0x0806;
  export const TYPE_VLAN: u16 = 0x8100;
  export const TYPE_IPV6: u16 = 0x86DD;

  export const BROADCAST: u64 = 0xFFFFFFFFFFFF;
}

// ---- view -------------------------------------------------------------------
@inline export function ethDst(p: usize): u64 { return loadBe48(p + Eth.DST); }
@inline export function ethSrc(p: usize): u64 { return loadBe48(p + Eth.SRC); }
@inline export function ethType(p: usize): u16 { return loadBe16(p + Eth.ETHERTYPE); }
@inline export function ethSetDst(p: usize, mac: u64): void { storeBe48(p + Eth.DST, mac); }
@inline export function ethSetSrc(p: usize, mac: u64): void { storeBe48(p + Eth.SRC, mac); }
@inline export function ethSetType(p: usize, t: u16): void { storeBe16(p + Eth.ETHERTYPE, t); }

/** Group bit (I/G, the first byte's low bit): broadcast and multicast. */
@inline export function macIsMulticast(mac: u64): bool { return ((mac >> 40) & 1) != 0; }

/** Untrusted frame of `len` bytes at `p`: Reason.OK or TRUNCATED. */
@inline export function ethCheck(p: usize, len: u32): u32 {
  return len < Eth.HEADER_LEN ? Reason.TRUNCATED : Reason.OK;
}

// ---- representation ---------------------------------------------------------
/** Lives in caller memory: `changetype<EthRepr>(ptr)`, never `new`. */
@unmanaged export class EthRepr {
  dst: u64;
  src: u64;
  ethertype: u16;
}
export const ETH_REPR_SIZE: u32 = offsetof<EthRepr>();

/** Fill `r` from a checked header. Always Reason.OK: any EtherType parses. */
export function ethParse(p: usize, len: u32, r: EthRepr): u32 {
  memory.fill(changetype<usize>(r), 0, ETH_REPR_SIZE); // padding too: reprs compare as bytes
  r.dst = ethDst(p);
  r.src = ethSrc(p);
  r.ethertype = ethType(p);
  return Reason.OK;
}

@inline export function ethLen(r: EthRepr): u32 { return Eth.HEADER_LEN; }

/** Write the 14-byte header; the payload follows at p + Eth.HEADER_LEN. */
export function ethEmit(r: EthRepr, p: usize): void {
  ethSetDst(p, r.dst);
  ethSetSrc(p, r.src);
  ethSetType(p, r.ethertype);
}
