// The RESP module end to end over kernel sockets: redis-cli, a real Node
// client (ioredis), values streamed larger than the output buffer, and one
// store shared with the memcached module (flags and expiry across protocols).
import { spawnSync } from "node:child_process";
import net from "node:net";
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { freePort, requireTool, startServer, type ServerHandle } from "../support/server.mjs";
import { startResp } from "./support.js";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** One memcached text exchange: send, read until `until` matches the reply. */
function memcached(port: number, request: string | Buffer, until: RegExp): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = net.connect({ port, host: "127.0.0.1" }, () => s.write(request));
    let got = "";
    const timer = setTimeout(() => { s.destroy(); reject(new Error(`memcached reply timed out: ${JSON.stringify(got.slice(0, 200))}`)); }, 5000);
    s.on("data", (d) => {
      got += d.toString("latin1");
      if (until.test(got)) { clearTimeout(timer); s.destroy(); resolve(got); }
    });
    s.on("error", reject);
  });
}

async function waitForPort(port: number): Promise<void> {
  for (let i = 0; i < 100; i++) {
    const ok = await new Promise<boolean>((r) => { const s = net.connect({ port, host: "127.0.0.1" }, () => { s.destroy(); r(true); }); s.once("error", () => r(false)); });
    if (ok) return;
    await sleep(50);
  }
  throw new Error(`port ${port} never accepted`);
}

describe("redis-cli and ioredis against the RESP module", () => {
  let server: ServerHandle;
  beforeAll(async () => { server = await startResp(); });
  afterAll(async () => { await server?.stop(); });

  it("redis-cli: commands and their printed replies", () => {
    const cli = requireTool("redis-cli", "apt-get install redis-tools");
    const run = (...args: string[]) => {
      const r = spawnSync(cli, ["-p", String(server.port), ...args], { encoding: "utf8", timeout: 10_000 });
      expect(r.status).toBe(0);
      return r.stdout;
    };
    expect(run("PING")).toBe("PONG\n");
    expect(run("SET", "cli:a", "hello world")).toBe("OK\n");
    expect(run("GET", "cli:a")).toBe("hello world\n");
    expect(run("--no-raw", "GET", "cli:nope")).toBe("(nil)\n");
    expect(run("INCRBY", "cli:n", "41")).toBe("41\n");
    expect(run("--no-raw", "MGET", "cli:a", "cli:nope", "cli:n")).toBe('1) "hello world"\n2) (nil)\n3) "41"\n');
    expect(run("SET", "cli:t", "v", "EX", "100")).toBe("OK\n");
    expect(Number(run("TTL", "cli:t"))).toBeGreaterThanOrEqual(99);
    expect(run("--no-raw", "LPOP", "x")).toMatch(/^\(error\) ERR unknown command 'LPOP', with args beginning with: 'x' \n$/);
    expect(run("INFO", "server")).toMatch(/redis_version:7\.0\.15\r?\n/);
    // a pipe of inline commands, as `redis-cli` users script it
    const r = spawnSync(cli, ["-p", String(server.port)], { input: "SET cli:p 1\nINCR cli:p\nGET cli:p\n", encoding: "utf8", timeout: 10_000 });
    expect(r.stdout).toBe("OK\n2\n2\n");
  });

  it("ioredis: the string commands, binary values, a pipeline, quit", async () => {
    const redis = new Redis({ port: server.port, host: "127.0.0.1", maxRetriesPerRequest: 1, retryStrategy: () => null });
    try {
      expect(await redis.ping()).toBe("PONG");
      expect(await redis.echo("echo me")).toBe("echo me");
      expect(await redis.set("io:a", "1")).toBe("OK");
      expect(await redis.set("io:a", "2", "NX")).toBeNull();
      expect(await redis.incr("io:a")).toBe(2);
      expect(await redis.incrby("io:a", 40)).toBe(42);
      expect(await redis.decrby("io:a", 2)).toBe(40);
      expect(await redis.decr("io:a")).toBe(39);
      expect(await redis.append("io:s", "foo")).toBe(3);
      expect(await redis.append("io:s", "bar")).toBe(6);
      expect(await redis.mset({ "io:m1": "x", "io:m2": "y" })).toBe("OK");
      expect(await redis.mget("io:m1", "io:nope", "io:m2", "io:s")).toEqual(["x", null, "y", "foobar"]);
      expect(await redis.exists("io:m1", "io:m2", "io:nope")).toBe(2);
      expect(await redis.expire("io:m1", 50)).toBe(1);
      expect(await redis.ttl("io:m1")).toBeGreaterThanOrEqual(49);
      expect(await redis.persist("io:m1")).toBe(1);
      expect(await redis.ttl("io:m1")).toBe(-1);
      expect(await redis.del("io:m1", "io:m2", "io:nope")).toBe(2);
      const binary = Buffer.from([0, 13, 10, 255, 36, 42, 13, 10, 0]);
      expect(await redis.set("io:bin", binary)).toBe("OK");
      expect((await redis.getBuffer("io:bin"))?.equals(binary)).toBe(true);
      const big = Buffer.alloc(12_000, "z");
      expect(await redis.set("io:big", big)).toBe("OK");
      expect((await redis.getBuffer("io:big"))?.equals(big)).toBe(true);
      await expect(redis.incr("io:s")).rejects.toThrow("ERR value is not an integer or out of range");
      const p = redis.pipeline();
      for (let i = 0; i < 200; i++) p.set(`io:p${i}`, String(i));
      for (let i = 0; i < 200; i++) p.get(`io:p${i}`);
      const results = (await p.exec()) ?? [];
      expect(results.slice(200).map(([, v]) => v)).toEqual(Array.from({ length: 200 }, (_, i) => String(i)));
      expect(await redis.quit()).toBe("OK");
    } finally {
      redis.disconnect();
    }
  });
});

