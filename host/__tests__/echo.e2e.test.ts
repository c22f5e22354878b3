// The whole process: dist/wasmcached.mjs with the echo module, real sockets
// on 127.0.0.1, stopped with SIGTERM by PID.
import { spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import net from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { EX_OSERR, EX_SOFTWARE } from "../errors.js";
import { type Server, bundle, ensureBuilt, repoRoot, startEcho, stop } from "./support.js";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function connect(port: number): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const s = net.connect({ port, host: "127.0.0.1" });
    s.once("connect", () => resolve(s));
    s.once("error", reject);
  });
}

/** Sends data and resolves with what comes back once as many bytes arrived. `pauseMs` delays reading (back-pressure). */
async function echo(port: number, data: Buffer, pauseMs = 0): Promise<Buffer> {
  const s = await connect(port);
  if (pauseMs > 0) s.pause();
  const chunks: Buffer[] = [];
  let got = 0;
  const done = new Promise<Buffer>((resolve, reject) => {
    s.on("data", (d: Buffer) => {
      chunks.push(d);
      got += d.length;
      if (got >= data.length) {
        s.end();
        resolve(Buffer.concat(chunks));
      }
    });
    s.once("error", reject);
    s.once("close", () => reject(new Error(`closed after ${got} of ${data.length} bytes`)));
  });
  s.write(data);
  if (pauseMs > 0) setTimeout(() => s.resume(), pauseMs);
  return done;
}

/** Resolves true if the server closes the connection without sending anything within ms. */
function closedByServer(s: net.Socket, ms: number): Promise<boolean> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(false), ms);
    s.once("data", () => resolve(false));
    s.once("close", () => {
      clearTimeout(timer);
      resolve(true);
    });
    s.once("error", () => {});
  });
}

let server: Server | undefined;
beforeAll(ensureBuilt);
afterEach(async () => {
  if (server) await stop(server);
  server = undefined;
});

