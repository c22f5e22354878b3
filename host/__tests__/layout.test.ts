import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { parseCli } from "../cli.js";
import { LayoutError } from "../errors.js";
import {
  CONTROL_BASE,
  CONTROL_MAGIC,
  CONTROL_SIZE,
  Ctl,
  MAX_MEMORY,
  MiB,
  PROCESS_STARTED_OFFSET_S,
  computeLayout,
  connsPerCore,
  coreRegions,
  createMemory,
  requestShutdown,
  shutdownRequested,
  writeControl,
  writeNetControl,
} from "../layout.js";

const controlTs = readFileSync(new URL("../../assembly/shared/control.ts", import.meta.url), "utf8");

/** `export const NAME: u32 = 123;` lines of a block of assembly/shared/control.ts. */
function asConstants(text: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const m of text.matchAll(/export const (\w+): u32 = (0x[0-9a-fA-F]+|\d+);/g)) out.set(m[1], Number(m[2]));
  return out;
}

describe("the control block mirror", () => {
  it("has the same offsets as assembly/shared/control.ts", () => {
    const ns = /export namespace Ctl \{([\s\S]*?)\n\}/.exec(controlTs);
    expect(ns).not.toBeNull();
    const fromAs = asConstants(ns![1]);
    expect(fromAs.size).toBeGreaterThan(10);
    expect(Object.fromEntries(fromAs)).toEqual({ ...Ctl });
  });

  it("has the same magic and size", () => {
    const top = asConstants(controlTs);
    expect(top.get("CONTROL_MAGIC")).toBe(CONTROL_MAGIC);
    expect(top.get("CONTROL_SIZE")).toBe(CONTROL_SIZE);
  });
});

const input = { threads: 2, connsPerCore: 512, storeSize: 70_000_001, transportRegionSize: 25_169_920, appRegionSize: 100 };

