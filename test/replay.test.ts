// The pcap-replay harness (docs/replay.md): every capture in test/pcap/
// replays through one core (netstack + memcached, the bundle's dist/*.wasm)
// with zero divergence from the recorded Debian memcached; the output is
// byte-identical run to run; garbage captures give CaptureErrors with stable
// codes, never a crash.
import { spawnSync } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import v8 from "node:v8";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { bundle, ensureBuilt } from "../host/__tests__/support.js";
import { parseReplayCli } from "../host/cli.js";
import { UsageError } from "../host/errors.js";
import { NETSTACK_FILE } from "../host/modules.js";
import { check, MASKS } from "../host/replay/check.js";
import { type CapturedFrame, CaptureError, readCapture } from "../host/replay/pcap-reader.js";
import { replay, type ReplayOptions, toPcap } from "../host/replay/replay.js";
import { parseFrame } from "../host/replay/wire.js";

const root = fileURLToPath(new URL("../", import.meta.url));
const corpusDir = join(root, "test", "pcap");
const corpus = readdirSync(corpusDir).filter((f) => /\.pcap(ng)?$/.test(f)).sort();

/** The bundle's .wasm files (dist/), as `wasmcached replay` uses them. */
const wasmDir = join(root, "dist");
let dir: string;

beforeAll(() => {
  v8.setFlagsFromString("--no-liftoff");
  dir = mkdtempSync(join(tmpdir(), "replay-test-"));
  ensureBuilt();
  // a dist/ from before the ISN-pin hook: build again
  const mod = new WebAssembly.Module(readFileSync(join(wasmDir, NETSTACK_FILE)));
  if (!WebAssembly.Module.exports(mod).some((e) => e.name === "net_pin_isn")) {
    const r = spawnSync(process.execPath, ["host/build.mjs"], { cwd: root, encoding: "utf8" });
    if (r.status !== 0) throw new Error(`npm run build failed:\n${r.stdout}${r.stderr}`);
  }
}, 180_000);

afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

const load = (name: string) => readCapture(readFileSync(join(corpusDir, name)), name);
const run = (frames: readonly CapturedFrame[], opts: ReplayOptions = {}) => replay(frames, { wasmDir, ...opts });

function captureError(f: () => unknown): CaptureError {
  try {
    f();
  } catch (err) {
    expect(err).toBeInstanceOf(CaptureError);
    return err as CaptureError;
  }
  throw new Error("no CaptureError");
}

/** A classic pcap file of frames (little-endian, µs) — or big-endian with ns timestamps. */
function pcapOf(frames: readonly CapturedFrame[], bigEndian = false, nanos = false, linkType = 1): Uint8Array {
  const size = 24 + frames.reduce((n, f) => n + 16 + f.data.length, 0);
  const out = new Uint8Array(size);
  const dv = new DataView(out.buffer);
  const le = !bigEndian;
  dv.setUint32(0, nanos ? 0xa1b23c4d : 0xa1b2c3d4, le);
  dv.setUint16(4, 2, le);
  dv.setUint16(6, 4, le);
  dv.setUint32(16, 65535, le);
  dv.setUint32(20, linkType, le);
  let off = 24;
  for (const f of frames) {
    const sec = Math.floor(f.timeMs / 1000);
    const frac = nanos ? Math.round((f.timeMs - sec * 1000) * 1e6) : Math.round((f.timeMs - sec * 1000) * 1e3);
    dv.setUint32(off, sec, le);
    dv.setUint32(off + 4, frac, le);
    dv.setUint32(off + 8, f.data.length, le);
    dv.setUint32(off + 12, f.data.length, le);
    out.set(f.data, off + 16);
    off += 16 + f.data.length;
  }
  return out;
}

