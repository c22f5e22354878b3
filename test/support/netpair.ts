// Two of our userspace stacks in one process, for tests: each side is a
// netstack instance plus a protocol module on its own shared memory, laid
// out as the host does, joined to the other by an in-memory link (optionally
// inside the seeded fault injector) and driven on a virtual clock.
// Used by test/netstack.test.ts and test/loadgen.test.ts.
import { spawn } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseCli } from "../../host/cli.js";
import { BURST_MAX, type Device, DeviceRegion } from "../../host/devices/device.js";
import { coreRegions, createMemory, type Layout, measureLayout, writeControl, writeNetControl } from "../../host/layout.js";
import { type AppExports, NETSTACK_FILE, type NetModuleSet, type NetstackExports, instantiateNetstack } from "../../host/modules.js";

export const root = fileURLToPath(new URL("../../", import.meta.url));
/** Virtual unix ms the runs start at. */
export const T0 = 1_700_000_000_000;

export interface Host {
  readonly ip: number;
  readonly mac: number;
  readonly seed: bigint;
}
export const CLIENT: Host = { ip: 0x0a000001, mac: 0x020000000001, seed: 11n };
export const SERVER: Host = { ip: 0x0a000002, mac: 0x020000000002, seed: 22n };

/** Compiles entry with the production flags (as host/build.mjs does); resolves when asc is done. */
export function asc(entry: string, out: string, memoryBase: number, extra: string[] = []): Promise<void> {
  const bin = join(root, "node_modules", "assemblyscript", "bin", "asc.js");
  const args = [bin, entry, "--config", "asconfig.json", "--target", "release", "--memoryBase", String(memoryBase), ...extra, "-o", out];
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, { cwd: root, stdio: ["ignore", "pipe", "pipe"] });
    let text = "";
    child.stdout.on("data", (d: Buffer) => (text += d.toString()));
    child.stderr.on("data", (d: Buffer) => (text += d.toString()));
    child.once("exit", (code) => (code === 0 ? resolve() : reject(new Error(`asc ${entry} failed (${code}):\n${text}`))));
  });
}

/** netstack.wasm built into dir with its flags (transport window, exported table). */
export function ascNetstack(out: string): Promise<void> {
  return asc("assembly/netstack/module.ts", out, 16384, ["--exportTable", "--tableBase", "8"]);
}

/**
 * A fresh temp dir with netstack.wasm and protocol modules built from the
 * sources (name -> entry; in parallel, production flags): the tests run
 * what the tree says, not a stale build/.
 */
export async function buildModules(prefix: string, apps: Readonly<Record<string, string>>): Promise<string> {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  await Promise.all([
    ascNetstack(join(dir, NETSTACK_FILE)),
    ...Object.entries(apps).map(([name, entry]) => asc(entry, join(dir, `${name}.wasm`), 262144)),
  ]);
  return dir;
}

export interface Side {
  readonly net: NetstackExports;
  readonly app: AppExports;
  readonly memory: WebAssembly.Memory;
  readonly layout: Layout;
  readonly bytes: Uint8Array;
  readonly region: DeviceRegion;
  readonly dev: Device;
}

export interface SideOptions {
  /** Connection slots (-c). */
  readonly conns: number;
  /** -m in MiB (memcached's store). */
  readonly memoryMb?: number;
  /** Runs after the control block is written, before net_init / app_init (a module's APP_CONFIG). */
  readonly beforeInit?: (memory: WebAssembly.Memory, layout: Layout) => void;
}

/** One core's worth of stack + protocol module on a fresh memory, laid out as the host does. */
export function makeSide(mods: NetModuleSet, who: Host, port: number, dev: Device, opts: SideOptions): Side {
  const sizing = instantiateNetstack(new WebAssembly.Memory({ initial: 32, maximum: 32, shared: true }), mods);
  const cli = parseCli(["-c", String(opts.conns), "-t", "1", "-m", String(opts.memoryMb ?? 16)]);
  if (cli.kind !== "run") throw new Error("no config");
  const layout = measureLayout(cli.config, sizing.app, (n) => sizing.netstack.net_region_size(n));
  const memory = createMemory(layout);
  writeControl(memory, layout, cli.config, { nowMs: T0, pid: 1, port });
  writeNetControl(memory, { ip: who.ip, prefix: 24, gateway: 0, mtu: 1500, mac: who.mac, seed: who.seed, port, flags: 0 });
  opts.beforeInit?.(memory, layout);
  const { netstack: net, app } = instantiateNetstack(memory, mods);
  if (layout.storeSize > 0) {
    const f = app.store_format!(layout.control);
    if (f !== 0) throw new Error(`store_format: ${f}`);
  }
  const r = coreRegions(layout, 0);
  const n = net.net_init(layout.control, 0, r.transport, layout.transportRegionSize);
  if (n !== 0) throw new Error(`net_init: ${n}`);
  const a = app.app_init(layout.control, 0, r.app, layout.appRegionSize);
  if (a !== 0) throw new Error(`app_init: ${a}`);
  const bytes = new Uint8Array(memory.buffer);
  return { net, app, memory, layout, bytes, region: new DeviceRegion(bytes, net.net_rx_desc()), dev };
}

/** Counter `name` of a side's stack. */
export function counter(side: Side, name: string): bigint {
  const { net, bytes } = side;
  for (let i = 0; i < net.net_counter_count(); i++) {
    const at = net.net_counter_name(i);
    if (Buffer.from(bytes.subarray(at, bytes.indexOf(0, at))).toString("latin1") === name) return net.net_counter(i);
  }
  throw new Error(`no counter ${name}`);
}

/** "name=value ..." of a side's non-zero counters (failure messages). */
export function counters(side: Side): string {
  const { net, bytes } = side;
  const out: string[] = [];
  for (let i = 0; i < net.net_counter_count(); i++) {
    const v = net.net_counter(i);
    const at = net.net_counter_name(i);
    if (v !== 0n) out.push(`${Buffer.from(bytes.subarray(at, bytes.indexOf(0, at))).toString("latin1")}=${v}`);
  }
  return out.join(" ");
}

/** One burst: receive, net_poll, (each frame built to onFrame), transmit. Returns frames moved. */
export function step(side: Side, now: number, onFrame?: (frame: Uint8Array) => void): number {
  const { region, dev, net } = side;
  region.offerRx();
  const n = dev.receive(region.rx, BURST_MAX, now);
  region.offerTx();
  const t = net.net_poll(n, BURST_MAX, now) >>> 0;
  if (onFrame) for (let i = 0; i < t; i++) onFrame(region.tx.frame(i));
  dev.transmit(region.tx, t, now);
  return n + t;
}

/** When either side next needs a burst with no input (its timers, its device's queue). */
export function nextDue(a: Side, b: Side, now: number): number {
  return Math.min(a.net.net_poll_at(), b.net.net_poll_at(), a.dev.pollAt(now), b.dev.pollAt(now));
}
