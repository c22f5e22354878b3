// The per-core interface: one region in caller memory holding a header
// (addresses, the burst being served, the segment under construction), the
// counters, the neighbour cache and one held frame per neighbour. Nothing
// is allocated; every part is found from the header by offset.
//
//   [Iface header][counters: u64 x IfCtr.COUNT][3 reprs][Neigh x NEIGH_MAX][held frames: FRAME_CAP x NEIGH_MAX]

import { ethSetDst, ethSetSrc, ethSetType } from "../wire/ethernet";
import { IfCtr, ifCtrAdd } from "./counters";

/** Bytes of a frame buffer (docs/net-device.md: FRAME_CAP); a held frame is at most this. */
export const FRAME_CAP: u32 = 2048;
/** Frames per burst, and entries of each descriptor array (docs/net-device.md: BURST_MAX). */
export const BURST_MAX: u32 = 64;
/** Bytes of a descriptor: [addr u32, len u32], little-endian. */
export const DESC_SIZE: u32 = 8;
/** Ethernet + IPv4 headers in front of a TCP segment. */
export const L2L3_LEN: u32 = 34;
/** No neighbour: the segment under construction goes to a tx buffer. */
export const NONE: u32 = 0xFFFFFFFF;

/** Flags in Iface.devFlags (Ctl.NET_FLAGS). */
export namespace DevFlag {
  /** The device verified rx checksums: skip the IPv4 header sum. */
  export const RX_CSUM: u32 = 1;
  /** The device fills tx checksums (we fill them anyway: it is cheap and a capture stays valid). */
  export const TX_CSUM: u32 = 2;
}

@unmanaged export class Iface {
  mac: u64;
  ip: u32;
  mask: u32;          // from the prefix length
  gateway: u32;       // 0 = none
  mtu: u32;           // IP MTU
  devFlags: u32;
  ident: u32;         // next IPv4 identification
  tcp: usize;         // the TCP stack region (assembly/net/tcp)
  counters: usize;
  neigh: usize;       // Neigh x NEIGH_MAX
  held: usize;        // FRAME_CAP x NEIGH_MAX
  ipIn: usize;        // Ipv4Repr of the datagram being received
  ipOut: usize;       // Ipv4Repr of the datagram being built
  arpRepr: usize;     // ArpRepr, in and out
  // the burst being served (net_poll); txAvail 0 outside one
  now: u64;
  inPoll: u32;
  txDesc: usize;
  txAvail: u32;
  txCount: u32;
  // the segment under construction (link begin -> commit)
  curFrame: usize;
  curNeigh: u32;      // NONE: a tx buffer (descriptor txCount); else the neighbour whose held frame it is
  curDst: u32;
  // work for the next burst
  announce: u32;      // a gratuitous ARP is owed
  owed: u32;          // a held frame or an ARP request waits for a tx buffer
  heldMaybe: u32;     // 0: no neighbour holds a frame (set when one is held; neighNextAt clears it)
}

const HEADER_SIZE: usize = (offsetof<Iface>() + 63) & ~63;
const COUNTERS_SIZE: usize = (<usize>IfCtr.COUNT * 8 + 63) & ~63;
const REPR_SLOT: usize = 64; // an Ipv4Repr or ArpRepr, padded
const REPR_SIZE: usize = 3 * REPR_SLOT;

/**
 * Entries of the neighbour cache (linear scan: a core talks to few next
 * hops): up to NEIGH_INCOMPLETE_MAX (neighbour.ts) unresolved ones, the rest
 * for peers that resolved (48 at least).
 */
export const NEIGH_MAX: u32 = 64;

@unmanaged export class Neigh {
  ip: u32;
  state: u32;         // NeighState
  mac: u64;
  expiresAt: u64;     // VALID: until when the mapping holds
  requestAt: u64;     // last ARP request sent (0 = none yet)
  heldAt: u64;        // when the held frame was queued
  heldLen: u32;       // 0 = no frame held
  pad: u32;
}
export const NEIGH_SIZE: usize = 48;

export namespace NeighState {
  export const EMPTY: u32 = 0;
  export const PENDING: u32 = 1; // resolution asked
  export const VALID: u32 = 2;
}

@inline export function ifaceOf(p: usize): Iface { return changetype<Iface>(p); }
@inline export function neighAt(ifc: Iface, i: u32): Neigh { return changetype<Neigh>(ifc.neigh + <usize>i * NEIGH_SIZE); }
@inline export function heldAt(ifc: Iface, i: u32): usize { return ifc.held + <usize>i * FRAME_CAP; }
@inline export function count(ifc: Iface, i: u32): void { ifCtrAdd(ifc.counters, i, 1); }

/** Bytes the iface's region needs. */
export function ifaceRegionSize(): usize {
  return HEADER_SIZE + COUNTERS_SIZE + REPR_SIZE + <usize>NEIGH_MAX * NEIGH_SIZE + <usize>NEIGH_MAX * FRAME_CAP;
}

/** Lay the parts out and clear them (the held frames need no zeroing). */
export function ifaceLayout(ifc: Iface, base: usize): void {
  memory.fill(base, 0, HEADER_SIZE);
  let p = base + HEADER_SIZE;
  ifc.counters = p; p += COUNTERS_SIZE;
  ifc.ipIn = p;
  ifc.ipOut = p + REPR_SLOT;
  ifc.arpRepr = p + 2 * REPR_SLOT;
  p += REPR_SIZE;
  ifc.neigh = p; p += <usize>NEIGH_MAX * NEIGH_SIZE;
  ifc.held = p;
  memory.fill(ifc.counters, 0, ifc.held - ifc.counters);
  ifc.curNeigh = NONE;
}

// ---- tx buffers of the burst (docs/net-device.md: tx descriptors) -----------------

@inline function descAddr(ifc: Iface, i: u32): usize { return <usize>load<u32>(ifc.txDesc + <usize>i * DESC_SIZE); }
@inline function descLen(ifc: Iface, i: u32): u32 { return load<u32>(ifc.txDesc + <usize>i * DESC_SIZE, 4); }

/**
 * The next offered tx buffer if it holds `need` bytes, else 0 (counted).
 * It becomes a frame only with txDone.
 */
export function txNext(ifc: Iface, need: u32): usize {
  if (ifc.txCount >= ifc.txAvail) { count(ifc, IfCtr.TX_NO_BUFFER); return 0; }
  if (descLen(ifc, ifc.txCount) < need) { count(ifc, IfCtr.TX_TOO_BIG); return 0; }
  return descAddr(ifc, ifc.txCount);
}

/** The buffer txNext gave holds a frame of len bytes. */
export function txDone(ifc: Iface, len: u32): void {
  store<u32>(ifc.txDesc + <usize>ifc.txCount * DESC_SIZE, len, 4);
  ifc.txCount++;
  ifCtrAdd(ifc.counters, IfCtr.TX_FRAMES, 1);
  ifCtrAdd(ifc.counters, IfCtr.TX_BYTES, len);
}

/** Write an Ethernet header from us to dst. */
@inline export function ethHeader(ifc: Iface, p: usize, dst: u64, ethertype: u16): void {
  ethSetDst(p, dst);
  ethSetSrc(p, ifc.mac);
  ethSetType(p, ethertype);
}

/** Mask of a prefix length (0..32). */
@inline export function prefixMask(prefix: u32): u32 {
  return prefix == 0 ? 0 : prefix >= 32 ? 0xFFFFFFFF : ~((<u32>1 << (32 - prefix)) - 1);
}
