// A pool of three servers behind nutcracker (twemproxy, Debian package
// `nutcracker`): 10 000 keys set and read back through the proxy, every server
// holding a share; then one server is stopped and the proxy's replies are
// recorded. The same scenario runs with Debian's memcached as the three
// servers, and the recorded outcomes must be identical: that is what "the
// proxy behaves the same with wasmcached as with memcached" means here.
//
// Config choices:
// - hash fnv1a_64 + distribution ketama, and every server given a node name
//   (`127.0.0.1:PORT:1 s0`): ketama then hashes the names, not host:port, so
//   the key -> shard map does not depend on the (random) ports and the
//   memcached run and the wasmcached run shard the keys identically.
// - Both values of auto_eject_hosts are exercised, each with its own proxy:
//   false (keys of the dead shard get "SERVER_ERROR Connection refused",
//   the rest is served) and true with server_failure_limit 2 (nutcracker's
//   default): the closed connection to the stopped server is the first
//   failure, the first request routed to it ("SERVER_ERROR Connection
//   refused") the second; the server is then ejected and its keys re-hash to
//   the survivors: reads miss, sets succeed. server_retry_timeout is 30 s,
//   longer than the test, so an ejected server is never retried mid-test;
//   timeout 2000 ms bounds every request.
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import net from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, expect, test } from "vitest";
import { RawClient } from "../support/raw-client.js";
import { freePort, requireTool, startServer, subjectKind, type ServerHandle, type ServerKind } from "../support/server.mjs";

const KEYS = 10_000;
const BATCH = 500;
const STOPPED = 1; // index of the server that is stopped
const key = (i: number) => `nut:${i}`;
const value = (i: number) => `value-${i}-${"x".repeat(i % 50)}`;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

let nutcracker: string;
let workDir: string;
const servers: ServerHandle[] = [];
const proxies: { child: ChildProcess; exited: Promise<void>; log: string }[] = [];

beforeAll(() => {
  workDir = mkdtempSync(join(tmpdir(), "wasmcached-nutcracker-"));
});

afterAll(async () => {
  for (const p of proxies) await stopProxy(p);
  for (const s of servers) await s.stop();
  if (workDir) rmSync(workDir, { recursive: true, force: true });
});

async function stopProxy(p: (typeof proxies)[number]): Promise<void> {
  if (p.child.exitCode !== null || p.child.signalCode !== null) return;
  try {
    process.kill(p.child.pid!, "SIGTERM");
  } catch {
    return;
  }
  const done = await Promise.race([p.exited.then(() => true), sleep(5000).then(() => false)]);
  if (!done) {
    try {
      process.kill(p.child.pid!, "SIGKILL");
    } catch {
      /* gone */
    }
    await p.exited;
  }
}

function accepts(port: number): Promise<boolean> {
  return RawClient.connect(port, "127.0.0.1", 1000).then(
    (c) => (c.close(), true),
    () => false,
  );
}

