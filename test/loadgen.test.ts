// The load generator (assembly/loadgen, docs/loadgen.md) end to end in one
// process: a loadgen stack and a server stack (memcached with its store, or
// echo) on two shared memories over the in-memory link, on a virtual clock
// with sub-millisecond steps. The loadgen verifies every reply itself; the
// test reads its stats block.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import v8 from "node:v8";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Device } from "../host/devices/device.js";
import { type FaultConfig, FaultInjector } from "../host/devices/faults.js";
import { memLink } from "../host/devices/memlink.js";
import { APP_CONFIG_BYTES, CONTROL_BASE, Ctl } from "../host/layout.js";
import { type AppExports, loadNetModules, NETSTACK_FILE } from "../host/modules.js";
import { asc, ascNetstack, CLIENT, counter, counters, makeSide, nextDue, SERVER, type Side, step, T0 } from "./support/netpair.js";

const PORT = 11211;
const FILL = 1;
const DONE = 5;
const FAULTS: FaultConfig = { loss: 0.03, reorder: 0.05, dup: 0.02, corrupt: 0.005, seed: 5, delay: 10 };

/** APP_CONFIG of the loadgen (docs/loadgen.md, "Settings"). */
interface LoadgenConfig {
  readonly conns: number;
  readonly depth: number;
  readonly keys: number;
  readonly keySize: number;
  readonly valueSize: number;
  readonly setPermille: number;
  readonly flags: number;
  readonly requests: number;
  readonly durationMs: number;
  readonly seed: number;
  readonly timeoutMs: number;
}

interface LoadgenExports extends AppExports {
  loadgen_stats(): number;
}

interface Stats {
  state: number;
  open: number;
  sent: bigint;
  verified: bigint;
  hits: bigint;
  misses: bigint;
  stored: bigint;
  mismatches: bigint;
  failed: bigint;
  fillVerified: bigint;
  startMs: number;
  lastMs: number;
  bytesRx: bigint;
  histogram: bigint[];
  firstMismatch: { conn: number; offset: number; op: number; key: number; expected: string; received: string };
}

let dir: string;

beforeAll(async () => {
  v8.setFlagsFromString("--no-liftoff"); // as the workers do (Node 20's Liftoff and atomics)
  dir = mkdtempSync(join(tmpdir(), "loadgen-test-"));
  await Promise.all([
    ascNetstack(join(dir, NETSTACK_FILE)),
    ...["loadgen", "echo", "memcached"].map((app) => asc(`assembly/${app}/module.ts`, join(dir, `${app}.wasm`), 262144)),
  ]);
}, 180_000);

afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

function writeConfig(memory: WebAssembly.Memory, c: LoadgenConfig, port: number): void {
  const v = new DataView(memory.buffer, CONTROL_BASE + Ctl.APP_CONFIG, APP_CONFIG_BYTES);
  const words = [
    0x4e45474c, SERVER.ip, port, c.conns, c.depth, c.keys, c.keySize, c.valueSize, c.setPermille, c.flags, c.requests,
    c.durationMs, c.seed, c.timeoutMs,
  ];
  words.forEach((w, i) => v.setUint32(i * 4, w >>> 0, true));
}

function readStats(side: Side): Stats {
  const at = (side.app as LoadgenExports).loadgen_stats();
  const v = new DataView(side.memory.buffer, at, 512);
  const u64 = (o: number) => v.getBigUint64(o, true);
  const text = (o: number) => Buffer.from(side.bytes.subarray(at + o, at + o + 32)).toString("latin1").replace(/\0+$/, "");
  return {
    state: v.getUint32(0, true),
    open: v.getUint32(4, true),
    sent: u64(8),
    verified: u64(16),
    hits: u64(24),
    misses: u64(32),
    stored: u64(40),
    mismatches: u64(48),
    failed: u64(56),
    fillVerified: u64(64),
    startMs: v.getFloat64(72, true),
    lastMs: v.getFloat64(80, true),
    bytesRx: u64(88),
    histogram: Array.from({ length: 32 }, (_, i) => u64(96 + 8 * i)),
    firstMismatch: {
      conn: v.getUint32(352, true), offset: v.getUint32(356, true), op: v.getUint32(360, true), key: v.getUint32(364, true),
      expected: text(368), received: text(400),
    },
  };
}

interface Run {
  readonly stats: Stats;
  readonly client: Side;
  readonly server: Side;
  readonly virtualMs: number;
  readonly why: string;
}

const BASE: LoadgenConfig = {
  conns: 8, depth: 4, keys: 1000, keySize: 12, valueSize: 100, setPermille: 200, flags: FILL, requests: 20000,
  durationMs: 0, seed: 42, timeoutMs: 0,
};

/**
 * Runs the loadgen against `serverApp` until its state is done. The clock
 * moves 50 µs per burst that moved frames, else jumps to the next timer,
 * at most 100 ms at a time (the loadgen's own timeouts need app_tick, as
 * the net worker's idle cap gives it).
 */
