// The pcap-replay harness (docs/replay.md): one netstack + protocol-module
// instance on a fresh memory, on a virtual clock taken from a capture's
// timestamps. Frames the recorded clients sent go in, in order, each at its
// recorded time; every frame the core emits comes out. Each connection's ISN
// is pinned to the recorded server's (net_pin_isn), so the recorded clients'
// ACK numbers stay valid. Frames in, frames out, clock in hand.
import { BURST_MAX, DeviceRegion, FRAME_CAP } from "../devices/device.js";
import { captureFile, CLASSIC_PCAP } from "../devices/pcap-writer.js";
import { pcapng } from "../devices/pcapng-writer.js";
import { parseCli } from "../cli.js";
import { coreRegions, createMemory, measureLayout, writeControl, writeNetControl } from "../layout.js";
import { defaultWasmDir, instantiateNetstack, loadNetModules, type NetstackExports } from "../modules.js";
import { type CapturedFrame, CaptureError } from "./pcap-reader.js";
import { agreeSoFar, replyStreams } from "./check.js";
import { connKey, ipPort, parseFrame, pureAck, seqAfter, TcpFlag, withTcpChecksum } from "./wire.js";
import { synthMac } from "./link.js";
import { arpReplyFor, arpRequestTarget, clientAddressFor, separateClients, splitToMtu } from "./prepare.js";

export { connKey, ipPort };

export interface ReplayOptions {
  /** Protocol module: a name in wasmDir or a .wasm path (default memcached). */
  readonly app?: string;
  readonly wasmDir?: string;
  /** The server's address (u32, host order), MAC (48 bits) and port; found in the capture when absent. */
  readonly serverIp?: number;
  readonly serverMac?: number;
  readonly serverPort?: number;
  /** Connection slots of the core (default 64). */
  readonly conns?: number;
  /** Virtual ms the clock keeps running after the last fed frame, for timers (default 1000). */
  readonly drainMs?: number;
  /**
   * Recompute the TCP checksum of every fed frame (default true): captures
   * taken on veth or loopback hold the partial checksums of offload. False
   * for a capture whose bad checksums are the point (a fault-injected one).
   */
  readonly fixChecksums?: boolean;
  /** The stack's seed (ISNs are pinned; this keys timestamps and hashes). Default 1. */
  readonly seed?: bigint;
}

export interface Server {
  readonly ip: number;
  readonly mac: number;
  readonly port: number;
}

export interface EmittedFrame {
  readonly timeMs: number;
  readonly data: Uint8Array;
}

export interface ReplayResult {
  readonly server: Server;
  /** Frames fed to the core (the clients' frames), in order. */
  readonly fed: readonly CapturedFrame[];
  /** Frames of the recorded server (not fed), for --check. */
  readonly recorded: readonly CapturedFrame[];
  /** Every frame the core emitted, with the virtual time of the poll that built it. */
  readonly emitted: readonly EmittedFrame[];
  /** Pure ACKs the harness fed to pace a recorded ACK ahead of what the core had sent (see replay()). */
  readonly pacingAcks: number;
  /**
   * Client frames not fed because their connection had diverged: the core's
   * replies differed from the recorded ones when a pacing ACK was due, and
   * feeding the rest would be replaying nonsense (--check reports it).
   */
  readonly skippedAfterDivergence: number;
  /** Client frames skipped because they do not fit a FRAME_CAP buffer. */
  readonly oversize: number;
  /**
   * Connections (client ip:port) that started before the capture (no SYN of
   * theirs in it): a connection replays from its handshake, so their frames
   * are neither fed nor checked.
   */
  readonly midstream: readonly string[];
  /** ARP requests of the core that the harness answered for a client whose ARP the capture left out. */
  readonly arpAnswered: number;
  /** The stack's counters that are not zero at the end. */
  readonly counters: Readonly<Record<string, string>>;
}

const MAX_TIMER_POLLS = 100_000;
/** The core's MTU in a replay; frames over it are cut to fit (prepare.ts). */
const REPLAY_MTU = 1500;

