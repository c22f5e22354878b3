// --check: reassembles each TCP connection's byte streams (the recorded
// server's replies, ours, the client's requests) by sequence number —
// retransmissions and duplicates collapse — and requires our reply stream to
// equal the recorded one byte for byte, after the masks below.
import type { CapturedFrame } from "./pcap-reader.js";
import type { EmittedFrame, ReplayResult, Server } from "./replay.js";
import { connKey, ipPort, parseFrame, TcpFlag } from "./wire.js";

/**
 * Expected differences, each explicit and narrow, with its reason. Applied
 * to both streams (recorded and ours) before they are compared.
 */
export interface Mask {
  readonly name: string;
  readonly reason: string;
  readonly pattern: RegExp;
  /** A replacement string, or a function of the match and its groups (latin1 strings). */
  readonly replace: string | ((match: string, ...groups: string[]) => string);
}

/** A big-endian number of the latin1 string s (one char per byte). */
const beNumber = (s: string) => [...s].reduce((n, c) => n * 256 + c.charCodeAt(0), 0);

export const MASKS: readonly Mask[] = [
  {
    name: "stats-values",
    reason: "`stats` values (pid, uptime, time, rusage, memory, thread and connection counts) describe the process, not the protocol",
    pattern: /^STAT ([a-z_0-9:]+) [^\r\n]*\r\n/gm,
    replace: "STAT $1 *\r\n",
  },
  {
    name: "binary-stats-values",
    reason: "the binary protocol's STAT responses carry the same process values as text `stats`; each packet (magic 0x81, opcode 0x10, status 0, key and value printable) keeps its header and key, its value becomes `*` and its body length says so",
    // header: magic, opcode, key length, extras 0, data type 0, status 0, body length, opaque + CAS; then key and value
    pattern: /\x81\x10([\s\S]{2})\x00\x00\x00\x00([\s\S]{4})([\s\S]{12})([\x20-\x7e]*)/g,
    replace: (match, keyLen, bodyLen, rest, text) => {
      const k = beNumber(keyLen);
      const body = beNumber(bodyLen);
      // the terminating empty STAT, or a packet not whole here: as it is
      if (k === 0 || body < k || text.length < body) return match;
      const n = k + 1;
      const len = String.fromCharCode(n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255);
      return `\x81\x10${keyLen}\x00\x00\x00\x00${len}${rest}${text.slice(0, k)}*${text.slice(body)}`;
    },
  },
];

export interface Divergence {
  /** "client a.b.c.d:port -> server a.b.c.d:port". */
  readonly connection: string;
  /** Offset in the (masked) reply stream of the first differing byte. */
  readonly offset: number;
  /** The client's last command line sent before the recorded reply at that offset. */
  readonly request: string;
  readonly expected: string;
  readonly actual: string;
}

export interface CheckResult {
  readonly connections: number;
  /** Reply bytes compared (masked streams), all connections. */
  readonly bytes: number;
  readonly divergence: Divergence | null;
  /**
   * Streams the capture lost bytes of (the capturing kernel dropped frames):
   * a comparison stops at the first hole, so a check over them proves little.
   */
  readonly incomplete: readonly string[];
}

interface Segments {
  isn: number | undefined;
  readonly segs: { off: number; seq: number; data: Uint8Array; timeMs: number }[];
}

/** Per connection key: the segments one side sent (toServer = the client's side). */
function collect(frames: readonly (CapturedFrame | EmittedFrame)[], server: Server, toServer: boolean): Map<string, Segments> {
  const conns = new Map<string, Segments>();
  for (const f of frames) {
    const p = parseFrame(f.data);
    if (!p || !p.tcp) continue;
    const t = p.tcp;
    const fromServer = p.srcIp === server.ip && t.srcPort === server.port;
    const toSrv = p.dstIp === server.ip && t.dstPort === server.port;
    if (toServer ? !toSrv : !fromServer) continue;
    const key = toServer ? connKey(p.srcIp, t.srcPort) : connKey(p.dstIp, t.dstPort);
    let c = conns.get(key);
    if (t.flags & TcpFlag.SYN) {
      // a new SYN with another ISN starts the connection over (port reuse)
      if (!c || (c.isn !== undefined && c.isn !== t.seq)) conns.set(key, (c = { isn: t.seq, segs: [] }));
      continue;
    }
    if (!c) conns.set(key, (c = { isn: undefined, segs: [] }));
    if (t.payload.length > 0) c.segs.push({ off: 0, seq: t.seq, data: t.payload, timeMs: f.timeMs });
  }
  return conns;
}

/** The contiguous stream from the byte after the SYN; segment offsets filled in. */
function assemble(c: Segments | undefined): Uint8Array {
  return assembleWithEnd(c).stream;
}

/** The stream to its first hole, and the end of everything captured (more than its length when the capture lost bytes). */
function assembleWithEnd(c: Segments | undefined): { stream: Uint8Array; end: number } {
  if (!c || c.isn === undefined || c.segs.length === 0) return { stream: new Uint8Array(0), end: 0 };
  let end = 0;
  for (const s of c.segs) {
    s.off = (s.seq - c.isn - 1) >>> 0;
    if (s.off < 0x80000000) end = Math.max(end, s.off + s.data.length);
  }
  const out = new Uint8Array(end);
  const have = new Uint8Array(end);
  for (const s of c.segs) {
    if (s.off >= 0x80000000) continue;
    out.set(s.data, s.off);
    have.fill(1, s.off, s.off + s.data.length);
  }
  const hole = have.indexOf(0);
  return { stream: hole < 0 ? out : out.subarray(0, hole), end };
}

