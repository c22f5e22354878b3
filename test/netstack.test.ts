// The userspace stack end to end in one process: two netstack instances (a
// client with a test-only pusher module, a server with echo or memcached),
// each on its own shared memory, joined by an in-memory link with a seeded
// fault injector (loss, reordering, duplication, corruption) on a virtual
// clock. ARP resolves between them; 10 MiB through echo arrives intact; the
// run repeats byte for byte (a hash of every frame either stack built).
import { spawn } from "node:child_process";
import { createHash } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import v8 from "node:v8";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseCli } from "../host/cli.js";
import { BURST_MAX, type Device, DeviceRegion } from "../host/devices/device.js";
import { type FaultConfig, FaultInjector } from "../host/devices/faults.js";
import { memLink } from "../host/devices/memlink.js";
import { coreRegions, createMemory, measureLayout, writeControl, writeNetControl } from "../host/layout.js";
import {
  type AppExports, type NetModuleSet, type NetstackExports, NETSTACK_FILE, instantiateNetstack, loadNetModules,
} from "../host/modules.js";

const root = fileURLToPath(new URL("../", import.meta.url));
const CONNS = 4;
const PORT = 11211;
const T0 = 1_700_000_000_000; // virtual unix ms
const CLIENT = { ip: 0x0a000001, mac: 0x020000000001, seed: 11n };
const SERVER = { ip: 0x0a000002, mac: 0x020000000002, seed: 22n };
const FAULTS: FaultConfig = { loss: 0.05, reorder: 0.05, dup: 0.02, corrupt: 0.01, seed: 7, delay: 10 };
const MiB = 1 << 20;

interface PusherExports extends AppExports {
  pusher_stream(total: number, seed: number): void;
  pusher_script(len: number, expect: number): void;
  pusher_info(): number;
  pusher_script_buf(): number;
  pusher_capture(): number;
}

let dir: string;

