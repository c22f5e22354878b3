import { pseudoSumIpv4 } from "../checksum";
import { Eth } from "../ethernet";
import { Ipv4 } from "../ipv4";
import { Reason } from "../reasons";
import {
  Tcp, TcpFlag, TcpRepr, tcpAck, tcpCheck, tcpEmit, tcpFillChecksum, tcpFlags, tcpHeaderLen, tcpLen,
  tcpParse, tcpReprClear, tcpSackLeft, tcpSackRight, tcpSeq, tcpSetSack,
} from "../tcp";
import { tcpSackRoom } from "../tcp-options";
import { compareRepr, Frames, filled, firstDiff, frameFrom, fromHex, hexLen, newRepr, rand32 } from "./support";

function repr(): TcpRepr {
  return newRepr<TcpRepr>();
}

function segment(hex: string): usize {
  return frameFrom(hex, Eth.HEADER_LEN + Ipv4.HEADER_LEN);
}
function segLen(hex: string): u32 {
  return hexLen(hex) - Eth.HEADER_LEN - Ipv4.HEADER_LEN;
}
// The pseudo-header sum of a captured frame (addresses read from its IPv4 header).
function pseudo(hex: string): u32 {
  let ip = fromHex(hex) + Eth.HEADER_LEN;
  return pseudoSumIpv4(bswap<u32>(load<u32>(ip + Ipv4.SRC)), bswap<u32>(load<u32>(ip + Ipv4.DST)), Ipv4.PROTO_TCP, segLen(hex));
}

// A 20-byte header from the captured SYN followed by the given options
// (a multiple of 4 bytes), the data offset set to cover them.
function withOptions(optHex: string): usize {
  let olen = hexLen(optHex);
  let p = heap.alloc(Tcp.HEADER_LEN + olen);
  memory.copy(p, segment(Frames.SYN), Tcp.HEADER_LEN);
  memory.copy(p + Tcp.HEADER_LEN, fromHex(optHex), olen);
  store<u8>(p + Tcp.OFFSET_FLAGS, <u8>(((Tcp.HEADER_LEN + olen) >> 2) << 4));
  return p;
}
function parseOptions(optHex: string, r: TcpRepr): u32 {
  return tcpParse(withOptions(optHex), Tcp.HEADER_LEN + hexLen(optHex), r);
}

describe("tcp view and check", () => {
  it("reads a captured SYN", () => {
    let p = segment(Frames.SYN);
    expect(tcpCheck(p, 40, pseudo(Frames.SYN))).toBe(Reason.OK);
    expect(tcpSeq(p)).toBe(0xaec7d902);
    expect(tcpAck(p)).toBe(0);
    expect(tcpFlags(p)).toBe(TcpFlag.SYN);
    expect(tcpHeaderLen(p)).toBe(40);
  });

  it("verifies the checksum of every captured segment", () => {
    let frames: string[] = [Frames.SYN, Frames.SYN_ACK, Frames.DATA, Frames.SACK1, Frames.SACK3, Frames.FIN];
    for (let k = 0; k < frames.length; k++) {
      expect(tcpCheck(segment(frames[k]), segLen(frames[k]), pseudo(frames[k]))).toBe(Reason.OK);
    }
  });

  it("is truncated below 20 bytes and has a bad header length up to the data offset", () => {
    let p = segment(Frames.SACK3); // 60-byte header
    let ps = pseudo(Frames.SACK3);
    for (let len: u32 = 0; len < Tcp.HEADER_LEN; len++) expect(tcpCheck(p, len, ps)).toBe(Reason.TRUNCATED);
    for (let len: u32 = Tcp.HEADER_LEN; len < 60; len++) expect(tcpCheck(p, len, ps)).toBe(Reason.BAD_HEADER_LEN);
  });

  it("refuses a data offset below 5", () => {
    let p = segment(Frames.FIN);
    for (let off: u8 = 0; off < 5; off++) {
      store<u8>(p + Tcp.OFFSET_FLAGS, off << 4);
      expect(tcpCheck(p, 32, pseudo(Frames.FIN))).toBe(Reason.BAD_HEADER_LEN);
    }
  });

  it("refuses a bad checksum: a flipped bit, a cut payload, a wrong pseudo-header", () => {
    let len = segLen(Frames.DATA);
    let ps = pseudo(Frames.DATA);
    let p = segment(Frames.DATA);
    store<u8>(p + len - 1, load<u8>(p + len - 1) ^ 0x10);
    expect(tcpCheck(p, len, ps)).toBe(Reason.BAD_CHECKSUM);
    expect(tcpCheck(segment(Frames.DATA), len - 1, ps)).toBe(Reason.BAD_CHECKSUM);
    expect(tcpCheck(segment(Frames.DATA), len, pseudoSumIpv4(0x0A000001, 0x0A000002, Ipv4.PROTO_TCP, len + 1))).toBe(Reason.BAD_CHECKSUM);
  });
});

