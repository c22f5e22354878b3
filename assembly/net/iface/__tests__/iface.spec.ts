import { Ctr, tcpConnect, tcpCounter } from "../../tcp/index";
import { Arp, arpOp, arpSpa, arpTpa } from "../../wire/arp";
import { Eth, ethDst, ethSrc, ethType } from "../../wire/ethernet";
import { Ipv4, ipv4Dst, ipv4FillChecksum } from "../../wire/ipv4";
import { Reason } from "../../wire/reasons";
import { storeBe16, storeBe32 } from "../../wire/bytes";
import { firstDiff, fromHex, Frames, hexLen, copyOf } from "../../wire/__tests__/support";
import { DevFlag, ifaceOf, NONE } from "../iface";
import { IfCtr, ifaceAnnounce, ifaceCounter, ifacePollAt, nextHop } from "../index";
import { ARP_RETRY_MS, HOLD_MS, NEIGH_TTL_MS, neighResolved } from "../neighbour";
import { arpReplyFrom, GW_IP, GW_MAC, ifc, OUR_IP, OUR_MAC, PEER_IP, PEER_MAC, poll, setup, tcp, txFrame, txLen } from "./support";

@inline function ctr(i: u32): u64 { return ifaceCounter(ifc, i); }
@inline function wire(r: u32): u64 { return ifaceCounter(ifc, IfCtr.WIRE_BASE + r); }


/** A copy of the captured echo request (to us from the peer). */
function echoRequest(): usize {
  return copyOf(fromHex(Frames.ICMP_REQUEST), hexLen(Frames.ICMP_REQUEST));
}
const ECHO_LEN: u32 = 74;

