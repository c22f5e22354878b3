// The interface layer's public surface (docs/netstack.md): Ethernet II,
// ARP with a neighbour cache, IPv4, ICMP echo, and the link under the TCP
// layer. One instance per core in a caller-given region; `ifc` is the
// region's address. Time is an argument: `now` is u64 milliseconds.
//
// A burst (ifacePoll): owed ARP work, then the received frames, then the
// TCP layer's timers and pending output, each emitting into the offered tx
// buffers in order; whatever finds no buffer is retried at the next burst.

import { tcpPoll, tcpPollAt, tcpSetLink } from "../tcp/index";
import { arpFlush } from "./arp";
import { ifCtrAt } from "./counters";
import { Eth } from "../wire/ethernet";
import { DESC_SIZE, FRAME_CAP, Iface, ifaceLayout, ifaceOf, ifaceRegionSize, prefixMask } from "./iface";
import { ethInput } from "./input";
import { neighNextAt } from "./neighbour";
import { linkBegin, linkCommit } from "./output";

export { IfCtr, ifCounterName } from "./counters";
export { BURST_MAX, DESC_SIZE, DevFlag, FRAME_CAP, NEIGH_MAX } from "./iface";
export { nextHop } from "./output";

export function ifaceSize(): usize { return ifaceRegionSize(); }

/**
 * Set up an interface in [base, base + ifaceSize()) above the TCP stack at
 * `tcp` (already initialised): our MAC (low 48 bits), IPv4 address and
 * prefix, gateway (0 = none), IP MTU (576..2034: a frame fits FRAME_CAP), device flags (DevFlag). Becomes the
 * TCP layer's link. Returns 0, or -1 for an invalid address or MTU.
 */
export function ifaceInit(base: usize, tcp: usize, mac: u64, ip: u32, prefix: u32, gateway: u32, mtu: u32, devFlags: u32): i32 {
  if (ip == 0 || prefix > 32 || mtu < 576 || mtu > FRAME_CAP - Eth.HEADER_LEN || mac == 0 || mac > 0xFFFFFFFFFFFF) return -1;
  let ifc = ifaceOf(base);
  ifaceLayout(ifc, base);
  ifc.mac = mac;
  ifc.ip = ip;
  ifc.mask = prefixMask(prefix);
  ifc.gateway = gateway;
  ifc.mtu = mtu;
  ifc.devFlags = devFlags;
  ifc.tcp = tcp;
  tcpSetLink(tcp, base, linkBegin, linkCommit);
  return 0;
}

/** ARP work owed now: an announcement, held frames to send, requests to repeat. */
function flushDue(ifc: Iface): void {
  let due = neighNextAt(ifc);
  if (ifc.announce || ifc.owed || (due != 0 && due <= ifc.now)) arpFlush(ifc);
}

/**
 * One burst: rxCount frames described at rxDesc ([addr u32, len u32] each),
 * txAvail empty buffers offered at txDesc. Returns how many tx descriptors
 * now describe frames to send (their len rewritten).
 */
export function ifacePoll(base: usize, rxDesc: usize, rxCount: u32, txDesc: usize, txAvail: u32, now: u64): u32 {
  let ifc = ifaceOf(base);
  ifc.now = now;
  ifc.inPoll = 1;
  ifc.txDesc = txDesc;
  ifc.txAvail = txAvail;
  ifc.txCount = 0;
  flushDue(ifc);
  for (let i: u32 = 0; i < rxCount; i++) {
    let d = rxDesc + <usize>i * DESC_SIZE;
    ethInput(ifc, <usize>load<u32>(d), load<u32>(d, 4));
  }
  if (ifc.owed) arpFlush(ifc);
  tcpPoll(ifc.tcp, now);
  if (ifc.owed) arpFlush(ifc);
  ifc.inPoll = 0;
  ifc.txAvail = 0;
  return ifc.txCount;
}

/**
 * The time before a burst's own (ifacePoll sets it too): what the app does
 * in its tick ahead of the burst (a connect, a send) is stamped with now,
 * not with the previous burst's time (0 before the first, which made a
 * first SYN held for ARP look expired).
 */
export function ifaceSetNow(base: usize, now: u64): void { ifaceOf(base).now = now; }

/** When the next burst is needed with no input: 0 = nothing armed; a time <= now = at once. */
export function ifacePollAt(base: usize): u64 {
  let ifc = ifaceOf(base);
  if (ifc.announce || ifc.owed) return 1;
  let t = tcpPollAt(ifc.tcp);
  let n = neighNextAt(ifc);
  if (n && (t == 0 || n < t)) t = n;
  return t;
}

/** Send a gratuitous ARP at the next burst. */
export function ifaceAnnounce(base: usize): void { ifaceOf(base).announce = 1; }

export function ifaceCounter(base: usize, i: u32): u64 { return ifCtrAt(ifaceOf(base).counters, i); }
