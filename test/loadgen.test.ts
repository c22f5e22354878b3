// The load generator (assembly/loadgen, docs/loadgen.md) end to end in one
// process: a loadgen stack and a server stack (memcached with its store, or
// echo) on two shared memories over the in-memory link, on a virtual clock
// with sub-millisecond steps. The loadgen verifies every reply itself; the
// test reads its stats block.
import { rmSync } from "node:fs";
import { join } from "node:path";
import v8 from "node:v8";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Device } from "../host/devices/device.js";
import { type FaultConfig, FaultInjector } from "../host/devices/faults.js";
import { memLink } from "../host/devices/memlink.js";
import {
  type LoadgenSettings, type LoadgenStats, LoadgenState, readLoadgenStats, writeLoadgenSettings,
} from "../host/loadgen/blocks.js";
import { type AppExports, loadNetModules } from "../host/modules.js";
import { buildModules, CLIENT, counter, counters, makeSide, nextDue, SERVER, type Side, step, T0 } from "./support/netpair.js";

const PORT = 11211;
const DONE = LoadgenState.DONE;
const FAULTS: FaultConfig = { loss: 0.03, reorder: 0.05, dup: 0.02, corrupt: 0.005, seed: 5, delay: 10 };

let dir: string;

beforeAll(async () => {
  v8.setFlagsFromString("--no-liftoff"); // as the workers do (Node 20's Liftoff and atomics)
  dir = await buildModules("loadgen-test-", {
    loadgen: "assembly/loadgen/module.ts", echo: "assembly/echo/module.ts", memcached: "assembly/memcached/module.ts",
  });
}, 180_000);

afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

/** The module's stats block, read as the host reads it (host/loadgen/blocks.ts). */
const readStats = (side: Side): LoadgenStats => readLoadgenStats(side.memory, (side.app as AppExports & { loadgen_stats(): number }).loadgen_stats());

interface Run {
  readonly stats: LoadgenStats;
  readonly client: Side;
  readonly server: Side;
  readonly virtualMs: number;
  readonly why: string;
}

/** Settings as the host writes them (host/loadgen/blocks.ts), so the test checks the mirror too. */
const BASE: LoadgenSettings = {
  serverIp: SERVER.ip, serverPort: PORT, conns: 8, depth: 4, keys: 1000, keySize: 12, valueSize: 100, setPermille: 200, fill: true,
  requests: 20000, durationMs: 0, seed: 42, replyTimeoutMs: 0, zipf: 0,
};

/**
 * Runs the loadgen against `serverApp` until its state is done. The clock
 * moves 50 µs per burst that moved frames, else jumps to the next timer,
 * at most 100 ms at a time (the loadgen's own timeouts need app_tick, as
 * the net worker's idle cap gives it).
 */
function run(c: LoadgenSettings, serverApp: string, opts: { faults?: FaultConfig; listen?: boolean } = {}): Run {
  const [a, b] = memLink();
  const clientDev: Device = opts.faults ? new FaultInjector(a, opts.faults) : a;
  const client = makeSide(loadNetModules(dir, join(dir, "loadgen.wasm")), CLIENT, 0, clientDev, {
    conns: c.conns,
    beforeInit: (memory, layout) => writeLoadgenSettings(memory, layout.control, c),
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

const total = (h: readonly bigint[]) => h.reduce((s, x) => s + x, 0n);

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
    expect(s.connsFailed, r.why).toBe(0n);
    expect(s.hits + s.sets).toBe(20000n);
    expect(Number(s.sets)).toBeGreaterThan(3000); // ~20% sets
    expect(Number(s.sets)).toBeLessThan(5000);
    expect(total(s.histogram)).toBe(20000n);
    expect(s.connsOpen).toBe(0); // closed in order at the end
    expect(s.lastMs).toBeGreaterThan(s.startMs);
    expect(s.bytesReceived).toBeGreaterThan(20000n * 100n * 8n / 10n);
  }, 120_000);

  it("verifies everything through loss, reordering, duplication and corruption", () => {
    const r = run({ ...BASE, requests: 5000, replyTimeoutMs: 30_000 }, "memcached", { faults: FAULTS });
    const s = r.stats;
    expect(s.state, r.why).toBe(DONE);
    expect(s.connsFailed, r.why).toBe(0n);
    expect(s.mismatches, JSON.stringify(s.firstMismatch)).toBe(0n);
    expect(s.fillVerified).toBe(1000n);
    expect(s.verified).toBe(5000n);
    expect(s.misses).toBe(0n);
    // the faults were real: TCP recovered from them under the loadgen
    expect(counter(r.client, "tcp_retransmits") + counter(r.server, "tcp_retransmits")).toBeGreaterThan(0n);
  }, 120_000);

  it("draws Zipf-distributed keys (s = 0.99, 5000 keys): every reply verified, no miss after FILL", () => {
    const r = run({ ...BASE, keys: 5000, requests: 8000, setPermille: 100, zipf: 0.99 }, "memcached");
    const s = r.stats;
    expect(s.state, r.why).toBe(DONE);
    expect(s.fillVerified).toBe(5000n);
    expect(s.verified).toBe(8000n);
    expect(s.mismatches, JSON.stringify(s.firstMismatch)).toBe(0n);
    expect(s.misses).toBe(0n);
    expect(s.connsFailed, r.why).toBe(0n);
  }, 120_000);

  it("streams 64 KiB values both ways", () => {
    const r = run({ ...BASE, conns: 4, depth: 2, keys: 40, valueSize: 65536, setPermille: 300, requests: 400 }, "memcached");
    const s = r.stats;
    expect(s.state, r.why).toBe(DONE);
    expect(s.mismatches, JSON.stringify(s.firstMismatch)).toBe(0n);
    expect(s.connsFailed, r.why).toBe(0n);
    expect(s.fillVerified).toBe(40n);
    expect(s.verified).toBe(400n);
    expect(s.misses).toBe(0n);
    expect(s.bytesReceived).toBeGreaterThan(BigInt(65536 * 200));
  }, 120_000);

  it("counts mismatches against an echo server and still reaches done", () => {
    const r = run({ ...BASE, conns: 4, requests: 100 }, "echo");
    const s = r.stats;
    expect(s.state, r.why).toBe(DONE);
    expect(s.mismatches).toBe(4n); // one per connection, which is then failed
    expect(s.connsFailed).toBe(4n);
    expect(s.verified).toBe(0n);
    expect(s.firstMismatch?.offset).toBe(0);
    expect(s.firstMismatch?.op).toBe("set"); // FILL's first set, echoed
    expect(s.firstMismatch?.expected).toBe("STORED\\r\\n"); // as the host prints it: CR LF escaped
    expect(s.firstMismatch?.received.startsWith("set k")).toBe(true);
  }, 60_000);

  it("fails every connection to a server that is not listening, and reaches done", () => {
    const r = run({ ...BASE, conns: 3 }, "memcached", { listen: false });
    const s = r.stats;
    expect(s.state, r.why).toBe(DONE);
    expect(s.connsFailed).toBe(3n);
    expect(s.sent).toBe(0n);
    expect(s.connsOpen).toBe(0);
  }, 60_000);
});