describe("iface: ARP", () => {
  it("answers a captured request for our address with the bytes Linux sends", () => {
    setup();
    let req = fromHex(Frames.ARP_REQUEST);
    expect(poll(req, hexLen(Frames.ARP_REQUEST), 1000)).toBe(1);
    let want = fromHex(Frames.ARP_REPLY);
    expect(txLen(0)).toBe(hexLen(Frames.ARP_REPLY));
    expect(firstDiff(txFrame(0), want, txLen(0))).toBe(-1);
    expect(ctr(IfCtr.ARP_REQUESTS_IN)).toBe(1);
    expect(ctr(IfCtr.ARP_REPLIES_OUT)).toBe(1);
  });

  it("learns the requester, and forgets it after NEIGH_TTL_MS", () => {
    setup();
    poll(fromHex(Frames.ARP_REQUEST), hexLen(Frames.ARP_REQUEST), 1000);
    let i = neighResolved(ifaceOf(ifc), PEER_IP, 1000);
    expect(i).not.toBe(NONE);
    expect(neighResolved(ifaceOf(ifc), PEER_IP, 1000 + NEIGH_TTL_MS - 1)).toBe(i);
    expect(neighResolved(ifaceOf(ifc), PEER_IP, 1000 + NEIGH_TTL_MS)).toBe(NONE);
  });

  it("sends a SYN straight to a known neighbour; asks again once the entry expired", () => {
    setup();
    poll(fromHex(Frames.ARP_REQUEST), hexLen(Frames.ARP_REQUEST), 1000);
    poll(0, 0, 1001);
    tcpConnect(tcp, OUR_IP, 40000, PEER_IP, 80, 1001); // between bursts: held for the next one
    expect(poll(0, 0, 1002)).toBe(1);
    expect(ethDst(txFrame(0))).toBe(PEER_MAC);
    expect(ethType(txFrame(0))).toBe(Eth.TYPE_IPV4);
    expect(ipv4Dst(txFrame(0) + 14)).toBe(PEER_IP);
    setup(); // the same, a minute later
    poll(fromHex(Frames.ARP_REQUEST), hexLen(Frames.ARP_REQUEST), 1000);
    let later: u64 = 1000 + NEIGH_TTL_MS;
    poll(0, 0, later);
    tcpConnect(tcp, OUR_IP, 40001, PEER_IP, 80, later);
    expect(poll(0, 0, later)).toBe(1);
    expect(ethDst(txFrame(0))).toBe(Eth.BROADCAST);
    expect(ethType(txFrame(0))).toBe(Eth.TYPE_ARP);
    expect(arpTpa(txFrame(0) + 14)).toBe(PEER_IP);
  });

  it("holds the segment of an unresolved next hop, repeats the request, sends it on the reply", () => {
    setup();
    poll(0, 0, 1000);
    tcpConnect(tcp, OUR_IP, 40000, PEER_IP, 80, 1000);
    expect(poll(0, 0, 1000)).toBe(1); // the ARP request; the SYN waits
    expect(arpOp(txFrame(0) + 14)).toBe(Arp.OP_REQUEST);
    expect(arpSpa(txFrame(0) + 14)).toBe(OUR_IP);
    expect(ctr(IfCtr.ARP_QUEUED)).toBe(1);
    expect(ifacePollAt(ifc)).toBe(1000 + ARP_RETRY_MS);
    expect(poll(0, 0, 1000 + ARP_RETRY_MS - 1)).toBe(0);
    expect(poll(0, 0, 1000 + ARP_RETRY_MS)).toBe(1); // asked again
    expect(ctr(IfCtr.ARP_REQUESTS_OUT)).toBe(2);
    expect(poll(arpReplyFrom(PEER_MAC, PEER_IP), 42, 1000 + ARP_RETRY_MS + 5)).toBe(1);
    expect(ethDst(txFrame(0))).toBe(PEER_MAC);
    expect(ethSrc(txFrame(0))).toBe(OUR_MAC);
    expect(ctr(IfCtr.ARP_QUEUE_SENT)).toBe(1);
    expect(ctr(IfCtr.ARP_REPLIES_IN)).toBe(1);
  });

  it("drops a held segment whose next hop never answers", () => {
    setup();
    poll(0, 0, 1000);
    tcpConnect(tcp, OUR_IP, 40000, PEER_IP, 80, 1000);
    poll(0, 0, 1000);
    poll(0, 0, 1000 + HOLD_MS);
    expect(ctr(IfCtr.ARP_QUEUE_EXPIRED)).toBe(1);
  });

  it("announces itself when asked (gratuitous request)", () => {
    setup();
    ifaceAnnounce(ifc);
    expect(ifacePollAt(ifc)).toBe(1);
    expect(poll(0, 0, 5)).toBe(1);
    let a = txFrame(0) + 14;
    expect(ethDst(txFrame(0))).toBe(Eth.BROADCAST);
    expect(arpSpa(a)).toBe(OUR_IP);
    expect(arpTpa(a)).toBe(OUR_IP);
    expect(ctr(IfCtr.ARP_ANNOUNCES_OUT)).toBe(1);
  });

  it("counts a reply it could not send for want of a tx buffer", () => {
    setup();
    expect(poll(fromHex(Frames.ARP_REQUEST), hexLen(Frames.ARP_REQUEST), 1000, 0)).toBe(0);
    expect(ctr(IfCtr.TX_NO_BUFFER)).toBe(1);
  });
});

describe("iface: ICMP", () => {
  it("answers a captured echo request with the bytes Linux sends", () => {
    setup();
    ifaceOf(ifc).ident = 0x4333; // Linux's identification in the capture
    expect(poll(echoRequest(), ECHO_LEN, 1000)).toBe(1);
    expect(txLen(0)).toBe(hexLen(Frames.ICMP_REPLY));
    expect(firstDiff(txFrame(0), fromHex(Frames.ICMP_REPLY), txLen(0))).toBe(-1);
    expect(ctr(IfCtr.ICMP_ECHO_IN)).toBe(1);
    expect(ctr(IfCtr.ICMP_ECHO_OUT)).toBe(1);
  });
});

