// The shutdown link (drain.ts): one held frame per unresolved next hop is
// kept, later segments to that hop wait (no buffer) instead of replacing it.

import { ifaceOf } from "../../net/iface/iface";
import { IfCtr, ifaceCounter } from "../../net/iface/index";
import { linkCommit } from "../../net/iface/output";
import { arpReplyFrom, ifc, OUR_IP, OUR_MAC, PEER_IP, PEER_MAC, poll, setup } from "../../net/iface/__tests__/support";
import { drainBegin, heldFrames } from "../drain";

describe("netstack: the shutdown link", () => {
  it("holds one segment per unresolved next hop and refuses the next until it is sent", () => {
    setup();
    poll(0, 0, 1000);
    expect(drainBegin(ifc, OUR_IP, PEER_IP, 20)).not.toBe(0); // held: the hop is unresolved
    linkCommit(ifc, 20);
    expect(heldFrames(ifaceOf(ifc))).toBe(1);
    expect(drainBegin(ifc, OUR_IP, PEER_IP, 20)).toBe(0); // would replace it: wait
    expect(ifaceCounter(ifc, IfCtr.ARP_QUEUE_REPLACED)).toBe(0);
    let other = OUR_IP + 1; // another host on the subnet has its own slot
    expect(drainBegin(ifc, OUR_IP, other, 20)).not.toBe(0);
    linkCommit(ifc, 20);
    expect(heldFrames(ifaceOf(ifc))).toBe(2);
    expect(poll(0, 0, 1001)).toBe(2); // the ARP requests
    // the reply: the held frame leaves, and the hop takes segments again
    expect(poll(arpReplyFrom(PEER_MAC, PEER_IP), 42, 1002)).toBe(1);
    expect(ifaceCounter(ifc, IfCtr.ARP_QUEUE_SENT)).toBe(1);
    expect(heldFrames(ifaceOf(ifc))).toBe(1);
    expect(drainBegin(ifc, OUR_IP, PEER_IP, 20)).not.toBe(0);
  });
});