function mask(b: Uint8Array, masks: readonly Mask[]): string {
  let s = Buffer.from(b).toString("latin1");
  for (const m of masks) s = typeof m.replace === "string" ? s.replace(m.pattern, m.replace) : s.replace(m.pattern, m.replace);
  return s;
}

/** Each connection's reply stream (server to client), reassembled. */
export function replyStreams(frames: readonly (CapturedFrame | EmittedFrame)[], server: Server): Map<string, Uint8Array> {
  const out = new Map<string, Uint8Array>();
  for (const [key, segs] of collect(frames, server, false)) out.set(key, assemble(segs));
  return out;
}

/**
 * Whether our replies so far (up to their last complete line) agree with the
 * recorded ones, masks applied: the replay stops feeding a connection that
 * does not (docs/replay.md).
 */
export function agreeSoFar(recorded: Uint8Array | undefined, ours: Uint8Array | undefined, masks: readonly Mask[] = MASKS): boolean {
  if (!ours || ours.length === 0) return true;
  const end = ours.lastIndexOf(10) + 1;
  const act = mask(ours.subarray(0, end), masks);
  const exp = mask(recorded ?? new Uint8Array(0), masks);
  return exp.startsWith(act);
}

/** Printable, escaped: \r \n \t \\ and \xNN for the rest. */
export function escapeBytes(s: string): string {
  let out = "";
  for (const ch of s) {
    const c = ch.charCodeAt(0);
    if (ch === "\r") out += "\\r";
    else if (ch === "\n") out += "\\n";
    else if (ch === "\t") out += "\\t";
    else if (ch === "\\") out += "\\\\";
    else if (c < 0x20 || c > 0x7e) out += `\\x${c.toString(16).padStart(2, "0")}`;
    else out += ch;
  }
  return out;
}

/** The last command line of the client's stream sent by timeMs. */
function requestBefore(client: Segments | undefined, clientStream: Uint8Array, timeMs: number): string {
  if (!client) return "(none)";
  let known = 0;
  for (const s of client.segs) if (s.timeMs <= timeMs && s.off < 0x80000000) known = Math.max(known, s.off + s.data.length);
  const text = Buffer.from(clientStream.subarray(0, Math.min(known, clientStream.length))).toString("latin1");
  const lines = text.split("\r\n");
  for (let i = lines.length - 1; i >= 0; i--) {
    const l = lines[i];
    if (/^[a-z_]+( |$)/.test(l) && l.length < 300) return l;
  }
  return "(none)";
}

/** Compares our reply streams with the recorded server's; the first divergence, if any. */
export function check(result: ReplayResult, masks: readonly Mask[] = MASKS, context = 40): CheckResult {
  const { server } = result;
  const recorded = collect(result.recorded, server, false);
  const ours = collect(result.emitted, server, false);
  const clients = collect(result.fed, server, true);
  let bytes = 0;
  const keys = [...recorded.keys()];
  const incomplete: string[] = [];
  for (const key of keys) {
    for (const [side, c] of [["reply", recorded.get(key)], ["request", clients.get(key)]] as const) {
      const { stream, end } = assembleWithEnd(c);
      if (stream.length < end) incomplete.push(`client ${key}: the ${side} stream has a hole at byte ${stream.length} of ${end}`);
    }
  }
  for (const key of keys) {
    const exp = mask(assemble(recorded.get(key)), masks);
    const act = mask(assemble(ours.get(key)), masks);
    const clientStream = assemble(clients.get(key));
    const n = Math.min(exp.length, act.length);
    let at = 0;
    while (at < n && exp.charCodeAt(at) === act.charCodeAt(at)) at++;
    bytes += at;
    if (at === exp.length && at === act.length) continue;
    // the recorded segment carrying that offset dates the request (masked offsets are close enough)
    const rec = recorded.get(key)!;
    let timeMs = Infinity;
    for (const s of rec.segs) if (s.off <= at && at < s.off + s.data.length) timeMs = Math.min(timeMs, s.timeMs);
    const from = Math.max(0, at - 8);
    return {
      connections: keys.length,
      bytes,
      incomplete,
      divergence: {
        connection: `client ${key} -> server ${ipPort(server.ip, server.port)}`,
        offset: at,
        request: escapeBytes(requestBefore(clients.get(key), clientStream, timeMs)),
        expected: at < exp.length ? escapeBytes(exp.slice(from, at + context)) : `${escapeBytes(exp.slice(from, at))}<end of stream>`,
        actual: at < act.length ? escapeBytes(act.slice(from, at + context)) : `${escapeBytes(act.slice(from, at))}<end of stream>`,
      },
    };
  }
  return { connections: keys.length, bytes, divergence: null, incomplete };
}

/** The divergence as the CLI prints it. */
export function formatDivergence(d: Divergence): string {
  return [
    `divergence on ${d.connection} at reply byte ${d.offset}`,
    `  request:  ${d.request}`,
    `  expected: ${d.expected}`,
    `  actual:   ${d.actual}`,
  ].join("\n");
}
