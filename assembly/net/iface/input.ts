// Frame arrival: Ethernet II dispatch, IPv4 checks, ICMP echo, TCP segments
// up to assembly/net/tcp. Every refusal is counted by its reason (wire
// Reason codes at IfCtr.WIRE_BASE, the iface's own at IfCtr.DROP_*).

import { tcpReceive } from "../tcp/index";
import { Eth, ethCheck, ethDst, ethSrc, ethType } from "../wire/ethernet";
import { Icmp, icmpCheck, icmpEchoToReply, icmpType } from "../wire/icmp";
import { Ipv4, ipv4Check, ipv4Emit, ipv4Parse, Ipv4Repr } from "../wire/ipv4";
import { Reason } from "../wire/reasons";
import { arpInput } from "./arp";
import { IfCtr, ifCtrAdd } from "./counters";
import { count, DevFlag, ethHeader, Iface, L2L3_LEN, txDone, txNext } from "./iface";

/** TTL of the datagrams we send (Linux's default). */
export const TTL: u8 = 64;

@inline function drop(ifc: Iface, why: u32): void { ifCtrAdd(ifc.counters, IfCtr.WIRE_BASE + why, 1); }

/** Fill the outgoing IPv4 header at p: from us to dst, len payload bytes. */
export function ipv4Out(ifc: Iface, p: usize, dst: u32, protocol: u8, len: u32, dontFrag: bool): void {
  let r = changetype<Ipv4Repr>(ifc.ipOut);
  r.src = ifc.ip;
  r.dst = dst;
  r.payloadLen = <u16>len;
  r.ident = <u16>ifc.ident;
  ifc.ident++;
  r.protocol = protocol;
  r.ttl = TTL;
  r.tos = 0;
  r.dontFrag = dontFrag;
  ipv4Emit(r, p);
}

/** One received frame of len bytes at p. */
export function ethInput(ifc: Iface, p: usize, len: u32): void {
  ifCtrAdd(ifc.counters, IfCtr.RX_FRAMES, 1);
  ifCtrAdd(ifc.counters, IfCtr.RX_BYTES, len);
  let why = ethCheck(p, len);
  if (why != Reason.OK) { drop(ifc, why); return; }
  let dst = ethDst(p);
  if (dst != ifc.mac && dst != Eth.BROADCAST) { count(ifc, IfCtr.DROP_NOT_OUR_MAC); return; }
  let t = ethType(p);
  if (t == Eth.TYPE_IPV4) ipv4Input(ifc, p, p + Eth.HEADER_LEN, len - Eth.HEADER_LEN);
  else if (t == Eth.TYPE_ARP) arpInput(ifc, p + Eth.HEADER_LEN, len - Eth.HEADER_LEN);
  else count(ifc, IfCtr.DROP_ETHERTYPE);
}

/** An IPv4 datagram at p (len bytes to the frame's end, padding included) of the frame at frame. */
function ipv4Input(ifc: Iface, frame: usize, p: usize, len: u32): void {
  let why = ipv4Check(p, len);
  // the checksum is checked last: a device that verified it lets us skip it
  if (why == Reason.BAD_CHECKSUM && (ifc.devFlags & DevFlag.RX_CSUM)) why = Reason.OK;
  let r = changetype<Ipv4Repr>(ifc.ipIn);
  if (why == Reason.OK) why = ipv4Parse(p, len, r);
  if (why != Reason.OK) { drop(ifc, why); return; }
  if (r.dst != ifc.ip) { count(ifc, IfCtr.DROP_NOT_OUR_IP); return; }
  if (r.ttl == 0) { count(ifc, IfCtr.DROP_TTL_ZERO); return; }
  let src = r.src;
  if (src == 0 || src >= 0xE0000000 || (ifc.mask != 0xFFFFFFFF && (src | ifc.mask) == 0xFFFFFFFF)) {
    count(ifc, IfCtr.DROP_BAD_SRC); // unspecified, multicast/broadcast, or our subnet's broadcast
    return;
  }
  let payload = p + Ipv4.HEADER_LEN;
  let plen = <u32>r.payloadLen;
  if (r.protocol == Ipv4.PROTO_TCP) tcpReceive(ifc.tcp, src, r.dst, payload, plen, ifc.now);
  else if (r.protocol == Ipv4.PROTO_ICMP) icmpInput(ifc, frame, src, payload, plen);
  else count(ifc, IfCtr.DROP_PROTOCOL);
}

/** An ICMP message from src: echo requests are answered to the frame's sender, replies counted. */
function icmpInput(ifc: Iface, frame: usize, src: u32, p: usize, len: u32): void {
  let why = icmpCheck(p, len);
  if (why != Reason.OK) { drop(ifc, why); return; }
  let t = icmpType(p);
  if (t == Icmp.ECHO_REPLY) { count(ifc, IfCtr.ICMP_REPLY_IN); return; }
  if (t != Icmp.ECHO_REQUEST) { drop(ifc, Reason.UNSUPPORTED_ICMP); return; }
  count(ifc, IfCtr.ICMP_ECHO_IN);
  if (Ipv4.HEADER_LEN + len > ifc.mtu) { count(ifc, IfCtr.TX_TOO_BIG); return; }
  let total = L2L3_LEN + len;
  let q = txNext(ifc, total);
  if (q == 0) return;
  // back the way it came: to the frame's sender (the peer, or the router it came through)
  ethHeader(ifc, q, ethSrc(frame), Eth.TYPE_IPV4);
  memory.copy(q + L2L3_LEN, p, len);
  icmpEchoToReply(q + L2L3_LEN);
  ipv4Out(ifc, q + Eth.HEADER_LEN, src, Ipv4.PROTO_ICMP, len, false);
  txDone(ifc, total);
  count(ifc, IfCtr.ICMP_ECHO_OUT);
}