function run(c: LoadgenConfig, serverApp: string, opts: { faults?: FaultConfig; listen?: boolean } = {}): Run {
  const [a, b] = memLink();
  const clientDev: Device = opts.faults ? new FaultInjector(a, opts.faults) : a;
  const client = makeSide(loadNetModules(dir, join(dir, "loadgen.wasm")), CLIENT, 0, clientDev, {
    conns: c.conns,
    beforeInit: (memory) => writeConfig(memory, c, PORT),
  });
  const server = makeSide(loadNetModules(dir, join(dir, `${serverApp}.wasm`)), SERVER, opts.listen === false ? 0 : PORT, b, {
    conns: 16,
    memoryMb: 64,
  });
  let now = T0;
  for (let iter = 0; iter < 5_000_000; iter++) {
    const moved = step(client, now) + step(server, now);
    if (readStats(client).state === DONE) break;
    if (moved > 0) { now += 0.05; continue; }
    now = Math.min(Math.max(now + 0.05, nextDue(client, server, now)), now + 100);
  }
  return { stats: readStats(client), client, server, virtualMs: now - T0, why: `client: ${counters(client)}\nserver: ${counters(server)}` };
}

const total = (h: bigint[]) => h.reduce((s, x) => s + x, 0n);

describe("loadgen against memcached over the userspace stack", () => {
  it("FILL then 20000 pipelined requests on 8 connections: every reply verified", () => {
    const r = run(BASE, "memcached");
    const s = r.stats;
    expect(s.state, r.why).toBe(DONE);
    expect(s.fillVerified).toBe(1000n);
    expect(s.sent).toBe(20000n);
    expect(s.verified).toBe(20000n);
    expect(s.mismatches, JSON.stringify(s.firstMismatch)).toBe(0n);
    expect(s.misses).toBe(0n);
    expect(s.failed, r.why).toBe(0n);
    expect(s.hits + s.stored).toBe(20000n);
    expect(Number(s.stored)).toBeGreaterThan(3000); // ~20% sets
    expect(Number(s.stored)).toBeLessThan(5000);
    expect(total(s.histogram)).toBe(20000n);
    expect(s.open).toBe(0); // closed in order at the end
    expect(s.lastMs).toBeGreaterThan(s.startMs);
    expect(s.bytesRx).toBeGreaterThan(20000n * 100n * 8n / 10n);
  }, 120_000);

  it("verifies everything through loss, reordering, duplication and corruption", () => {
    const r = run({ ...BASE, requests: 5000, timeoutMs: 30_000 }, "memcached", { faults: FAULTS });
    const s = r.stats;
    expect(s.state, r.why).toBe(DONE);
    expect(s.failed, r.why).toBe(0n);
    expect(s.mismatches, JSON.stringify(s.firstMismatch)).toBe(0n);
    expect(s.fillVerified).toBe(1000n);
    expect(s.verified).toBe(5000n);
    expect(s.misses).toBe(0n);
    // the faults were real: TCP recovered from them under the loadgen
    expect(counter(r.client, "tcp_retransmits") + counter(r.server, "tcp_retransmits")).toBeGreaterThan(0n);
  }, 120_000);

  it("streams 64 KiB values both ways", () => {
    const r = run({ ...BASE, conns: 4, depth: 2, keys: 40, valueSize: 65536, setPermille: 300, requests: 400 }, "memcached");
    const s = r.stats;
    expect(s.state, r.why).toBe(DONE);
    expect(s.mismatches, JSON.stringify(s.firstMismatch)).toBe(0n);
    expect(s.failed, r.why).toBe(0n);
    expect(s.fillVerified).toBe(40n);
    expect(s.verified).toBe(400n);
    expect(s.misses).toBe(0n);
    expect(s.bytesRx).toBeGreaterThan(BigInt(65536 * 200));
  }, 120_000);

  it("counts mismatches against an echo server and still reaches done", () => {
    const r = run({ ...BASE, conns: 4, requests: 100 }, "echo");
    const s = r.stats;
    expect(s.state, r.why).toBe(DONE);
    expect(s.mismatches).toBe(4n); // one per connection, which is then failed
    expect(s.failed).toBe(4n);
    expect(s.verified).toBe(0n);
    expect(s.firstMismatch.offset).toBe(0);
    expect(s.firstMismatch.op).toBe(1); // FILL's first set, echoed
    expect(s.firstMismatch.expected).toBe("STORED\r\n");
    expect(s.firstMismatch.received.startsWith("set k")).toBe(true);
  }, 60_000);

  it("fails every connection to a server that is not listening, and reaches done", () => {
    const r = run({ ...BASE, conns: 3 }, "memcached", { listen: false });
    const s = r.stats;
    expect(s.state, r.why).toBe(DONE);
    expect(s.failed).toBe(3n);
    expect(s.sent).toBe(0n);
    expect(s.open).toBe(0);
  }, 60_000);
});