describe("wasmcached with the echo module", () => {
  it("echoes 1 MiB byte for byte on one thread, and exits 0 on SIGTERM", async () => {
    server = await startEcho(["-t", "1"]);
    expect(server.output()).toMatch(/serving echo on 127\.0\.0\.1:\d+ \(kernel sockets, 1 thread, 64 MB\)/);
    const data = randomBytes(1 << 20);
    expect((await echo(server.port, data)).equals(data)).toBe(true);
    const t0 = Date.now();
    expect(await stop(server)).toBe(0);
    expect(Date.now() - t0).toBeLessThan(2000);
  });

  it("keeps order under back-pressure (a client that does not read for a while)", async () => {
    server = await startEcho(["-t", "1"]);
    const data = randomBytes(8 << 20);
    expect((await echo(server.port, data, 500)).equals(data)).toBe(true);
  });

  it("serves many connections across two threads", async () => {
    server = await startEcho(["-t", "2", "-c", "64", "-vv"]);
    expect(server.output()).toContain("(32 connections each)");
    const datas = Array.from({ length: 40 }, (_, i) => randomBytes(1000 + i * 3000));
    const replies = await Promise.all(datas.map((d) => echo(server!.port, d)));
    replies.forEach((r, i) => expect(r.equals(datas[i])).toBe(true));
    await sleep(100);
    // SO_REUSEPORT spread them: both workers took some (all 40 on one has odds 2^-39).
    expect(server.output()).toMatch(/new client connection \(core 0,/);
    expect(server.output()).toMatch(/new client connection \(core 1,/);
  });

  it("closes connections past -c at once, and takes new ones when a slot frees", async () => {
    server = await startEcho(["-t", "1", "-c", "2"]);
    const a = await connect(server.port);
    const b = await connect(server.port);
    const c = await connect(server.port);
    expect(await closedByServer(c, 2000)).toBe(true);
    a.destroy();
    await sleep(200);
    const data = randomBytes(5000);
    expect((await echo(server.port, data)).equals(data)).toBe(true);
    b.destroy();
  });

  it("closes open connections and exits 0 on SIGTERM", async () => {
    server = await startEcho(["-t", "2"]);
    const socks = await Promise.all([1, 2, 3, 4].map(() => connect(server!.port)));
    const closed = socks.map((s) => closedByServer(s, 3000));
    expect(await stop(server)).toBe(0);
    expect(await Promise.all(closed)).toEqual([true, true, true, true]);
  });
});

describe("a fixed port", () => {
  it("is shared by the threads, and a second wasmcached on it is refused (no silent SO_REUSEPORT join)", async () => {
    const probe = net.createServer();
    await new Promise<void>((r) => probe.listen(0, "127.0.0.1", r));
    const port = (probe.address() as net.AddressInfo).port;
    await new Promise<void>((r) => probe.close(() => r()));
    server = await startEcho(["-p", String(port), "-t", "2"]);
    expect(server.port).toBe(port);
    const data = randomBytes(100_000);
    expect((await echo(port, data)).equals(data)).toBe(true);
    const second = spawnSync(process.execPath, [bundle, "-p", String(port), "-l", "127.0.0.1", "-t", "2", "--app", "echo"], {
      cwd: repoRoot, encoding: "utf8", timeout: 15000,
    });
    expect(second.status).toBe(EX_OSERR);
    expect(second.stderr).toMatch(/the port is in use/);
    expect((await echo(port, data)).equals(data)).toBe(true); // the first one still serves
  });
});

describe("wasmcached start-up errors", () => {
  it("says the port is in use and exits non-zero", async () => {
    const holder = net.createServer();
    await new Promise<void>((r) => holder.listen(0, "127.0.0.1", r));
    const port = (holder.address() as net.AddressInfo).port;
    try {
      const r = spawnSync(process.execPath, [bundle, "-p", String(port), "-l", "127.0.0.1", "-t", "1", "--app", "echo"], {
        cwd: repoRoot, encoding: "utf8", timeout: 15000,
      });
      expect(r.status).toBe(EX_OSERR);
      expect(r.stderr).toMatch(new RegExp(`cannot listen on 127\\.0\\.0\\.1:${port}, the port is in use`));
    } finally {
      holder.close();
    }
  });

  it("reports a missing protocol module", () => {
    const r = spawnSync(process.execPath, [bundle, "-p", "0", "-t", "1", "--app", "nosuchapp"], {
      cwd: repoRoot, encoding: "utf8", timeout: 15000,
    });
    expect(r.status).toBe(EX_SOFTWARE);
    expect(r.stderr).toMatch(/nosuchapp\.wasm not found: run `npm run build`/);
  });

  it("refuses a configuration over 4 GiB before listening", () => {
    const r = spawnSync(process.execPath, [bundle, "-p", "0", "-t", "4", "-c", "400000", "--app", "echo"], {
      cwd: repoRoot, encoding: "utf8", timeout: 15000,
    });
    expect(r.status).toBe(78);
    expect(r.stderr).toMatch(/at most 4096 MiB/);
  });

});

describe("a failing protocol module", () => {
  let dir: string;
  let wasm: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), "wasmcached-trap-"));
    wasm = join(dir, "trap.wasm");
    const asc = spawnSync(process.execPath, [join(repoRoot, "node_modules/assemblyscript/bin/asc.js"),
      "host/__tests__/fixtures/trap-app.ts", "--config", "asconfig.json", "--target", "release",
      "--memoryBase", "262144", "-o", wasm], { cwd: repoRoot, encoding: "utf8" });
    expect(asc.status, asc.stderr).toBe(0);
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("ends the process with 70 and the reason when a worker traps", async () => {
    server = await startEcho(["-t", "2"], wasm);
    const s = await connect(server.port);
    s.on("error", () => {});
    s.write("boom");
    const code = await Promise.race([server.exited, sleep(5000).then(() => "hung")]);
    expect(code).toBe(EX_SOFTWARE);
    expect(server.output()).toMatch(/wasmcached: worker \d failed: unreachable/);
    s.destroy();
  });

  it("ends the process with 70 when a worker cannot start", () => {
    const r = spawnSync(process.execPath, [bundle, "-p", "0", "-t", "2", "-vvv", "--app", wasm], {
      cwd: repoRoot, encoding: "utf8", timeout: 15000,
    });
    expect(r.status).toBe(EX_SOFTWARE);
    expect(r.stderr).toMatch(/wasmcached: worker \d failed: core \d: trap\.wasm app_init returned -7/);
    expect(r.stdout).not.toContain("serving");
  });
});
