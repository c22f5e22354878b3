// A device around a device that records every frame, received and
// transmitted, in a classic libpcap file (LINKTYPE_ETHERNET, microsecond
// timestamps from the `now` the device is given: replays give identical
// files), or pcapng given that format (pcapng-writer.ts). Where it sits decides what it sees: pcap(faults(tap)) records what
// the stack received and sent, faults(pcap(tap)) what crossed the wire.
import { closeSync, openSync, writeSync } from "node:fs";
import type { Burst, Counters, Device } from "./device.js";

export const PCAP_MAGIC = 0xa1b2c3d4;
export const LINKTYPE_ETHERNET = 1;
export const PCAP_HEADER_SIZE = 24;
export const PCAP_RECORD_HEADER_SIZE = 16;
export const SNAPLEN_MAX = 65535;
const BUFFER_SIZE = 128 * 1024;

/** Where the file's bytes go. */
export interface PcapSink {
  write(chunk: Uint8Array): void;
  close(): void;
}

/** A sink writing (and truncating) a file, synchronously. */
export function pcapFile(path: string): PcapSink {
  const fd = openSync(path, "w");
  return {
    write(chunk: Uint8Array): void {
      let off = 0;
      while (off < chunk.length) off += writeSync(fd, chunk, off, chunk.length - off);
    },
    close(): void {
      closeSync(fd);
    },
  };
}

/** The 24-byte global header, little-endian, version 2.4. */
export function pcapHeader(snaplen: number = SNAPLEN_MAX): Uint8Array {
  const h = new Uint8Array(PCAP_HEADER_SIZE);
  const dv = new DataView(h.buffer);
  dv.setUint32(0, PCAP_MAGIC, true);
  dv.setUint16(4, 2, true);
  dv.setUint16(6, 4, true);
  dv.setInt32(8, 0, true); // thiszone: UTC
  dv.setUint32(12, 0, true); // sigfigs
  dv.setUint32(16, snaplen, true);
  dv.setUint32(20, LINKTYPE_ETHERNET, true);
  return h;
}

/** Unix ms `now` as whole microseconds: the one rounding every writer uses, so formats agree. */
export function unixMicros(now: number): number {
  return Math.floor(now * 1000);
}

/** Writes a record header at `off`: unix ms `now` as seconds and microseconds, captured and original lengths. */
export function writeRecordHeader(dv: DataView, off: number, now: number, caplen: number, origlen: number): void {
  const us = unixMicros(now);
  const sec = Math.floor(us / 1_000_000);
  dv.setUint32(off, sec, true);
  dv.setUint32(off + 4, us - sec * 1_000_000, true);
  dv.setUint32(off + 8, caplen, true);
  dv.setUint32(off + 12, origlen, true);
}

/** A capture file format: a header, then one record per frame (classic pcap here, pcapng in pcapng-writer.ts). */
export interface CaptureFormat {
  header(snaplen: number): Uint8Array;
  /** Bytes the record of a frame with `caplen` captured bytes takes. */
  recordSize(caplen: number): number;
  /** Writes the record of `frame` (already cut to the snap length) at `off`. */
  writeRecord(out: Uint8Array, dv: DataView, off: number, now: number, frame: Uint8Array, origlen: number): void;
}

export const CLASSIC_PCAP: CaptureFormat = {
  header: pcapHeader,
  recordSize: (caplen) => PCAP_RECORD_HEADER_SIZE + caplen,
  writeRecord(out, dv, off, now, frame, origlen) {
    writeRecordHeader(dv, off, now, frame.length, origlen);
    out.set(frame, off + PCAP_RECORD_HEADER_SIZE);
  },
};

/** A frame and the unix ms it is stamped with. */
export interface TimedFrame {
  readonly timeMs: number;
  readonly data: Uint8Array;
}

/** A whole capture file of `frames` in `format`, in memory. */
export function captureFile(format: CaptureFormat, frames: readonly TimedFrame[], snaplen: number = SNAPLEN_MAX): Uint8Array {
  const header = format.header(snaplen);
  let size = header.length;
  for (const f of frames) size += format.recordSize(Math.min(f.data.length, snaplen));
  const out = new Uint8Array(size);
  const dv = new DataView(out.buffer);
  out.set(header, 0);
  let off = header.length;
  for (const f of frames) {
    const frame = f.data.subarray(0, Math.min(f.data.length, snaplen));
    format.writeRecord(out, dv, off, f.timeMs, frame, f.data.length);
    off += format.recordSize(frame.length);
  }
  return out;
}

export class PcapWriter implements Device {
  readonly name: string;
  readonly maxFrame: number;
  private readonly buf = new Uint8Array(BUFFER_SIZE);
  private readonly dv = new DataView(this.buf.buffer);
  private used = 0;
  private frames = 0;
  private closed = false;

  constructor(
    private readonly inner: Device,
    private readonly sink: PcapSink,
    private readonly snaplen: number = SNAPLEN_MAX,
    private readonly format: CaptureFormat = CLASSIC_PCAP,
  ) {
    if (!Number.isInteger(snaplen) || snaplen < 1 || snaplen > SNAPLEN_MAX) {
      throw new RangeError(`pcap snaplen ${snaplen} must be 1..${SNAPLEN_MAX}`);
    }
    this.name = `pcap(${inner.name})`;
    this.maxFrame = inner.maxFrame;
    sink.write(format.header(snaplen));
  }

  get fd(): number {
    return this.inner.fd;
  }

  private record(burst: Burst, count: number, now: number): void {
    for (let i = 0; i < count; i++) {
      const frame = burst.frame(i);
      const size = this.format.recordSize(Math.min(frame.length, this.snaplen));
      if (this.used + size > BUFFER_SIZE) this.flush();
      this.format.writeRecord(this.buf, this.dv, this.used, now, frame.subarray(0, this.snaplen), frame.length);
      this.used += size;
      this.frames++;
    }
    this.flush();
  }

  private flush(): void {
    if (this.used === 0) return;
    this.sink.write(this.buf.subarray(0, this.used));
    this.used = 0;
  }

  receive(rx: Burst, max: number, now: number): number {
    const n = this.inner.receive(rx, max, now);
    if (n > 0) this.record(rx, n, now);
    return n;
  }

  transmit(tx: Burst, count: number, now: number): number {
    // Recorded before the inner device may rewrite the descriptors.
    if (count > 0) this.record(tx, count, now);
    return this.inner.transmit(tx, count, now);
  }

  pollAt(now: number): number {
    return this.inner.pollAt(now);
  }

  counters(): Counters {
    return { recorded: this.frames };
  }

  /** Closes the file, then the inner device. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.sink.close();
    this.inner.close();
  }
}