describe("the corpus", () => {
  it("has captures", () => {
    expect(corpus.length).toBeGreaterThanOrEqual(3);
    // beyond the text protocol (docs/replay.md): binary, meta, and the three at once
    for (const name of ["memccapable-binary.pcap", "memjs.pcap", "meta.pcap", "mixed.pcap"]) expect(corpus).toContain(name);
  });

  it("the binary, meta and mixed captures speak what they say", () => {
    /** Per client port: the first bytes the client sent. */
    const firstBytes = (name: string) => {
      const out = new Map<number, Buffer>();
      for (const f of load(name).frames) {
        const p = parseFrame(f.data);
        if (!p?.tcp || p.tcp.payload.length === 0 || p.tcp.dstPort !== 11211 || out.has(p.tcp.srcPort)) continue;
        out.set(p.tcp.srcPort, Buffer.from(p.tcp.payload));
      }
      return [...out.values()];
    };
    const isBinary = (b: Buffer) => b[0] === 0x80;
    const isMeta = (b: Buffer) => /^m[gsdan] /.test(b.toString("latin1"));
    expect(firstBytes("memccapable-binary.pcap").every(isBinary)).toBe(true);
    expect(firstBytes("memjs.pcap").every(isBinary)).toBe(true);
    expect(firstBytes("meta.pcap").map((b) => b.toString("latin1").split("\r\n")[0])).toEqual(["flush_all"]);
    const mixed = firstBytes("mixed.pcap");
    expect(mixed.length).toBe(3);
    expect(mixed.filter(isBinary).length).toBe(1);
    expect(mixed.filter(isMeta).length).toBe(1);
    expect(mixed.filter((b) => b.toString("latin1").startsWith("set ")).length).toBe(1);
  });

  for (const name of corpus) {
    it(`${name} replays with --check and zero divergence`, () => {
      const r = run(load(name).frames);
      const c = check(r);
      expect(c.divergence, JSON.stringify(c.divergence)).toBeNull();
      expect(c.connections).toBeGreaterThan(0);
      expect(c.bytes).toBeGreaterThan(0);
      expect(r.oversize).toBe(0);
      expect(r.skippedAfterDivergence).toBe(0);
    });
  }

  it("replaying twice gives byte-identical output pcaps", () => {
    for (const name of corpus) {
      const frames = load(name).frames;
      const a = toPcap(run(frames).emitted);
      const b = toPcap(run(frames).emitted);
      expect(Buffer.from(a).equals(Buffer.from(b)), name).toBe(true);
      expect(a.length).toBeGreaterThan(24);
    }
  });

  it("lossy.pcap (recorded through the fault injector) holds retransmissions and replays deterministically", () => {
    const frames = load("lossy.pcap").frames;
    // the same client segment (sequence number and length) seen more than once
    const seen = new Set<string>();
    let again = 0;
    for (const f of frames) {
      const p = parseFrame(f.data);
      if (!p?.tcp || p.tcp.payload.length === 0) continue;
      const k = `${p.srcIp}:${p.tcp.srcPort}:${p.tcp.seq}:${p.tcp.payload.length}`;
      if (seen.has(k)) again++;
      seen.add(k);
    }
    expect(again).toBeGreaterThan(0);
    const a = run(frames);
    const b = run(frames);
    expect(check(a).divergence).toBeNull();
    expect(Buffer.from(toPcap(a.emitted)).equals(Buffer.from(toPcap(b.emitted)))).toBe(true);
  });

  it("the stats mask is needed and narrow: without it memccapable diverges at a STAT value, after `stats`", () => {
    const c = check(run(load("memccapable.pcap").frames), []);
    expect(c.divergence).not.toBeNull();
    expect(c.divergence!.request).toBe("stats");
    expect(c.divergence!.expected).toMatch(/^TAT pid \d+/);
  });

  it("the binary stats mask is needed and narrow: without it memccapable -b diverges in a STAT packet's value", () => {
    const textOnly = MASKS.filter((m) => m.name !== "binary-stats-values");
    expect(textOnly.length).toBe(MASKS.length - 1);
    const c = check(run(load("memccapable-binary.pcap").frames), textOnly);
    expect(c.divergence).not.toBeNull();
    // from the key length (3) of the first STAT packet on: its body length, opaque, CAS, key "pid", the process id
    expect(c.divergence!.expected).toMatch(/^\\x03(\\x00){7}\\x[0-9a-f]{2}\\xef\\xbe\\xad\\xde(\\x00){8}pid\d+\\x81\\x10/);
    // narrow: only STAT responses' values (and their body length); other packets, the empty STAT and keys stay
    const m = MASKS.find((x) => x.name === "binary-stats-values")!;
    const pkt = (op: number, key: string, value: string) => {
      const h = Buffer.alloc(24);
      h.writeUInt8(0x81, 0);
      h.writeUInt8(op, 1);
      h.writeUInt16BE(key.length, 2);
      h.writeUInt32BE(key.length + value.length, 8);
      h.writeUInt32BE(0x11223344, 12);
      return h.toString("latin1") + key + value;
    };
    const apply = (s: string) => (typeof m.replace === "string" ? s.replace(m.pattern, m.replace) : s.replace(m.pattern, m.replace));
    const get = pkt(0x0c, "key", "value 12345");
    expect(apply(get)).toBe(get);
    expect(apply("STAT pid 5\r\n")).toBe("STAT pid 5\r\n");
    const stats = pkt(0x10, "pid", "20331") + pkt(0x10, "uptime", "7") + pkt(0x10, "", "");
    expect(apply(stats)).toBe(pkt(0x10, "pid", "*") + pkt(0x10, "uptime", "*") + pkt(0x10, "", ""));
    expect(apply(pkt(0x10, "pid", "20331").slice(0, 28))).toBe(pkt(0x10, "pid", "20331").slice(0, 28)); // not whole: as it is
  });

  it("reports the first divergence: another protocol module (echo) answers otherwise", () => {
    const r = run(load("errors.pcap").frames, { app: "echo" });
    expect(r.skippedAfterDivergence).toBeGreaterThan(0); // not replayed further: nonsense
    const c = check(r);
    expect(c.divergence).not.toBeNull();
    expect(c.divergence!.offset).toBe(0);
    expect(c.divergence!.request).toBe("bogus");
    expect(c.divergence!.expected.startsWith("ERROR\\r\\n")).toBe(true);
    expect(c.divergence!.actual.startsWith("bogus\\r\\n")).toBe(true);
  });

  it("malformed and non-IPv4 frames among the client's are dropped by the stack, the rest still matches", () => {
    const frames = [...load("errors.pcap").frames];
    const client = frames[2].data; // the SYN: its Ethernet header is the client's
    const eth = client.subarray(0, 12);
    const junk = (etherType: number, body: number[]) => new Uint8Array([...eth, etherType >> 8, etherType & 255, ...body]);
    const at = frames[3].timeMs;
    frames.splice(4, 0,
      { timeMs: at, data: junk(0x86dd, new Array(40).fill(0x60)), origLen: 54 }, // IPv6
      { timeMs: at, data: junk(0x0800, [0x45, 0, 0, 200, 1, 2, 3]), origLen: 21 }, // a cut IPv4 header
      { timeMs: at, data: client.subarray(0, 10), origLen: 10 }, // not even Ethernet
    );
    const c = check(run(frames));
    expect(c.divergence).toBeNull();
  });
});

