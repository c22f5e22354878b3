// ARP for our one IPv4 address (RFC 826): answer requests for it, learn
// from packets addressed to us, resolve next hops for the TCP layer, and
// announce ourselves (gratuitous request) when asked. Frames held for an
// unresolved next hop leave here too (arpFlush).

import { Arp, ArpRepr, arpCheck, arpEmit, arpParse } from "../wire/arp";
import { Eth, macIsMulticast } from "../wire/ethernet";
import { Reason } from "../wire/reasons";
import { IfCtr, ifCtrAdd } from "./counters";
import { count, ethHeader, heldAt, Iface, NEIGH_MAX, neighAt, NeighState, txDone, txNext } from "./iface";
import { ARP_RETRY_MS, HOLD_MS, neighLearn } from "./neighbour";

const ARP_FRAME_LEN: u32 = Eth.HEADER_LEN + Arp.PACKET_LEN;

/** Emit an ARP packet (op, target MAC/IP) to the Ethernet address dst. False when no tx buffer. */
function arpSend(ifc: Iface, dst: u64, op: u16, tha: u64, tpa: u32): bool {
  let p = txNext(ifc, ARP_FRAME_LEN);
  if (p == 0) return false;
  ethHeader(ifc, p, dst, Eth.TYPE_ARP);
  let r = changetype<ArpRepr>(ifc.arpRepr);
  r.op = op;
  r.sha = ifc.mac;
  r.spa = ifc.ip;
  r.tha = tha;
  r.tpa = tpa;
  arpEmit(r, p + Eth.HEADER_LEN);
  txDone(ifc, ARP_FRAME_LEN);
  return true;
}

/** Who has ip? (broadcast) */
export function arpRequest(ifc: Iface, ip: u32): bool {
  if (!arpSend(ifc, Eth.BROADCAST, Arp.OP_REQUEST, 0, ip)) return false;
  count(ifc, IfCtr.ARP_REQUESTS_OUT);
  return true;
}

/** A gratuitous request: sender and target are our address (RFC 5227 §3). */
export function arpAnnounce(ifc: Iface): bool {
  if (!arpSend(ifc, Eth.BROADCAST, Arp.OP_REQUEST, 0, ifc.ip)) return false;
  count(ifc, IfCtr.ARP_ANNOUNCES_OUT);
  return true;
}

/** An ARP packet (the Ethernet payload, len bytes at p). */
export function arpInput(ifc: Iface, p: usize, len: u32): void {
  let why = arpCheck(p, len);
  let r = changetype<ArpRepr>(ifc.arpRepr);
  if (why == Reason.OK) why = arpParse(p, len, r);
  if (why != Reason.OK) { ifCtrAdd(ifc.counters, IfCtr.WIRE_BASE + why, 1); return; }
  let forUs = r.tpa == ifc.ip;
  let op = r.op;
  let sha = r.sha, spa = r.spa;
  // RFC 826: update a known sender; add it when the packet is for us. Not from
  // probes (sender 0.0.0.0), group addresses, or someone claiming our address.
  if (spa != 0 && spa != ifc.ip && !macIsMulticast(sha)) neighLearn(ifc, spa, sha, ifc.now, forUs);
  if (!forUs) { count(ifc, IfCtr.ARP_NOT_FOR_US); return; }
  if (op == Arp.OP_REQUEST) {
    count(ifc, IfCtr.ARP_REQUESTS_IN);
    if (arpSend(ifc, sha, Arp.OP_REPLY, sha, spa)) count(ifc, IfCtr.ARP_REPLIES_OUT);
  } else {
    count(ifc, IfCtr.ARP_REPLIES_IN);
  }
}

/**
 * Owed work, in the order it was owed: the gratuitous announcement, frames
 * held for next hops now resolved, ARP requests (again every ARP_RETRY_MS)
 * for those still unresolved; held frames older than HOLD_MS are dropped.
 * What finds no tx buffer stays owed.
 */
export function arpFlush(ifc: Iface): void {
  let now = ifc.now;
  if (ifc.announce && arpAnnounce(ifc)) ifc.announce = 0;
  ifc.owed = 0;
  for (let i: u32 = 0; i < NEIGH_MAX; i++) {
    let e = neighAt(ifc, i);
    if (e.heldLen == 0) continue;
    if (now >= e.heldAt + HOLD_MS) { e.heldLen = 0; count(ifc, IfCtr.ARP_QUEUE_EXPIRED); continue; }
    if (e.state == NeighState.VALID && now < e.expiresAt) {
      let p = txNext(ifc, e.heldLen);
      if (p == 0) { ifc.owed = 1; continue; }
      let src = heldAt(ifc, i);
      memory.copy(p, src, e.heldLen);
      ethHeader(ifc, p, e.mac, Eth.TYPE_IPV4);
      txDone(ifc, e.heldLen);
      e.heldLen = 0;
      count(ifc, IfCtr.ARP_QUEUE_SENT);
      continue;
    }
    if (e.requestAt == 0 || now >= e.requestAt + ARP_RETRY_MS) {
      if (arpRequest(ifc, e.ip)) { e.state = NeighState.PENDING; e.requestAt = max<u64>(now, 1); }
      else ifc.owed = 1;
    }
  }
}