describe("tcp repr", () => {
  it("parses a Linux SYN's options", () => {
    let r = repr();
    expect(tcpParse(segment(Frames.SYN), 40, r)).toBe(Reason.OK);
    expect(r.srcPort).toBe(46924);
    expect(r.dstPort).toBe(11211);
    expect(r.seq).toBe(0xaec7d902);
    expect(r.ack).toBe(0);
    expect(r.flags).toBe(TcpFlag.SYN);
    expect(r.window).toBe(64240);
    expect(r.urgent).toBe(0);
    expect(r.headerLen).toBe(40);
    expect(r.mss).toBe(1460);
    expect(r.sackPermitted).toBe(true);
    expect(r.hasTimestamp).toBe(true);
    expect(r.tsVal).toBe(0xb3396f7b);
    expect(r.tsEcr).toBe(0);
    expect(r.wscale).toBe(10);
    expect(r.sackCount).toBe(0);
  });

  it("parses the SYN-ACK and a data segment", () => {
    let r = repr();
    expect(tcpParse(segment(Frames.SYN_ACK), 40, r)).toBe(Reason.OK);
    expect(r.flags).toBe(TcpFlag.SYN | TcpFlag.ACK);
    expect(r.ack).toBe(0xaec7d903);
    expect(r.tsEcr).toBe(0xb3396f7b);
    expect(tcpParse(segment(Frames.DATA), segLen(Frames.DATA), r)).toBe(Reason.OK);
    expect(r.flags).toBe(TcpFlag.PSH | TcpFlag.ACK);
    expect(r.headerLen).toBe(32);
    expect(r.mss).toBe(0);
    expect(r.wscale).toBe(Tcp.NO_WSCALE);
    expect(r.sackPermitted).toBe(false);
    expect(r.hasTimestamp).toBe(true);
    expect(segLen(Frames.DATA) - r.headerLen).toBe(9); // "get foo\r\n"
  });

  it("parses SACK blocks (one and three)", () => {
    let r = repr();
    expect(tcpParse(segment(Frames.SACK1), segLen(Frames.SACK1), r)).toBe(Reason.OK);
    expect(r.sackCount).toBe(1);
    expect(tcpSackLeft(r, 0)).toBe(0xaec7d970);
    expect(tcpSackRight(r, 0)).toBe(0xaec7d9a2);
    expect(tcpParse(segment(Frames.SACK3), segLen(Frames.SACK3), r)).toBe(Reason.OK);
    expect(r.headerLen).toBe(60);
    expect(r.sackCount).toBe(3);
    expect(tcpSackLeft(r, 0)).toBe(0xaec7db00);
    expect(tcpSackRight(r, 0)).toBe(0xaec7db14);
    expect(tcpSackLeft(r, 1)).toBe(0xaec7da38);
    expect(tcpSackRight(r, 1)).toBe(0xaec7da6a);
    expect(tcpSackLeft(r, 2)).toBe(0xaec7d970);
    expect(tcpSackRight(r, 2)).toBe(0xaec7d9a2);
  });

  it("emits every captured segment byte for byte over 0xA5 and round-trips", () => {
    let frames: string[] = [Frames.SYN, Frames.SYN_ACK, Frames.DATA, Frames.SACK1, Frames.SACK3, Frames.FIN];
    for (let k = 0; k < frames.length; k++) {
      let hex = frames[k];
      let len = segLen(hex);
      let p = segment(hex);
      let r = repr();
      expect(tcpParse(p, len, r)).toBe(Reason.OK);
      let out = filled(len + 1);
      let hlen = tcpEmit(r, out);
      expect(hlen).toBe(<u32>r.headerLen, "frame " + k.toString());
      expect(tcpLen(r)).toBe(hlen);
      memory.copy(out + hlen, p + hlen, len - hlen); // the payload
      tcpFillChecksum(out, len, pseudo(hex));
      expect(firstDiff(out, p, len)).toBe(-1, "frame " + k.toString());
      expect(load<u8>(out + len)).toBe(0xA5);
      let r2 = repr();
      expect(tcpParse(out, len, r2)).toBe(Reason.OK);
      expect(compareRepr(r, r2)).toBe(0, "frame " + k.toString());
    }
  });

  it("emits a bare 20-byte header when there are no options", () => {
    let r = repr();
    tcpReprClear(r);
    r.srcPort = 11211;
    r.dstPort = 40000;
    r.seq = 1;
    r.ack = 2;
    r.flags = TcpFlag.RST | TcpFlag.ACK;
    r.headerLen = 20;
    expect(tcpLen(r)).toBe(20);
    let out = filled(21);
    expect(tcpEmit(r, out)).toBe(20);
    expect(firstDiff(out, fromHex("2bcb9c40000000010000000250140000" + "00000000"), 20)).toBe(-1);
    expect(load<u8>(out + 20)).toBe(0xA5);
    let r2 = repr();
    expect(tcpParse(out, 20, r2)).toBe(Reason.OK);
    expect(compareRepr(r, r2)).toBe(0);
  });

  it("round-trips random representations", () => {
    let r = repr();
    let r2 = repr();
    let out = heap.alloc(60);
    for (let round = 0; round < 500; round++) {
      tcpReprClear(r);
      r.srcPort = <u16>rand32();
      r.dstPort = <u16>rand32();
      r.seq = rand32();
      r.ack = rand32();
      r.flags = <u16>rand32() & TcpFlag.MASK;
      r.window = <u16>rand32();
      r.urgent = <u16>rand32();
      let bits = rand32();
      if (bits & 1) r.mss = <u16>(rand32() % 65535 + 1);
      if (bits & 2) r.wscale = <u8>(rand32() % 15);
      r.sackPermitted = (bits & 4) != 0;
      if (bits & 8) {
        r.hasTimestamp = true;
        r.tsVal = rand32();
        r.tsEcr = rand32();
      }
      r.sackCount = <u8>((bits >> 4) % 5);
      for (let i: u32 = 0; i < r.sackCount; i++) tcpSetSack(r, i, rand32(), rand32());
      // the emitter drops what does not fit; the repr must say what it sent
      let fit = tcpSackRoom(r);
      for (let i = fit; i < r.sackCount; i++) tcpSetSack(r, i, 0, 0);
      r.sackCount = <u8>fit;
      r.headerLen = <u8>tcpLen(r);
      let hlen = tcpEmit(r, out);
      expect(hlen).toBe(<u32>r.headerLen);
      expect(hlen % 4).toBe(0);
      expect(hlen <= Tcp.MAX_HEADER_LEN).toBe(true);
      tcpFillChecksum(out, hlen, 0x1234);
      expect(tcpCheck(out, hlen, 0x1234)).toBe(Reason.OK);
      expect(tcpParse(out, hlen, r2)).toBe(Reason.OK);
      expect(compareRepr(r, r2)).toBe(0, "round " + round.toString());
    }
  });

  it("leaves out the SACK blocks that do not fit", () => {
    let r = repr();
    tcpReprClear(r);
    r.sackCount = 4;
    for (let i: u32 = 0; i < 4; i++) tcpSetSack(r, i, i * 100, i * 100 + 50);
    expect(tcpSackRoom(r)).toBe(4); // 4 + 32 = 36 bytes
    expect(tcpLen(r)).toBe(56);
    r.hasTimestamp = true;
    expect(tcpSackRoom(r)).toBe(3); // 12 + 4 + 24 = 40
    expect(tcpLen(r)).toBe(60);
    r.mss = 1460;
    r.wscale = 7;
    expect(tcpSackRoom(r)).toBe(2); // 4 + 12 + 4 + 4 + 16 = 40
    let out = filled(61);
    expect(tcpEmit(r, out)).toBe(60);
    expect(load<u8>(out + 60)).toBe(0xA5);
    let r2 = repr();
    expect(tcpParse(out, 60, r2)).toBe(Reason.OK);
    expect(r2.sackCount).toBe(2);
    expect(tcpSackLeft(r2, 1)).toBe(100);
    expect(tcpSackRight(r2, 1)).toBe(150);
  });
});