describe("the capture reader", () => {
  it("reads big-endian and nanosecond pcap files as the same frames", () => {
    const frames = load("errors.pcap").frames;
    for (const [be, ns] of [[true, false], [false, true], [true, true]]) {
      const again = readCapture(pcapOf(frames, be, ns)).frames;
      expect(again.length).toBe(frames.length);
      again.forEach((f, i) => {
        expect(Buffer.from(f.data).equals(Buffer.from(frames[i].data))).toBe(true);
        expect(Math.abs(f.timeMs - frames[i].timeMs)).toBeLessThan(0.002);
      });
    }
  });

  it("reads pcapng (what dumpcap writes)", () => {
    const c = load("pipeline.pcapng");
    expect(c.format).toBe("pcapng");
    expect(c.frames.length).toBeGreaterThan(10);
  });

  it("a truncated file: ERR_PCAP_TRUNCATED, at every cut", () => {
    const whole = readFileSync(join(corpusDir, "errors.pcap"));
    for (const cut of [2, 10, 30, 100, whole.length - 1]) {
      expect(captureError(() => readCapture(whole.subarray(0, cut))).code).toBe("ERR_PCAP_TRUNCATED");
    }
    const ng = readFileSync(join(corpusDir, "pipeline.pcapng"));
    for (const cut of [10, 40, ng.length - 3]) {
      expect(captureError(() => readCapture(ng.subarray(0, cut))).code).toMatch(/^ERR_PCAP_(TRUNCATED|MALFORMED)$/);
    }
  });

  it("not a capture: ERR_PCAP_MAGIC; an unknown link type: ERR_PCAP_LINKTYPE", () => {
    expect(captureError(() => readCapture(Buffer.from("hello, this is not a pcap file"))).code).toBe("ERR_PCAP_MAGIC");
    const e = captureError(() => readCapture(pcapOf([], false, false, 113))); // Linux cooked capture
    expect(e.code).toBe("ERR_PCAP_LINKTYPE");
    expect(e.message).toMatch(/link type 113/);
  });

  it("a capture with no TCP server in it: ERR_REPLAY_NO_SERVER, unless the server is given", () => {
    const arpOnly = load("errors.pcap").frames.slice(0, 2);
    expect(captureError(() => run(arpOnly)).code).toBe("ERR_REPLAY_NO_SERVER");
    const r = run(arpOnly, { serverIp: 0x0a4d0002, serverMac: 0x020000770002, serverPort: 11211 });
    expect(r.emitted.length).toBe(1); // the ARP reply
  });
});

