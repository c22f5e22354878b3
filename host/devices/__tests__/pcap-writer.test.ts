import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { memLink } from "../memlink.js";
import { PcapWriter, type PcapSink, pcapFile } from "../pcap-writer.js";
import { hex, numbered, receive, send, wasmRegion } from "./support.js";

function collector(): PcapSink & { bytes(): Uint8Array; closed: boolean } {
  const chunks: Buffer[] = [];
  return {
    closed: false,
    write(chunk) {
      chunks.push(Buffer.from(chunk)); // a copy: the writer reuses its buffer
    },
    close() {
      this.closed = true;
    },
    bytes: () => Buffer.concat(chunks),
  };
}

// Global header: magic a1b2c3d4, version 2.4, thiszone 0, sigfigs 0, snaplen, LINKTYPE_ETHERNET (1); little-endian.
const HEADER_65535 = "d4c3b2a1" + "0200" + "0400" + "00000000" + "00000000" + "ffff0000" + "01000000";

describe("PcapWriter", () => {
  it("writes the global header and one record per frame, both directions, byte-exact", () => {
    const [a, b] = memLink();
    const sink = collector();
    const pcap = new PcapWriter(a, sink);
    expect(hex(sink.bytes())).toBe(HEADER_65535);
    const region = wasmRegion();
    const f1 = numbered(1);
    const f2 = numbered(2, 61);
    // Transmitted at 1700000000.123456 s; then a frame received at 1700000001.000999 s.
    expect(send(pcap, region, [f1], 1_700_000_000_123.456)).toBe(1);
    send(b, region, [f2]);
    expect(receive(pcap, region, 1_700_000_001_000.999).map(hex)).toEqual([hex(f2)]);
    send(pcap, region, [], 1_700_000_002_000); // nothing to record
    const record = (sec: number, usec: number, len: number) => {
      const r = Buffer.alloc(16);
      r.writeUInt32LE(sec, 0);
      r.writeUInt32LE(usec, 4);
      r.writeUInt32LE(len, 8);
      r.writeUInt32LE(len, 12);
      return r.toString("hex");
    };
    expect(hex(sink.bytes())).toBe(
      HEADER_65535 + record(1_700_000_000, 123_456, 60) + hex(f1) + record(1_700_000_001, 999, 61) + hex(f2),
    );
    expect(pcap.counters()).toEqual({ recorded: 2 });
    pcap.close();
    expect(sink.closed).toBe(true);
  });

  it("cuts records at the snap length but keeps the original length", () => {
    const [a] = memLink();
    const sink = collector();
    const pcap = new PcapWriter(a, sink, 20);
    send(pcap, wasmRegion(), [numbered(3)], 2500);
    const f = numbered(3);
    expect(hex(sink.bytes())).toBe(
      HEADER_65535.replace("ffff0000", "14000000") + "02000000" + "20a10700" + "14000000" + "3c000000" + hex(f.subarray(0, 20)),
    );
    expect(() => new PcapWriter(a, collector(), 0)).toThrow(RangeError);
  });

  it("writes a file", () => {
    const dir = mkdtempSync(join(tmpdir(), "wc-pcap-"));
    try {
      const path = join(dir, "t.pcap");
      const [a] = memLink();
      const pcap = new PcapWriter(a, pcapFile(path));
      send(pcap, wasmRegion(), [numbered(1), numbered(2)], 1000);
      pcap.close();
      const bytes = readFileSync(path);
      expect(bytes.length).toBe(24 + 2 * (16 + 60));
      expect(hex(bytes.subarray(0, 24))).toBe(HEADER_65535);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
