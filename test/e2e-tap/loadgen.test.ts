// The load generator against Debian's memcached 1.6: `wasmcached loadgen`
// on a TAP (our stack in active-open mode), memcached in a network namespace
// the test makes, the TAP's kernel side moved there. Every reply memcached
// gives is checked byte for byte by the module, so this is also how we know
// the load generator's idea of a right reply is memcached's.
// Needs root, /dev/net/tun, iproute2 and memcached: without them it fails.
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { afterEach, beforeAll, describe, expect, it } from "vitest";
import { startWasmcached } from "../support/child.mjs";
import { requireTool } from "../support/server.mjs";
import { requireTapPrivileges } from "./tap-server.mjs";

const PORT = 11311;
let runs = 0;
const cleanups: (() => Promise<void> | void)[] = [];

function ip(args: string[]): void {
  const r = spawnSync("ip", args, { encoding: "utf8" });
  if (r.status !== 0) throw new Error(`ip ${args.join(" ")} exited ${r.status}: ${r.stderr ?? r.error?.message}`);
}

beforeAll(() => {
  requireTapPrivileges();
  requireTool("memcached", "apt-get install memcached");
});

afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

/** memcached in a fresh namespace, then the loadgen on a TAP whose kernel side joins it. */
async function loadMemcached(loadgenArgs: string[], serverPort = PORT): Promise<{ code: number | string; report: Record<string, unknown>; out: string }> {
  const n = runs++;
  const ns = `wc-lg-${process.pid}-${n}`;
  const ifname = `wcl${process.pid % 1_000_000}x${n}`.slice(0, 15);
  const net = `10.${150 + (process.pid % 50)}.${(process.pid >> 6) % 250 + n}`;
  ip(["netns", "add", ns]);
  cleanups.push(() => void spawnSync("ip", ["netns", "del", ns]));
  ip(["-n", ns, "link", "set", "lo", "up"]);
  const memcached: ChildProcess = spawn("ip", ["netns", "exec", ns, "memcached", "-u", "root", "-U", "0", "-l", "0.0.0.0", "-p", String(PORT), "-t", "1", "-m", "64"], {
    stdio: "ignore",
  });
  const memcachedExit = new Promise<void>((resolve) => memcached.once("exit", () => resolve()));
  cleanups.push(async () => {
    if (memcached.exitCode === null) process.kill(memcached.pid!, "SIGTERM");
    await memcachedExit;
  });
  const lg = await startWasmcached(
    ["loadgen", "--tap", ifname, "--ip", `${net}.2/24`, "--server", `${net}.1:${serverPort}`, ...loadgenArgs],
    /loadgen: from /,
  );
  cleanups.push(async () => void (await lg.stop()));
  // The loadgen made the TAP in our namespace: move its kernel side to memcached's (its SYNs are retried meanwhile).
  ip(["link", "set", ifname, "netns", ns]);
  ip(["-n", ns, "addr", "add", `${net}.1/24`, "dev", ifname]);
  ip(["-n", ns, "link", "set", ifname, "up"]);
  const code = await lg.exited;
  const line = lg.stdout().split("\n").find((l) => l.startsWith("{"));
  if (!line) throw new Error(`loadgen printed no JSON:\n${lg.output()}`);
  return { code, report: JSON.parse(line), out: lg.output() };
}

describe("the load generator against Debian's memcached over TAP", () => {
  it("5000 pipelined gets and sets, every reply byte as memcached sends it", async () => {
    const r = await loadMemcached(["--conns", "8", "--depth", "4", "--keys", "500", "--value-size", "300", "--set-ratio", "0.3", "--requests", "5000"]);
    expect(r.report, r.out).toMatchObject({ ok: true, verified: 5000, sent: 5000, mismatches: 0, misses: 0, connsFailed: 0, fillVerified: 500 });
    expect(r.code, r.out).toBe(0);
  }, 60_000);

  it("without fill, misses are counted and not failures", async () => {
    const r = await loadMemcached(["--no-fill", "--conns", "2", "--keys", "100000", "--key-size", "10", "--requests", "500"]);
    expect(r.report, r.out).toMatchObject({ ok: true, verified: 500, mismatches: 0, connsFailed: 0, fillVerified: 0 });
    expect(r.report.misses as number, r.out).toBeGreaterThan(400); // an empty cache
    expect(r.code, r.out).toBe(0);
  }, 60_000);

  it("fails with exit 1 and says why when nothing listens on the port", async () => {
    const r = await loadMemcached(["--conns", "2", "--requests", "10"], PORT + 1); // the kernel answers RST
    expect(r.report, r.out).toMatchObject({ ok: false, verified: 0, connsFailed: 2 });
    expect(r.out).toMatch(/loadgen: .*FAILED: .*2 connections failed/);
    expect(r.code, r.out).toBe(1);
  }, 60_000);
});
