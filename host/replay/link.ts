// The link layers captures come in, as the Ethernet II frames the core
// takes: Ethernet itself (802.1Q / 802.1ad tags taken out), Linux cooked
// captures (`tcpdump -i any`: SLL, link type 113, and SLL2, 276) and raw
// IP (101, 228). Where a capture holds no MAC addresses (cooked, raw), each
// IPv4 address gets a made-up one (synthMac); so do Ethernet frames whose
// MACs are zero (`tcpdump -i lo`). ARP carried in a cooked capture is
// dropped: its payload names real MACs that the made-up ones contradict,
// and the replay answers the core's ARP itself.

export const LinkType = { ETHERNET: 1, RAW: 101, LINUX_SLL: 113, IPV4: 228, LINUX_SLL2: 276 } as const;
export const LINK_TYPES: readonly number[] = Object.values(LinkType);

const ETH_HEADER = 14;
const ETHERTYPE_IPV4 = 0x0800;
const ETHERTYPE_ARP = 0x0806;
const VLAN_TAGS = new Set([0x8100, 0x88a8, 0x9100]);
/** Tags stacked deeper than this are not a frame we want (bounds the loop). */
const MAX_TAGS = 4;

/** A locally administered MAC made from an IPv4 address: 02:00:a:b:c:d. */
export function synthMac(ip: number): number {
  return 0x02_00_0000_0000 + (ip >>> 0);
}

/** Writes a 48-bit MAC at off. */
export function putMac(out: Uint8Array, off: number, mac: number): void {
  const hi = Math.floor(mac / 2 ** 32);
  out[off] = hi >>> 8; out[off + 1] = hi & 255;
  out[off + 2] = mac >>> 24; out[off + 3] = (mac >>> 16) & 255; out[off + 4] = (mac >>> 8) & 255; out[off + 5] = mac & 255;
}

/** An Ethernet frame of `etherType` around `payload`; MACs made from the IPv4 addresses when it is IPv4. */
function ethernetOf(etherType: number, payload: Uint8Array): Uint8Array {
  const out = new Uint8Array(ETH_HEADER + payload.length);
  out.set(payload, ETH_HEADER);
  out[12] = etherType >>> 8; out[13] = etherType & 255;
  return fillMacs(out);
}

const u16 = (b: Uint8Array, off: number): number => (b[off] << 8) | b[off + 1];
const u32 = (b: Uint8Array, off: number): number => ((b[off] << 24) | (b[off + 1] << 16) | (b[off + 2] << 8) | b[off + 3]) >>> 0;

/** An IPv4 Ethernet frame whose MACs are zero (loopback) gets made-up ones; others are returned as they are. */
export function fillMacs(b: Uint8Array): Uint8Array {
  if (b.length < ETH_HEADER + 20 || u16(b, 12) !== ETHERTYPE_IPV4) return b;
  const zero = (off: number): boolean => b[off] === 0 && b[off + 1] === 0 && b[off + 2] === 0 && b[off + 3] === 0 && b[off + 4] === 0 && b[off + 5] === 0;
  if (!zero(0) && !zero(6)) return b;
  const out = new Uint8Array(b);
  if (zero(0)) putMac(out, 0, synthMac(u32(b, ETH_HEADER + 16)));
  if (zero(6)) putMac(out, 6, synthMac(u32(b, ETH_HEADER + 12)));
  return out;
}

/** Ethernet without VLAN tags (a copy when there were some). */
function untagged(b: Uint8Array): Uint8Array {
  let off = 12;
  for (let i = 0; i < MAX_TAGS && off + 6 <= b.length && VLAN_TAGS.has(u16(b, off)); i++) off += 4;
  if (off === 12) return b;
  const out = new Uint8Array(b.length - (off - 12));
  out.set(b.subarray(0, 12));
  out.set(b.subarray(off), 12);
  return out;
}

/**
 * The frame as Ethernet, or null when it carries nothing the replay can use
 * (cut short, or ARP in a capture without MACs). The link type must be one of LINK_TYPES.
 */
export function toEthernet(linkType: number, b: Uint8Array): Uint8Array | null {
  switch (linkType) {
    case LinkType.ETHERNET:
      return b.length < ETH_HEADER ? b : fillMacs(untagged(b));
    case LinkType.RAW:
    case LinkType.IPV4:
      return b.length > 0 && b[0] >> 4 === 4 ? ethernetOf(ETHERTYPE_IPV4, b) : null;
    case LinkType.LINUX_SLL: // type, ARPHRD, address length, address[8], protocol
      return b.length < 16 ? null : cooked(u16(b, 14), b.subarray(16));
    case LinkType.LINUX_SLL2: // protocol, reserved, ifindex, ARPHRD, type, address length, address[8]
      return b.length < 20 ? null : cooked(u16(b, 0), b.subarray(20));
    default:
      return null;
  }
}

function cooked(protocol: number, payload: Uint8Array): Uint8Array | null {
  if (protocol === ETHERTYPE_ARP) return null;
  return ethernetOf(protocol, payload);
}
