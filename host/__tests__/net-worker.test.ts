// The net worker's burst loop, with a fake stack (a frame reflector written
// in JS over the same descriptor arrays) on an in-memory link: every frame
// one burst receives is offered back in the same net_poll, in order.
import { describe, expect, it } from "vitest";
import { BURST_MAX, DESC_SIZE, FRAME_CAP } from "../devices/device.js";
import { FaultInjector, NO_FAULTS } from "../devices/faults.js";
import { memLink } from "../devices/memlink.js";
import { type BurstDevice, IDLE_MAX_MS, IdleWaiter, NetLoop, type NetPort } from "../net-worker.js";
import { libc } from "../libc.js";
import { drain, numbered, seqOf, send, wasmRegion } from "../devices/__tests__/support.js";

/** Descriptors at 64, buffers after them, in a shared memory; reflects frames, up to tx_avail per poll. */
class Reflector implements NetPort {
  readonly bytes: Uint8Array;
  private readonly dv: DataView;
  nextAt = Infinity;
  polls = 0;
  private readonly rxDesc = 64;
  private readonly txDesc = 64 + BURST_MAX * DESC_SIZE;
  private readonly buffers = 64 + 2 * BURST_MAX * DESC_SIZE;

  constructor() {
    const pages = Math.ceil((this.buffers + 2 * BURST_MAX * FRAME_CAP) / 65536);
    const memory = new WebAssembly.Memory({ initial: pages, maximum: pages, shared: true });
    this.bytes = new Uint8Array(memory.buffer);
    this.dv = new DataView(memory.buffer);
  }

  net_rx_desc = () => this.rxDesc;
  net_tx_desc = () => this.txDesc;
  net_frame_buffers = () => this.buffers;
  net_poll_at = () => this.nextAt;

  net_poll = (rxCount: number, txAvail: number, _now: number): number => {
    this.polls++;
    const n = Math.min(rxCount, txAvail);
    for (let i = 0; i < n; i++) {
      const from = this.dv.getUint32(this.rxDesc + i * DESC_SIZE, true);
      const len = this.dv.getUint32(this.rxDesc + i * DESC_SIZE + 4, true);
      const to = this.dv.getUint32(this.txDesc + i * DESC_SIZE, true);
      expect(this.dv.getUint32(this.txDesc + i * DESC_SIZE + 4, true)).toBeGreaterThanOrEqual(1518);
      this.bytes.copyWithin(to, from, from + len);
      this.dv.setUint32(this.txDesc + i * DESC_SIZE + 4, len, true);
    }
    return n;
  };
}

describe("NetLoop", () => {
  it("moves a burst in, one net_poll, and the stack's frames out, in order", () => {
    const [ours, peer] = memLink({ capacity: 256 });
    const stack = new Reflector();
    const loop = new NetLoop(stack, ours, stack.bytes);
    const region = wasmRegion();
    const frames = Array.from({ length: 100 }, (_, i) => numbered(i, 60 + i));
    send(peer, region, frames.slice(0, 64));
    send(peer, region, frames.slice(64));
    expect(loop.step(0)).toEqual({ received: 64, sent: 64 });
    expect(loop.idleMs({ received: 64, sent: 64 }, 0)).toBe(0);
    expect(loop.step(0)).toEqual({ received: 36, sent: 36 });
    const back = drain(peer, region);
    expect(back.map(seqOf)).toEqual(frames.map((_, i) => i));
    back.forEach((f, i) => expect(Buffer.from(f).equals(Buffer.from(frames[i]))).toBe(true));
    expect(stack.polls).toBe(2);
  });

  it("sleeps until the stack's next timer, at least 1 ms and at most IDLE_MAX_MS", () => {
    const [ours] = memLink();
    const stack = new Reflector();
    const loop = new NetLoop(stack, ours, stack.bytes);
    const idle = loop.step(1000);
    expect(idle).toEqual({ received: 0, sent: 0 });
    expect(loop.idleMs(idle, 1000)).toBe(IDLE_MAX_MS);
    stack.nextAt = 1040.5;
    expect(loop.idleMs(idle, 1000)).toBe(41);
    stack.nextAt = 990; // already due: net_poll just ran it
    expect(loop.idleMs(idle, 1000)).toBe(1);
    stack.nextAt = 5000;
    expect(loop.idleMs(idle, 1000)).toBe(IDLE_MAX_MS);
  });

  it("comes back when a wrapper holds frames (the device's pollAt), and transmits even when the stack built none", () => {
    const [ours, peer] = memLink();
    // Every frame is held back (reorder=1), both ways, until `delay` passes.
    const faults = new FaultInjector(ours, { ...NO_FAULTS, reorder: 1, delay: 30 });
    const stack = new Reflector();
    const loop = new NetLoop(stack, faults, stack.bytes);
    const region = wasmRegion();
    send(peer, region, [numbered(7)]);
    const held = loop.step(0);
    expect(held).toEqual({ received: 0, sent: 0 });
    expect(loop.idleMs(held, 0)).toBe(30);
    expect(loop.step(30)).toEqual({ received: 1, sent: 1 });
    expect(drain(peer, region)).toEqual([]);
    const idle = loop.step(31);
    expect(loop.idleMs(idle, 31)).toBe(29);
    loop.step(60); // nothing in, nothing built: transmit(0) releases the held frame
    expect(drain(peer, region).map(seqOf)).toEqual([7]);
  });

  it("refuses buffers outside the memory", () => {
    const stack = new Reflector();
    const [ours] = memLink();
    stack.net_frame_buffers = () => stack.bytes.length - FRAME_CAP;
    expect(() => new NetLoop(stack, ours, stack.bytes)).toThrow(/outside the memory/);
  });
});

