import { Eth, EthRepr, ethCheck, ethDst, ethEmit, ethLen, ethParse, ethSrc, ethType, macIsMulticast } from "../ethernet";
import { Reason } from "../reasons";
import { compareRepr, Frames, filled, firstDiff, fromHex, newRepr } from "./support";

describe("ethernet", () => {
  it("reads a captured ARP request's header", () => {
    let f = fromHex(Frames.ARP_REQUEST);
    expect(ethDst(f)).toBe(Eth.BROADCAST);
    expect(ethSrc(f)).toBe(0x020000000001);
    expect(ethType(f)).toBe(Eth.TYPE_ARP);
    expect(macIsMulticast(ethDst(f))).toBe(true);
    expect(macIsMulticast(ethSrc(f))).toBe(false);
  });

  it("parses, emits over 0xA5 the captured bytes, and round-trips", () => {
    let f = fromHex(Frames.SYN);
    let r = newRepr<EthRepr>();
    expect(ethParse(f, 74, r)).toBe(Reason.OK);
    expect(r.dst).toBe(0x020000000002);
    expect(r.src).toBe(0x020000000001);
    expect(r.ethertype).toBe(Eth.TYPE_IPV4);
    let out = filled(Eth.HEADER_LEN + 1);
    ethEmit(r, out);
    expect(ethLen(r)).toBe(Eth.HEADER_LEN);
    expect(firstDiff(out, f, Eth.HEADER_LEN)).toBe(-1);
    expect(load<u8>(out + Eth.HEADER_LEN)).toBe(0xA5); // nothing written past the header
    let r2 = newRepr<EthRepr>();
    expect(ethParse(out, Eth.HEADER_LEN, r2)).toBe(Reason.OK);
    expect(compareRepr(r, r2)).toBe(0);
  });

  it("is truncated below 14 bytes", () => {
    let f = fromHex(Frames.SYN);
    for (let len: u32 = 0; len < Eth.HEADER_LEN; len++) expect(ethCheck(f, len)).toBe(Reason.TRUNCATED);
    expect(ethCheck(f, Eth.HEADER_LEN)).toBe(Reason.OK);
  });
});
