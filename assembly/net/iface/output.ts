// The TCP layer's link (docs/net-tcp.md, tcpSetLink): begin() finds where a
// segment goes — the next offered tx buffer, behind an Ethernet and an IPv4
// header, when its next hop is resolved and a burst is being served; the
// next hop's held-frame slot otherwise (sent by arpFlush once it resolves,
// or at the next burst) — and commit() writes the IPv4 header around it.

import { Eth } from "../wire/ethernet";
import { Ipv4 } from "../wire/ipv4";
import { IfCtr } from "./counters";
import { count, ethHeader, heldAt, Iface, ifaceOf, L2L3_LEN, neighAt, NONE, txDone, txNext } from "./iface";
import { ipv4Out } from "./input";
import { neighResolved, neighSlot } from "./neighbour";

/** The next hop toward dst: dst itself on our subnet, else the gateway (0 = no route). */
export function nextHop(ifc: Iface, dst: u32): u32 {
  if ((dst & ifc.mask) == (ifc.ip & ifc.mask)) return dst;
  return ifc.gateway;
}

/** SegTxBeginFn: where to write a TCP segment of up to maxLen bytes from src to dst; 0 = not now. */
export function linkBegin(ctx: usize, src: u32, dst: u32, maxLen: u32): usize {
  let ifc = ifaceOf(ctx);
  if (Ipv4.HEADER_LEN + maxLen > ifc.mtu) { count(ifc, IfCtr.TX_TOO_BIG); return 0; }
  let hop = nextHop(ifc, dst);
  if (hop == 0) { count(ifc, IfCtr.DROP_NO_ROUTE); return 0; }
  ifc.curDst = dst;
  let k = neighResolved(ifc, hop, ifc.now);
  if (k != NONE && ifc.inPoll) {
    let p = txNext(ifc, L2L3_LEN + maxLen);
    if (p == 0) return 0; // TCP counts it and tries again at the next poll
    ethHeader(ifc, p, neighAt(ifc, k).mac, Eth.TYPE_IPV4);
    ifc.curFrame = p;
    ifc.curNeigh = NONE;
    return p + L2L3_LEN;
  }
  // Hold it: the next hop is unresolved (arpFlush asks), or no burst is being
  // served (net_connect between polls): it leaves at the next flush.
  if (k == NONE) k = neighSlot(ifc, hop);
  if (k == NONE) return 0; // every slot a known peer's: TCP counts it and sends again
  let e = neighAt(ifc, k);
  if (e.heldLen) { count(ifc, IfCtr.ARP_QUEUE_REPLACED); e.heldLen = 0; }
  ifc.curFrame = heldAt(ifc, k);
  ifc.curNeigh = k;
  return ifc.curFrame + L2L3_LEN;
}

/** SegTxCommitFn: the len bytes written at begin's pointer are a segment (checksum filled). */
export function linkCommit(ctx: usize, len: u32): void {
  let ifc = ifaceOf(ctx);
  let p = ifc.curFrame;
  if (p == 0) return;
  ipv4Out(ifc, p + Eth.HEADER_LEN, ifc.curDst, Ipv4.PROTO_TCP, len, true);
  let total = L2L3_LEN + len;
  if (ifc.curNeigh == NONE) {
    txDone(ifc, total);
  } else {
    let e = neighAt(ifc, ifc.curNeigh);
    e.heldLen = total;
    ifc.heldMaybe = 1;
    e.heldAt = ifc.now;
    ifc.owed = 1;
    count(ifc, IfCtr.ARP_QUEUED);
  }
  ifc.curFrame = 0;
  ifc.curNeigh = NONE;
}
