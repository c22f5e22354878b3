// What the replay does to a capture before feeding it, for captures taken
// the ways people take them (docs/replay.md):
// - `tcpdump -i lo`: client and server share 127.0.0.1; the clients' side
//   moves to another address (separateClients), or the core would be
//   talking to itself;
// - frames over the core's MTU (loopback's 64 KiB, GRO/TSO/GSO super-frames
//   captured before the NIC cut them): cut into MTU-sized segments
//   (splitToMtu), as the wire would have carried them;
// - no ARP in the capture (a port filter): the harness answers the core's
//   ARP requests for a client as that client would have (arpReplyFor).
import { parseFrame, TcpFlag } from "./wire.js";
import { putMac, synthMac } from "./link.js";
import type { CapturedFrame } from "./pcap-reader.js";

const ETH = 14;

/** The IPv4 header checksum of the header at 14 (its field zeroed first). */
function setIpChecksum(out: Uint8Array): void {
  const ihl = (out[ETH] & 15) * 4;
  out[ETH + 10] = 0; out[ETH + 11] = 0;
  let sum = 0;
  for (let i = ETH; i < ETH + ihl; i += 2) sum += (out[i] << 8) | out[i + 1];
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  sum = ~sum & 0xffff;
  out[ETH + 10] = sum >>> 8; out[ETH + 11] = sum & 255;
}

function setU32(b: Uint8Array, off: number, v: number): void {
  b[off] = v >>> 24; b[off + 1] = (v >>> 16) & 255; b[off + 2] = (v >>> 8) & 255; b[off + 3] = v & 255;
}

/** A free address near the server's for clients that share it: x.y.z.2, or .3 when the server is .2. */
export function clientAddressFor(serverIp: number): number {
  const low = (serverIp & 255) === 2 ? 3 : 2;
  return ((serverIp & ~255) | low) >>> 0;
}

/**
 * Frames between two sockets of one address (loopback): the side that is not
 * the server's port gets `clientIp` (source or destination, IPv4 checksum
 * redone; the TCP checksum is redone when the frame is fed, and check.ts
 * reads no checksums), and the made-up MAC of that address when its MAC was.
 */
export function separateClients(frames: readonly CapturedFrame[], serverIp: number, serverPort: number, clientIp: number): CapturedFrame[] {
  return frames.map((f) => {
    const p = parseFrame(f.data);
    if (!p || !p.tcp || p.srcIp !== serverIp || p.dstIp !== serverIp) return f;
    const out = new Uint8Array(f.data);
    const fromServer = p.tcp.srcPort === serverPort;
    setU32(out, ETH + (fromServer ? 16 : 12), clientIp);
    setIpChecksum(out);
    const macAt = fromServer ? 0 : 6;
    if (p[fromServer ? "dstMac" : "srcMac"] === synthMac(serverIp)) putMac(out, macAt, synthMac(clientIp));
    return { ...f, data: out };
  });
}

/**
 * A TCP/IPv4 frame longer than 14 + mtu cut into segments that fit: the same
 * headers (options kept), sequence numbers advanced, IP total length and ID
 * per piece, FIN and PSH on the last only. Others come back as they are.
 */
export function splitToMtu(f: CapturedFrame, mtu: number): CapturedFrame[] {
  if (f.data.length <= ETH + mtu) return [f];
  const p = parseFrame(f.data);
  if (!p || !p.tcp) return [f];
  const ihl = (f.data[ETH] & 15) * 4;
  const doff = (f.data[ETH + ihl + 12] >> 4) * 4;
  const head = ETH + ihl + doff;
  const room = mtu - ihl - doff;
  if (room <= 0) return [f];
  const payload = p.tcp.payload;
  const id = (f.data[ETH + 4] << 8) | f.data[ETH + 5];
  const out: CapturedFrame[] = [];
  for (let at = 0, i = 0; at < payload.length; at += room, i++) {
    const piece = payload.subarray(at, Math.min(payload.length, at + room));
    const last = at + room >= payload.length;
    const b = new Uint8Array(head + piece.length);
    b.set(f.data.subarray(0, head));
    b.set(piece, head);
    const len = ihl + doff + piece.length;
    b[ETH + 2] = len >>> 8; b[ETH + 3] = len & 255;
    b[ETH + 4] = ((id + i) >>> 8) & 255; b[ETH + 5] = (id + i) & 255;
    setU32(b, ETH + ihl + 4, (p.tcp.seq + at) >>> 0);
    if (!last) b[ETH + ihl + 13] &= ~(TcpFlag.FIN | TcpFlag.PSH);
    setIpChecksum(b);
    out.push({ timeMs: f.timeMs, data: b, origLen: b.length });
  }
  return out;
}

/** The ARP reply (RFC 826) `clientMac`/`clientIp` would send to a request from serverMac/serverIp. */
export function arpReplyFor(clientMac: number, clientIp: number, serverMac: number, serverIp: number): Uint8Array {
  const b = new Uint8Array(60); // the minimum frame, zero-padded
  putMac(b, 0, serverMac); putMac(b, 6, clientMac);
  b[12] = 0x08; b[13] = 0x06;
  b.set([0, 1, 8, 0, 6, 4, 0, 2], ETH); // Ethernet, IPv4, 6, 4, reply
  putMac(b, ETH + 8, clientMac); setU32(b, ETH + 14, clientIp);
  putMac(b, ETH + 18, serverMac); setU32(b, ETH + 24, serverIp);
  return b;
}

/** The target address of an ARP request frame, or undefined when it is not one. */
export function arpRequestTarget(b: Uint8Array): number | undefined {
  if (b.length < ETH + 28 || b[12] !== 0x08 || b[13] !== 0x06 || b[ETH + 6] !== 0 || b[ETH + 7] !== 1) return undefined;
  return ((b[ETH + 24] << 24) | (b[ETH + 25] << 16) | (b[ETH + 26] << 8) | b[ETH + 27]) >>> 0;
}