describe("iface: IPv4 and Ethernet drops, by reason", () => {
  it("bad header checksum, unless the device verified it", () => {
    setup();
    let f = echoRequest();
    store<u8>(f + 14 + Ipv4.CHECKSUM, load<u8>(f + 14 + Ipv4.CHECKSUM) ^ 1);
    expect(poll(f, ECHO_LEN, 1)).toBe(0);
    expect(wire(Reason.BAD_CHECKSUM)).toBe(1);
    setup(0, DevFlag.RX_CSUM);
    expect(poll(f, ECHO_LEN, 1)).toBe(1);
  });

  it("fragments, options, TTL 0, another address, a bad source, another protocol", () => {
    setup();
    let f = echoRequest(); let ip = f + 14;
    storeBe16(ip + Ipv4.FLAGS_FRAG, Ipv4.FLAG_MF); ipv4FillChecksum(ip);
    poll(f, ECHO_LEN, 1);
    expect(wire(Reason.FRAGMENT)).toBe(1);

    f = echoRequest(); ip = f + 14;
    store<u8>(ip, 0x46); ipv4FillChecksum(ip);
    poll(f, ECHO_LEN, 1);
    expect(wire(Reason.IP_OPTIONS)).toBe(1);

    f = echoRequest(); ip = f + 14;
    store<u8>(ip + Ipv4.TTL, 0); ipv4FillChecksum(ip);
    poll(f, ECHO_LEN, 1);
    expect(ctr(IfCtr.DROP_TTL_ZERO)).toBe(1);

    f = echoRequest(); ip = f + 14;
    storeBe32(ip + Ipv4.DST, 0x0A000003); ipv4FillChecksum(ip);
    poll(f, ECHO_LEN, 1);
    expect(ctr(IfCtr.DROP_NOT_OUR_IP)).toBe(1);

    f = echoRequest(); ip = f + 14;
    storeBe32(ip + Ipv4.SRC, 0x0A0000FF); ipv4FillChecksum(ip);
    poll(f, ECHO_LEN, 1);
    expect(ctr(IfCtr.DROP_BAD_SRC)).toBe(1);

    f = echoRequest(); ip = f + 14;
    store<u8>(ip + Ipv4.PROTOCOL, Ipv4.PROTO_UDP); ipv4FillChecksum(ip);
    poll(f, ECHO_LEN, 1);
    expect(ctr(IfCtr.DROP_PROTOCOL)).toBe(1);
    expect(ctr(IfCtr.TX_FRAMES)).toBe(0);
  });

  it("short frames, a bad version, another MAC, another EtherType", () => {
    setup();
    poll(echoRequest(), 10, 1);
    expect(wire(Reason.TRUNCATED)).toBe(1);
    poll(echoRequest(), 30, 1);
    expect(wire(Reason.TRUNCATED)).toBe(2);
    let f = echoRequest();
    store<u8>(f + 14, 0x65);
    poll(f, ECHO_LEN, 1);
    expect(wire(Reason.BAD_VERSION)).toBe(1);
    f = echoRequest();
    store<u8>(f + 5, 0x03);
    poll(f, ECHO_LEN, 1);
    expect(ctr(IfCtr.DROP_NOT_OUR_MAC)).toBe(1);
    f = echoRequest();
    storeBe16(f + 12, Eth.TYPE_IPV6);
    poll(f, ECHO_LEN, 1);
    expect(ctr(IfCtr.DROP_ETHERTYPE)).toBe(1);
    expect(ctr(IfCtr.RX_FRAMES)).toBe(5);
  });
});

describe("iface: routing", () => {
  it("sends off-subnet traffic through the gateway", () => {
    setup(GW_IP);
    expect(nextHop(ifaceOf(ifc), 0xC0A80505)).toBe(GW_IP);
    expect(nextHop(ifaceOf(ifc), PEER_IP)).toBe(PEER_IP);
    poll(0, 0, 1000);
    tcpConnect(tcp, OUR_IP, 40000, 0xC0A80505, 80, 1000);
    expect(poll(0, 0, 1000)).toBe(1);
    expect(arpTpa(txFrame(0) + 14)).toBe(GW_IP); // the gateway is resolved, not the destination
    expect(poll(arpReplyFrom(GW_MAC, GW_IP), 42, 1010)).toBe(1);
    expect(ethDst(txFrame(0))).toBe(GW_MAC);
    expect(ipv4Dst(txFrame(0) + 14)).toBe(0xC0A80505);
  });

  it("counts off-subnet traffic with no gateway as unroutable", () => {
    setup();
    poll(0, 0, 1000);
    tcpConnect(tcp, OUR_IP, 40000, 0xC0A80505, 80, 1000);
    expect(poll(0, 0, 1000)).toBe(0);
    expect(ctr(IfCtr.DROP_NO_ROUTE)).toBeGreaterThan(0);
    expect(tcpCounter(tcp, Ctr.TX_NO_BUFFER)).toBeGreaterThan(0);
  });
});
