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
import { numbered, send, wasmRegion } from "../host/devices/__tests__/support.js";
import { memLink } from "../host/devices/memlink.js";
import { captureFile, PcapWriter, type PcapSink } from "../host/devices/pcap-writer.js";
import { EPB_OVERHEAD, PCAPNG_BYTE_ORDER_MAGIC, PCAPNG_EPB, PCAPNG_IDB, PCAPNG_SHB, pcapng } from "../host/devices/pcapng-writer.js";
import { UsageError } from "../host/errors.js";
import { NETSTACK_FILE } from "../host/modules.js";
import { check, MASKS } from "../host/replay/check.js";
import { outFormat } from "../host/replay/command.js";
import { type CapturedFrame, CaptureError, readCapture } from "../host/replay/pcap-reader.js";
import { replay, type ReplayOptions, toPcap, toPcapng } from "../host/replay/replay.js";
import { parseFrame } from "../host/replay/wire.js";
import { synthMac } from "../host/replay/link.js";

const root = fileURLToPath(new URL("../", import.meta.url));
const corpusDir = join(root, "test", "pcap");
const corpus = readdirSync(corpusDir).filter((f) => /\.pcap(ng)?$/.test(f)).sort();
/** The corpus less midstream.pcap, the capture that cannot replay (its own tests below). */
const replayable = corpus.filter((n) => n !== "midstream.pcap");

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

  for (const name of replayable) {
    it(`${name} replays with --check and zero divergence`, () => {
      const r = run(load(name).frames);
      const c = check(r);
      expect(c.divergence, JSON.stringify(c.divergence)).toBeNull();
      expect(c.connections).toBeGreaterThan(0);
      expect(c.bytes).toBeGreaterThan(0);
      expect(r.oversize).toBe(0);
      expect(r.skippedAfterDivergence).toBe(0);
      expect(r.midstream).toEqual([]);
      expect(c.incomplete).toEqual([]);
    });
  }

  it("replaying twice gives byte-identical output pcaps and pcapngs", () => {
    for (const name of replayable) {
      const frames = load(name).frames;
      const ra = run(frames);
      const rb = run(frames);
      const a = toPcap(ra.emitted);
      const b = toPcap(rb.emitted);
      expect(Buffer.from(a).equals(Buffer.from(b)), name).toBe(true);
      expect(a.length).toBeGreaterThan(24);
      const ng = toPcapng(ra.emitted, `replay of ${name}`);
      expect(Buffer.from(ng).equals(Buffer.from(toPcapng(rb.emitted, `replay of ${name}`))), name).toBe(true);
      expect(readCapture(ng).frames.length).toBe(ra.emitted.length);
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
    const e = captureError(() => readCapture(pcapOf([], false, false, 105))); // 802.11
    expect(e.code).toBe("ERR_PCAP_LINKTYPE");
    expect(e.message).toMatch(/link type 105 is not supported \(only 1 Ethernet, 113 and 276 Linux cooked/);
  });

  it("a capture with no TCP server in it: ERR_REPLAY_NO_SERVER, unless the server is given", () => {
    const arpOnly = load("errors.pcap").frames.slice(0, 2);
    expect(captureError(() => run(arpOnly)).code).toBe("ERR_REPLAY_NO_SERVER");
    const r = run(arpOnly, { serverIp: 0x0a4d0002, serverMac: 0x020000770002, serverPort: 11211 });
    expect(r.emitted.length).toBe(1); // the ARP reply
  });
});

/** The blocks of a little-endian pcapng file: type, offset, length; both length fields checked equal. */
function pcapngBlocks(file: Uint8Array): { type: number; off: number; len: number }[] {
  const dv = new DataView(file.buffer, file.byteOffset, file.byteLength);
  const blocks = [];
  for (let off = 0; off < file.length;) {
    const len = dv.getUint32(off + 4, true);
    expect(len % 4, `block at ${off}`).toBe(0);
    expect(dv.getUint32(off + len - 4, true), `trailing length at ${off}`).toBe(len);
    blocks.push({ type: dv.getUint32(off, true), off, len });
    off += len;
  }
  return blocks;
}