/** Compiles entry with the production flags; resolves when asc is done. */
function asc(entry: string, out: string, memoryBase: number, extra: string[] = []): Promise<void> {
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

beforeAll(async () => {
  // Built from the sources every run (in parallel), with the production flags.
  v8.setFlagsFromString("--no-liftoff"); // as the workers do (Node 20's Liftoff and atomics)
  dir = mkdtempSync(join(tmpdir(), "netstack-test-"));
  await Promise.all([
    asc("assembly/netstack/module.ts", join(dir, NETSTACK_FILE), 16384, ["--exportTable", "--tableBase", "8"]),
    asc("assembly/netstack/__tests__/pusher.ts", join(dir, "pusher.wasm"), 262144),
    ...["echo", "memcached"].map((app) => asc(`assembly/${app}/module.ts`, join(dir, `${app}.wasm`), 262144)),
  ]);
}, 120_000);

afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

interface Side {
  readonly net: NetstackExports;
  readonly app: AppExports;
  readonly bytes: Uint8Array;
  readonly region: DeviceRegion;
  readonly dev: Device;
}

/** One core's worth of stack + protocol module on a fresh memory, laid out as the host does. */
function makeSide(mods: NetModuleSet, who: typeof CLIENT, port: number, dev: Device): Side {
  const sizing = instantiateNetstack(new WebAssembly.Memory({ initial: 32, maximum: 32, shared: true }), mods);
  const cli = parseCli(["-c", String(CONNS), "-t", "1", "-m", "16"]);
  if (cli.kind !== "run") throw new Error("no config");
  const layout = measureLayout(cli.config, sizing.app, (n) => sizing.netstack.net_region_size(n));
  const memory = createMemory(layout);
  writeControl(memory, layout, cli.config, { nowMs: T0, pid: 1, port: PORT });
  writeNetControl(memory, { ip: who.ip, prefix: 24, gateway: 0, mtu: 1500, mac: who.mac, seed: who.seed, port, flags: 0 });
  const { netstack: net, app } = instantiateNetstack(memory, mods);
  if (layout.storeSize > 0) expect(app.store_format!(layout.control)).toBe(0);
  const r = coreRegions(layout, 0);
  expect(net.net_init(layout.control, 0, r.transport, layout.transportRegionSize)).toBe(0);
  expect(app.app_init(layout.control, 0, r.app, layout.appRegionSize)).toBe(0);
  const bytes = new Uint8Array(memory.buffer);
  return { net, app, bytes, region: new DeviceRegion(bytes, net.net_rx_desc()), dev };
}

/** "name=value ..." of the counters that are not zero (failure messages). */
function counters(side: Side): string {
  const { net, bytes } = side;
  const out: string[] = [];
  for (let i = 0; i < net.net_counter_count(); i++) {
    const v = net.net_counter(i);
    const at = net.net_counter_name(i);
    if (v !== 0n) out.push(`${Buffer.from(bytes.subarray(at, bytes.indexOf(0, at))).toString("latin1")}=${v}`);
  }
  return out.join(" ");
}

function counter(side: Side, name: string): bigint {
  const { net, bytes } = side;
  for (let i = 0; i < net.net_counter_count(); i++) {
    const at = net.net_counter_name(i);
    if (Buffer.from(bytes.subarray(at, bytes.indexOf(0, at))).toString("latin1") === name) return net.net_counter(i);
  }
  throw new Error(`no counter ${name}`);
}

/** One burst: receive, net_poll, hash what the stack built, transmit. Returns frames moved. */
function step(side: Side, now: number, trace: ReturnType<typeof createHash>): number {
  const { region, dev, net } = side;
  region.offerRx();
  const n = dev.receive(region.rx, BURST_MAX, now);
  region.offerTx();
  const t = net.net_poll(n, BURST_MAX, now) >>> 0;
  for (let i = 0; i < t; i++) trace.update(region.tx.frame(i));
  dev.transmit(region.tx, t, now);
  return n + t;
}

interface Run {
  readonly client: Side;
  readonly server: Side;
  readonly pusher: PusherExports;
  readonly hash: string;
  readonly virtualMs: number;
}

/**
 * Client connects to the server and runs the pusher (set up by `prepare`)
 * until it has closed; 1 ms of virtual time per burst that moved frames,
 * else a jump to the next timer.
 */
function run(serverApp: string, faults: FaultConfig | null, prepare: (p: PusherExports, c: Side) => void): Run {
  const [a, b] = memLink();
  const clientDev: Device = faults ? new FaultInjector(a, faults) : a;
  const client = makeSide(loadNetModules(dir, join(dir, "pusher.wasm")), CLIENT, 0, clientDev);
  const server = makeSide(loadNetModules(dir, join(dir, `${serverApp}.wasm`)), SERVER, PORT, b);
  const pusher = client.app as PusherExports;
  const info = new DataView(client.bytes.buffer, pusher.pusher_info(), 64);
  prepare(pusher, client);
  const trace = createHash("sha256");
  let now = T0;
  step(client, now, trace);
  step(server, now, trace);
  expect(client.net.net_connect(SERVER.ip, PORT)).toBe(0);
  for (let iter = 0; iter < 2_000_000; iter++) {
    const moved = step(client, now, trace) + step(server, now, trace);
    if (info.getUint32(28, true) > 0) break; // the pusher heard app_closed
    if (moved > 0) { now += 1; continue; }
    const due = Math.min(client.net.net_poll_at(), server.net.net_poll_at(), client.dev.pollAt(now), b.pollAt(now));
    if (!Number.isFinite(due)) break; // nothing will ever happen again
    now = Math.max(now + 1, Math.ceil(due));
  }
  return { client, server, pusher, hash: trace.digest("hex"), virtualMs: now - T0 };
}

function pusherState(r: Run) {
  const v = new DataView(r.client.bytes.buffer, r.pusher.pusher_info(), 64);
  const u = (o: number) => v.getUint32(o, true);
  return { sent: u(12), received: u(16), mismatches: u(20), opened: u(24), closed: u(28), firstMismatch: u(40) };
}

describe("netstack over an in-memory link", () => {
  it("resolves by ARP, then carries 10 MiB through echo intact at 5% loss with reordering, duplication and corruption; repeatable", () => {
    const total = 10 * MiB;
    const go = (faults = FAULTS) => run("echo", faults, (p) => p.pusher_stream(total, 12345));
    const first = go();
    const st = pusherState(first);
    const why = `client: ${counters(first.client)}\nserver: ${counters(first.server)}`;
    expect(st.opened).toBe(1);
    expect(st.sent, why).toBe(total);
    expect(st.received, why).toBe(total);
    expect(st.mismatches).toBe(0);
    expect(st.closed).toBe(1);
    // ARP: the client asked for the server, the server answered
    expect(counter(first.client, "if_arp_requests_out")).toBeGreaterThan(0n);
    expect(counter(first.server, "if_arp_replies_out")).toBeGreaterThan(0n);
    expect(counter(first.client, "if_arp_queue_sent")).toBeGreaterThan(0n); // the SYN waited for the reply
    // every frame fit the MTU (the TCP layer makes room for SACK blocks)
    expect(counter(first.client, "if_tx_too_big") + counter(first.server, "if_tx_too_big")).toBe(0n);
    // the faults were real and recovered from
    expect(counter(first.client, "tcp_retransmits") + counter(first.server, "tcp_retransmits")).toBeGreaterThan(0n);
    const corrupt = counter(first.client, "if_drop_bad_checksum") + counter(first.server, "if_drop_bad_checksum") +
      counter(first.client, "tcp_drop_bad_checksum") + counter(first.server, "tcp_drop_bad_checksum");
    expect(corrupt).toBeGreaterThan(0n);
    const second = go();
    expect(pusherState(second).received).toBe(total);
    expect(second.hash).toBe(first.hash);
    expect(second.virtualMs).toBe(first.virtualMs);
    const other = go({ ...FAULTS, seed: 8 }); // other faults: intact too, another trace
    expect(pusherState(other).received).toBe(total);
    expect(pusherState(other).mismatches).toBe(0);
    expect(other.hash).not.toBe(first.hash);
  }, 60_000);

  it("serves memcached: a set and a get through the stack (with faults)", () => {
    const value = Buffer.alloc(50_000, 0).map((_, i) => 97 + (i % 26));
    const request = Buffer.concat([
      Buffer.from(`set big 0 0 ${value.length}\r\n`), value, Buffer.from("\r\nset k 5 0 5\r\nhello\r\nget k big\r\n"),
    ]);
    const reply = Buffer.concat([
      Buffer.from("STORED\r\nSTORED\r\nVALUE k 5 5\r\nhello\r\n"), Buffer.from(`VALUE big 0 ${value.length}\r\n`), value,
      Buffer.from("\r\nEND\r\n"),
    ]);
    const r = run("memcached", FAULTS, (p, c) => {
      c.bytes.set(request, p.pusher_script_buf());
      p.pusher_script(request.length, reply.length);
    });
    const st = pusherState(r);
    const why = `client: ${counters(r.client)}\nserver: ${counters(r.server)}`;
    expect(st.sent, why).toBe(request.length);
    expect(st.received, why).toBe(reply.length);
    const got = Buffer.from(r.client.bytes.subarray(r.pusher.pusher_capture(), r.pusher.pusher_capture() + reply.length));
    expect(got.equals(reply)).toBe(true);
    expect(st.closed).toBe(1);
  }, 60_000);
});
