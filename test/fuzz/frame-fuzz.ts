// The frame fuzzer's engine: the corpus captures replayed through the Wasm
// core (host/replay: netstack + memcached + store, virtual clock, ISNs
// pinned) with one client connection turned hostile — its frames mutated
// (frame-mutations.ts), random frames sprinkled among everyone's — and then
// checked: no trap (any Wasm trap throws out of replay), every other
// connection's replies still byte for byte the recorded server's, and the
// stack's counters sane. Seeded: a run is repeatable from its seed.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { check, replyStreams } from "../../host/replay/check.js";
import { type CapturedFrame, readCapture } from "../../host/replay/pcap-reader.js";
import { connKey, findServer, replay, type ReplayResult } from "../../host/replay/replay.js";
import { parseFrame, TcpFlag, withTcpChecksum } from "../../host/replay/wire.js";
import { fixIpChecksum, KINDS, type Kind, mutateFrame, randomFrame } from "./frame-mutations.js";
import { Rng } from "./rng.js";

const ROOT = join(import.meta.dirname, "..", "..");
/** Small captures of real clients, one or more connections each. */
export const CORPUS = [
  "memccapable.pcap", "memccapable-binary.pcap", "meta.pcap", "memjs.pcap", "mixed.pcap", "npm-memcached.pcap",
  "pymemcache.pcap", "expiry.pcap",
];

export interface FuzzFigures {
  runs: number;
  frames: number;
  mutated: Record<Kind, number>;
  traps: number;
  /** Benign connections whose replies differed from the recorded ones. */
  collateral: number;
  /** Benign reply bytes compared. */
  bytesCompared: number;
  first: string | null;
}

const captures = new Map<string, CapturedFrame[]>();
function load(name: string): CapturedFrame[] {
  let c = captures.get(name);
  if (!c) {
    // checksums filled once (captures on veth and loopback hold offload's partial ones), so that
    // the replay can feed frames as they are and a mutation may leave a checksum wrong
    c = readCapture(readFileSync(join(ROOT, "test", "pcap", name)), name).frames.map((f) => ({ ...f, data: withTcpChecksum(f.data) }));
    captures.set(name, c);
  }
  return c;
}

/** The client key (ip:port) of each connection with a SYN in the capture. */
function clientsOf(frames: readonly CapturedFrame[], serverIp: number, serverPort: number): string[] {
  const out = new Set<string>();
  for (const f of frames) {
    const p = parseFrame(f.data);
    if (p?.tcp && p.dstIp === serverIp && p.tcp.dstPort === serverPort && (p.tcp.flags & TcpFlag.SYN)) out.add(connKey(p.srcIp, p.tcp.srcPort));
  }
  return [...out];
}

function keyOf(f: { readonly data: Uint8Array }, serverIp: number, serverPort: number): string | undefined {
  const p = parseFrame(f.data);
  if (!p?.tcp) return undefined;
  if (p.dstIp === serverIp && p.tcp.dstPort === serverPort) return connKey(p.srcIp, p.tcp.srcPort);
  if (p.srcIp === serverIp && p.tcp.srcPort === serverPort) return connKey(p.dstIp, p.tcp.dstPort);
  return undefined;
}

/**
 * How the hostile connection's frames are treated:
 * - "absorbed": malformed copies (their checksums left wrong, so the stack
 *   must drop them) inserted before its frames, its frames duplicated and
 *   swapped, random frames among everyone's: the stack must drop or absorb
 *   all of it, so every connection, the hostile one too, is answered byte
 *   for byte as the recorded memcached answered;
 * - "hostile": its frames replaced by mutations with both checksums right
 *   (wild flags and options, out-of-window numbers, altered bytes): what it
 *   then does to the cache may change what others read, so the check is that
 *   nothing traps and no other connection is reset or left unanswered.
 */
export type Mode = "absorbed" | "hostile";

/**
 * Kinds for "absorbed": copies whose checksums no longer hold (whatever
 * was mutated), exact duplicates, and the client's own segments swapped.
 */
const ABSORBED: readonly Kind[] = ["truncate", "bitflip", "flags", "options", "seq", "ack", "iplen", "ipfrag", "duplicate", "reorder"];

/** Whether f is a frame the client `key` sent to the server. */
function fromClient(f: CapturedFrame, serverIp: number, key: string): boolean {
  const p = parseFrame(f.data);
  return p?.tcp !== undefined && p.dstIp === serverIp && connKey(p.srcIp, p.tcp.srcPort) === key;
}

