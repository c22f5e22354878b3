// The big one: two stacks of ours over the fake link with a seeded fault
// injector (net.ts). 1 MiB through an echo server arrives intact and the
// run replays exactly (same trace hash); smaller runs sweep seeds, ring
// sizes (back-pressure, zero windows, ring wrap) and the half-close.

import { Ctr, tcpCounter } from "../index";
import { Reason } from "../../wire/reasons";
import { clientStack, finished, mismatches, received, runEcho, serverStack, setFaults, ticks, traceHash } from "./net";

const MIB: u32 = 1 << 20;

function both(i: u32): u64 { return tcpCounter(clientStack, i) + tcpCounter(serverStack, i); }

/** The last run echoed all `total` bytes back unchanged and both sides closed. */
function expectIntact(total: u32): void {
  expect(received).toBe(total);
  expect(mismatches).toBe(0);
  expect(finished).toBe(true);
}

describe("two stacks over a clean link", () => {
  it("echo 64 KiB intact with no retransmission, and both sides close", () => {
    setFaults(0, 0, 0, 0);
    runEcho(64 * 1024, 1, 16384, 100000);
    expectIntact(64 * 1024);
    expect(both(Ctr.RETRANSMITS)).toBe(0);
  });
  it("half-close: the client's FIN goes first, the echo still comes back", () => {
    setFaults(0, 0, 0, 0);
    runEcho(64 * 1024, 1, 16384, 100000, true);
    expectIntact(64 * 1024);
  });
});

describe("two stacks over a faulty link (5% loss, 10% reorder, 2% dup, 2% corrupt)", () => {
  it("echo 1 MiB intact, and the same trace twice", () => {
    setFaults(50, 100, 20, 20);
    runEcho(MIB, 7, 65536, 2000000);
    let h1 = traceHash;
    let t1 = ticks;
    expectIntact(MIB);
    expect(both(Ctr.RETRANSMITS)).toBeGreaterThan(0);
    expect(both(Ctr.WIRE_BASE + Reason.BAD_CHECKSUM)).toBeGreaterThan(0);
    expect(both(Ctr.OOO_SEGMENTS)).toBeGreaterThan(0);
    expect(both(Ctr.FAST_RETRANSMITS)).toBeGreaterThan(0);
    runEcho(MIB, 7, 65536, 2000000);
    expect(traceHash).toBe(h1);
    expect(ticks).toBe(t1);
    expect(received).toBe(MIB);
    runEcho(MIB, 8, 65536, 2000000);
    expect(traceHash).not.toBe(h1); // another fault seed, another trace
    expect(received).toBe(MIB);
  });
  it("echo 10 MiB intact (the issue's size)", () => {
    setFaults(50, 100, 20, 20);
    runEcho(10 * MIB, 9, 65536, 20000000);
    expectIntact(10 * MIB);
  });
  it("256 KiB over 4, 16 and 64 KiB rings, several seeds, half of them half-closed", () => {
    let rings: u32[] = [4096, 16384, 65536];
    for (let ri = 0; ri < rings.length; ri++) {
      for (let seed: u64 = 1; seed <= 6; seed++) {
        setFaults(50, 100, 20, 20);
        runEcho(256 * 1024, seed, rings[ri], 400000, (seed & 1) == 0);
        expectIntact(256 * 1024);
      }
    }
  });
});

describe("two stacks over a very lossy link (10% loss)", () => {
  it("echo 256 KiB intact", () => {
    setFaults(100, 100, 20, 20);
    runEcho(256 * 1024, 3, 16384, 1000000);
    expectIntact(256 * 1024);
  });
});
