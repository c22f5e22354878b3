// pcapng (the IETF draft-ietf-opsawg-pcapng layout), little-endian: a Section
// Header Block (optionally with an opt_comment), one Interface Description
// Block (LINKTYPE_ETHERNET, the snap length, if_tsresol = 6), then one
// Enhanced Packet Block per frame on interface 0. Microseconds, as the classic
// writer: timestamps come from unix ms in a double, whose precision at today's
// dates is a fraction of a microsecond, so nanoseconds would be false digits,
// and both formats of one replay carry the same times.
import { type CaptureFormat, LINKTYPE_ETHERNET, unixMicros } from "./pcap-writer.js";

export const PCAPNG_SHB = 0x0a0d0d0a;
export const PCAPNG_IDB = 1;
export const PCAPNG_EPB = 6;
export const PCAPNG_BYTE_ORDER_MAGIC = 0x1a2b3c4d;
const OPT_ENDOFOPT = 0;
const OPT_COMMENT = 1;
const IF_TSRESOL = 9;
/** if_tsresol's value: 10^-6 s. */
const TSRESOL_MICROSECONDS = 6;
/** An EPB without its data: type, length, interface, timestamp (2), caplen, origlen; the trailing length. */
export const EPB_OVERHEAD = 32;

/** `n` rounded up to the 32-bit boundary every pcapng field ends on. */
export const pad4 = (n: number): number => (n + 3) & ~3;

interface Option {
  readonly code: number;
  readonly value: Uint8Array;
}

/** Bytes a list of options takes, opt_endofopt included; none at all when there are no options. */
function optionsSize(options: readonly Option[]): number {
  return options.length ? options.reduce((n, o) => n + 4 + pad4(o.value.length), 4) : 0;
}

function writeOptions(out: Uint8Array, dv: DataView, off: number, options: readonly Option[]): void {
  if (!options.length) return;
  for (const o of options) {
    dv.setUint16(off, o.code, true);
    dv.setUint16(off + 2, o.value.length, true);
    out.set(o.value, off + 4); // the padding stays zero (a fresh buffer)
    off += 4 + pad4(o.value.length);
  }
  dv.setUint16(off, OPT_ENDOFOPT, true);
  dv.setUint16(off + 2, 0, true);
}

/** A block of `type` with a fixed body of `fixed` bytes (written by `body`) and options; lengths at both ends. */
function block(type: number, fixed: number, options: readonly Option[], body: (dv: DataView, off: number) => void): Uint8Array {
  const len = 12 + fixed + optionsSize(options);
  const out = new Uint8Array(len);
  const dv = new DataView(out.buffer);
  dv.setUint32(0, type, true);
  dv.setUint32(4, len, true);
  body(dv, 8);
  writeOptions(out, dv, 8 + fixed, options);
  dv.setUint32(len - 4, len, true);
  return out;
}

/** The Section Header Block: version 1.0, section length unknown (-1). */
export function sectionHeader(comment?: string): Uint8Array {
  const options = comment ? [{ code: OPT_COMMENT, value: new TextEncoder().encode(comment) }] : [];
  return block(PCAPNG_SHB, 16, options, (dv, off) => {
    dv.setUint32(off, PCAPNG_BYTE_ORDER_MAGIC, true);
    dv.setUint16(off + 4, 1, true);
    dv.setUint16(off + 6, 0, true);
    dv.setBigInt64(off + 8, -1n, true);
  });
}

/** The Interface Description Block of interface 0: Ethernet, `snaplen`, microsecond timestamps. */
export function interfaceDescription(snaplen: number): Uint8Array {
  const options = [{ code: IF_TSRESOL, value: Uint8Array.of(TSRESOL_MICROSECONDS) }];
  return block(PCAPNG_IDB, 8, options, (dv, off) => {
    dv.setUint16(off, LINKTYPE_ETHERNET, true);
    dv.setUint16(off + 2, 0, true); // reserved
    dv.setUint32(off + 4, snaplen, true);
  });
}

/** pcapng, with `comment` (when given) on its section header. */
export function pcapng(comment?: string): CaptureFormat {
  return {
    header(snaplen) {
      const shb = sectionHeader(comment);
      const idb = interfaceDescription(snaplen);
      const out = new Uint8Array(shb.length + idb.length);
      out.set(shb, 0);
      out.set(idb, shb.length);
      return out;
    },
    recordSize: (caplen) => EPB_OVERHEAD + pad4(caplen),
    writeRecord(out, dv, off, now, frame, origlen) {
      const len = EPB_OVERHEAD + pad4(frame.length);
      const us = unixMicros(now);
      dv.setUint32(off, PCAPNG_EPB, true);
      dv.setUint32(off + 4, len, true);
      dv.setUint32(off + 8, 0, true); // interface 0
      dv.setUint32(off + 12, Math.floor(us / 2 ** 32), true);
      dv.setUint32(off + 16, us % 2 ** 32, true);
      dv.setUint32(off + 20, frame.length, true);
      dv.setUint32(off + 24, origlen, true);
      out.set(frame, off + 28);
      // the writer's buffer is reused: zero the padding, so equal frames give equal bytes
      out.fill(0, off + 28 + frame.length, off + len - 4);
      dv.setUint32(off + len - 4, len, true);
    },
  };
}
