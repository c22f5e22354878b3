// Reads a capture file into frames: classic libpcap (either byte order,
// microsecond or nanosecond timestamps) and pcapng (SHB, IDB, EPB, SPB; other
// blocks skipped). Ethernet, Linux cooked (SLL, SLL2) and raw IPv4 frames
// come out as Ethernet without VLAN tags (link.ts). Every problem is a
// CaptureError with a stable code, never an exception from a DataView.
import { HostError } from "../errors.js";
import { LINK_TYPES, toEthernet } from "./link.js";

/** sysexits.h EX_DATAERR: the input data was incorrect. */
export const EX_DATAERR = 65;

/** A capture file that cannot be read, or a capture the replay cannot use. */
export class CaptureError extends HostError {
  readonly exitCode = EX_DATAERR;
}

export interface CapturedFrame {
  /** Unix time in milliseconds (fractional). */
  readonly timeMs: number;
  /** The frame's captured bytes as Ethernet (link.ts), from the Ethernet header on. */
  readonly data: Uint8Array;
  /** Length on the wire (>= data.length when the snap length cut it). */
  readonly origLen: number;
}

export interface Capture {
  readonly format: "pcap" | "pcapng";
  readonly frames: readonly CapturedFrame[];
}

const PCAP_US_LE = 0xa1b2c3d4;
const PCAP_NS_LE = 0xa1b23c4d;
const PCAPNG_SHB = 0x0a0d0d0a;
const PCAPNG_BOM = 0x1a2b3c4d;

/** Parses a whole capture file held in memory. */
export function readCapture(input: Uint8Array, name = "capture"): Capture {
  const bytes = new Uint8Array(input.buffer, input.byteOffset, input.byteLength); // not a Buffer: frames are plain views
  if (bytes.length < 4) throw new CaptureError("ERR_PCAP_TRUNCATED", `${name}: ${bytes.length} bytes is too short for a capture header`);
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const le = dv.getUint32(0, true);
  if (le === PCAPNG_SHB) return readPcapng(bytes, dv, name);
  const be = dv.getUint32(0, false);
  if (le === PCAP_US_LE || le === PCAP_NS_LE) return readPcap(bytes, dv, name, true, le === PCAP_NS_LE);
  if (be === PCAP_US_LE || be === PCAP_NS_LE) return readPcap(bytes, dv, name, false, be === PCAP_NS_LE);
  throw new CaptureError("ERR_PCAP_MAGIC", `${name}: not a pcap or pcapng file (magic 0x${be.toString(16).padStart(8, "0")})`);
}

function checkLinkType(linkType: number, name: string): void {
  if (!LINK_TYPES.includes(linkType)) {
    throw new CaptureError("ERR_PCAP_LINKTYPE",
      `${name}: link type ${linkType} is not supported (only 1 Ethernet, 113 and 276 Linux cooked, 101 and 228 raw IPv4)`);
  }
}

/** A captured frame as Ethernet; nothing when it carries nothing to replay (link.ts). */
function pushFrame(frames: CapturedFrame[], linkType: number, timeMs: number, raw: Uint8Array, origLen: number): void {
  const data = toEthernet(linkType, raw);
  if (data) frames.push({ timeMs, data, origLen: origLen + data.length - raw.length });
}

function readPcap(bytes: Uint8Array, dv: DataView, name: string, le: boolean, nanos: boolean): Capture {
  if (bytes.length < 24) throw new CaptureError("ERR_PCAP_TRUNCATED", `${name}: the pcap file header is cut short (${bytes.length} of 24 bytes)`);
  const linkType = dv.getUint32(20, le) & 0x0fffffff;
  checkLinkType(linkType, name);
  const frames: CapturedFrame[] = [];
  let off = 24;
  while (off < bytes.length) {
    if (off + 16 > bytes.length) {
      throw new CaptureError("ERR_PCAP_TRUNCATED", `${name}: record ${frames.length} header is cut short at byte ${off}`);
    }
    const sec = dv.getUint32(off, le);
    const frac = dv.getUint32(off + 4, le);
    const caplen = dv.getUint32(off + 8, le);
    const origLen = dv.getUint32(off + 12, le);
    if (off + 16 + caplen > bytes.length) {
      throw new CaptureError("ERR_PCAP_TRUNCATED", `${name}: record ${frames.length} (${caplen} bytes at byte ${off + 16}) is cut short`);
    }
    const timeMs = sec * 1000 + (nanos ? frac / 1e6 : frac / 1e3);
    pushFrame(frames, linkType, timeMs, bytes.subarray(off + 16, off + 16 + caplen), origLen);
    off += 16 + caplen;
  }
  return { format: "pcap", frames };
}

