import { Arp, ArpRepr, arpCheck, arpEmit, arpLen, arpParse } from "../arp";
import { Eth } from "../ethernet";
import { Reason } from "../reasons";
import { compareRepr, copyOf, Frames, filled, firstDiff, fromHex, newRepr } from "./support";

function repr(): ArpRepr {
  return newRepr<ArpRepr>();
}

describe("arp", () => {
  it("parses a captured request", () => {
    let p = fromHex(Frames.ARP_REQUEST) + Eth.HEADER_LEN;
    expect(arpCheck(p, 28)).toBe(Reason.OK);
    let r = repr();
    expect(arpParse(p, 28, r)).toBe(Reason.OK);
    expect(r.op).toBe(Arp.OP_REQUEST);
    expect(r.sha).toBe(0x020000000001);
    expect(r.spa).toBe(0x0A000001);
    expect(r.tha).toBe(0);
    expect(r.tpa).toBe(0x0A000002);
  });

  it("emits captured request and reply byte for byte over 0xA5, and round-trips", () => {
    let frames: string[] = [Frames.ARP_REQUEST, Frames.ARP_REPLY];
    for (let k = 0; k < frames.length; k++) {
      let p = fromHex(frames[k]) + Eth.HEADER_LEN;
      let r = repr();
      expect(arpParse(p, 28, r)).toBe(Reason.OK);
      let out = filled(Arp.PACKET_LEN + 1);
      arpEmit(r, out);
      expect(arpLen(r)).toBe(Arp.PACKET_LEN);
      expect(firstDiff(out, p, Arp.PACKET_LEN)).toBe(-1);
      expect(load<u8>(out + Arp.PACKET_LEN)).toBe(0xA5);
      let r2 = repr();
      expect(arpParse(out, Arp.PACKET_LEN, r2)).toBe(Reason.OK);
      expect(compareRepr(r, r2)).toBe(0);
    }
    let reply = repr();
    arpParse(fromHex(Frames.ARP_REPLY) + Eth.HEADER_LEN, 28, reply);
    expect(reply.op).toBe(Arp.OP_REPLY);
    expect(reply.sha).toBe(0x020000000002);
    expect(reply.tpa).toBe(0x0A000001);
  });

  it("is truncated at every length below 28", () => {
    let p = fromHex(Frames.ARP_REQUEST) + Eth.HEADER_LEN;
    for (let len: u32 = 0; len < Arp.PACKET_LEN; len++) expect(arpCheck(p, len)).toBe(Reason.TRUNCATED);
  });

  it("sizes the check by the declared address lengths", () => {
    let p = copyOf(fromHex(Frames.ARP_REQUEST) + Eth.HEADER_LEN, 28);
    store<u8>(p + Arp.HLEN, 8); // claims 8 + 2 * (8 + 4) = 32 bytes
    expect(arpCheck(p, 28)).toBe(Reason.TRUNCATED);
    expect(arpCheck(p, 32)).toBe(Reason.OK);
    expect(arpParse(p, 32, repr())).toBe(Reason.BAD_ADDR_LEN);
  });

  it("refuses what is not Ethernet/IPv4 request or reply", () => {
    let src = fromHex(Frames.ARP_REQUEST) + Eth.HEADER_LEN;
    let p = copyOf(src, 28);
    store<u8>(p + Arp.HTYPE + 1, 6); // IEEE 802
    expect(arpParse(p, 28, repr())).toBe(Reason.UNSUPPORTED_HTYPE);
    p = copyOf(src, 28);
    store<u8>(p + Arp.PTYPE, 0x86); // 0x86dd: IPv6
    store<u8>(p + Arp.PTYPE + 1, 0xdd);
    expect(arpParse(p, 28, repr())).toBe(Reason.UNSUPPORTED_PTYPE);
    p = copyOf(src, 28);
    store<u8>(p + Arp.PLEN, 16);
    expect(arpParse(p, 28, repr())).toBe(Reason.BAD_ADDR_LEN);
    p = copyOf(src, 28);
    store<u8>(p + Arp.OPER + 1, 3); // RARP request
    expect(arpParse(p, 28, repr())).toBe(Reason.UNSUPPORTED_OP);
  });
});
