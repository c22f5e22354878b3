// wasmcached's memcached module served by the userspace TCP/IP stack on a
// TAP device, the Linux kernel as the peer in a namespace the test makes:
// memccapable, pymemcache, 1000 connections at once, ping.
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { requireTool } from "../support/server.mjs";
import { type TapServer, python, report, startTapServer } from "./tap-server.mjs";

const clients = fileURLToPath(new URL("./clients.py", import.meta.url));

describe("memcached over TAP (userspace TCP/IP)", () => {
  let server: TapServer | undefined;

  beforeAll(async () => {
    requireTool("memccapable", "apt-get install libmemcached-tools");
    server = await startTapServer(["-m", "64", "-c", "1100", "--metrics-port", "0"]);
  });

  afterAll(async () => {
    await server?.stop();
  });

  it("prints where it serves and how to reach it", () => {
    const s = server!;
    expect(s.output()).toContain(
      `wasmcached: serving memcached on ${s.ip}:${s.port} via TAP ${s.ifname} (userspace TCP/IP, 1 thread, 64 MB); ` +
        `reach it from the host side of ${s.ifname} (address it in ${s.ip.replace(/\.2$/, ".0")}/24`,
    );
  });

  it("answers ping", async () => {
    const s = server!;
    const r = await s.exec([python, clients, "ping", s.ip, "3"], 20_000);
    expect(r.status, report(r, s)).toBe(0);
    expect(r.stdout, report(r, s)).toMatch(/^ping: 3 sent, 3 answered$/m);
  });

  it("passes memccapable with no filter (27 ascii + 27 binary checks)", async () => {
    const s = server!;
    const r = await s.exec(["memccapable", "-h", s.ip, "-p", String(s.port)], 60_000);
    const out = `${r.stdout}\n${r.stderr}`;
    const passed = (proto: string) =>
      out.split("\n").filter((l) => new RegExp(`^${proto} \\S.*\\[pass\\]\\s*$`).test(l)).length;
    const failed = out.split("\n").filter((l) => /\[FAIL\]/.test(l));
    expect(failed, report(r, s)).toEqual([]);
    expect(r.status, report(r, s)).toBe(0);
    expect(passed("ascii"), report(r, s)).toBe(27);
    expect(passed("binary"), report(r, s)).toBe(27);
  });

  it("works with pymemcache", async () => {
    const s = server!;
    const r = await s.exec([python, clients, "pymemcache", s.ip, String(s.port)], 60_000);
    expect(r.status, report(r, s)).toBe(0);
    expect(r.stdout, report(r, s)).toMatch(/^pymemcache: \d+ checks passed$/m);
  });

  it("serves 1000 kernel connections at once", async () => {
    const s = server!;
    const r = await s.exec([python, clients, "many", s.ip, String(s.port), "1000"], 120_000);
    expect(r.status, report(r, s)).toBe(0);
    const m = /^many: 1000 connections, 1000 sets and 1000 gets ok, curr_connections (\d+)$/m.exec(r.stdout);
    expect(m, report(r, s)).not.toBeNull();
    expect(Number(m![1])).toBeGreaterThanOrEqual(1001);
  }, 150_000);

  it("serves the stack's counters of each core beside memcached's stats as Prometheus metrics", async () => {
    const s = server!;
    const port = /metrics on http:\/\/127\.0\.0\.1:(\d+)\/metrics/.exec(s.output())?.[1];
    expect(port, s.output()).toBeDefined();
    const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
    const value = (name: string) => Number(new RegExp(`^${name}(?:\\{core="0"\\})? (\\d+)$`, "m").exec(text)?.[1] ?? NaN);
    expect(text).toMatch(/^# TYPE wasmcached_net_tcp_passive_opens counter$/m);
    expect(value("wasmcached_net_tcp_passive_opens")).toBeGreaterThan(0); // the tests above connected
    expect(value("wasmcached_net_if_rx_frames")).toBeGreaterThan(value("wasmcached_net_tcp_passive_opens"));
    expect(value("memcached_curr_connections")).toBeGreaterThanOrEqual(0);
  });

  it("exits 0 on SIGTERM", async () => {
    const code = await server!.stop();
    server = undefined;
    expect(code).toBe(0);
  });
});