/** The server in a capture: the source of the first SYN-ACK; else the destination of the first SYN. */
export function findServer(frames: readonly CapturedFrame[], opts: ReplayOptions = {}): Server {
  let found: Server | undefined;
  for (const f of frames) {
    const p = parseFrame(f.data);
    if (!p || !p.tcp) continue;
    const { tcp } = p;
    if ((tcp.flags & (TcpFlag.SYN | TcpFlag.ACK)) === (TcpFlag.SYN | TcpFlag.ACK)) {
      if (opts.serverPort !== undefined && tcp.srcPort !== opts.serverPort) continue;
      if (opts.serverIp !== undefined && p.srcIp !== opts.serverIp) continue;
      found = { ip: p.srcIp, mac: p.srcMac, port: tcp.srcPort };
      break;
    }
  }
  if (!found) {
    for (const f of frames) {
      const p = parseFrame(f.data);
      if (!p || !p.tcp || (p.tcp.flags & (TcpFlag.SYN | TcpFlag.ACK)) !== TcpFlag.SYN) continue;
      if (opts.serverPort !== undefined && p.tcp.dstPort !== opts.serverPort) continue;
      found = { ip: p.dstIp, mac: p.dstMac, port: p.tcp.dstPort };
      break;
    }
  }
  const ip = opts.serverIp ?? found?.ip;
  const mac = opts.serverMac ?? found?.mac;
  const port = opts.serverPort ?? found?.port;
  if ((ip === undefined || mac === undefined || port === undefined) && frames.some((f) => parseFrame(f.data)?.tcp)) {
    throw new CaptureError("ERR_REPLAY_MIDSTREAM", "the capture starts mid-connection: it holds TCP but no handshake (SYN), and a " +
      "connection is replayed from its SYN; start the capture before the client connects");
  }
  if (ip === undefined || mac === undefined || port === undefined) {
    throw new CaptureError("ERR_REPLAY_NO_SERVER", "no TCP server in the capture (no SYN or SYN-ACK): give --server-ip, --server-mac and --server-port");
  }
  return { ip, mac, port };
}

/** The recorded server's ISN of each connection, from its SYN-ACKs. */
function recordedIsns(frames: readonly CapturedFrame[], server: Server): Map<string, number> {
  const isns = new Map<string, number>();
  for (const f of frames) {
    const p = parseFrame(f.data);
    if (!p || !p.tcp || p.srcIp !== server.ip || p.tcp.srcPort !== server.port) continue;
    if ((p.tcp.flags & (TcpFlag.SYN | TcpFlag.ACK)) === (TcpFlag.SYN | TcpFlag.ACK)) {
      const key = connKey(p.dstIp, p.tcp.dstPort);
      if (!isns.has(key)) isns.set(key, p.tcp.seq);
    }
  }
  return isns;
}

function isFromServer(f: CapturedFrame, server: Server): boolean {
  const p = parseFrame(f.data);
  if (p && p.ip4) return p.srcIp === server.ip;
  return p !== null && p.srcMac === server.mac;
}

/** Longest prefix that puts a on the same subnet as b (at least 1, so the stack's checks pass). */
function commonPrefix(a: number, b: number): number {
  const x = (a ^ b) >>> 0;
  return x === 0 ? 32 : Math.max(0, Math.clz32(x));
}

