// The burst preview for the protocol module (app_peek, docs/protocol-modules.md):
// before a burst is taken in, the payload spans of its plain TCP/IPv4 frames
// are listed so the module can warm what they will need (the store's lines
// for their keys) while nothing depends on it yet. A view only: no frame is
// checked here for real (input does that), odd frames are left out, and the
// module may not keep the spans.

import { Eth, ethType } from "../net/wire/ethernet";
import { Ipv4, ipv4HeaderLen, ipv4Protocol, ipv4TotalLen } from "../net/wire/ipv4";
import { tcpHeaderLen } from "../net/wire/tcp";
import { DESC_SIZE } from "../net/iface/index";

/** Fills `list` with [payload address, length] u32 pairs of the frames in rxDesc[0, count); returns how many. */
export function peekList(rxDesc: usize, count: u32, list: usize): u32 {
  let n: u32 = 0;
  for (let i: u32 = 0; i < count; i++) {
    const d = rxDesc + <usize>i * DESC_SIZE;
    const f = <usize>load<u32>(d);
    const len = load<u32>(d, 4);
    if (len < Eth.HEADER_LEN + Ipv4.HEADER_LEN + 20 || ethType(f) != Eth.TYPE_IPV4) continue;
    const ip = f + Eth.HEADER_LEN;
    const ihl = ipv4HeaderLen(ip);
    const total = <u32>ipv4TotalLen(ip);
    if (ipv4Protocol(ip) != Ipv4.PROTO_TCP || ihl < Ipv4.HEADER_LEN || total > len - Eth.HEADER_LEN || total < ihl + 20) continue;
    const tcp = ip + ihl;
    const off = tcpHeaderLen(tcp);
    if (off < 20 || ihl + off >= total) continue; // no payload (or a bad offset: input decides)
    store<u32>(list + (<usize>n << 3), <u32>(tcp + off));
    store<u32>(list + (<usize>n << 3), total - ihl - off, 4);
    n++;
  }
  return n;
}