/** One run: capture `name`, a hostile connection, seeded mutations. Updates figs. */
export function fuzzOnce(name: string, seed: number, mode: Mode, wasmDir: string, figs: FuzzFigures): void {
  const rng = new Rng(seed);
  const frames = load(name);
  const server = findServer(frames);
  const clients = clientsOf(frames, server.ip, server.port);
  if (clients.length === 0) return;
  const hostile = clients[rng.int(clients.length)];
  const rate = [0.05, 0.2, 0.6][rng.int(3)];
  const out: CapturedFrame[] = [];
  for (const f of frames) {
    if (rng.chance(0.02)) {
      out.push(fixIpChecksum(randomFrame(rng, server.mac, server.ip, server.port, f.timeMs)));
      figs.mutated.random++;
    }
    // only what the hostile client sends: the recorded server's frames are the reference
    if (!fromClient(f, server.ip, hostile) || !rng.chance(rate)) { out.push(f); continue; }
    const kinds = mode === "absorbed" ? ABSORBED : KINDS.slice(0, -1); // "random" is added above
    const kind = kinds[rng.int(kinds.length)];
    figs.mutated[kind]++;
    if (kind === "duplicate") { out.push(f, f); continue; }
    // swapped with the client's own previous frame only: across connections the order of
    // commands (and so what the cache holds) would change, not just the segments' order
    if (kind === "reorder") {
      const prev = out.at(-1);
      if (prev && fromClient(prev, server.ip, hostile)) { out.pop(); out.push(f, prev); } else out.push(f);
      continue;
    }
    const m = mutateFrame(f, kind, rng);
    if (mode === "absorbed") {
      // a SYN's copy is left out: the harness (not a TCP peer) would take it for the handshake
      if (!((parseFrame(f.data)?.tcp?.flags ?? 0) & TcpFlag.SYN)) out.push(m);
      out.push(f);
      continue;
    }
    // mostly with both checksums right again, so the mutation reaches the stack's later checks
    out.push(rng.chance(0.8) ? { ...m, data: withTcpChecksum(fixIpChecksum(m).data) } : m);
  }
  figs.runs++;
  figs.frames += out.length;
  let result: ReplayResult;
  try {
    result = replay(out, { wasmDir, serverIp: server.ip, serverMac: server.mac, serverPort: server.port, fixChecksums: false });
  } catch (err) {
    figs.traps++;
    figs.first ??= `${name} seed ${seed} ${mode}: ${(err as Error).stack ?? String(err)}`;
    return;
  }
  if (mode === "absorbed") {
    const c = check(result);
    figs.bytesCompared += c.bytes;
    if (c.divergence) {
      figs.collateral++;
      figs.first ??= `${name} seed ${seed} absorbed (hostile ${hostile}): ${c.divergence.connection} at ${c.divergence.offset}: ` +
        `request ${c.divergence.request}, expected ${c.divergence.expected}, got ${c.divergence.actual}`;
    }
    return;
  }
  // hostile: no other connection reset by us, none left without a reply where memcached gave one
  const benign = (f: { readonly data: Uint8Array }) => keyOf(f, server.ip, server.port) !== hostile;
  const ours = replyStreams(result.emitted.filter(benign), server);
  const theirs = replyStreams(result.recorded.filter(benign), server);
  for (const f of result.emitted) {
    const p = parseFrame(f.data);
    const key = keyOf(f, server.ip, server.port);
    if (p?.tcp && key !== undefined && key !== hostile && clients.includes(key) && (p.tcp.flags & TcpFlag.RST)) {
      figs.collateral++;
      figs.first ??= `${name} seed ${seed} hostile (${hostile}): we reset ${key}`;
      return;
    }
  }
  for (const [key, rec] of theirs) {
    if (rec.length > 0 && (ours.get(key)?.length ?? 0) === 0) {
      figs.collateral++;
      figs.first ??= `${name} seed ${seed} hostile (${hostile}): ${key} got no reply`;
      return;
    }
  }
}

export function newFigures(): FuzzFigures {
  return { runs: 0, frames: 0, mutated: Object.fromEntries(KINDS.map((k) => [k, 0])) as Record<Kind, number>, traps: 0, collateral: 0, bytesCompared: 0, first: null };
}
