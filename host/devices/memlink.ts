// An in-memory link: two devices back to back, for running our stack as
// client and server in one process. What one end transmits the other
// receives, in order, through a bounded queue per direction; a frame that
// finds its queue full is dropped and counted, as a switch port would.
import { BURST_MAX, type Burst, type Counters, type Device, ETH_HEADER, FRAME_CAP } from "./device.js";

export interface MemLinkOptions {
  /** Frames each direction's queue holds (default 4 * BURST_MAX). */
  readonly capacity?: number;
  /** Link MTU (default 1500); frames longer than mtu + 14 are dropped and counted. */
  readonly mtu?: number;
}

/** A bounded FIFO of frames, copied in and out of preallocated slots. */
class FrameQueue {
  private readonly slots: Uint8Array;
  private readonly lens: Int32Array;
  private head = 0;
  count = 0;
  /** Frames dropped because the queue was full. */
  dropped = 0;

  constructor(readonly capacity: number) {
    this.slots = new Uint8Array(capacity * FRAME_CAP);
    this.lens = new Int32Array(capacity);
  }

  push(frame: Uint8Array): boolean {
    if (this.count === this.capacity) {
      this.dropped++;
      return false;
    }
    const slot = (this.head + this.count) % this.capacity;
    this.slots.set(frame, slot * FRAME_CAP);
    this.lens[slot] = frame.length;
    this.count++;
    return true;
  }

  /** The oldest frame (a view, valid until the next push), without removing it. */
  peek(): Uint8Array {
    const off = this.head * FRAME_CAP;
    return this.slots.subarray(off, off + this.lens[this.head]);
  }

  shift(): void {
    this.head = (this.head + 1) % this.capacity;
    this.count--;
  }

  clear(): void {
    this.head = 0;
    this.count = 0;
  }
}

export class MemLinkEnd implements Device {
  readonly maxFrame: number;
  readonly fd = -1;
  private closed = false;
  private rx = 0;
  private tx = 0;
  private rxOversize = 0;
  private txOversize = 0;

  constructor(
    readonly name: string,
    private readonly inbox: FrameQueue,
    private readonly outbox: FrameQueue,
    mtu: number,
  ) {
    this.maxFrame = mtu + ETH_HEADER;
  }

  private check(): void {
    if (this.closed) throw new Error(`${this.name} is closed`);
  }

  receive(rx: Burst, max: number, _now: number): number {
    this.check();
    const q = this.inbox;
    let n = 0;
    while (n < max && q.count > 0) {
      const frame = q.peek();
      q.shift();
      if (frame.length > rx.len(n)) {
        this.rxOversize++;
        continue;
      }
      rx.bytes.set(frame, rx.addr(n));
      rx.setLen(n, frame.length);
      this.rx++;
      n++;
    }
    return n;
  }

  transmit(tx: Burst, count: number, _now: number): number {
    this.check();
    let sent = 0;
    for (let i = 0; i < count; i++) {
      const frame = tx.frame(i);
      if (frame.length > this.maxFrame) {
        this.txOversize++;
        continue;
      }
      if (this.outbox.push(frame)) sent++;
    }
    this.tx += sent;
    return sent;
  }

  pollAt(now: number): number {
    return this.inbox.count > 0 ? now : Infinity;
  }

  /** Frames waiting for this end's receive. */
  get queued(): number {
    return this.inbox.count;
  }

  counters(): Counters {
    const { rx, tx, rxOversize, txOversize } = this;
    return { rx, tx, rxOversize, txOversize, txDropped: this.outbox.dropped, rxQueued: this.inbox.count };
  }

  close(): void {
    this.closed = true;
    this.inbox.clear();
  }
}

/** Two ends of one link: frames `a` transmits, `b` receives, and the other way round. */
export function memLink(options: MemLinkOptions = {}): [MemLinkEnd, MemLinkEnd] {
  const capacity = options.capacity ?? 4 * BURST_MAX;
  const mtu = options.mtu ?? 1500;
  if (!Number.isInteger(capacity) || capacity < 1) throw new RangeError(`memlink capacity ${capacity} must be a whole number >= 1`);
  if (!Number.isInteger(mtu) || mtu < 68 || mtu + ETH_HEADER > FRAME_CAP) {
    throw new RangeError(`memlink mtu ${mtu} must be 68..${FRAME_CAP - ETH_HEADER}`);
  }
  const aToB = new FrameQueue(capacity);
  const bToA = new FrameQueue(capacity);
  return [new MemLinkEnd("memlink:a", bToA, aToB, mtu), new MemLinkEnd("memlink:b", aToB, bToA, mtu)];
}
