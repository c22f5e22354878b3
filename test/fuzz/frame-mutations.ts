// Hostile frames for the frame fuzzer (test/fuzz/frame-fuzz.ts; long runs:
// npm run fuzz:frames): seeded mutations of a captured
// client's frames — truncation at any byte, bit flips, wild TCP flag
// combinations (SYN|FIN, SYN|RST, none, all), option bytes with bad lengths,
// out-of-window sequence and acknowledgement numbers, bad IPv4 lengths,
// fragments and options, duplicates and reordering — and wholly random
// frames (Ethernet, ARP, ICMP, TCP) addressed to the server.
import type { CapturedFrame } from "../../host/replay/pcap-reader.js";
import type { Rng } from "./rng.js";

const ETH = 14;
const IP = 20;

/** The kinds of mutation, for the figures: how many of each a run made. */
export const KINDS = [
  "truncate", "bitflip", "flags", "options", "seq", "ack", "iplen", "ipfrag", "duplicate", "reorder", "random",
] as const;
export type Kind = (typeof KINDS)[number];

function tcpAt(b: Uint8Array): number {
  if (b.length < ETH + IP || b[12] !== 0x08 || b[13] !== 0x00) return -1;
  return ETH + (b[ETH] & 0x0f) * 4;
}

function put32(b: Uint8Array, off: number, v: number): void {
  if (off + 4 > b.length) return;
  new DataView(b.buffer, b.byteOffset, b.byteLength).setUint32(off, v >>> 0);
}

/** One mutated copy of f (never f itself). */
export function mutateFrame(f: CapturedFrame, kind: Kind, rng: Rng): CapturedFrame {
  const b = new Uint8Array(f.data);
  const t = tcpAt(b);
  let data: Uint8Array = b;
  switch (kind) {
    case "truncate": data = b.slice(0, rng.int(b.length + 1)); break;
    case "bitflip": {
      const n = 1 + rng.int(4);
      // mostly in the headers, where the checks are; never in the addresses or ports: the frame
      // stays its connection's (one that lands in another connection is that one's attacker)
      for (let i = 0; i < n && b.length > 0; i++) {
        const at = rng.chance(0.8) ? rng.int(Math.min(b.length, 80)) : rng.int(b.length);
        if ((at >= ETH + 12 && at < ETH + IP) || (t >= 0 && at >= t && at < t + 4)) continue;
        b[at] ^= 1 << rng.int(8);
      }
      break;
    }
    case "flags": if (t >= 0 && t + 14 <= b.length) b[t + 13] = [0x03, 0x06, 0x05, 0x00, 0xff, 0x3f, 0x29, 0x02, 0x04, 0x01][rng.int(10)]; break;
    case "options": {
      if (t < 0 || t + 20 > b.length) break;
      const hl = (b[t + 12] >> 4) * 4;
      for (let i = t + 20; i < Math.min(t + hl, b.length); i++) {
        // kinds 0..8 and junk, lengths 0, 1, 255 and random
        b[i] = rng.chance(0.5) ? rng.int(9) : rng.int(256);
      }
      if (rng.chance(0.3)) b[t + 12] = (rng.int(16) << 4) | (b[t + 12] & 0x0f); // data offset anywhere
      break;
    }
    case "seq": if (t >= 0) put32(b, t + 4, rng.chance(0.5) ? rng.u32() : new DataView(b.buffer).getUint32(t + 4) + (rng.int(2) ? 1 : -1) * (1 << rng.int(31))); break;
    case "ack": if (t >= 0) put32(b, t + 8, rng.u32()); break;
    case "iplen": if (b.length >= ETH + 4) { b[ETH + 2] = rng.int(256); b[ETH + 3] = rng.int(256); if (rng.chance(0.3)) b[ETH] = 0x40 | rng.int(16); } break;
    case "ipfrag": if (b.length >= ETH + 8) { b[ETH + 6] = rng.int(256); b[ETH + 7] = rng.int(256); } break;
    default: break;
  }
  return { timeMs: f.timeMs, data, origLen: data.length };
}

/** A random frame to the server's MAC: Ethernet with random type and bytes, or ARP, ICMP or TCP shaped. */
export function randomFrame(rng: Rng, serverMac: number, serverIp: number, port: number, timeMs: number): CapturedFrame {
  const len = rng.chance(0.2) ? rng.int(14) : 14 + rng.int(1500);
  const b = new Uint8Array(len);
  for (let i = 0; i < len; i++) b[i] = rng.int(256);
  if (len >= 14) {
    for (let i = 0; i < 6; i++) b[i] = rng.chance(0.1) ? 0xff : Math.floor(serverMac / 2 ** (8 * (5 - i))) & 0xff;
    const type = rng.int(4);
    if (type === 0) { b[12] = 0x08; b[13] = 0x06; } // ARP
    else if (type >= 1) { b[12] = 0x08; b[13] = 0x00; } // IPv4
    if (len >= ETH + IP && b[13] === 0x00) {
      b[ETH] = rng.chance(0.8) ? 0x45 : b[ETH];
      b[ETH + 6] = rng.chance(0.8) ? 0x40 : b[ETH + 6];
      b[ETH + 7] = rng.chance(0.8) ? 0 : b[ETH + 7];
      b[ETH + 9] = type === 1 ? 1 : type === 2 ? 6 : b[ETH + 9]; // ICMP, TCP
      put32(b, ETH + 16, serverIp);
      if (rng.chance(0.7)) { b[ETH + 2] = ((len - ETH) >> 8) & 0xff; b[ETH + 3] = (len - ETH) & 0xff; }
      if (type === 2 && len >= ETH + IP + 20) { b[ETH + IP + 2] = port >> 8; b[ETH + IP + 3] = port & 0xff; }
    }
  }
  return { timeMs, data: b, origLen: len };
}

/** The IPv4 header checksum recomputed (when there is a header): mutations then reach past it. */
export function fixIpChecksum(f: CapturedFrame): CapturedFrame {
  const b = f.data;
  if (b.length < ETH + IP || b[12] !== 0x08 || b[13] !== 0x00) return f;
  const hl = (b[ETH] & 0x0f) * 4;
  if (hl < IP || ETH + hl > b.length) return f;
  b[ETH + 10] = 0; b[ETH + 11] = 0;
  let sum = 0;
  for (let i = 0; i < hl; i += 2) sum += (b[ETH + i] << 8) | b[ETH + i + 1];
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  const c = ~sum & 0xffff;
  b[ETH + 10] = c >> 8; b[ETH + 11] = c & 0xff;
  return f;
}