describe("computeLayout", () => {
  it("puts the control block at 1 MiB, the store after it, then 64-byte aligned core regions", () => {
    const l = computeLayout(input);
    expect(l.control).toBe(MiB);
    expect(l.storeBase).toBe(MiB + 4096);
    expect(l.coreBase % 4096).toBe(0);
    expect(l.coreBase).toBeGreaterThanOrEqual(l.storeBase + l.storeSize);
    expect(l.coreStride % 64).toBe(0);
    expect(l.appOffset % 64).toBe(0);
    expect(l.appOffset).toBeGreaterThanOrEqual(input.transportRegionSize);
    expect(l.coreStride).toBeGreaterThanOrEqual(l.appOffset + input.appRegionSize);
    expect(l.totalBytes).toBe(l.coreBase + 2 * l.coreStride);
    expect(l.pages).toBe(Math.ceil(l.totalBytes / 65536));
    const [c0, c1] = [coreRegions(l, 0), coreRegions(l, 1)];
    expect(c0.transport).toBe(l.coreBase);
    expect(c1.transport - c0.transport).toBe(l.coreStride);
    expect(c1.app - c1.transport).toBe(c0.app - c0.transport); // same offsets in every core
    expect(Object.isFrozen(l)).toBe(true);
  });

  it("never asks for fewer pages than the modules declare (32)", () => {
    expect(computeLayout({ ...input, threads: 1, storeSize: 0, transportRegionSize: 64, appRegionSize: 64 }).pages).toBe(32);
  });

  it("splits -c over the threads, rounding up", () => {
    expect(connsPerCore(1024, 4)).toBe(256);
    expect(connsPerCore(10, 3)).toBe(4);
    expect(connsPerCore(1, 8)).toBe(1);
  });

  it("accepts exactly 4 GiB and refuses a byte more", () => {
    const fixed = computeLayout({ ...input, threads: 1, transportRegionSize: 64, appRegionSize: 0 });
    const room = MAX_MEMORY - fixed.coreBase - 64;
    expect(computeLayout({ ...input, threads: 1, transportRegionSize: 64 + room, appRegionSize: 0 }).pages).toBe(65536);
    let err: unknown;
    try {
      computeLayout({ ...input, threads: 1, transportRegionSize: 128 + room, appRegionSize: 0 });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(LayoutError);
    expect((err as LayoutError).code).toBe("ERR_OVER_4GIB");
    expect((err as LayoutError).message).toMatch(/4096 MiB: lower -m, -c or -t/);
  });
});

describe("writeControl", () => {
  it("writes the fields memcached's stats need", () => {
    const cli = parseCli(["-m", "100", "-c", "10", "-t", "2", "-I", "2m", "-v", "-l", "127.0.0.1"]);
    if (cli.kind !== "run") throw new Error("no config");
    const l = computeLayout({ threads: 2, connsPerCore: 5, storeSize: 4096, transportRegionSize: 4096, appRegionSize: 64 });
    const mem = createMemory(l);
    const nowMs = 1_700_000_000_500;
    writeControl(mem, l, cli.config, { nowMs, pid: 4242, port: 11311 });
    const v = new DataView(mem.buffer, CONTROL_BASE, CONTROL_SIZE);
    const u32 = (off: number) => v.getUint32(off, true);
    const text = (off: number, n: number) =>
      new TextDecoder().decode(new Uint8Array(mem.buffer.slice(CONTROL_BASE + off, CONTROL_BASE + off + n))).replace(/\0+$/, "");
    expect(u32(Ctl.MAGIC)).toBe(0x57434331);
    expect(u32(Ctl.N_CORES)).toBe(2);
    expect(u32(Ctl.MAX_CONNS)).toBe(5);
    expect(u32(Ctl.ITEM_SIZE_MAX)).toBe(2 * MiB);
    expect(u32(Ctl.VERBOSITY)).toBe(1);
    expect(u32(Ctl.STORE_BASE)).toBe(l.storeBase);
    expect(u32(Ctl.STORE_SIZE)).toBe(4096);
    expect(u32(Ctl.ITEM_BYTES)).toBe(100 * MiB);
    expect(u32(Ctl.CORE_BASE)).toBe(l.coreBase);
    expect(u32(Ctl.CORE_STRIDE)).toBe(l.coreStride);
    // memcached: process_started = time(0) - ITEM_UPDATE_INTERVAL - 2
    expect(u32(Ctl.PROCESS_STARTED)).toBe(1_700_000_000 - PROCESS_STARTED_OFFSET_S);
    expect(PROCESS_STARTED_OFFSET_S).toBe(62);
    expect(u32(Ctl.PID)).toBe(4242);
    expect(u32(Ctl.TCP_PORT)).toBe(11311);
    expect(v.getBigUint64(Ctl.MAXBYTES_LO, true)).toBe(100n * 1048576n);
    expect(u32(Ctl.EVICTIONS_ON)).toBe(1);
    expect(text(Ctl.INTERFACE, 64)).toBe("127.0.0.1");
    expect(text(Ctl.VERSION_STR, 32)).toBe("1.6.18");
    expect(v.getBigUint64(Ctl.CAS_COUNTER, true)).toBe(0n);

    const ctl32 = new Int32Array(mem.buffer, CONTROL_BASE, CONTROL_SIZE / 4);
    expect(shutdownRequested(ctl32)).toBe(false);
    requestShutdown(mem);
    expect(shutdownRequested(ctl32)).toBe(true);
  });
});

describe("writeNetControl", () => {
  it("writes the userspace stack's settings where assembly/netstack reads them", () => {
    const cli = parseCli(["--tap", "wc0", "--ip", "10.77.0.2/24", "--gateway", "10.77.0.1", "-p", "11311"]);
    if (cli.kind !== "run" || !cli.config.net) throw new Error("no config");
    const l = computeLayout({ threads: 1, connsPerCore: 5, storeSize: 0, transportRegionSize: 4096, appRegionSize: 64 });
    const mem = createMemory(l);
    writeControl(mem, l, cli.config, { nowMs: 0, pid: 1, port: 11311, address: "10.77.0.2" });
    writeNetControl(mem, { ...cli.config.net, mtu: 1500, port: 11311, flags: 0, seed: 0xfedcba9876543210n });
    const v = new DataView(mem.buffer, CONTROL_BASE, CONTROL_SIZE);
    const u32 = (off: number) => v.getUint32(off, true);
    expect(u32(Ctl.NET_IP)).toBe(0x0a4d0002);
    expect(u32(Ctl.NET_PREFIX)).toBe(24);
    expect(u32(Ctl.NET_GATEWAY)).toBe(0x0a4d0001);
    expect(u32(Ctl.NET_MTU)).toBe(1500);
    expect(v.getBigUint64(Ctl.NET_MAC, true)).toBe(0x02000a4d0002n);
    expect(v.getBigUint64(Ctl.NET_SEED, true)).toBe(0xfedcba9876543210n);
    expect(u32(Ctl.NET_PORT)).toBe(11311);
    expect(u32(Ctl.NET_FLAGS)).toBe(0);
    const iface = new TextDecoder().decode(new Uint8Array(mem.buffer.slice(CONTROL_BASE + Ctl.INTERFACE, CONTROL_BASE + Ctl.INTERFACE + 9)));
    expect(iface).toBe("10.77.0.2");
  });
});
