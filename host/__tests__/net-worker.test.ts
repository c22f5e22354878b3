// The net worker's burst loop, with a fake stack (a frame reflector written
// in JS over the same descriptor arrays) on an in-memory link: every frame
// one burst receives is offered back in the same net_poll, in order.
import { describe, expect, it } from "vitest";
import { BURST_MAX, DESC_SIZE, FRAME_CAP } from "../devices/device.js";
import { FaultInjector, NO_FAULTS } from "../devices/faults.js";
import { memLink } from "../devices/memlink.js";
import { IDLE_MAX_MS, IdleWaiter, NetLoop, type NetPort } from "../net-worker.js";
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

describe("IdleWaiter", () => {
  it("sleeps for the timeout without an fd", () => {
    const t0 = performance.now();
    new IdleWaiter(libc(), -1).wait(20);
    expect(performance.now() - t0).toBeGreaterThanOrEqual(15);
  });
});
