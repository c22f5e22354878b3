// bench:core's engine: the server's Wasm core (netstack + memcached + the
// shared store) with no device and no syscall, driven by our load-generator
// module (netstack + loadgen) on a memory of its own. Frames move between the
// two by a copy in JS (the "link"), on a virtual clock; the server's time is
// the wall time of its net_poll calls alone, so its ns per request is the
// data plane's own cost. The client's and the link's time are measured and
// reported apart.
//
// Servers of several threads share one memory (one store), laid out as the
// host lays out -t N; each thread drives its own server core with its own
// client (bench/core/worker.ts).
import { parseCli } from "../../host/cli.js";
import { BURST_MAX, DESC_SIZE, FRAME_CAP } from "../../host/devices/device.js";
import { type LoadgenSettings, type LoadgenStats, LoadgenState, readLoadgenStats, writeLoadgenSettings } from "../../host/loadgen/blocks.js";
import { type Layout, type NetControl, coreRegions, createMemory, measureLayout, writeControl, writeNetControl } from "../../host/layout.js";
import { type AppExports, type NetModuleSet, type NetstackExports, instantiateNetstack } from "../../host/modules.js";

/** Virtual unix ms the runs start at. */
const T0 = 1_700_000_000_000;
export const SERVER_IP = 0x0a000002;
const CLIENT_IP_BASE = 0x0a000010;
export const PORT = 11211;

export interface Core {
  readonly net: NetstackExports;
  readonly app: AppExports;
  readonly memory: WebAssembly.Memory;
  readonly bytes: Uint8Array;
  readonly dv: DataView;
  readonly rxDesc: number;
  readonly txDesc: number;
  readonly rxBufs: number;
  readonly txBufs: number;
}

function bindCore(net: NetstackExports, app: AppExports, memory: WebAssembly.Memory): Core {
  const bytes = new Uint8Array(memory.buffer);
  const rxBufs = net.net_frame_buffers();
  return {
    net, app, memory, bytes, dv: new DataView(memory.buffer),
    rxDesc: net.net_rx_desc(), txDesc: net.net_tx_desc(), rxBufs, txBufs: rxBufs + BURST_MAX * FRAME_CAP,
  };
}

/** The servers' shared memory: control block and store written once (the main thread does this). */
export interface ServerMemory {
  readonly memory: WebAssembly.Memory;
  readonly layout: Layout;
}

/** A fresh memory laid out and its control block written as the host does for these memcached flags. */
function layOut(mods: NetModuleSet, flags: string[], port: number, net: Omit<NetControl, "port" | "prefix" | "gateway" | "mtu" | "flags">): ServerMemory {
  const sizing = instantiateNetstack(new WebAssembly.Memory({ initial: 32, maximum: 32, shared: true }), mods);
  const cli = parseCli(flags);
  if (cli.kind !== "run") throw new Error(`bench:core: no config for ${flags.join(" ")}`);
  const layout = measureLayout(cli.config, sizing.app, (n) => sizing.netstack.net_region_size(n));
  const memory = createMemory(layout);
  writeControl(memory, layout, cli.config, { nowMs: T0, pid: 1, port });
  writeNetControl(memory, { ...net, prefix: 24, gateway: 0, mtu: 1500, port, flags: 0 });
  return { memory, layout };
}

export function makeServerMemory(mods: NetModuleSet, threads: number, memoryMb: number, connsPerThread: number): ServerMemory {
  const sm = layOut(mods, ["-c", String(connsPerThread * threads), "-t", String(threads), "-m", String(memoryMb)], PORT,
    { ip: SERVER_IP, mac: 0x020000000002, seed: 22n });
  const { app } = instantiateNetstack(sm.memory, mods);
  const f = app.store_format!(sm.layout.control);
  if (f !== 0) throw new Error(`bench:core: store_format returned ${f}`);
  return sm;
}

/** Server core `core` on the shared memory (each thread instantiates its own). */
export function serverCore(mods: NetModuleSet, sm: ServerMemory, core: number): Core {
  const { netstack: net, app } = instantiateNetstack(sm.memory, mods);
  const r = coreRegions(sm.layout, core);
  const n = net.net_init(sm.layout.control, core, r.transport, sm.layout.transportRegionSize);
  if (n !== 0) throw new Error(`bench:core: server net_init returned ${n}`);
  const a = app.app_init(sm.layout.control, core, r.app, sm.layout.appRegionSize);
  if (a !== 0) throw new Error(`bench:core: server app_init returned ${a}`);
  return bindCore(net, app, sm.memory);
}

