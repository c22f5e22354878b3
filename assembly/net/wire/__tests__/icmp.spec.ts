import { Eth } from "../ethernet";
import { Icmp, IcmpRepr, icmpCheck, icmpEchoToReply, icmpEmit, icmpLen, icmpParse } from "../icmp";
import { Ipv4 } from "../ipv4";
import { Reason } from "../reasons";
import { compareRepr, Frames, filled, firstDiff, frameFrom, newRepr } from "./support";

const MSG_LEN: u32 = 40; // 8-byte header + 32 data bytes

function repr(): IcmpRepr {
  return newRepr<IcmpRepr>();
}

function message(hex: string): usize {
  return frameFrom(hex, Eth.HEADER_LEN + Ipv4.HEADER_LEN);
}

describe("icmp", () => {
  it("parses a captured echo request", () => {
    let p = message(Frames.ICMP_REQUEST);
    expect(icmpCheck(p, MSG_LEN)).toBe(Reason.OK);
    let r = repr();
    expect(icmpParse(p, MSG_LEN, r)).toBe(Reason.OK);
    expect(r.type).toBe(Icmp.ECHO_REQUEST);
    expect(r.code).toBe(0);
    expect(r.ident).toBe(0x1234);
    expect(r.seq).toBe(1);
    expect(r.dataLen).toBe(32);
  });

  it("emits captured request and reply byte for byte over 0xA5, and round-trips", () => {
    let frames: string[] = [Frames.ICMP_REQUEST, Frames.ICMP_REPLY];
    for (let k = 0; k < frames.length; k++) {
      let p = message(frames[k]);
      let r = repr();
      expect(icmpParse(p, MSG_LEN, r)).toBe(Reason.OK);
      let out = filled(MSG_LEN + 1);
      memory.copy(out + Icmp.HEADER_LEN, p + Icmp.HEADER_LEN, r.dataLen); // the echo data
      icmpEmit(r, out);
      expect(icmpLen(r)).toBe(Icmp.HEADER_LEN);
      expect(firstDiff(out, p, MSG_LEN)).toBe(-1);
      expect(load<u8>(out + MSG_LEN)).toBe(0xA5);
      let r2 = repr();
      expect(icmpParse(out, MSG_LEN, r2)).toBe(Reason.OK);
      expect(compareRepr(r, r2)).toBe(0);
    }
  });

  it("turns the captured request into the kernel's reply in place", () => {
    let p = message(Frames.ICMP_REQUEST);
    icmpEchoToReply(p);
    expect(firstDiff(p, message(Frames.ICMP_REPLY), MSG_LEN)).toBe(-1);
    expect(icmpCheck(p, MSG_LEN)).toBe(Reason.OK);
  });

  it("is truncated at every length below 8 and fails its checksum when cut later", () => {
    let p = message(Frames.ICMP_REQUEST);
    for (let len: u32 = 0; len < Icmp.HEADER_LEN; len++) expect(icmpCheck(p, len)).toBe(Reason.TRUNCATED);
    for (let len: u32 = Icmp.HEADER_LEN; len < MSG_LEN; len++) expect(icmpCheck(p, len)).toBe(Reason.BAD_CHECKSUM);
  });

  it("refuses a bad checksum and non-echo types", () => {
    let p = message(Frames.ICMP_REQUEST);
    store<u8>(p + 20, load<u8>(p + 20) ^ 1);
    expect(icmpCheck(p, MSG_LEN)).toBe(Reason.BAD_CHECKSUM);
    let q = message(Frames.ICMP_REQUEST);
    store<u8>(q + Icmp.TYPE, 3); // destination unreachable
    expect(icmpParse(q, MSG_LEN, repr())).toBe(Reason.UNSUPPORTED_ICMP);
  });
});
