// Shared by the device tests: a shared Wasm memory with a device region, and
// helpers to push frames through a device and collect what comes out.
import { DEVICE_REGION_SIZE, type Device, DeviceRegion } from "../device.js";

/** A device region at 64 in a fresh shared Wasm memory, as the stack would see it. */
export function wasmRegion(): DeviceRegion {
  const pages = Math.ceil((64 + DEVICE_REGION_SIZE) / 65536);
  const memory = new WebAssembly.Memory({ initial: pages, maximum: pages, shared: true });
  return new DeviceRegion(new Uint8Array(memory.buffer), 64);
}

/** Copies `frames` into the region's tx buffers and transmits them as one burst. */
export function send(dev: Device, region: DeviceRegion, frames: readonly Uint8Array[], now = 0): number {
  region.offerTx();
  frames.forEach((f, i) => {
    region.tx.bytes.set(f, region.tx.addr(i));
    region.tx.setLen(i, f.length);
  });
  return dev.transmit(region.tx, frames.length, now);
}

/** One receive of at most `max` frames; copies of them. */
export function receive(dev: Device, region: DeviceRegion, now = 0, max = 64): Uint8Array[] {
  region.offerRx();
  const n = dev.receive(region.rx, max, now);
  return Array.from({ length: n }, (_, i) => region.rx.frame(i).slice());
}

/** Receives until a receive returns nothing. */
export function drain(dev: Device, region: DeviceRegion, now = 0, max = 64): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (;;) {
    const got = receive(dev, region, now, max);
    if (got.length === 0) return out;
    out.push(...got);
  }
}

/** A 60-byte Ethernet frame whose payload carries `seq` (u32 at offset 14) and a pattern. */
export function numbered(seq: number, length = 60): Uint8Array {
  const f = new Uint8Array(length);
  f.set([0x02, 0, 0, 0, 0, 0xb, 0x02, 0, 0, 0, 0, 0xa, 0x88, 0xb5]); // local MACs, experimental EtherType
  new DataView(f.buffer).setUint32(14, seq, true);
  for (let i = 18; i < length; i++) f[i] = (seq + i) & 0xff;
  return f;
}

export function seqOf(frame: Uint8Array): number {
  return new DataView(frame.buffer, frame.byteOffset).getUint32(14, true);
}

export function hex(bytes: Uint8Array): string {
  return Buffer.from(bytes).toString("hex");
}