/** A load-generator core on a memory of its own; client `index` has its own address (and so its own 4-tuples). */
export function clientCore(mods: NetModuleSet, index: number, s: LoadgenSettings): Core {
  const { memory, layout } = layOut(mods, ["-c", String(s.conns), "-t", "1", "-m", "16"], 0,
    { ip: CLIENT_IP_BASE + index, mac: 0x020000000100 + index, seed: 11n + BigInt(index) });
  writeLoadgenSettings(memory, layout.control, s);
  const { netstack: net, app } = instantiateNetstack(memory, mods);
  const r = coreRegions(layout, 0);
  if (net.net_init(layout.control, 0, r.transport, layout.transportRegionSize) !== 0) throw new Error("bench:core: client net_init failed");
  if (app.app_init(layout.control, 0, r.app, layout.appRegionSize) !== 0) throw new Error("bench:core: client app_init failed");
  return bindCore(net, app, memory);
}

/**
 * Copies the `count` frames `from` built into `to`'s rx buffers and points
 * its rx descriptors at them (a device that copies: what memif does).
 */
function carry(from: Core, count: number, to: Core): void {
  for (let i = 0; i < count; i++) {
    const d = from.txDesc + i * DESC_SIZE;
    const addr = from.dv.getUint32(d, true);
    const len = from.dv.getUint32(d + 4, true);
    const dst = to.rxBufs + i * FRAME_CAP;
    to.bytes.set(from.bytes.subarray(addr, addr + len), dst);
    to.dv.setUint32(to.rxDesc + i * DESC_SIZE, dst, true);
    to.dv.setUint32(to.rxDesc + i * DESC_SIZE + 4, len, true);
  }
}

/** Every tx descriptor offers its empty buffer again (the stack rewrote the ones it used). */
function offerTx(c: Core, used: number): void {
  for (let i = 0; i < used; i++) {
    c.dv.setUint32(c.txDesc + i * DESC_SIZE, c.txBufs + i * FRAME_CAP, true);
    c.dv.setUint32(c.txDesc + i * DESC_SIZE + 4, FRAME_CAP, true);
  }
}

export interface PairResult {
  readonly stats: LoadgenStats;
  /** Wall ns inside each side's net_poll, and in the link's copies, over the measured phase. */
  readonly serverNs: number;
  readonly clientNs: number;
  readonly linkNs: number;
  readonly serverPolls: number;
  /** Requests answered in the measured phase (verified by the client). */
  readonly requests: number;
  readonly wallNs: number;
}

/**
 * Runs client against server until the client is done. The virtual clock
 * moves `stepMs` per round trip; the server gets whole ms, as DPDK servers do
 * (app_tick once per ms). Timing starts when the client's measured phase does
 * (after its FILL).
 */
export function runPair(server: Core, client: Core, stepMs = 0.002): PairResult {
  const statsAt = (client.app as AppExports & { loadgen_stats(): number }).loadgen_stats();
  const stateWord = new Int32Array(client.memory.buffer, statsAt, 1);
  let now = T0;
  let cUsed = BURST_MAX;
  let sUsed = BURST_MAX;
  let cBuilt = 0;
  let serverNs = 0;
  let clientNs = 0;
  let linkNs = 0;
  let serverPolls = 0;
  let measuring = false;
  let verifiedAtStart = 0n;
  let t0 = 0;
  for (let iter = 0; iter < 50_000_000; iter++) {
    const state = Atomics.load(stateWord, 0);
    if (state === LoadgenState.DONE) break;
    if (!measuring && state === LoadgenState.RUNNING) {
      measuring = true;
      verifiedAtStart = readLoadgenStats(client.memory, statsAt).verified;
      serverNs = clientNs = linkNs = serverPolls = 0;
      t0 = performance.now();
    }
    const a = performance.now();
    carry(client, cBuilt, server);
    offerTx(server, sUsed);
    const b = performance.now();
    sUsed = server.net.net_poll(cBuilt, BURST_MAX, Math.floor(now)) >>> 0;
    const c = performance.now();
    carry(server, sUsed, client);
    offerTx(client, cUsed);
    const d = performance.now();
    cBuilt = client.net.net_poll(sUsed, BURST_MAX, now) >>> 0;
    cUsed = cBuilt;
    const e = performance.now();
    serverNs += (c - b) * 1e6;
    linkNs += (b - a + d - c) * 1e6;
    clientNs += (e - d) * 1e6;
    serverPolls++;
    if (cBuilt === 0 && sUsed === 0) {
      // nothing moved: jump to the next timer (connect, FILL barrier, delayed ACKs)
      const due = Math.min(server.net.net_poll_at(), client.net.net_poll_at());
      now = Math.min(Math.max(now + stepMs, due), now + 10);
    } else {
      now += stepMs;
    }
  }
  const wallNs = (performance.now() - t0) * 1e6;
  const stats = readLoadgenStats(client.memory, statsAt);
  if (stats.state !== LoadgenState.DONE) throw new Error("bench:core: the client did not finish");
  return { stats, serverNs, clientNs, linkNs, serverPolls, requests: Number(stats.verified - verifiedAtStart), wallNs };
}