/** Runs the capture through one core. Throws CaptureError / ModuleError / LayoutError, never a DataView error. */
export function replay(input: readonly CapturedFrame[], opts: ReplayOptions = {}): ReplayResult {
  const found = findServer(input, opts);
  const server = found.mac === 0 ? { ...found, mac: synthMac(found.ip) } : found;
  const frames = separateClients(input, server.ip, server.port, clientAddressFor(server.ip))
    .flatMap((f) => splitToMtu(f, REPLAY_MTU));
  const midstream = midstreamConnections(frames, server);
  const replayed = (f: CapturedFrame): boolean => {
    const p = parseFrame(f.data);
    if (!p || !p.tcp) return true;
    return !midstream.has(p.srcIp === server.ip ? connKey(p.dstIp, p.tcp.dstPort) : connKey(p.srcIp, p.tcp.srcPort));
  };
  const fed = frames.filter((f) => !isFromServer(f, server) && replayed(f));
  const recorded = frames.filter((f) => isFromServer(f, server) && replayed(f));
  const isns = recordedIsns(frames, server);
  // clients the core may ARP for though the capture holds none of their ARP: the harness answers for them
  const clientMacs = new Map<number, number>();
  const arpSenders = new Set<number>();
  for (const f of fed) {
    const p = parseFrame(f.data);
    if (p?.ip4 && !clientMacs.has(p.srcIp)) clientMacs.set(p.srcIp, p.srcMac);
    if (p && p.etherType === 0x0806 && f.data.length >= 42) arpSenders.add(new DataView(f.data.buffer, f.data.byteOffset).getUint32(28));
  }
  for (const ip of arpSenders) clientMacs.delete(ip);

  // the subnet: wide enough to hold every client, so replies go straight back (no gateway)
  let prefix = 32;
  for (const f of fed) {
    const p = parseFrame(f.data);
    if (p && p.ip4) prefix = Math.min(prefix, commonPrefix(p.srcIp, server.ip));
  }
  prefix = Math.min(prefix, 30);

  const conns = opts.conns ?? 64;
  const mods = loadNetModules(opts.wasmDir ?? defaultWasmDir(), opts.app ?? "memcached");
  const sizing = instantiateNetstack(new WebAssembly.Memory({ initial: 32, maximum: 32, shared: true }), mods);
  const cli = parseCli(["-c", String(conns), "-t", "1", "-m", "64"]);
  if (cli.kind !== "run") throw new Error("unreachable: parseCli gave no config");
  const layout = measureLayout(cli.config, sizing.app, (n) => sizing.netstack.net_region_size(n));
  const memory = createMemory(layout);
  const t0 = frames.length ? Math.floor(frames[0].timeMs) : 0;
  writeControl(memory, layout, cli.config, { nowMs: t0, pid: 1, port: server.port });
  writeNetControl(memory, {
    ip: server.ip, prefix, gateway: 0, mtu: 1500, mac: server.mac, seed: opts.seed ?? 1n, port: server.port, flags: 0,
  });
  const inst = instantiateNetstack(memory, mods);
  const app = inst.app;
  const net = inst.netstack as NetstackExports & { net_pin_isn?(on: number, iss: number): void };
  if (typeof net.net_pin_isn !== "function") {
    throw new CaptureError("ERR_REPLAY_NO_PIN", "netstack.wasm has no net_pin_isn export (rebuild: npm run build)");
  }
  const pinIsn = net.net_pin_isn.bind(net);
  if (layout.storeSize > 0 && app.store_format!(layout.control) !== 0) throw new CaptureError("ERR_REPLAY_INIT", "store_format failed");
  const r = coreRegions(layout, 0);
  const rc = net.net_init(layout.control, 0, r.transport, layout.transportRegionSize);
  if (rc !== 0) throw new CaptureError("ERR_REPLAY_INIT", `net_init failed (${rc}) for server ${ipPort(server.ip, server.port)}`);
  const arc = app.app_init(layout.control, 0, r.app, layout.appRegionSize);
  if (arc !== 0) throw new CaptureError("ERR_REPLAY_INIT", `app_init failed (${arc})`);

  const bytes = new Uint8Array(memory.buffer);
  const region = new DeviceRegion(bytes, net.net_rx_desc() >>> 0);
  const emitted: EmittedFrame[] = [];
  let now = t0;
  let oversize = 0;

  /** Per connection: the sequence number after the last byte (or SYN / FIN) the core has sent. */
  const sent = new Map<string, number>();
  const note = (frame: Uint8Array): void => {
    const p = parseFrame(frame);
    if (!p || !p.tcp || p.srcIp !== server.ip || p.tcp.srcPort !== server.port) return;
    const t = p.tcp;
    const end = (t.seq + t.payload.length + (t.flags & TcpFlag.SYN ? 1 : 0) + (t.flags & TcpFlag.FIN ? 1 : 0)) >>> 0;
    const key = connKey(p.dstIp, t.dstPort);
    const had = sent.get(key);
    if (had === undefined || (t.flags & TcpFlag.SYN) || seqAfter(end, had)) sent.set(key, end);
  };
  const arpOwed: number[] = [];
  let arpAnswered = 0;
  let answering = false;
  const poll = (rxCount: number): void => {
    region.offerTx();
    let t = net.net_poll(rxCount, BURST_MAX, now) >>> 0;
    for (;;) {
      for (let i = 0; i < t; i++) {
        const data = region.tx.frame(i).slice();
        note(data);
        const target = arpRequestTarget(data);
        if (target !== undefined && clientMacs.has(target)) arpOwed.push(target);
        emitted.push({ timeMs: now, data });
      }
      if (t < BURST_MAX) break;
      region.offerTx();
      t = net.net_poll(0, BURST_MAX, now) >>> 0;
    }
    if (answering) return;
    answering = true; // the answers' own polls only queue more
    for (let i = 0; i < arpOwed.length && i < MAX_TIMER_POLLS; i++) {
      feed(arpReplyFor(clientMacs.get(arpOwed[i])!, arpOwed[i], server.mac, server.ip));
      arpAnswered++;
    }
    arpOwed.length = 0;
    answering = false;
  };
  /** Fires the stack's timers due up to `until`, each at its own time. */
  const timersUntil = (until: number): void => {
    for (let i = 0; i < MAX_TIMER_POLLS; i++) {
      const at = net.net_poll_at();
      if (!(at <= until)) return;
      now = Math.max(now, at);
      poll(0);
    }
  };

  function feed(frame: Uint8Array): void {
    region.offerRx();
    bytes.set(frame, region.rx.addr(0));
    region.rx.setLen(0, frame.length);
    poll(1);
  }
  const fix = opts.fixChecksums ?? true;
  let pacingAcks = 0;
  let skippedAfterDivergence = 0;
  let recordedReplies: Map<string, Uint8Array> | undefined;
  const diverged = new Set<string>();
  poll(0);
  for (const f of fed) {
    timersUntil(f.timeMs);
    now = Math.max(now, f.timeMs);
    if (f.data.length > FRAME_CAP) {
      oversize++;
      continue;
    }
    const p = parseFrame(f.data);
    if (p && p.tcp && p.dstIp === server.ip && p.tcp.dstPort === server.port &&
        (p.tcp.flags & (TcpFlag.SYN | TcpFlag.ACK)) === TcpFlag.SYN) {
      const key = connKey(p.srcIp, p.tcp.srcPort);
      const isn = isns.get(key);
      pinIsn(isn === undefined ? 0 : 1, isn ?? 0);
      diverged.delete(key); // a new connection on the same port
    }
    if (p && p.tcp && p.dstIp === server.ip && p.tcp.dstPort === server.port && diverged.has(connKey(p.srcIp, p.tcp.srcPort))) {
      skippedAfterDivergence++;
      continue;
    }
    if (p && p.tcp && p.dstIp === server.ip && p.tcp.dstPort === server.port && (p.tcp.flags & TcpFlag.ACK)) {
      // The recorded client acknowledges what the recorded server had sent; the
      // core may be behind it (a smaller congestion window). An ACK of unsent
      // data would be dropped and the replay would stall: pace the core with
      // pure ACKs of what it has sent until it catches up (or stops sending).
      const key = connKey(p.srcIp, p.tcp.srcPort);
      for (let i = 0; i < 10_000; i++) {
        const have = sent.get(key);
        if (have === undefined || !seqAfter(p.tcp.ack, have)) break;
        recordedReplies ??= replyStreams(recorded, server);
        if (!agreeSoFar(recordedReplies.get(key), replyStreams(emitted, server).get(key))) {
          diverged.add(key);
          break;
        }
        feed(pureAck(f.data, have));
        pacingAcks++;
        if (sent.get(key) === have) break; // nothing more came out
      }
    }
    if (p && p.tcp && diverged.has(connKey(p.srcIp, p.tcp.srcPort))) {
      skippedAfterDivergence++;
      continue;
    }
    feed(fix ? withTcpChecksum(f.data) : f.data);
  }
  timersUntil(now + (opts.drainMs ?? 1000));
  return {
    server, fed, recorded, emitted, pacingAcks, skippedAfterDivergence, oversize,
    midstream: [...midstream], arpAnswered, counters: readCounters(net, bytes),
  };
}