/** Writes the config, checks it with -t, starts nutcracker, waits until it accepts. */
async function startProxy(name: string, ports: number[], autoEject: boolean) {
  const port = await freePort();
  const statsPort = await freePort();
  const conf = join(workDir, `${name}.yml`);
  const log = join(workDir, `${name}.log`);
  writeFileSync(
    conf,
    [
      "pool:",
      `  listen: 127.0.0.1:${port}`,
      "  hash: fnv1a_64",
      "  distribution: ketama",
      "  timeout: 2000",
      `  auto_eject_hosts: ${autoEject}`,
      "  server_retry_timeout: 30000",
      "  server_failure_limit: 2",
      "  servers:",
      ...ports.map((p, i) => `   - 127.0.0.1:${p}:1 s${i}`),
      "",
    ].join("\n"),
  );
  const args = ["-c", conf, "-s", String(statsPort), "-a", "127.0.0.1", "-i", "100", "-o", log, "-p", join(workDir, `${name}.pid`)];
  const check = await new Promise<{ code: number | null; out: string }>((resolve) => {
    const c = spawn(nutcracker, [...args, "-t"], { stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    c.stdout!.on("data", (d) => (out += d));
    c.stderr!.on("data", (d) => (out += d));
    c.once("exit", (code) => resolve({ code, out }));
  });
  expect(check.code, `nutcracker -t: ${check.out}`).toBe(0);
  // -i 100: stats refreshed every 100 ms (read below to see the stop land).
  const child = spawn(nutcracker, args, { stdio: "ignore" });
  const exited = new Promise<void>((resolve) => {
    child.once("exit", () => resolve());
    child.once("error", () => resolve());
  });
  const p = { child, exited, log };
  proxies.push(p);
  const deadline = Date.now() + 10_000;
  while (!(await accepts(port))) {
    if (child.exitCode !== null || Date.now() > deadline) {
      throw new Error(`nutcracker did not start; log:\n${readLog(log)}`);
    }
    await sleep(50);
  }
  return { port, statsPort, stop: () => stopProxy(p), log: () => readLog(log) };
}

/** nutcracker's stats (JSON, refreshed every -i ms), read from its stats port. */
function proxyStats(port: number): Promise<{ pool: Record<string, any> }> {
  return new Promise((resolve, reject) => {
    const s = net.connect({ port, host: "127.0.0.1" });
    let out = "";
    s.setTimeout(5000, () => s.destroy(new Error(`stats port ${port} timed out`)));
    s.on("data", (d) => (out += d));
    s.once("end", () => resolve(JSON.parse(out)));
    s.once("error", reject);
  });
}

function readLog(file: string): string {
  try {
    return readFileSync(file, "utf8");
  } catch {
    return "";
  }
}

/**
 * Splits a buffer of text-protocol replies to single-key requests (get, set,
 * delete) into whole replies; returns the complete ones and the rest.
 */
function splitReplies(buf: Buffer): { replies: string[]; rest: Buffer } {
  const replies: string[] = [];
  let pos = 0;
  for (;;) {
    const eol = buf.indexOf("\r\n", pos);
    if (eol < 0) break;
    const line = buf.toString("latin1", pos, eol);
    if (line.startsWith("VALUE ")) {
      const len = Number(line.split(" ")[3]);
      const end = eol + 2 + len + 2 + "END\r\n".length;
      if (buf.length < end) break;
      replies.push(buf.toString("latin1", pos, end));
      pos = end;
    } else {
      replies.push(buf.toString("latin1", pos, eol + 2));
      pos = eol + 2;
    }
  }
  return { replies, rest: buf.subarray(pos) };
}

/** Sends requests pipelined in batches and returns one reply per request. */
async function pipeline(port: number, requests: string[]): Promise<string[]> {
  const c = await RawClient.connect(port);
  const out: string[] = [];
  try {
    for (let i = 0; i < requests.length; i += BATCH) {
      const batch = requests.slice(i, i + BATCH);
      await c.send(batch.join(""));
      const { replies } = splitReplies(
        await c.readUntil((b) => splitReplies(b).replies.length >= batch.length, 5000, 15_000),
      );
      if (replies.length !== batch.length) {
        throw new Error(`expected ${batch.length} replies, got ${replies.length} (closed=${c.closed})`);
      }
      out.push(...replies);
    }
  } finally {
    c.close();
  }
  return out;
}

const setReq = (i: number, v = value(i)) => `set ${key(i)} ${i % 7} 0 ${Buffer.byteLength(v)}\r\n${v}\r\n`;
const getReq = (i: number) => `get ${key(i)}\r\n`;
const hit = (i: number, v = value(i)) => `VALUE ${key(i)} ${i % 7} ${Buffer.byteLength(v)}\r\n${v}\r\nEND\r\n`;
const all = Array.from({ length: KEYS }, (_, i) => i);

async function currItems(port: number): Promise<number> {
  const c = await RawClient.connect(port);
  try {
    const s = await c.request("stats\r\n", "END\r\n");
    return Number(/STAT curr_items (\d+)/.exec(s)![1]);
  } finally {
    c.close();
  }
}

/** Replies rendered as a compact class per key: HIT, MISS, STORED, or the line itself. */
function classify(replies: string[], expectHit: (i: number) => string): string[] {
  return replies.map((r, i) => (r === expectHit(i) ? "HIT" : r === "END\r\n" ? "MISS" : r.trimEnd()));
}

/** The whole scenario for one kind of server; returns what was observed. */
async function scenario(kind: ServerKind, autoEject: boolean) {
  const pool: ServerHandle[] = [];
  for (let i = 0; i < 3; i++) {
    const s = await startServer(kind, ["-t", "1"]);
    servers.push(s);
    pool.push(s);
  }
  const proxy = await startProxy(`${kind}-eject-${autoEject}`, pool.map((s) => s.port), autoEject);

  // 10 000 sets and gets through the proxy.
  const sets = await pipeline(proxy.port, all.map((i) => setReq(i)));
  expect(sets.filter((r) => r !== "STORED\r\n")).toEqual([]);
  const gets = await pipeline(proxy.port, all.map(getReq));
  const bad = gets.map((r, i) => (r === hit(i) ? null : { i, r })).filter((x) => x !== null);
  expect(bad).toEqual([]);

  // Every server holds a share.
  const items = await Promise.all(pool.map((s) => currItems(s.port)));
  expect(items.reduce((a, b) => a + b, 0)).toBe(KEYS);
  for (const n of items) expect(n).toBeGreaterThan(KEYS * 0.15);

  // Which shard holds which key, asked of each server directly.
  const shardOf = new Array<number>(KEYS).fill(-1);
  for (let s = 0; s < 3; s++) {
    const direct = await pipeline(pool[s].port, all.map(getReq));
    direct.forEach((r, i) => {
      if (r === hit(i)) shardOf[i] = s;
    });
  }
  expect(shardOf.filter((s) => s < 0)).toEqual([]);

  await pool[STOPPED].stop();
  // Wait until the proxy has seen its connection to the stopped server close
  // (its first failure), so what follows does not race that event.
  const stopped = `s${STOPPED}`;
  const deadline = Date.now() + 10_000;
  while ((await proxyStats(proxy.statsPort)).pool[stopped].server_eof < 1) {
    if (Date.now() > deadline) throw new Error(`nutcracker never saw ${stopped} close; log:\n${proxy.log()}`);
    await sleep(50);
  }

  const deadKeys = all.filter((i) => shardOf[i] === STOPPED);
  const liveKeys = all.filter((i) => shardOf[i] !== STOPPED);
  // 1. Sequential probes, one request per round trip: the first failures
  //    (and, with ejection, the switch to the survivors) in order.
  const probe: string[] = [];
  const pc = await RawClient.connect(proxy.port);
  for (const i of deadKeys.slice(0, 5)) probe.push((await pc.request(getReq(i), "\r\n", 5000)).split("\r\n")[0]);
  for (const i of deadKeys.slice(5, 10)) probe.push((await pc.request(setReq(i), "\r\n", 5000)).trimEnd());
  pc.close();
  // 2. Every key read back, pipelined.
  const after = classify(await pipeline(proxy.port, all.map(getReq)), (i) => hit(i));
  // 3. New values set for every key, and read back.
  const v2 = (i: number) => `second-${i}`;
  const sets2 = await pipeline(proxy.port, all.map((i) => setReq(i, v2(i))));
  const gets2 = classify(await pipeline(proxy.port, all.map(getReq)), (i) => hit(i, v2(i)));
  await sleep(300); // three stats intervals: the counters have caught up
  const st = (await proxyStats(proxy.statsPort)).pool;
  const stats = {
    server_ejects: st.server_ejects,
    forward_error: st.forward_error,
    server_eof: st[stopped].server_eof,
    // Without ejection, one refused connect fails every request queued on it,
    // so server_err depends on how TCP cut the pipelined batches: not compared.
    server_err: autoEject ? st[stopped].server_err : null,
    ejected: st[stopped].server_ejected_at > 0,
  };
  await proxy.stop();
  for (const s of pool) await s.stop();

  const summary = (classes: string[]) => {
    const count = (keys: number[]) => {
      const m: Record<string, number> = {};
      for (const i of keys) m[classes[i]] = (m[classes[i]] ?? 0) + 1;
      return m;
    };
    return { dead: count(deadKeys), live: count(liveKeys) };
  };
  return {
    items,
    shardOf,
    probe,
    after,
    afterSummary: summary(after),
    sets2: sets2.map((r) => r.trimEnd()),
    sets2Summary: summary(sets2.map((r) => r.trimEnd())),
    gets2,
    gets2Summary: summary(gets2),
    stats,
  };
}

// The subject (wasmcached, or memcached under E2E_SERVER=memcached, which
// checks the test itself) is compared with Debian's memcached.
for (const autoEject of [false, true]) {
  test(`pool behind nutcracker, auto_eject_hosts ${autoEject}: ${subjectKind()} like memcached`, async () => {
    // In the test, not in beforeAll: a missing nutcracker fails it (no skip).
    nutcracker = requireTool("nutcracker", "apt-get install nutcracker");
    const mc = await scenario("memcached", autoEject);
    const wc = await scenario(subjectKind(), autoEject);
    if (process.env.NUTCRACKER_DEBUG) {
      for (const [n, o] of [["memcached", mc], [subjectKind(), wc]] as const) {
        const { items, probe, afterSummary, sets2Summary, gets2Summary, stats } = o;
        console.log(n, autoEject, JSON.stringify({ items, probe, afterSummary, sets2Summary, gets2Summary, stats }));
      }
    }
    // Same sharding (node names make it port-independent).
    expect(wc.shardOf).toEqual(mc.shardOf);
    expect(wc.items).toEqual(mc.items);
    // Same replies, key by key, after the stop, and the same proxy counters.
    expect(wc.probe).toEqual(mc.probe);
    expect(wc.after).toEqual(mc.after);
    expect(wc.sets2).toEqual(mc.sets2);
    expect(wc.gets2).toEqual(mc.gets2);
    expect(wc.stats).toEqual(mc.stats);

    // What nutcracker 0.5.0 does with memcached, pinned so that a change in
    // the reference is noticed. Surviving shards keep serving throughout.
    const dead = mc.items[STOPPED];
    expect(mc.afterSummary.live).toEqual({ HIT: KEYS - dead });
    expect(mc.sets2Summary.live).toEqual({ STORED: KEYS - dead });
    expect(mc.gets2Summary.live).toEqual({ HIT: KEYS - dead });
    if (autoEject) {
      // The closed connection was failure 1, the first request failure 2:
      // ejected; its keys re-hash to the survivors, where they are missing
      // (the five the probe set excepted), and new sets land there.
      expect(mc.probe).toEqual(["SERVER_ERROR Connection refused", ...Array(4).fill("END"), ...Array(5).fill("STORED")]);
      expect(mc.afterSummary.dead).toEqual({ MISS: dead - 5, HIT: 5 });
      expect(mc.sets2Summary.dead).toEqual({ STORED: dead });
      expect(mc.gets2Summary.dead).toEqual({ HIT: dead });
      expect(mc.stats).toMatchObject({ server_ejects: 1, server_eof: 1, ejected: true });
    } else {
      // Never ejected: every request for the dead shard is refused.
      expect(mc.probe).toEqual(Array(10).fill("SERVER_ERROR Connection refused"));
      expect(mc.afterSummary.dead).toEqual({ "SERVER_ERROR Connection refused": dead });
      expect(mc.sets2Summary.dead).toEqual({ "SERVER_ERROR Connection refused": dead });
      expect(mc.gets2Summary.dead).toEqual({ "SERVER_ERROR Connection refused": dead });
      expect(mc.stats).toMatchObject({ server_ejects: 0, server_eof: 1, ejected: false });
    }
  });
}
