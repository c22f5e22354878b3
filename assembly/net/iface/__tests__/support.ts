// Spec helpers for the iface layer: an interface over a small TCP stack,
// descriptor arrays and tx buffers on the heap, and one-call bursts. Test
// code only: it allocates freely with heap.alloc.

import { tcpInit, tcpRegionSize } from "../../tcp/index";
import { ifaceInit, ifacePoll, ifaceSize } from "../index";
import { DESC_SIZE, FRAME_CAP } from "../iface";
import { Arp, ArpRepr, arpEmit } from "../../wire/arp";
import { Eth, ethSetDst, ethSetSrc, ethSetType } from "../../wire/ethernet";

export const OUR_MAC: u64 = 0x020000000002;
export const OUR_IP: u32 = 0x0A000002;
export const PEER_MAC: u64 = 0x020000000001;
export const PEER_IP: u32 = 0x0A000001;
export const GW_MAC: u64 = 0x0200000000FE;
export const GW_IP: u32 = 0x0A0000FE;
export const TX_BUFFERS: u32 = 8;

export let ifc: usize = 0;
export let tcp: usize = 0;
let rxDesc: usize = 0;
let txDesc: usize = 0;
let txBufs: usize = 0;

/** A fresh interface 10.0.0.2/24 (02:00:00:00:00:02) over a 4-connection TCP stack. */
export function setup(gateway: u32 = 0, devFlags: u32 = 0): void {
  let size = tcpRegionSize(4, 4096, 4096);
  tcp = heap.alloc(size);
  memory.fill(tcp, 0, size);
  tcpInit(tcp, size, 4, 4096, 4096, 1500, 1);
  ifc = heap.alloc(ifaceSize());
  ifaceInit(ifc, tcp, OUR_MAC, OUR_IP, 24, gateway, 1500, devFlags);
  if (rxDesc == 0) {
    rxDesc = heap.alloc(64 * DESC_SIZE);
    txDesc = heap.alloc(64 * DESC_SIZE);
    txBufs = heap.alloc(<usize>TX_BUFFERS * FRAME_CAP);
  }
}

/** One burst with at most one received frame (len 0: none) and `avail` tx buffers (0xA5-filled). */
export function poll(frame: usize, len: u32, now: u64, avail: u32 = TX_BUFFERS): u32 {
  store<u32>(rxDesc, <u32>frame);
  store<u32>(rxDesc, len, 4);
  memory.fill(txBufs, 0xA5, <usize>TX_BUFFERS * FRAME_CAP);
  for (let i: u32 = 0; i < TX_BUFFERS; i++) {
    store<u32>(txDesc + <usize>i * DESC_SIZE, <u32>(txBufs + <usize>i * FRAME_CAP));
    store<u32>(txDesc + <usize>i * DESC_SIZE, FRAME_CAP, 4);
  }
  return ifacePoll(ifc, rxDesc, len ? 1 : 0, txDesc, avail, now);
}

/** The i-th frame the last burst built. */
export function txFrame(i: u32): usize { return <usize>load<u32>(txDesc + <usize>i * DESC_SIZE); }
export function txLen(i: u32): u32 { return load<u32>(txDesc + <usize>i * DESC_SIZE, 4); }

/** An ARP reply from (mac, ip) to us, as a frame in a fresh buffer. */
export function arpReplyFrom(mac: u64, ip: u32): usize {
  let p = heap.alloc(42);
  ethSetDst(p, OUR_MAC);
  ethSetSrc(p, mac);
  ethSetType(p, Eth.TYPE_ARP);
  let r = changetype<ArpRepr>(heap.alloc(offsetof<ArpRepr>()));
  r.op = Arp.OP_REPLY; r.sha = mac; r.spa = ip; r.tha = OUR_MAC; r.tpa = OUR_IP;
  arpEmit(r, p + 14);
  return p;
}