/** Connections to the server whose client's SYN is not in the capture (it started after their handshake). */
function midstreamConnections(frames: readonly CapturedFrame[], server: Server): Set<string> {
  const opened = new Set<string>();
  const late = new Set<string>();
  for (const f of frames) {
    const p = parseFrame(f.data);
    if (!p || !p.tcp) continue;
    const toServer = p.dstIp === server.ip && p.tcp.dstPort === server.port;
    const fromServer = p.srcIp === server.ip && p.tcp.srcPort === server.port;
    if (!toServer && !fromServer) continue;
    const key = toServer ? connKey(p.srcIp, p.tcp.srcPort) : connKey(p.dstIp, p.tcp.dstPort);
    if (toServer && (p.tcp.flags & (TcpFlag.SYN | TcpFlag.ACK)) === TcpFlag.SYN) {
      opened.add(key);
      late.delete(key); // the port reused by a new connection
    } else if (!opened.has(key)) {
      late.add(key);
    }
  }
  return late;
}

function readCounters(net: NetstackExports, bytes: Uint8Array): Record<string, string> {
  const out: Record<string, string> = {};
  for (let i = 0; i < net.net_counter_count(); i++) {
    const v = net.net_counter(i);
    const at = net.net_counter_name(i) >>> 0;
    if (v !== 0n) out[Buffer.from(bytes.subarray(at, bytes.indexOf(0, at))).toString("latin1")] = v.toString();
  }
  return out;
}

/** A classic libpcap file (LINKTYPE_ETHERNET, µs) of frames. */
export function toPcap(frames: readonly EmittedFrame[]): Uint8Array {
  return captureFile(CLASSIC_PCAP, frames);
}

/** A pcapng file (one Ethernet interface, µs) of frames; `comment` goes on its section header. */
export function toPcapng(frames: readonly EmittedFrame[], comment?: string): Uint8Array {
  return captureFile(pcapng(comment), frames);
}