describe("pcapng output", () => {
  // odd and even lengths, timestamps with sub-µs parts (the writer keeps whole µs)
  const frames = [
    { timeMs: 1_700_000_000_123.4567, data: numbered(1, 61) },
    { timeMs: 1_700_000_001_000.999, data: numbered(2, 64) },
    { timeMs: 1_700_000_002_000, data: numbered(3, 1514) },
  ];
  const us = (ms: number) => Math.floor(ms * 1000);

  it("round-trips frames and timestamps through the reader, as the classic pcap does", () => {
    const ng = readCapture(toPcapng(frames));
    const classic = readCapture(toPcap(frames));
    expect(ng.format).toBe("pcapng");
    expect(ng.frames.length).toBe(frames.length);
    ng.frames.forEach((f, i) => {
      expect(Buffer.from(f.data).equals(Buffer.from(frames[i].data))).toBe(true);
      expect(f.origLen).toBe(frames[i].data.length);
      expect(Math.round(f.timeMs * 1000)).toBe(us(frames[i].timeMs));
      expect(Math.round(f.timeMs * 1000)).toBe(Math.round(classic.frames[i].timeMs * 1000));
    });
    // a real replay's output too
    const emitted = run(load("errors.pcap").frames).emitted;
    const again = readCapture(toPcapng(emitted)).frames;
    expect(again.map((f) => Buffer.from(f.data).toString("hex"))).toEqual(emitted.map((f) => Buffer.from(f.data).toString("hex")));
    expect(again.map((f) => Math.round(f.timeMs * 1000))).toEqual(emitted.map((f) => us(f.timeMs)));
  });

  it("lays out SHB (with its comment), IDB (Ethernet, snaplen, if_tsresol 6) and padded EPBs", () => {
    const file = toPcapng(frames.slice(0, 1), "wasmcached replay of x.pcap");
    const dv = new DataView(file.buffer);
    const blocks = pcapngBlocks(file);
    expect(blocks.map((b) => b.type)).toEqual([PCAPNG_SHB, PCAPNG_IDB, PCAPNG_EPB]);
    const [shb, idb, epb] = blocks;
    expect(dv.getUint32(8, true)).toBe(PCAPNG_BYTE_ORDER_MAGIC);
    expect([dv.getUint16(12, true), dv.getUint16(14, true)]).toEqual([1, 0]);
    expect(dv.getBigInt64(16, true)).toBe(-1n);
    // opt_comment (1): 27 bytes, padded to 28; then opt_endofopt
    expect([dv.getUint16(24, true), dv.getUint16(26, true)]).toEqual([1, 27]);
    expect(Buffer.from(file.subarray(28, 28 + 27)).toString()).toBe("wasmcached replay of x.pcap");
    expect(file[28 + 27]).toBe(0);
    expect(dv.getUint32(56, true)).toBe(0);
    expect(shb.len).toBe(28 + 28 + 4 + 4);
    // IDB: link type 1, reserved, snaplen 65535, if_tsresol (9) = 6 padded, opt_endofopt
    expect([dv.getUint16(idb.off + 8, true), dv.getUint16(idb.off + 10, true), dv.getUint32(idb.off + 12, true)]).toEqual([1, 0, 65535]);
    expect(Buffer.from(file.subarray(idb.off + 16, idb.off + 28)).toString("hex")).toBe("09000100" + "06000000" + "00000000");
    expect(idb.len).toBe(32);
    // EPB of 61 bytes: interface 0, µs timestamp (64 bits), lengths, 3 zero bytes of padding
    expect(epb.len).toBe(EPB_OVERHEAD + 64);
    expect(epb.off + epb.len).toBe(file.length);
    const ts = dv.getUint32(epb.off + 12, true) * 2 ** 32 + dv.getUint32(epb.off + 16, true);
    expect(dv.getUint32(epb.off + 8, true)).toBe(0);
    expect(ts).toBe(us(frames[0].timeMs));
    expect([dv.getUint32(epb.off + 20, true), dv.getUint32(epb.off + 24, true)]).toEqual([61, 61]);
    expect(Buffer.from(file.subarray(epb.off + 28, epb.off + 28 + 61)).equals(Buffer.from(frames[0].data))).toBe(true);
    expect([...file.subarray(epb.off + 28 + 61, epb.off + 28 + 64)]).toEqual([0, 0, 0]);
    // no comment: an SHB without options
    expect(pcapngBlocks(toPcapng([]))).toEqual([{ type: PCAPNG_SHB, off: 0, len: 28 }, { type: PCAPNG_IDB, off: 28, len: 32 }]);
  });

  it("cuts frames at the snap length, keeping the original length", () => {
    const f = readCapture(captureFile(pcapng(), frames, 40)).frames;
    expect(f.map((x) => [x.data.length, x.origLen])).toEqual([[40, 61], [40, 64], [40, 1514]]);
    for (const b of pcapngBlocks(captureFile(pcapng(), frames, 41)).slice(2)) expect(b.len).toBe(EPB_OVERHEAD + 44);
  });

  it("the PcapWriter device writes the same pcapng, its reused buffer's padding zeroed", () => {
    const [a, b] = memLink();
    const chunks: Buffer[] = [];
    const sink: PcapSink = { write: (c) => chunks.push(Buffer.from(c)), close: () => {} };
    const dev = new PcapWriter(a, sink, undefined, pcapng("c"));
    const region = wasmRegion();
    const ones = new Uint8Array(64).fill(0xff);
    send(dev, region, [ones], 1000); // one burst, one flush: the next record starts where this one did
    send(dev, region, [frames[0].data], frames[0].timeMs);
    dev.close();
    b.close();
    const want = captureFile(pcapng("c"), [{ timeMs: 1000, data: ones }, frames[0]]);
    expect(Buffer.concat(chunks).equals(Buffer.from(want))).toBe(true);
  });

  it("--out picks the format by the name: .pcapng (any case) is pcapng, anything else classic pcap", () => {
    expect(outFormat("a.pcapng")).toBe("pcapng");
    expect(outFormat("dir.pcap/A.PCAPNG")).toBe("pcapng");
    expect(outFormat("a.pcap")).toBe("pcap");
    expect(outFormat("a.pcapng.gz")).toBe("pcap");
    expect(outFormat("out")).toBe("pcap");
  });
});

