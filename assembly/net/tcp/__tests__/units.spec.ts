// The small parts on their own: the 4-tuple table, the rings, the RTO
// estimator, out-of-order ranges, the ISN generator and cookies.

import { TCP_REPR_SIZE, TcpRepr, tcpSackLeft, tcpSackRight } from "../../wire/tcp";
import { Conn, CONN_SIZE } from "../conn";
import { cookieCheck, cookieMake, cookieMss } from "../cookie";
import { tcpInit, tcpRegionSize } from "../index";
import { isnFor } from "../isn";
import { oooAdd, oooAdvance, sackBlocksFill } from "../reassembly";
import { ringMirror, ringRead, ringUnmirror, ringWrite } from "../ring";
import { rttBackoff, rttInit, rttSample } from "../rtt";
import { connAt, Stack, stackOf } from "../stack";
import { NO_CONN, tableInsert, tableLookup, tableRemove } from "../table";

function stack(maxConns: u32): Stack {
  let size = tcpRegionSize(maxConns, 256, 256);
  let base = heap.alloc(size);
  memory.fill(base, 0, size);
  expect(tcpInit(base, size, maxConns, 256, 256, 1500, 9)).toBe(0);
  return stackOf(base);
}

function conn(): Conn {
  let p = heap.alloc(CONN_SIZE);
  memory.fill(p, 0, CONN_SIZE);
  return changetype<Conn>(p);
}

describe("table", () => {
  it("finds every connection by its 4-tuple, and none after removal", () => {
    let s = stack(64);
    for (let i: u32 = 0; i < 64; i++) expect(tableInsert(s, 1, 80, 100 + (i & 3), 1000 + i)).toBe(i);
    expect(tableInsert(s, 1, 80, 7, 7)).toBe(NO_CONN); // full
    for (let i: u32 = 0; i < 64; i += 2) tableRemove(s, connAt(s, i));
    for (let i: u32 = 0; i < 64; i++) {
      expect(tableLookup(s, 1, 80, 100 + (i & 3), 1000 + i)).toBe((i & 1) ? i : NO_CONN);
    }
    expect(s.active).toBe(32);
    // freed slots are reused
    expect(tableInsert(s, 2, 80, 3, 4)).not.toBe(NO_CONN);
  });
  it("refuses a region too small or ring sizes that are not powers of two", () => {
    let base = heap.alloc(1024);
    expect(tcpInit(base, 1024, 4, 256, 256, 1500, 1)).toBe(-1);
    let size = tcpRegionSize(4, 256, 256);
    let big = heap.alloc(size);
    expect(tcpInit(big, size, 4, 300, 256, 1500, 1)).toBe(-1);
  });
});

describe("rings", () => {
  it("write and read across the end", () => {
    let ring = heap.alloc(16 + 16);
    let src = heap.alloc(10);
    for (let i = 0; i < 10; i++) store<u8>(src + i, <u8>i);
    ringWrite(ring, 16, 12, src, 10);
    let dst = heap.alloc(10);
    ringRead(ring, 16, 12, dst, 10);
    expect(memory.compare(src, dst, 10)).toBe(0);
    // mirrored: one span of 10 at offset 12
    expect(ringMirror(ring, 16, 16, 12, 10)).toBe(10);
    expect(memory.compare(ring + 12, src, 10)).toBe(0);
    // the app wrote into the slack: moved to the start
    memory.fill(ring, 0, 32);
    memory.copy(ring + 12, src, 10);
    ringUnmirror(ring, 16, 12, 10);
    ringRead(ring, 16, 12, dst, 10);
    expect(memory.compare(src, dst, 10)).toBe(0);
  });
});

describe("rto (RFC 6298)", () => {
  it("follows the estimator, clamps and backs off", () => {
    let s = stack(1);
    let c = conn();
    rttInit(s, c);
    expect(c.rto).toBe(1000);
    rttSample(s, c, 100);
    expect(c.srtt).toBe(100);
    expect(c.rttvar).toBe(50);
    expect(c.rto).toBe(300);
    rttSample(s, c, 200); // rttvar = 3/4 50 + 1/4 100; srtt = 7/8 100 + 1/8 200
    expect(c.rttvar).toBe(63);
    expect(c.srtt).toBe(113);
    expect(c.rto).toBe(113 + 4 * 63);
    rttSample(s, c, 1);
    rttSample(s, c, 1);
    for (let i = 0; i < 20; i++) rttSample(s, c, 1);
    expect(c.rto).toBe(200); // the floor
    for (let i = 0; i < 20; i++) rttBackoff(s, c);
    expect(c.rto).toBe(60000); // the ceiling
  });
});

describe("out-of-order ranges", () => {
  it("merge, advance rcv_nxt through them and make SACK blocks latest first", () => {
    let c = conn();
    c.rcvNxt = 1000;
    expect(oooAdd(c, 1100, 1200)).toBe(true);
    expect(oooAdd(c, 1300, 1400)).toBe(true);
    expect(oooAdd(c, 1200, 1300)).toBe(true); // joins both
    expect(c.oooCount).toBe(1);
    expect(oooAdd(c, 1500, 1600)).toBe(true);
    expect(oooAdd(c, 1700, 1800)).toBe(true);
    expect(oooAdd(c, 1900, 2000)).toBe(true);
    expect(oooAdd(c, 2100, 2200)).toBe(false); // four ranges held: dropped
    expect(oooAdd(c, 1950, 2050)).toBe(true);  // but widening one is fine
    let r = changetype<TcpRepr>(heap.alloc(TCP_REPR_SIZE));
    sackBlocksFill(c, r);
    expect(r.sackCount).toBe(4);
    expect(tcpSackLeft(r, 0)).toBe(1900);
    expect(tcpSackRight(r, 0)).toBe(2050);
    expect(tcpSackLeft(r, 1)).toBe(1100);
    expect(oooAdvance(c, 1100)).toBe(1400);
    expect(c.oooCount).toBe(3);
  });
});

describe("isn and cookies", () => {
  it("ISNs are keyed, tuple-dependent and advance with a 4 µs clock", () => {
    let a = isnFor(1, 2, 10, 80, 11, 5000, 0);
    expect(isnFor(1, 2, 10, 80, 11, 5000, 0)).toBe(a);
    expect(isnFor(1, 2, 10, 80, 11, 5001, 0)).not.toBe(a);
    expect(isnFor(1, 3, 10, 80, 11, 5000, 0)).not.toBe(a);
    expect(isnFor(1, 2, 10, 80, 11, 5000, 1) - a).toBe(250);
  });
  it("a cookie validates for its tuple within two periods and carries the MSS", () => {
    let s = stack(1);
    let ck = cookieMake(s, 10, 80, 11, 5000, 777, 1400, 1000);
    expect(cookieMss(<u32>cookieCheck(s, 10, 80, 11, 5000, 777, ck, 1000))).toBe(1400);
    expect(cookieCheck(s, 10, 80, 11, 5000, 777, ck, 1000 + 64000)).toBeGreaterThanOrEqual(0);
    expect(cookieCheck(s, 10, 80, 11, 5000, 777, ck, 1000 + 128000)).toBe(-1);
    expect(cookieCheck(s, 10, 80, 11, 5001, 777, ck, 1000)).toBe(-1);
    expect(cookieCheck(s, 10, 80, 11, 5000, 778, ck, 1000)).toBe(-1);
  });
});