describe("tcp options", () => {
  it("emits SACK-permitted alone as NOP NOP SACK-perm", () => {
    let r = repr();
    tcpReprClear(r);
    r.sackPermitted = true;
    let out = filled(24);
    expect(tcpEmit(r, out)).toBe(24);
    expect(load<u32>(out + 20)).toBe(0x02040101); // 01 01 04 02
  });

  it("skips unknown options and NOPs, and stops at EOL", () => {
    let r = repr();
    // unknown kind 30 (len 6), MSS 536, NOP, EOL, then garbage that must not be read as a WS option
    expect(parseOptions("1e06aabbccdd" + "02040218" + "01" + "00" + "030309" + "00", r)).toBe(Reason.OK);
    expect(r.mss).toBe(536);
    expect(r.wscale).toBe(Tcp.NO_WSCALE);
  });

  it("ignores known options of the wrong length, as Linux does", () => {
    let r = repr();
    // MSS of length 3 + NOP; SACK-perm of length 3 + NOP; TS of length 9 + 3 NOPs; SACK of 2 + 7
    expect(parseOptions("02030501" + "04030001" + "0809000000000000000001010101" + "05090000000000000000000000", r)).toBe(Reason.OK);
    expect(r.mss).toBe(0);
    expect(r.sackPermitted).toBe(false);
    expect(r.hasTimestamp).toBe(false);
    expect(r.sackCount).toBe(0);
  });

  it("uses a window scale above 14 as 14 (RFC 7323)", () => {
    let r = repr();
    expect(parseOptions("01030320", r)).toBe(Reason.OK);
    expect(r.wscale).toBe(14);
  });

  it("parses four SACK blocks (no timestamps)", () => {
    let r = repr();
    expect(parseOptions("01010522" + "0000000100000002" + "0000000300000004" + "0000000500000006" + "0000000700000008", r)).toBe(Reason.OK);
    expect(r.sackCount).toBe(4);
    expect(tcpSackLeft(r, 3)).toBe(7);
    expect(tcpSackRight(r, 3)).toBe(8);
  });

  it("refuses a zero-length or one-byte option", () => {
    let r = repr();
    expect(parseOptions("1e000000", r)).toBe(Reason.BAD_OPTION_LEN);
    expect(parseOptions("01020000", r)).toBe(Reason.BAD_OPTION_LEN); // NOP then MSS of length 0
    expect(parseOptions("1e010000", r)).toBe(Reason.BAD_OPTION_LEN);
  });

  it("refuses options running past the header", () => {
    let r = repr();
    expect(parseOptions("01010204", r)).toBe(Reason.BAD_OPTION_LEN); // MSS needs 4, 2 left
    expect(parseOptions("0101011e", r)).toBe(Reason.BAD_OPTION_LEN); // kind in the last byte, no length
    expect(parseOptions("080a0000" + "00000000", r)).toBe(Reason.BAD_OPTION_LEN); // TS of 10 in 8
    expect(parseOptions("01010528" + "0000000100000002" + "0000000300000004" + "0000000500000006" + "0000000700000008", r)).toBe(Reason.BAD_OPTION_LEN);
  });

  it("reads options only up to the data offset", () => {
    // 24-byte header followed by payload bytes that look like a WS option
    let p = withOptions("02040218");
    let q = heap.alloc(28);
    memory.copy(q, p, 24);
    store<u32>(q + 24, 0x0a030301);
    let r = repr();
    expect(tcpParse(q, 28, r)).toBe(Reason.OK);
    expect(r.mss).toBe(536);
    expect(r.wscale).toBe(Tcp.NO_WSCALE);
  });
});

