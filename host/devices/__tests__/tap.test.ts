// The TAP device against the Linux kernel: a namespace made by this test, the
// TAP's kernel side moved into it and addressed there, and from our side
// frames built by hand: an ARP request answered by the kernel's ARP reply, an
// ICMP echo request answered by its echo reply. Needs root and /dev/net/tun;
// without them the test fails (it never skips).
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { SysError, UsageError } from "../../errors.js";
import type { Device } from "../device.js";
import { FaultInjector, NO_FAULTS } from "../faults.js";
import { PcapWriter, pcapFile } from "../pcap-writer.js";
import { TapDevice, checkTapName } from "../tap.js";
import { hex, receive, send, wasmRegion } from "./support.js";

const ns = `wc-test-${process.pid}`;
const ifname = `wct${process.pid}`;
const subnet = `10.77.${(process.pid % 250) + 1}`;
const KERNEL_IP = `${subnet}.1`;
const OUR_IP = `${subnet}.2`;
const OUR_MAC = Uint8Array.from([0x02, 0x77, 0x00, 0x00, 0x00, 0x02]);
const BROADCAST = new Uint8Array(6).fill(0xff);

function ip(args: string[]): void {
  const r = spawnSync("ip", args, { encoding: "utf8" });
  if (r.error) throw new Error(`ip ${args.join(" ")}: ${r.error.message} (iproute2 is needed)`);
  if (r.status !== 0) throw new Error(`ip ${args.join(" ")} exited ${r.status}: ${r.stderr}`);
}

function ipv4(text: string): Uint8Array {
  return Uint8Array.from(text.split(".").map(Number));
}

/** RFC 1071 checksum of `b` (0 when `b` carries a correct checksum). */
function checksum(b: Uint8Array): number {
  let sum = 0;
  for (let i = 0; i < b.length; i += 2) sum += (b[i] << 8) | (b[i + 1] ?? 0);
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  return ~sum & 0xffff;
}

function ethernet(dst: Uint8Array, type: number, payload: Uint8Array): Uint8Array {
  const f = new Uint8Array(Math.max(60, 14 + payload.length));
  f.set(dst, 0);
  f.set(OUR_MAC, 6);
  f[12] = type >> 8;
  f[13] = type & 0xff;
  f.set(payload, 14);
  return f;
}

function arpPacket(op: number, tha: Uint8Array, tpa: Uint8Array): Uint8Array {
  const a = new Uint8Array(28);
  a.set([0, 1, 0x08, 0, 6, 4, 0, op]);
  a.set(OUR_MAC, 8);
  a.set(ipv4(OUR_IP), 14);
  a.set(tha, 18);
  a.set(tpa, 24);
  return a;
}

function echoRequest(dst: Uint8Array, id: number, seq: number, data: Uint8Array): Uint8Array {
  const icmp = new Uint8Array(8 + data.length);
  icmp.set([8, 0, 0, 0, id >> 8, id & 0xff, seq >> 8, seq & 0xff]);
  icmp.set(data, 8);
  const c = checksum(icmp);
  icmp[2] = c >> 8;
  icmp[3] = c & 0xff;
  const ip4 = new Uint8Array(20 + icmp.length);
  const total = ip4.length;
  ip4.set([0x45, 0, total >> 8, total & 0xff, 0x12, 0x34, 0x40, 0, 64, 1, 0, 0]);
  ip4.set(ipv4(OUR_IP), 12);
  ip4.set(ipv4(KERNEL_IP), 16);
  const h = checksum(ip4.subarray(0, 20));
  ip4[10] = h >> 8;
  ip4[11] = h & 0xff;
  ip4.set(icmp, 20);
  return ethernet(dst, 0x0800, ip4);
}

const etherType = (f: Uint8Array) => (f[12] << 8) | f[13];
/** An ICMP echo reply (IPv4 header of 20 bytes) with sequence number `seq`. */
const isEchoReply = (seq: number) => (f: Uint8Array) =>
  etherType(f) === 0x0800 && f[23] === 1 && f[34] === 0 && ((f[40] << 8) | f[41]) === seq;
const sameBytes = (a: Uint8Array, b: Uint8Array) => hex(a) === hex(b);

