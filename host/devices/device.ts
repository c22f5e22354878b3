// The host side of the frame-burst interface (docs/net-device.md): what a
// device is, and the descriptor arrays through which frames move between a
// device and the userspace stack's Wasm memory.
//
// A descriptor is two little-endian u32 words [addr, len]; an array of them
// lives in some memory (the shared Wasm memory, or a host buffer for a
// wrapper's staging) and its addresses index that same memory. Devices wrap
// devices (smoltcp's `phy`): the fault injector, the pcap writer and any
// tracer take a Device and are one.

/** Descriptors per array, and frames per burst (docs/net-device.md). */
export const BURST_MAX = 64;
/** Bytes of each buffer a copying device owns. */
export const FRAME_CAP = 2048;
/** Bytes of one descriptor: [addr u32, len u32]. */
export const DESC_SIZE = 8;
/** The smallest tx buffer the stack may be offered: 1514 + 4 (docs/net-device.md). */
export const TX_CAP_MIN = 1518;
/** Ethernet header (no VLAN tag); a device's largest frame is mtu + ETH_HEADER. */
export const ETH_HEADER = 14;

/**
 * A descriptor array of `capacity` entries at byte offset `desc` of `bytes`.
 * Addresses in the descriptors are offsets into the same `bytes`.
 */
export class Burst {
  readonly dv: DataView;

  constructor(
    /** The whole memory the descriptors and their addresses index. */
    readonly bytes: Uint8Array,
    /** Offset of descriptor 0 in `bytes`. */
    readonly desc: number,
    readonly capacity: number = BURST_MAX,
  ) {
    if (desc % 4 !== 0 || desc < 0 || desc + capacity * DESC_SIZE > bytes.length) {
      throw new RangeError(`descriptor array [${desc}, +${capacity * DESC_SIZE}) is outside the memory or unaligned`);
    }
    this.dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }

  addr(i: number): number {
    return this.dv.getUint32(this.desc + i * DESC_SIZE, true);
  }

  len(i: number): number {
    return this.dv.getUint32(this.desc + i * DESC_SIZE + 4, true);
  }

  set(i: number, addr: number, len: number): void {
    this.dv.setUint32(this.desc + i * DESC_SIZE, addr, true);
    this.dv.setUint32(this.desc + i * DESC_SIZE + 4, len, true);
  }

  setLen(i: number, len: number): void {
    this.dv.setUint32(this.desc + i * DESC_SIZE + 4, len, true);
  }

  /** The bytes descriptor i points at (a view, not a copy). */
  frame(i: number): Uint8Array {
    const a = this.addr(i);
    return this.bytes.subarray(a, a + this.len(i));
  }

  /** Points descriptors [0, count) at consecutive empty buffers of `cap` bytes from `buffers`. */
  offer(buffers: number, count: number = this.capacity, cap: number = FRAME_CAP): void {
    for (let i = 0; i < count; i++) this.set(i, buffers + i * cap, cap);
  }
}

/** Bytes of a copying device's region: rx and tx descriptor arrays, then 2 * BURST_MAX buffers. */
export const DEVICE_REGION_SIZE = 2 * BURST_MAX * DESC_SIZE + 2 * BURST_MAX * FRAME_CAP;

/**
 * A copying device's region inside a core's region of Wasm memory
 * (docs/net-device.md): rx_desc at `base`, tx_desc after it, then BURST_MAX
 * rx buffers and BURST_MAX tx buffers of FRAME_CAP bytes.
 */
export class DeviceRegion {
  readonly rx: Burst;
  readonly tx: Burst;
  readonly rxBuffers: number;
  readonly txBuffers: number;

  constructor(memory: Uint8Array, readonly base: number) {
    if (base % 64 !== 0) throw new RangeError(`device region base ${base} is not 64-byte aligned`);
    this.rx = new Burst(memory, base);
    this.tx = new Burst(memory, base + BURST_MAX * DESC_SIZE);
    this.rxBuffers = base + 2 * BURST_MAX * DESC_SIZE;
    this.txBuffers = this.rxBuffers + BURST_MAX * FRAME_CAP;
    if (base + DEVICE_REGION_SIZE > memory.length) throw new RangeError("device region is outside the memory");
  }

  /** Before Device.receive: every rx descriptor offers its empty buffer. */
  offerRx(): void {
    this.rx.offer(this.rxBuffers);
  }

  /** Before net_poll: every tx descriptor offers its empty buffer. */
  offerTx(): void {
    this.tx.offer(this.txBuffers);
  }
}

/** Counters a device keeps; names are the device's own (rx, tx, rxDropped, ...). */
export type Counters = Readonly<Record<string, number>>;

/**
 * A device moves frames between a medium and descriptor arrays.
 *
 * receive: on entry descriptors [0, max) offer empty buffers [addr, cap]; the
 * device fills some of them and returns n; descriptors [0, n) then describe
 * the frames received [addr, len] and [n, max) are untouched. A frame longer
 * than its buffer is dropped and counted, never cut.
 *
 * transmit: descriptors [0, count) describe frames [addr, len]; the device
 * sends them in order (copying out: the buffers are free when it returns) and
 * returns how many it sent; the rest are dropped and counted. The host calls
 * transmit after every poll, with count 0 when the stack emitted nothing, so
 * wrappers can release frames they hold. During either call the device may
 * rewrite the descriptors it was given.
 *
 * `now` is unix milliseconds, the same clock the stack gets: no device reads
 * a clock of its own.
 */
export interface Device {
  /** For messages: "tap:wc0", "faults(memlink:a)". */
  readonly name: string;
  /** Largest frame carried, Ethernet header included, FCS excluded. */
  readonly maxFrame: number;
  /** A file descriptor that is readable (epoll/poll) when receive may return frames; -1 if none. */
  readonly fd: number;
  receive(rx: Burst, max: number, now: number): number;
  transmit(tx: Burst, count: number, now: number): number;
  /**
   * When receive next returns frames or transmit next has work without new
   * input and without `fd` firing: `now` (or earlier) if already, +Infinity if
   * only the fd can tell.
   */
  pollAt(now: number): number;
  counters(): Counters;
  /** Releases the medium; further calls are errors. Idempotent. */
  close(): void;
}

/** Lowest of two pollAt answers (for wrappers). */
export function earliest(a: number, b: number): number {
  return a < b ? a : b;
}
