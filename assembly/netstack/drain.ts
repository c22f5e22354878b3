// The link under the TCP layer once net_shutdown ran. The iface holds one
// frame per unresolved next hop (the latest: RFC 1122's minimum), so a run
// of RSTs to a client host whose ARP entry went stale would overwrite each
// other while the request is out, and all but the last would be lost. This
// link refuses a segment for a next hop that already holds one (the TCP
// layer sees "no buffer" and tries again at the next poll); otherwise it is
// the iface's own.

import { Iface, ifaceOf, NEIGH_MAX, neighAt, NONE } from "../net/iface/iface";
import { neighFind, neighResolved } from "../net/iface/neighbour";
import { linkBegin, nextHop } from "../net/iface/output";

/** SegTxBeginFn: the iface's linkBegin, but 0 while dst's unresolved next hop holds a frame. */
export function drainBegin(ctx: usize, src: u32, dst: u32, maxLen: u32): usize {
  let ifc = ifaceOf(ctx);
  let hop = nextHop(ifc, dst);
  if (hop != 0 && neighResolved(ifc, hop, ifc.now) == NONE) {
    let k = neighFind(ifc, hop);
    if (k != NONE && neighAt(ifc, k).heldLen != 0) return 0;
  }
  return linkBegin(ctx, src, dst, maxLen);
}

/** Frames the iface holds (next hop unresolved, or built between polls): not on the wire yet. */
export function heldFrames(ifc: Iface): u32 {
  let n: u32 = 0;
  for (let i: u32 = 0; i < NEIGH_MAX; i++) if (neighAt(ifc, i).heldLen != 0) n++;
  return n;
}
