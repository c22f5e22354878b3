import { Eth } from "../ethernet";
import { Ipv4, Ipv4Repr, ipv4Check, ipv4Checksum, ipv4Emit, ipv4FillChecksum, ipv4Len, ipv4Parse, ipv4SetTtl, ipv4Src, ipv4Ttl } from "../ipv4";
import { Reason } from "../reasons";
import { compareRepr, copyOf, Frames, filled, firstDiff, frameFrom, hexLen, newRepr } from "./support";

function repr(): Ipv4Repr {
  return newRepr<Ipv4Repr>();
}

function datagram(hex: string): usize {
  return frameFrom(hex, Eth.HEADER_LEN);
}

describe("ipv4", () => {
  it("parses a captured SYN's header", () => {
    let p = datagram(Frames.SYN);
    expect(ipv4Check(p, 60)).toBe(Reason.OK);
    let r = repr();
    expect(ipv4Parse(p, 60, r)).toBe(Reason.OK);
    expect(r.src).toBe(0x0A000001);
    expect(r.dst).toBe(0x0A000002);
    expect(r.protocol).toBe(Ipv4.PROTO_TCP);
    expect(r.ttl).toBe(64);
    expect(r.tos).toBe(0);
    expect(r.ident).toBe(0x6989);
    expect(r.dontFrag).toBe(true);
    expect(r.payloadLen).toBe(40);
  });

  it("emits captured headers byte for byte over 0xA5, checksum included, and round-trips", () => {
    // DF set and clear, TCP and ICMP
    let frames: string[] = [Frames.SYN, Frames.SYN_ACK, Frames.SACK3, Frames.ICMP_REQUEST, Frames.ICMP_REPLY];
    for (let k = 0; k < frames.length; k++) {
      let p = datagram(frames[k]);
      let len = hexLen(frames[k]) - Eth.HEADER_LEN;
      let r = repr();
      expect(ipv4Parse(p, len, r)).toBe(Reason.OK);
      let out = filled(Ipv4.HEADER_LEN + 1);
      ipv4Emit(r, out);
      expect(ipv4Len(r)).toBe(Ipv4.HEADER_LEN);
      expect(firstDiff(out, p, Ipv4.HEADER_LEN)).toBe(-1, "frame " + k.toString());
      expect(load<u8>(out + Ipv4.HEADER_LEN)).toBe(0xA5);
      let r2 = repr();
      expect(ipv4Parse(out, Ipv4.HEADER_LEN, r2)).toBe(Reason.OK);
      expect(compareRepr(r, r2)).toBe(0);
    }
  });

  it("accepts Ethernet padding after the total length", () => {
    let p = datagram(Frames.SYN); // 60 bytes
    expect(ipv4Check(p, 52 + 8)).toBe(Reason.OK);
    let q = heap.alloc(80);
    memory.copy(q, p, 60);
    expect(ipv4Check(q, 80)).toBe(Reason.OK);
  });

  it("is truncated at every length below the total length", () => {
    let p = datagram(Frames.SYN);
    for (let len: u32 = 0; len < 60; len++) expect(ipv4Check(p, len)).toBe(Reason.TRUNCATED);
  });

  it("refuses bad version, header length, total length and checksum", () => {
    let src = datagram(Frames.SYN);
    let p = copyOf(src, 60);
    store<u8>(p, 0x65); // version 6
    expect(ipv4Check(p, 60)).toBe(Reason.BAD_VERSION);
    p = copyOf(src, 60);
    store<u8>(p, 0x44); // IHL 4
    expect(ipv4Check(p, 60)).toBe(Reason.BAD_HEADER_LEN);
    p = copyOf(src, 60);
    store<u8>(p + Ipv4.TOTAL_LEN, 0);
    store<u8>(p + Ipv4.TOTAL_LEN + 1, 19); // shorter than its header
    expect(ipv4Check(p, 60)).toBe(Reason.BAD_TOTAL_LEN);
    p = copyOf(src, 60);
    store<u8>(p, 0x4F); // IHL 15: a 60-byte header
    store<u8>(p + Ipv4.TOTAL_LEN + 1, 56); // in a 56-byte datagram
    expect(ipv4Check(p, 60)).toBe(Reason.BAD_TOTAL_LEN);
    p = copyOf(src, 60);
    store<u8>(p + Ipv4.TTL, 63); // changed without a new checksum
    expect(ipv4Check(p, 60)).toBe(Reason.BAD_CHECKSUM);
    ipv4FillChecksum(p);
    expect(ipv4Check(p, 60)).toBe(Reason.OK);
  });

  it("refuses options and fragments in the parse", () => {
    let src = datagram(Frames.SYN);
    // 24-byte header: a NOP NOP NOP EOL option word before the TCP header
    let p = heap.alloc(64);
    memory.copy(p, src, 20);
    store<u32>(p + 20, 0x00010101);
    memory.copy(p + 24, src + 20, 40);
    store<u8>(p, 0x46);
    store<u8>(p + Ipv4.TOTAL_LEN + 1, 64);
    ipv4FillChecksum(p);
    expect(ipv4Check(p, 64)).toBe(Reason.OK);
    expect(ipv4Parse(p, 64, repr())).toBe(Reason.IP_OPTIONS);
    // more fragments
    p = copyOf(src, 60);
    store<u8>(p + Ipv4.FLAGS_FRAG, 0x20);
    ipv4FillChecksum(p);
    expect(ipv4Check(p, 60)).toBe(Reason.OK);
    expect(ipv4Parse(p, 60, repr())).toBe(Reason.FRAGMENT);
    // last fragment: offset only (DF kept)
    p = copyOf(src, 60);
    store<u8>(p + Ipv4.FLAGS_FRAG + 1, 0x01);
    ipv4FillChecksum(p);
    expect(ipv4Parse(p, 60, repr())).toBe(Reason.FRAGMENT);
  });

  it("reads and writes fields through the view", () => {
    let p = datagram(Frames.ICMP_REPLY);
    expect(ipv4Src(p)).toBe(0x0A000002);
    expect(ipv4Checksum(p)).toBe(0x238c);
    ipv4SetTtl(p, 1);
    expect(ipv4Ttl(p)).toBe(1);
  });
});