describe("one store under memcached and RESP (--app memcached --app resp@PORT)", () => {
  let server: ServerHandle;
  let respPort: number;
  let redis: Redis;
  beforeAll(async () => {
    respPort = await freePort();
    server = await startServer("wasmcached", ["--app", "memcached", "--app", `resp@${respPort}`, "-t", "2"]);
    await waitForPort(respPort);
    redis = new Redis({ port: respPort, host: "127.0.0.1", maxRetriesPerRequest: 1, retryStrategy: () => null });
  });
  afterAll(async () => {
    redis?.disconnect();
    await server?.stop();
  });

  it("set through memcached, read through RESP, and back; flags kept or reset as documented", async () => {
    expect(await memcached(server.port, "set x:a 7 0 5\r\nhello\r\n", /\r\n$/)).toBe("STORED\r\n");
    expect(await redis.get("x:a")).toBe("hello");
    expect(await redis.ttl("x:a")).toBe(-1);
    expect(await redis.append("x:a", " world")).toBe(11);
    expect(await memcached(server.port, "get x:a\r\n", /END\r\n$/)).toBe("VALUE x:a 7 11\r\nhello world\r\nEND\r\n"); // APPEND keeps the flags
    expect(await redis.set("x:a", "fresh")).toBe("OK");
    expect(await memcached(server.port, "get x:a\r\n", /END\r\n$/)).toBe("VALUE x:a 0 5\r\nfresh\r\nEND\r\n"); // SET stores flags 0
    expect(await redis.incr("x:n")).toBe(1);
    expect(await memcached(server.port, "incr x:n 9\r\n", /\r\n$/)).toBe("10\r\n");
    expect(await redis.incrby("x:n", 5)).toBe(15);
    expect(await memcached(server.port, "delete x:n\r\n", /\r\n$/)).toBe("DELETED\r\n");
    expect(await redis.exists("x:n")).toBe(0);
  });

  it("expiry crosses protocols: memcached exptime seen as TTL, EX seen by memcached, both gone after it", async () => {
    expect(await memcached(server.port, "set x:e 0 2 1\r\nm\r\n", /\r\n$/)).toBe("STORED\r\n");
    const ttl = await redis.ttl("x:e");
    expect(ttl).toBeGreaterThanOrEqual(1);
    expect(ttl).toBeLessThanOrEqual(2);
    expect(await redis.set("x:r", "r", "EX", 2)).toBe("OK");
    expect(await memcached(server.port, "get x:r\r\n", /END\r\n$/)).toBe("VALUE x:r 0 1\r\nr\r\nEND\r\n");
    expect(await memcached(server.port, "touch x:r 100\r\n", /\r\n$/)).toBe("TOUCHED\r\n");
    expect(await redis.ttl("x:r")).toBeGreaterThanOrEqual(99);
    expect(await redis.expire("x:r", 2)).toBe(1);
    await sleep(3100); // whole seconds on both sides: past any rounding
    expect(await redis.get("x:e")).toBeNull();
    expect(await memcached(server.port, "get x:e x:r\r\n", /END\r\n$/)).toBe("END\r\n");
    expect(await redis.ttl("x:r")).toBe(-2);
  });

  it("streams values larger than the output buffer (set through memcached, read through RESP)", async () => {
    const big = Buffer.alloc(300_000);
    for (let i = 0; i < big.length; i++) big[i] = (i * 7 + 3) & 0xff;
    const req = Buffer.concat([Buffer.from(`set x:big 0 0 ${big.length}\r\n`), big, Buffer.from("\r\n")]);
    expect(await memcached(server.port, req, /\r\n$/)).toBe("STORED\r\n");
    expect((await redis.getBuffer("x:big"))?.equals(big)).toBe(true);
    const [a, missing, b] = (await redis.mgetBuffer("x:big", "x:none", "x:big")) as (Buffer | null)[];
    expect(a?.equals(big)).toBe(true);
    expect(missing).toBeNull();
    expect(b?.equals(big)).toBe(true);
  });

  it("FLUSHALL through RESP empties the memcached side too", async () => {
    expect(await memcached(server.port, "set x:f 0 0 1\r\nf\r\n", /\r\n$/)).toBe("STORED\r\n");
    expect(await redis.flushall()).toBe("OK");
    expect(await memcached(server.port, "get x:f\r\n", /END\r\n$/)).toBe("END\r\n");
  });
});
