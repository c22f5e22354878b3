import { describe, expect, it } from "vitest";
import { memLink } from "../memlink.js";
import { drain, hex, numbered, receive, send, seqOf, wasmRegion } from "./support.js";

describe("memLink", () => {
  it("passes frames in order, both ways", () => {
    const [a, b] = memLink();
    const region = wasmRegion();
    const frames = Array.from({ length: 100 }, (_, i) => numbered(i, 60 + i));
    expect(send(a, region, frames.slice(0, 64))).toBe(64);
    expect(send(a, region, frames.slice(64))).toBe(36);
    expect(b.pollAt(5)).toBe(5);
    expect(a.pollAt(5)).toBe(Infinity);
    expect(drain(b, region, 0, 10).map(hex)).toEqual(frames.map(hex));
    expect(b.pollAt(5)).toBe(Infinity);

    expect(send(b, region, [numbered(7)])).toBe(1);
    expect(receive(a, region).map(seqOf)).toEqual([7]);
    expect(receive(b, region)).toEqual([]);
    expect(a.counters()).toMatchObject({ tx: 100, rx: 1, txDropped: 0 });
    expect(b.counters()).toMatchObject({ tx: 1, rx: 100 });
  });

  it("drops and counts what finds the queue full", () => {
    const [a, b] = memLink({ capacity: 10 });
    const region = wasmRegion();
    expect(send(a, region, Array.from({ length: 16 }, (_, i) => numbered(i)))).toBe(10);
    expect(send(a, region, [numbered(99)])).toBe(0);
    expect(a.counters()).toMatchObject({ tx: 10, txDropped: 7 });
    expect(b.counters()).toMatchObject({ rxQueued: 10 });
    expect(receive(b, region, 0, 4).map(seqOf)).toEqual([0, 1, 2, 3]);
    expect(send(a, region, [numbered(100), numbered(101)])).toBe(2);
    expect(drain(b, region).map(seqOf)).toEqual([4, 5, 6, 7, 8, 9, 100, 101]);
  });

  it("drops frames longer than the MTU, and frames longer than the receive buffer", () => {
    const [a, b] = memLink({ mtu: 100 });
    expect(a.maxFrame).toBe(114);
    const region = wasmRegion();
    expect(send(a, region, [numbered(1, 114), numbered(2, 115), numbered(3, 100)])).toBe(2);
    expect(a.counters().txOversize).toBe(1);
    region.offerRx();
    region.rx.setLen(0, 100); // the first buffer is too short for frame 1
    const n = b.receive(region.rx, 2, 0);
    expect(n).toBe(1);
    expect(seqOf(region.rx.frame(0))).toBe(3);
    expect(b.counters().rxOversize).toBe(1);
  });

  it("rejects bad options and use after close", () => {
    expect(() => memLink({ capacity: 0 })).toThrow(RangeError);
    expect(() => memLink({ mtu: 2040 })).toThrow(RangeError);
    const [a] = memLink();
    a.close();
    a.close();
    expect(() => send(a, wasmRegion(), [numbered(0)])).toThrow(/memlink:a is closed/);
  });
});
