// The neighbour cache under a SYN flood from spoofed local sources (issue:
// the live client's entry, the stalest, was evicted and its held frame lost):
// unresolved entries are bounded and replace one another, never a peer that
// resolved.
import { tcpConnect } from "../../tcp/index";
import { Eth, ethDst, ethType } from "../../wire/ethernet";
import { fromHex, Frames, hexLen } from "../../wire/__tests__/support";
import { ifaceOf, NEIGH_MAX, neighAt, NeighState, NONE } from "../iface";
import { IfCtr, ifaceCounter } from "../index";
import { NEIGH_INCOMPLETE_MAX, NEIGH_TTL_MS, neighLearn, neighResolved, neighSlot } from "../neighbour";
import { arpReplyFrom, ifc, OUR_IP, PEER_IP, PEER_MAC, poll, setup, tcp, txFrame } from "./support";

/** A spoofed source of the local /24 (10.0.0.3 .. 10.0.0.252), as a flood picks them. */
@inline function spoofed(i: u32): u32 { return 0x0A000003 + (i * 7919) % 250; }

function countIncomplete(): u32 {
  let n: u32 = 0;
  for (let i: u32 = 0; i < NEIGH_MAX; i++) {
    let e = neighAt(ifaceOf(ifc), i);
    if (e.state != NeighState.EMPTY && e.mac == 0) n++;
  }
  return n;
}

/** What the stack does for each flood SYN: a cookie SYN-ACK to a source it must resolve first. */
function flood(n: u32, t0: u64): u64 {
  let t = t0;
  for (let i: u32 = 0; i < n; i++) {
    expect(neighSlot(ifaceOf(ifc), spoofed(i))).not.toBe(NONE);
    if ((i & 31) == 31) poll(0, 0, ++t); // the ARP requests go out: entries age
  }
  return t;
}

describe("neighbour cache: a flood of unresolved sources", () => {
  it("never evicts a resolved peer, and its frames go straight out", () => {
    setup();
    poll(fromHex(Frames.ARP_REQUEST), hexLen(Frames.ARP_REQUEST), 1000);
    let t = flood(20000, 1001);
    expect(neighResolved(ifaceOf(ifc), PEER_IP, t)).not.toBe(NONE);
    expect(countIncomplete()).toBe(NEIGH_INCOMPLETE_MAX);
    expect(ifaceCounter(ifc, IfCtr.NEIGH_NO_SLOT)).toBe(0);
    tcpConnect(tcp, OUR_IP, 40000, PEER_IP, 80, t);
    let sent = poll(0, 0, t + 1);
    let direct = false;
    for (let i: u32 = 0; i < sent; i++) if (ethType(txFrame(i)) == Eth.TYPE_IPV4 && ethDst(txFrame(i)) == PEER_MAC) direct = true;
    expect(direct).toBe(true);
  });

  it("a peer that expired keeps its slot while it resolves again; its held frame leaves on the reply", () => {
    setup();
    poll(fromHex(Frames.ARP_REQUEST), hexLen(Frames.ARP_REQUEST), 1000);
    let later: u64 = 1000 + NEIGH_TTL_MS;
    poll(0, 0, later);
    tcpConnect(tcp, OUR_IP, 40001, PEER_IP, 80, later); // held: the mapping expired
    poll(0, 0, later + 1); // asks again
    let t = flood(5000, later + 1);
    poll(arpReplyFrom(PEER_MAC, PEER_IP), 42, t + 1);
    expect(neighResolved(ifaceOf(ifc), PEER_IP, t + 1)).not.toBe(NONE);
    expect(ifaceCounter(ifc, IfCtr.ARP_QUEUE_SENT)).toBe(1);
  });

  it("with every slot a resolved peer's, an unresolved next hop gets none (counted); a host that ARPs replaces the stalest", () => {
    setup();
    let f = ifaceOf(ifc);
    for (let i: u32 = 0; i < NEIGH_MAX; i++) neighLearn(f, 0x0A000100 + i, 0x020000000100 + <u64>i, 1000 + <u64>i, true);
    expect(neighSlot(f, 0x0A000003)).toBe(NONE);
    expect(ifaceCounter(ifc, IfCtr.NEIGH_NO_SLOT)).toBe(1);
    expect(neighLearn(f, 0x0A000004, 0x020000000004, 2000, true)).not.toBe(NONE);
    expect(ifaceCounter(ifc, IfCtr.NEIGH_EVICTED)).toBe(1);
    expect(neighResolved(f, 0x0A000100, 2000)).toBe(NONE); // the stalest
    expect(neighResolved(f, 0x0A000101, 2000)).not.toBe(NONE);
  });
});