/**
 * A polled device with its own tx buffers (the DPDK device's contract): each
 * burst sends `txCount` tx descriptors, delivers queued frames into the rx
 * descriptors (its own buffers) and offers `offer` tx buffers of its own.
 */
class FakeBurstDevice implements BurstDevice {
  readonly name = "fake-burst";
  readonly maxFrame = 1514;
  readonly fd = -1;
  readonly offersTx = true;
  readonly calls: Array<[number, number]> = [];
  readonly sent: Uint8Array[] = [];
  readonly inbox: Uint8Array[] = [];
  offer = 8;
  private readonly dv: DataView;
  /** Device-owned buffers: rx at `own`, tx after. */
  private readonly own: number;

  constructor(private readonly stack: Reflector) {
    this.dv = new DataView(stack.bytes.buffer);
    this.own = stack.net_frame_buffers(); // anywhere in the memory the stack can reach
  }

  burst(txCount: number, rxMax = BURST_MAX): number {
    this.calls.push([txCount, rxMax]);
    const { dv } = this;
    const rxd = this.stack.net_rx_desc();
    const txd = this.stack.net_tx_desc();
    for (let i = 0; i < txCount; i++) {
      const a = dv.getUint32(txd + i * DESC_SIZE, true);
      const l = dv.getUint32(txd + i * DESC_SIZE + 4, true);
      this.sent.push(this.stack.bytes.slice(a, a + l));
    }
    let rx = 0;
    while (rx < rxMax && this.inbox.length > 0) {
      const f = this.inbox.shift()!;
      const at = this.own + rx * FRAME_CAP;
      this.stack.bytes.set(f, at);
      dv.setUint32(rxd + rx * DESC_SIZE, at, true);
      dv.setUint32(rxd + rx * DESC_SIZE + 4, f.length, true);
      rx++;
    }
    for (let i = 0; i < this.offer; i++) {
      dv.setUint32(txd + i * DESC_SIZE, this.own + (BURST_MAX + i) * FRAME_CAP, true);
      dv.setUint32(txd + i * DESC_SIZE + 4, FRAME_CAP, true);
    }
    return rx | (txCount << 8) | (this.offer << 16);
  }

  receive(): number {
    throw new Error("the loop must use burst()");
  }

  transmit(): number {
    throw new Error("the loop must use burst()");
  }

  pollAt(now: number): number {
    return now;
  }

  counters() {
    return {};
  }

  close(): void {}
}

describe("NetLoop over a device with its own tx buffers (DPDK's burst)", () => {
  it("makes one burst call per step, sending what the previous net_poll built, and drains the last", () => {
    const stack = new Reflector();
    const dev = new FakeBurstDevice(stack);
    const loop = new NetLoop(stack, dev, stack.bytes);
    const frames = Array.from({ length: 12 }, (_, i) => numbered(i, 60 + i));
    dev.inbox.push(...frames.slice(0, 5));
    expect(loop.step(0)).toEqual({ received: 5, sent: 5 });
    expect(dev.calls).toEqual([[0, BURST_MAX]]);
    dev.inbox.push(...frames.slice(5));
    // 7 frames in, but only 8 tx buffers offered and the reflector answers min(rx, avail).
    expect(loop.step(0)).toEqual({ received: 7, sent: 7 });
    expect(dev.calls[1]).toEqual([5, BURST_MAX]);
    expect(loop.step(0)).toEqual({ received: 0, sent: 0 });
    expect(dev.calls[2]).toEqual([7, BURST_MAX]);
    loop.drain(); // nothing built since: no call
    expect(dev.calls.length).toBe(3);
    dev.inbox.push(numbered(99, 64));
    loop.step(0);
    loop.drain();
    expect(dev.calls[4]).toEqual([1, 0]);
    expect(dev.sent.map(seqOf)).toEqual([...frames.map((_, i) => i), 99]);
    expect(stack.polls).toBe(4);
  });

  it("takes at most rxMax frames a burst: the rest wait in the device's queue", () => {
    const stack = new Reflector();
    const dev = new FakeBurstDevice(stack);
    const loop = new NetLoop(stack, dev, stack.bytes, 3);
    dev.inbox.push(...Array.from({ length: 7 }, (_, i) => numbered(i, 60)));
    expect(loop.step(0)).toEqual({ received: 3, sent: 3 });
    expect(loop.step(0)).toEqual({ received: 3, sent: 3 });
    expect(loop.step(0)).toEqual({ received: 1, sent: 1 });
    loop.drain();
    expect(dev.calls.map((c) => c[1])).toEqual([3, 3, 3, 0]);
    expect(dev.sent.map(seqOf)).toEqual([0, 1, 2, 3, 4, 5, 6]);
  });

  it("refuses a net_poll that builds more frames than the device offered", () => {
    const stack = new Reflector();
    const dev = new FakeBurstDevice(stack);
    dev.offer = 2;
    stack.net_poll = () => 3;
    const loop = new NetLoop(stack, dev, stack.bytes);
    expect(() => loop.step(0)).toThrow(/net_poll returned 3 frames for 2 buffers/);
  });
});

describe("IdleWaiter", () => {
  it("sleeps for the timeout without an fd", () => {
    const t0 = performance.now();
    new IdleWaiter(libc(), -1).wait(20);
    expect(performance.now() - t0).toBeGreaterThanOrEqual(15);
  });
});
