// The userspace stack end to end in one process: two netstack instances (a
// client with a test-only pusher module, a server with echo or memcached),
// each on its own shared memory, joined by an in-memory link with a seeded
// fault injector (loss, reordering, duplication, corruption) on a virtual
// clock. ARP resolves between them; 10 MiB through echo arrives intact; the
// run repeats byte for byte (a hash of every frame either stack built).
import { createHash } from "node:crypto";
import { rmSync } from "node:fs";
import { join } from "node:path";
import v8 from "node:v8";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Device } from "../host/devices/device.js";
import { type FaultConfig, FaultInjector } from "../host/devices/faults.js";
import { memLink } from "../host/devices/memlink.js";
import { type AppExports, NETSTACK_APP_SLOTS, loadNetModules } from "../host/modules.js";
import { CLIENT, SERVER, type Side, T0, buildModules, counter, counters, makeSide, nextDue, step } from "./support/netpair.js";

const CONNS = 4;
const PORT = 11211;
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

beforeAll(async () => {
  // Built from the sources every run (in parallel), with the production flags.
  v8.setFlagsFromString("--no-liftoff"); // as the workers do (Node 20's Liftoff and atomics)
  dir = await buildModules("netstack-test-", {
    pusher: "assembly/netstack/__tests__/pusher.ts", echo: "assembly/echo/module.ts", memcached: "assembly/memcached/module.ts",
  });
}, 120_000);

afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

/** One burst, every frame either stack built hashed into the trace. */
const traced = (side: Side, now: number, trace: ReturnType<typeof createHash>) => step(side, now, (f) => trace.update(f));

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
  const client = makeSide(loadNetModules(dir, join(dir, "pusher.wasm")), CLIENT, 0, clientDev, { conns: CONNS });
  const server = makeSide(loadNetModules(dir, join(dir, `${serverApp}.wasm`)), SERVER, PORT, b, { conns: CONNS });
  const pusher = client.app as PusherExports;
  const info = new DataView(client.bytes.buffer, pusher.pusher_info(), 64);
  prepare(pusher, client);
  const trace = createHash("sha256");
  let now = T0;
  traced(client, now, trace);
  traced(server, now, trace);
  expect(client.net.net_connect(SERVER.ip, PORT)).toBe(0);
  for (let iter = 0; iter < 2_000_000; iter++) {
    const moved = traced(client, now, trace) + traced(server, now, trace);
    if (info.getUint32(28, true) > 0) break; // the pusher heard app_closed
    if (moved > 0) { now += 1; continue; }
    const due = nextDue(client, server, now);
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

  it("puts a module's optional app_peek in the slot after its five, and only a module that has one", () => {
    const [a, b] = memLink();
    const mc = makeSide(loadNetModules(dir, join(dir, "memcached.wasm")), SERVER, PORT, b, { conns: CONNS });
    const echo = makeSide(loadNetModules(dir, join(dir, "echo.wasm")), CLIENT, 0, a, { conns: CONNS });
    const at = mc.net.net_app_slot() + NETSTACK_APP_SLOTS.length;
    expect(typeof (mc.app as unknown as Record<string, unknown>).app_peek).toBe("function");
    expect(mc.net.table.get(at)).toBe((mc.app as unknown as Record<string, unknown>).app_peek);
    expect(echo.net.table.get(at)).toBeNull();
  });

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
