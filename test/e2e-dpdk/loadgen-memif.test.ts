// Two processes over DPDK net_memif: a wasmcached server, and the load
// generator (`wasmcached loadgen`: our own stack in active-open mode driving
// assembly/loadgen) as its only client. Thousands of pipelined gets and sets,
// every reply checked byte for byte by the client; with zero-copy and with
// copying pools, small and large values. Shutdown follows the memif rule
// (docs/dpdk.md): the client stops polling and holds its port, the server
// stops (SIGTERM, exit 0, no mbuf leaked), then the client closes (exit 0).
// And a server stopped under load: the peer, still polling, is not crashed;
// it sees every connection reset (the stack's RSTs at shutdown).
// Needs root, DPDK and build/libwcdpdk.so: without them the tests fail.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Child, startWasmcached } from "../support/child.mjs";
import { requireDpdk } from "../support/require-dpdk.js";

/** Each process its own CPU, as a benchmark would run them (FACTS.md: EAL pins the caller; --no-shconf for two processes). */
const eal = (cpu: number, role: "server" | "client", socket: string) =>
  `--no-huge -m 256 --no-pci --no-shconf --no-telemetry -l ${cpu} --vdev net_memif0,role=${role},socket=${socket},socket-abstract=no`;
const SERVER_IP = "10.66.0.2";
const CLIENT_IP = "10.66.0.1";
const PORT = 11211;

interface Run {
  readonly report: Record<string, unknown> & { ok: boolean; verified: number; sent: number; mismatches: number; misses: number; connsFailed: number };
  readonly serverOut: string;
  readonly clientOut: string;
  readonly serverCode: number | string;
  readonly clientCode: number | string;
}

let dir: string;

beforeAll(() => {
  requireDpdk();
  dir = mkdtempSync(join(tmpdir(), "wc-loadgen-memif-"));
});

afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

/** One server and one loadgen over a fresh memif socket; both stopped in the memif order whatever happens. */
async function run(name: string, serverArgs: string[], loadgenArgs: string[]): Promise<Run> {
  const socket = join(dir, `${name}.sock`);
  let server: Child | undefined;
  let client: Child | undefined;
  try {
    server = await startWasmcached(
      ["--dpdk", eal(0, "server", socket), "--ip", `${SERVER_IP}/24`, "-p", String(PORT), "-t", "1", "-v", ...serverArgs],
      /serving memcached on /,
    );
    client = await startWasmcached(
      ["loadgen", "--dpdk", eal(1, "client", socket), "--ip", `${CLIENT_IP}/24`, "--server", `${SERVER_IP}:${PORT}`, "--hold", ...loadgenArgs],
      /loadgen: stopped polling/,
      { timeoutMs: 90_000, stdin: "pipe" },
    );
    const serverCode = await server.stop();
    client.child.stdin!.end(); // the server no longer polls: the client may close its port now
    const clientCode = await client.exited;
    const line = client.stdout().split("\n").find((l) => l.startsWith("{"));
    if (!line) throw new Error(`loadgen printed no JSON:\n${client.output()}`);
    return { report: JSON.parse(line), serverOut: server.output(), clientOut: client.output(), serverCode, clientCode };
  } finally {
    // Whatever failed: the server first, so neither side closes its port under the other's burst.
    await server?.stop();
    client?.child.stdin?.end();
    await client?.stop();
  }
}

function expectClean(r: Run, requests: number): void {
  const why = `--- loadgen\n${r.clientOut}\n--- server\n${r.serverOut}`;
  expect(r.report.ok, why).toBe(true);
  expect(r.report.verified, why).toBe(requests);
  expect(r.report.sent, why).toBe(requests);
  expect(r.report.mismatches, why).toBe(0);
  expect(r.report.misses, why).toBe(0);
  expect(r.report.connsFailed, why).toBe(0);
  expect(r.clientCode, why).toBe(0);
  expect(r.serverCode, why).toBe(0);
  expect(r.serverOut).toMatch(/core 0: dpdk:q0\S* mbufs in use at start (\d+), at exit \1\n/);
  expect(r.serverOut + r.clientOut).not.toMatch(/RuntimeError|unreachable|internal error|LEAK/);
}

describe("memcached and the load generator over net_memif, two processes", () => {
  it("20 000 pipelined gets and sets with zero-copy on both sides, every reply verified", async () => {
    const r = await run("zc", [], [
      "--conns", "16", "--depth", "4", "--keys", "1000", "--value-size", "100", "--set-ratio", "0.2", "--requests", "20000",
    ]);
    expectClean(r, 20_000);
    expect(r.report.fillVerified).toBe(1000);
    expect(r.clientOut).toMatch(/loadgen: 20000\/20000 replies verified/);
  }, 120_000);

  it("256 requests in flight taken 4 frames a burst on both sides: every offered tx buffer accounted for", async () => {
    // A poll that takes fewer frames than are queued leaves the rest in the ring, bursts come fast
    // and tx offers turn over in every one: an offer lost or named twice shows as failed connections.
    const r = await run("small-bursts", ["--rx-burst", "4"], [
      "--rx-burst", "4", "--conns", "32", "--depth", "8", "--keys", "1000", "--requests", "2000000",
    ]);
    expectClean(r, 2_000_000);
    expect(r.serverOut).toMatch(/rx burst 4,/);
  }, 120_000);

  it("values of 20 000 bytes through copying pools (segments, windows, streaming)", async () => {
    const r = await run("copy", ["--no-zero-copy", "-I", "1m"], [
      "--no-zero-copy", "--conns", "4", "--depth", "2", "--keys", "200", "--value-size", "20000", "--set-ratio", "0.5", "--requests", "2000",
    ]);
    expectClean(r, 2000);
    expect(r.report.fillVerified).toBe(200);
  }, 120_000);

  it("SIGTERM to the server under load: it exits 0, and the polling peer does not crash but sees every connection reset", async () => {
    const socket = join(dir, "term.sock");
    const server = await startWasmcached(
      ["--dpdk", eal(0, "server", socket), "--ip", `${SERVER_IP}/24`, "-p", String(PORT), "-t", "1", "-v"],
      /serving memcached on /,
    );
    let client: Child | undefined;
    try {
      client = await startWasmcached(
        ["loadgen", "--dpdk", eal(1, "client", socket), "--ip", `${CLIENT_IP}/24`, "--server", `${SERVER_IP}:${PORT}`,
          "--conns", "8", "--depth", "2", "--duration", "20"],
        /loadgen: from /,
      );
      await new Promise((r) => setTimeout(r, 2000)); // the measured phase is running
      const serverCode = await server.stop();
      const clientCode = await client.exited; // every connection reset: the loadgen is done before its 20 s
      const why = `--- loadgen\n${client.output()}\n--- server\n${server.output()}`;
      expect(serverCode, why).toBe(0);
      expect(server.output()).toMatch(/shutdown: 8 connections reset, 0 frames unsent/);
      expect(clientCode, why).toBe(1); // a clean exit saying the run failed, not a crash in the driver
      const report = JSON.parse(client.stdout().split("\n").find((l) => l.startsWith("{"))!);
      expect(report, why).toMatchObject({ ok: false, connsFailed: 8, mismatches: 0 });
      expect(report.verified, why).toBeGreaterThan(1000);
    } finally {
      await server.stop();
      await client?.stop();
    }
  }, 60_000);
});