describe("wasmcached replay (the CLI)", () => {
  it("parses strictly", () => {
    const c = parseReplayCli(["x.pcap", "--check", "--out", "o.pcap", "--server-port", "11211"]);
    expect(c).toMatchObject({ capture: "x.pcap", check: true, out: "o.pcap", serverPort: 11211, app: "memcached" });
    expect(Object.isFrozen(c)).toBe(true);
    expect(() => parseReplayCli([])).toThrow(UsageError);
    expect(() => parseReplayCli(["a", "b"])).toThrow(UsageError);
    expect(() => parseReplayCli(["a", "--nope"])).toThrow(UsageError);
    expect(() => parseReplayCli(["a", "--server-ip", "10.0.0"])).toThrow(UsageError);
  });

  it("replays, checks and writes a pcap; exit 0", () => {
    const out = join(dir, "out.pcap");
    const r = spawnSync(process.execPath, [bundle, "replay", join(corpusDir, "errors.pcap"), "--check", "--out", out], { encoding: "utf8" });
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/check: 1 connections, \d+ reply bytes equal/);
    expect(readCapture(readFileSync(out)).frames.length).toBeGreaterThan(5);
  });

  it("divergence: printed, exit 65", () => {
    const r = spawnSync(process.execPath, [bundle, "replay", join(corpusDir, "errors.pcap"), "--check", "--app", "echo"], { encoding: "utf8" });
    expect(r.status).toBe(65);
    expect(r.stderr).toMatch(/divergence on client 10\.77\.0\.1:\d+ -> server 10\.77\.0\.2:11211 at reply byte 0/);
    expect(r.stderr).toMatch(/request: +bogus/);
  });

  it("garbage: a clear message and exit 65, no stack trace", () => {
    const bad = join(dir, "bad.pcap");
    writeFileSync(bad, readFileSync(join(corpusDir, "errors.pcap")).subarray(0, 100));
    const r = spawnSync(process.execPath, [bundle, "replay", bad], { encoding: "utf8" });
    expect(r.status).toBe(65);
    expect(r.stderr).toMatch(/^wasmcached: .*bad\.pcap: record \d+ .* is cut short\n$/);
    const u = spawnSync(process.execPath, [bundle, "replay"], { encoding: "utf8" });
    expect(u.status).toBe(64);
  });
});
