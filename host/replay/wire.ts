// Just enough of Ethernet II / IPv4 / TCP to sort a capture's frames by
// connection and reassemble byte streams. Malformed or non-IPv4 frames give
// a partial answer or null, never an exception.

export const TcpFlag = { FIN: 0x01, SYN: 0x02, RST: 0x04, PSH: 0x08, ACK: 0x10 } as const;

export interface TcpSegment {
  readonly srcPort: number;
  readonly dstPort: number;
  readonly seq: number;
  readonly ack: number;
  readonly flags: number;
  readonly payload: Uint8Array;
}

export interface ParsedFrame {
  readonly dstMac: number;
  readonly srcMac: number;
  readonly etherType: number;
  /** An IPv4 header was read (srcIp / dstIp valid). */
  readonly ip4: boolean;
  readonly srcIp: number;
  readonly dstIp: number;
  /** TCP over IPv4, lengths consistent; undefined otherwise. */
  readonly tcp?: TcpSegment;
}

const ETHERTYPE_IPV4 = 0x0800;

function mac(b: Uint8Array, off: number): number {
  return b[off] * 2 ** 40 + b[off + 1] * 2 ** 32 + ((b[off + 2] << 24) >>> 0) + (b[off + 3] << 16) + (b[off + 4] << 8) + b[off + 5];
}

/** Ethernet → IPv4 → TCP; null when not even an Ethernet header. */
export function parseFrame(b: Uint8Array): ParsedFrame | null {
  if (b.length < 14) return null;
  const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
  const dstMac = mac(b, 0);
  const srcMac = mac(b, 6);
  const etherType = dv.getUint16(12);
  const base = { dstMac, srcMac, etherType, ip4: false, srcIp: 0, dstIp: 0 };
  if (etherType !== ETHERTYPE_IPV4 || b.length < 34 || b[14] >> 4 !== 4) return base;
  const ihl = (b[14] & 15) * 4;
  const total = dv.getUint16(16);
  const srcIp = dv.getUint32(26);
  const dstIp = dv.getUint32(30);
  const ip = { ...base, ip4: true, srcIp, dstIp };
  const fragmented = (dv.getUint16(20) & 0x3fff) !== 0;
  if (b[23] !== 6 || ihl < 20 || total < ihl + 20 || 14 + total > b.length || fragmented) return ip;
  const t = 14 + ihl;
  const doff = (b[t + 12] >> 4) * 4;
  if (doff < 20 || ihl + doff > total) return ip;
  return {
    ...ip,
    tcp: {
      srcPort: dv.getUint16(t),
      dstPort: dv.getUint16(t + 2),
      seq: dv.getUint32(t + 4),
      ack: dv.getUint32(t + 8),
      flags: b[t + 13],
      payload: b.subarray(t + doff, 14 + total),
    },
  };
}

/**
 * A copy of an IPv4/TCP frame with its TCP checksum recomputed. Captures
 * taken where the kernel offloads checksums (veth, loopback, most NICs'
 * sending side) hold partial ones; the stack verifies them.
 */
export function withTcpChecksum(b: Uint8Array): Uint8Array {
  const p = parseFrame(b);
  if (!p || !p.tcp) return b;
  const out = new Uint8Array(b); // a copy (Buffer#slice would be a view)
  const dv = new DataView(out.buffer);
  const ihl = (out[14] & 15) * 4;
  const total = dv.getUint16(16);
  const t = 14 + ihl;
  const len = total - ihl;
  dv.setUint16(t + 16, 0);
  let sum = (p.srcIp >>> 16) + (p.srcIp & 0xffff) + (p.dstIp >>> 16) + (p.dstIp & 0xffff) + 6 + len;
  for (let i = 0; i + 1 < len; i += 2) sum += (out[t + i] << 8) | out[t + i + 1];
  if (len & 1) sum += out[t + len - 1] << 8;
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  dv.setUint16(t + 16, ~sum & 0xffff);
  return out;
}

/** a after b in sequence space (RFC 1323 serial arithmetic). */
export function seqAfter(a: number, b: number): boolean {
  return ((a - b) | 0) > 0;
}

/**
 * A pure ACK made from an IPv4/TCP frame: its headers (options kept), no
 * payload, no FIN, acknowledging `ack`; IPv4 and TCP checksums filled.
 */
export function pureAck(b: Uint8Array, ack: number): Uint8Array {
  const ihl = (b[14] & 15) * 4;
  const doff = (b[14 + ihl + 12] >> 4) * 4;
  const out = new Uint8Array(b.subarray(0, 14 + ihl + doff));
  const dv = new DataView(out.buffer);
  dv.setUint16(16, ihl + doff);
  dv.setUint16(24, 0);
  let sum = 0;
  for (let i = 14; i < 14 + ihl; i += 2) sum += dv.getUint16(i);
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  dv.setUint16(24, ~sum & 0xffff);
  const t = 14 + ihl;
  dv.setUint32(t + 8, ack >>> 0);
  out[t + 13] = (out[t + 13] & ~(TcpFlag.FIN | TcpFlag.PSH)) | TcpFlag.ACK;
  return withTcpChecksum(out);
}

/** "a.b.c.d:port" of a u32 address. */
export function ipPort(ip: number, port: number): string {
  return `${ip >>> 24}.${(ip >>> 16) & 255}.${(ip >>> 8) & 255}.${ip & 255}:${port}`;
}

/** Key of a connection to the server: the client's address and port. */
export function connKey(clientIp: number, clientPort: number): string {
  return ipPort(clientIp, clientPort);
}