interface Interface {
  readonly linkType: number;
  /** Timestamp units per second. */
  readonly unitsPerSec: number;
}

function readPcapng(bytes: Uint8Array, dv: DataView, name: string): Capture {
  const frames: CapturedFrame[] = [];
  let ifaces: Interface[] = [];
  let le = true;
  let off = 0;
  const cut = (what: string) => new CaptureError("ERR_PCAP_TRUNCATED", `${name}: ${what} at byte ${off} is cut short`);
  while (off < bytes.length) {
    if (off + 12 > bytes.length) throw cut("a block header");
    const type = dv.getUint32(off, le);
    if (type === PCAPNG_SHB) {
      // byte order is decided by this section's byte-order magic
      if (off + 12 > bytes.length) throw cut("a section header");
      const bom = dv.getUint32(off + 8, true);
      if (bom === PCAPNG_BOM) le = true;
      else if (dv.getUint32(off + 8, false) === PCAPNG_BOM) le = false;
      else throw new CaptureError("ERR_PCAP_MAGIC", `${name}: pcapng section at byte ${off} has a bad byte-order magic`);
      ifaces = [];
    }
    const len = dv.getUint32(off + 4, le);
    if (len < 12 || len % 4 !== 0) throw new CaptureError("ERR_PCAP_MALFORMED", `${name}: pcapng block at byte ${off} has length ${len}`);
    if (off + len > bytes.length) throw cut(`a block of ${len} bytes`);
    const body = off + 8;
    const end = off + len - 4;
    if (type === 1) {
      // Interface Description Block: link type, then options (if_tsresol)
      if (end - body < 8) throw new CaptureError("ERR_PCAP_MALFORMED", `${name}: interface block at byte ${off} is too short`);
      const linkType = dv.getUint16(body, le);
      let unitsPerSec = 1e6;
      let o = body + 8;
      while (o + 4 <= end) {
        const code = dv.getUint16(o, le);
        const olen = dv.getUint16(o + 2, le);
        if (code === 0) break;
        if (code === 9 && olen >= 1 && o + 4 < end) {
          const r = bytes[o + 4];
          unitsPerSec = r & 0x80 ? 2 ** (r & 0x7f) : 10 ** r;
        }
        o += 4 + ((olen + 3) & ~3);
      }
      ifaces.push({ linkType, unitsPerSec });
    } else if (type === 6 || type === 3) {
      let ifc: Interface | undefined;
      let timeMs = 0;
      let caplen: number;
      let origLen: number;
      let data: number;
      if (type === 6) {
        // Enhanced Packet Block
        if (end - body < 20) throw new CaptureError("ERR_PCAP_MALFORMED", `${name}: packet block at byte ${off} is too short`);
        const id = dv.getUint32(body, le);
        ifc = ifaces[id];
        if (!ifc) throw new CaptureError("ERR_PCAP_MALFORMED", `${name}: packet block at byte ${off} names interface ${id}, not described`);
        const ts = dv.getUint32(body + 4, le) * 2 ** 32 + dv.getUint32(body + 8, le);
        timeMs = (ts / ifc.unitsPerSec) * 1000;
        caplen = dv.getUint32(body + 12, le);
        origLen = dv.getUint32(body + 16, le);
        data = body + 20;
      } else {
        // Simple Packet Block: interface 0, no timestamp (the previous frame's time)
        ifc = ifaces[0];
        if (!ifc) throw new CaptureError("ERR_PCAP_MALFORMED", `${name}: simple packet block at byte ${off} before any interface block`);
        origLen = dv.getUint32(body, le);
        caplen = Math.min(origLen, end - body - 4);
        data = body + 4;
        timeMs = frames.length ? frames[frames.length - 1].timeMs : 0;
      }
      if (data + caplen > end) throw new CaptureError("ERR_PCAP_MALFORMED", `${name}: packet at byte ${off} overruns its block`);
      checkLinkType(ifc.linkType, name);
      pushFrame(frames, ifc.linkType, timeMs, bytes.subarray(data, data + caplen), origLen);
    }
    off += len;
  }
  return { format: "pcapng", frames };
}