describe("captures as people take them (test/pcap/record-wild.sh)", () => {
  const linkType = (name: string) => readFileSync(join(corpusDir, name)).readUInt32LE(20);
  const tcpOf = (frames: readonly CapturedFrame[]) => frames.map((f) => parseFrame(f.data)).filter((p) => p?.tcp);

  it("a port-filtered capture holds no ARP: the harness answers the core's ARP for the client", () => {
    const { frames } = load("port-offload.pcap");
    expect(frames.some((f) => f.data[12] === 0x08 && f.data[13] === 0x06)).toBe(false);
    const r = run(frames);
    expect(r.arpAnswered).toBe(1);
    expect(check(r).divergence).toBeNull();
    // without the answer, nothing would come back but the core's ARP
    expect(r.emitted.filter((f) => parseFrame(f.data)?.tcp).length).toBeGreaterThan(100);
  });

  it("offloads on: super-frames over the MTU and partial checksums, cut and fixed before feeding", () => {
    const { frames } = load("port-offload.pcap");
    expect(Math.max(...frames.map((f) => f.data.length))).toBeGreaterThan(20_000); // TSO/GSO, before the NIC cut them
    const r = run(frames);
    expect(r.oversize).toBe(0);
    expect(Math.max(...r.fed.map((f) => f.data.length))).toBeLessThanOrEqual(1514);
    expect(check(r).bytes).toBeGreaterThan(1_000_000);
    // the partial checksums are the offload's: without fixing them every client segment is dropped
    const raw = run(frames, { fixChecksums: false });
    expect(check(raw).divergence).not.toBeNull();
  });

  it("tcpdump -i lo: server and client on 127.0.0.1, zero MACs, 64 KiB segments", () => {
    const { frames } = load("loopback.pcap");
    const tcp = tcpOf(frames);
    expect(tcp.every((p) => p!.srcIp === 0x7f000001 && p!.dstIp === 0x7f000001 && p!.srcMac === synthMac(0x7f000001))).toBe(true);
    expect(Math.max(...frames.map((f) => f.data.length))).toBeGreaterThan(60_000);
    const r = run(frames);
    expect(r.server).toMatchObject({ ip: 0x7f000001, port: 11211 });
    const c = check(r);
    expect(c.divergence).toBeNull();
    expect(c.bytes).toBeGreaterThan(1_000_000);
    // the clients' side moved to 127.0.0.2 so the core is not talking to itself
    expect(new Set(tcpOf(r.fed).map((p) => p!.srcIp))).toEqual(new Set([0x7f000002]));
  });

  it("tcpdump -i any: Linux cooked v1 (113) and v2 (276) read as Ethernet", () => {
    expect([linkType("any-sll.pcap"), linkType("any-sll2.pcap")]).toEqual([113, 276]);
    for (const name of ["any-sll.pcap", "any-sll2.pcap"]) {
      const tcp = tcpOf(load(name).frames);
      expect(tcp.length).toBeGreaterThan(10);
      expect(tcp.every((p) => p!.srcMac === synthMac(p!.srcIp) && p!.dstMac === synthMac(p!.dstIp))).toBe(true);
    }
    // the same session either way: the same client bytes
    const payload = (name: string) => Buffer.concat(tcpOf(load(name).frames).filter((p) => p!.tcp!.dstPort === 11211).map((p) => p!.tcp!.payload));
    expect(payload("any-sll.pcap").equals(payload("any-sll2.pcap"))).toBe(true);
  });

  it("802.1Q and QinQ tags are taken out (a recorded capture's frames tagged)", () => {
    const { frames } = load("pipeline.pcapng");
    const tag = (f: CapturedFrame, tags: number[]): CapturedFrame => {
      const t = new Uint8Array(f.data.length + 4 * tags.length);
      t.set(f.data.subarray(0, 12));
      tags.forEach((tpid, i) => t.set([tpid >> 8, tpid & 255, 0x20, 7 + i], 12 + 4 * i));
      t.set(f.data.subarray(12), 12 + 4 * tags.length);
      return { ...f, data: t };
    };
    const tagged = frames.map((f, i) => tag(f, i % 2 ? [0x8100] : [0x88a8, 0x8100]));
    const back = readCapture(pcapOf(tagged), "tagged.pcap").frames;
    expect(back.map((f) => Buffer.from(f.data).toString("hex"))).toEqual(frames.map((f) => Buffer.from(f.data).toString("hex")));
    expect(check(run(back)).divergence).toBeNull();
  });

  it("a capture started mid-connection: ERR_REPLAY_MIDSTREAM; with the server given, reported and not fed", () => {
    const { frames } = load("midstream.pcap");
    expect(tcpOf(frames).some((p) => p!.tcp!.flags & 2)).toBe(false);
    const e = captureError(() => run(frames));
    expect(e.code).toBe("ERR_REPLAY_MIDSTREAM");
    expect(e.message).toMatch(/starts mid-connection/);
    const r = run(frames, { serverIp: 0x0a4d0102, serverMac: 0x020000770102, serverPort: 11211 });
    expect(r.midstream).toEqual([expect.stringMatching(/^10\.77\.1\.1:\d+$/)]);
    expect(r.fed.filter((f) => parseFrame(f.data)?.tcp).length).toBe(0);
    expect(check(r).connections).toBe(0);
  });

  it("a capture that lost frames: the check names the hole instead of passing on a prefix", () => {
    const { frames } = load("values.pcap");
    const big = frames.findIndex((f, i) => i > 20 && (parseFrame(f.data)?.tcp?.payload.length ?? 0) > 1000 && parseFrame(f.data)!.tcp!.srcPort === 11211);
    const c = check(run(frames.filter((_, i) => i !== big)));
    expect(c.incomplete).toEqual([expect.stringMatching(/^client 10\.77\.0\.1:\d+: the reply stream has a hole at byte \d+ of \d+$/)]);
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

  it("writes pcapng for a .pcapng --out: the classic output's frames, a comment naming tool and source", () => {
    const ng = join(dir, "out.pcapng");
    const classic = join(dir, "same.pcap");
    const args = [bundle, "replay", join(corpusDir, "errors.pcap")];
    for (const out of [ng, classic]) {
      const r = spawnSync(process.execPath, [...args, "--out", out], { encoding: "utf8" });
      expect(r.status, r.stderr).toBe(0);
    }
    const bytes = readFileSync(ng);
    expect(bytes.readUInt32LE(0)).toBe(PCAPNG_SHB);
    expect(bytes.toString("latin1")).toMatch(/wasmcached \S+ replay of errors\.pcap/);
    const a = readCapture(bytes);
    const b = readCapture(readFileSync(classic));
    expect([a.format, b.format]).toEqual(["pcapng", "pcap"]);
    expect(a.frames.map((f) => Buffer.from(f.data).toString("hex"))).toEqual(b.frames.map((f) => Buffer.from(f.data).toString("hex")));
    expect(a.frames.map((f) => Math.round(f.timeMs * 1000))).toEqual(b.frames.map((f) => Math.round(f.timeMs * 1000)));
    spawnSync(process.execPath, [...args, "--out", ng], { encoding: "utf8" });
    expect(readFileSync(ng).equals(bytes)).toBe(true);
  });

  it("divergence: printed, exit 65", () => {
    const r = spawnSync(process.execPath, [bundle, "replay", join(corpusDir, "errors.pcap"), "--check", "--app", "echo"], { encoding: "utf8" });
    expect(r.status).toBe(65);
    expect(r.stderr).toMatch(/divergence on client 10\.77\.0\.1:\d+ -> server 10\.77\.0\.2:11211 at reply byte 0/);
    expect(r.stderr).toMatch(/request: +bogus/);
  });

  it("a capture started mid-connection: a clear message, exit 65", () => {
    const late = join(corpusDir, "midstream.pcap");
    const r = spawnSync(process.execPath, [bundle, "replay", late, "--check"], { encoding: "utf8" });
    expect(r.status).toBe(65);
    expect(r.stderr).toMatch(/^wasmcached: the capture starts mid-connection/);
    const g = spawnSync(process.execPath, [bundle, "replay", late, "--check", "--server-ip", "10.77.1.2", "--server-mac", "02:00:00:77:01:02",
      "--server-port", "11211"], { encoding: "utf8" });
    expect(g.status).toBe(65);
    expect(g.stderr).toMatch(/1 connection\(s\) started before the capture \(no SYN in it\), not replayed: 10\.77\.1\.1:\d+/);
    expect(g.stderr).toMatch(/check: no connection to compare/);
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