describe("TapDevice", () => {
  let tap: TapDevice | undefined;
  let nsMade = false;
  const region = wasmRegion();

  /** Receives until `match` accepted `count` frames, answering the kernel's ARP requests for OUR_IP meanwhile. */
  async function waitFor(what: string, match: (f: Uint8Array) => boolean, dev: Device = tap!, count = 1): Promise<Uint8Array[]> {
    const until = Date.now() + 5000;
    const seen: string[] = [];
    const matched: Uint8Array[] = [];
    while (Date.now() < until) {
      const frames = receive(dev, region, Date.now());
      for (const f of frames) {
        if (match(f)) {
          matched.push(f);
          if (matched.length === count) return matched;
          continue;
        }
        seen.push(hex(f.subarray(0, 42)));
        const arp = f.subarray(14);
        if (etherType(f) === 0x0806 && arp[7] === 1 && sameBytes(arp.subarray(24, 28), ipv4(OUR_IP))) {
          send(dev, region, [ethernet(f.subarray(6, 12), 0x0806, arpPacket(2, f.subarray(6, 12), arp.subarray(14, 18)))]);
        }
      }
      if (frames.length === 0) await new Promise((r) => setTimeout(r, 5));
    }
    throw new Error(`${matched.length} of ${count} ${what} from the kernel in 5 s; other frames seen:\n${seen.join("\n")}`);
  }

  beforeAll(() => {
    ip(["netns", "add", ns]);
    nsMade = true;
    tap = TapDevice.open(ifname);
    ip(["link", "set", ifname, "netns", ns]); // our fd keeps working
    ip(["-n", ns, "addr", "add", `${KERNEL_IP}/24`, "dev", ifname]);
    ip(["-n", ns, "link", "set", ifname, "up"]);
  });

  afterAll(() => {
    tap?.close(); // a TAP that is not persistent goes away with its last fd
    if (nsMade) ip(["netns", "del", ns]);
  });

  it("opens with the interface's MAC and MTU", () => {
    expect(tap!.name).toBe(`tap:${ifname}`);
    expect(tap!.mtu).toBe(1500);
    expect(tap!.maxFrame).toBe(1514);
    expect(tap!.fd).toBeGreaterThanOrEqual(0);
    expect(tap!.kernelMac.length).toBe(6);
    expect(tap!.kernelMac[0] & 1).toBe(0); // unicast
    expect(tap!.pollAt(0)).toBe(Infinity);
  });

  it("gets the kernel's ARP reply to our request", async () => {
    const request = ethernet(BROADCAST, 0x0806, arpPacket(1, new Uint8Array(6), ipv4(KERNEL_IP)));
    expect(send(tap!, region, [request])).toBe(1);
    const [reply] = await waitFor("ARP reply", (f) => etherType(f) === 0x0806 && f[21] === 2);
    expect(sameBytes(reply.subarray(0, 6), OUR_MAC)).toBe(true);
    const arp = reply.subarray(14, 42);
    expect(sameBytes(arp.subarray(8, 14), tap!.kernelMac)).toBe(true); // sender: the kernel's MAC...
    expect(sameBytes(arp.subarray(14, 18), ipv4(KERNEL_IP))).toBe(true); // ...for its address
    expect(sameBytes(arp.subarray(18, 24), OUR_MAC)).toBe(true);
    expect(sameBytes(arp.subarray(24, 28), ipv4(OUR_IP))).toBe(true);
  });

  it("gets the kernel's ICMP echo reply to our echo request", async () => {
    const data = Uint8Array.from({ length: 32 }, (_, i) => i * 7);
    expect(send(tap!, region, [echoRequest(tap!.kernelMac, 0x4243, 1, data)])).toBe(1);
    const [reply] = await waitFor("ICMP echo reply", isEchoReply(1));
    const ip4 = reply.subarray(14);
    const total = (ip4[2] << 8) | ip4[3];
    expect(checksum(ip4.subarray(0, 20))).toBe(0);
    expect(sameBytes(ip4.subarray(12, 16), ipv4(KERNEL_IP))).toBe(true);
    expect(sameBytes(ip4.subarray(16, 20), ipv4(OUR_IP))).toBe(true);
    const icmp = ip4.subarray(20, total);
    expect(checksum(icmp)).toBe(0);
    expect([...icmp.subarray(4, 8)]).toEqual([0x42, 0x43, 0, 1]);
    expect(hex(icmp.subarray(8))).toBe(hex(data));
    expect(tap!.counters()).toMatchObject({ txDropped: 0, rxOversize: 0 });
    expect(tap!.counters().tx).toBeGreaterThanOrEqual(2);
    expect(tap!.counters().rx).toBeGreaterThanOrEqual(2);
  });

  it("carries the fault injector's and the pcap writer's frames (host buffers, not Wasm memory)", async () => {
    const dir = mkdtempSync(join(tmpdir(), "wc-tap-"));
    try {
      const path = join(dir, "tap.pcap");
      // dup=1 both ways: the kernel gets the request twice and answers twice; we see each answer twice.
      const faults = new FaultInjector(tap!, { ...NO_FAULTS, dup: 1 });
      const dev = new PcapWriter(faults, pcapFile(path));
      send(dev, region, [echoRequest(tap!.kernelMac, 0x4243, 2, new Uint8Array(8))], Date.now());
      const replies = await waitFor("duplicated echo replies", isEchoReply(2), dev, 4);
      // Two answers (their IP ids differ), each received twice.
      const counts = new Map<string, number>();
      for (const r of replies) counts.set(hex(r), (counts.get(hex(r)) ?? 0) + 1);
      expect([...counts.values()]).toEqual([2, 2]);
      expect(faults.counters()).toMatchObject({ txFrames: 1, txDuplicated: 1, txPassed: 2 });
      const recorded = dev.counters().recorded;
      const file = readFileSync(path);
      let records = 0;
      for (let off = 24; off < file.length; records++) off += 16 + file.readUInt32LE(off + 8);
      expect(records).toBe(recorded);
      expect(records).toBeGreaterThanOrEqual(5);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("reports a busy device, a non-TAP name and a bad name with stable codes", () => {
    const busyName = `wcb${process.pid}`;
    const first = TapDevice.open(busyName);
    try {
      expect(() => TapDevice.open(busyName)).toThrow(expect.objectContaining({ code: "ERR_TAP_BUSY" }));
    } finally {
      first.close();
    }
    let err: unknown;
    try {
      TapDevice.open("lo");
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(SysError);
    expect(err).toMatchObject({ code: "ERR_TAP_NOT_TAP", call: "ioctl(TUNSETIFF)", exitCode: 71 });
    expect(() => TapDevice.open("a-name-too-long-x")).toThrow(UsageError);
    expect(() => checkTapName("a-name-too-long")).not.toThrow(); // 15 bytes is the most
    expect(() => checkTapName("wc 0")).toThrow(expect.objectContaining({ code: "ERR_TAP_NAME" }));
    expect(() => checkTapName("")).toThrow(expect.objectContaining({ code: "ERR_TAP_NAME" }));
  });

  it("refuses use after close", () => {
    const t = TapDevice.open(`wcc${process.pid}`);
    t.close();
    t.close();
    expect(t.fd).toBe(-1);
    expect(() => receive(t, region)).toThrow(/closed/);
  });
});
