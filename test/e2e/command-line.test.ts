// memcached's start-up flags on the real server: -s/-a (a UNIX socket), -P
// (the pid file), -d (detached), -u (another user), -B (one protocol), and
// the settings -b, -R and -o show in `stats settings`.
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { chmodSync, existsSync, lstatSync, mkdtempSync, readFileSync, readlinkSync, rmSync } from "node:fs";
import net from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { freePort, wasmcachedEntry } from "../support/server.mjs";

const dir = mkdtempSync(join(tmpdir(), "wasmcached-cli-e2e-"));
chmodSync(dir, 0o777); // -u nobody writes its pid file here
const started: ChildProcess[] = [];
const daemons: number[] = [];
afterAll(() => {
  for (const c of started) if (c.exitCode === null && c.signalCode === null) process.kill(c.pid!, "SIGKILL");
  for (const pid of daemons) if (alive(pid)) process.kill(pid, "SIGKILL");
  rmSync(dir, { recursive: true, force: true });
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const asRoot = process.getuid?.() === 0;

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

interface Running {
  readonly child: ChildProcess;
  readonly exited: Promise<number | string>;
  output(): string;
}

/** Starts wasmcached with `args`; resolves once it says it serves. */
function start(args: string[]): Promise<Running> {
  const child = spawn(process.execPath, [wasmcachedEntry, ...args], { stdio: ["ignore", "pipe", "pipe"] });
  started.push(child);
  let out = "";
  const exited = new Promise<number | string>((resolve) => child.once("exit", (code, signal) => resolve(code ?? signal ?? -1)));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`not serving after 20 s:\n${out}`)), 20_000);
    const onData = (d: Buffer) => {
      out += d.toString();
      if (/wasmcached: serving /.test(out)) {
        clearTimeout(timer);
        resolve({ child, exited, output: () => out });
      }
    };
    child.stdout!.on("data", onData);
    child.stderr!.on("data", onData);
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`exited (${code}) before serving:\n${out}`));
    });
  });
}

async function stop(r: Running): Promise<number | string> {
  process.kill(r.child.pid!, "SIGTERM");
  return r.exited;
}

/** Runs wasmcached to its end (for refusals, and -d whose command returns once the daemon serves). */
function runToEnd(args: string[]): Promise<{ status: number | null; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, [wasmcachedEntry, ...args], { stdio: ["ignore", "pipe", "pipe"] });
  started.push(child);
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
  child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
  // "close": both pipes are shut too (a daemon that kept them would hang this)
  return new Promise((resolve) => child.once("close", (status) => resolve({ status, stdout, stderr })));
}

/** Sends `request`, reads until the reply ends with `until` (or the server closes). */
function ask(to: net.NetConnectOpts, request: string | Buffer, until: string): Promise<{ reply: Buffer; closed: boolean }> {
  return new Promise((resolve, reject) => {
    const s = net.connect(to);
    const chunks: Buffer[] = [];
    const timer = setTimeout(() => {
      s.destroy();
      reject(new Error(`no reply ending in ${JSON.stringify(until)}: ${Buffer.concat(chunks).toString("latin1")}`));
    }, 5000);
    s.once("connect", () => s.write(request));
    s.on("data", (d) => {
      chunks.push(d);
      if (until !== "" && Buffer.concat(chunks).toString("latin1").endsWith(until)) {
        clearTimeout(timer);
        s.destroy();
        resolve({ reply: Buffer.concat(chunks), closed: false });
      }
    });
    s.once("close", () => {
      clearTimeout(timer);
      resolve({ reply: Buffer.concat(chunks), closed: true });
    });
    s.once("error", () => {});
  });
}

async function settings(to: net.NetConnectOpts): Promise<Map<string, string>> {
  const { reply } = await ask(to, "stats settings\r\n", "END\r\n");
  const m = new Map<string, string>();
  for (const line of reply.toString().split("\r\n")) {
    const [stat, name, ...value] = line.split(" ");
    if (stat === "STAT") m.set(name, value.join(" "));
  }
  return m;
}

async function waitGone(pid: number, ms = 15_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (alive(pid) && Date.now() < deadline) await sleep(50);
  expect(alive(pid), `pid ${pid} still running`).toBe(false);
}

/** The uid, gid and session of a running process, from /proc. */
function procIds(pid: number): { uid: number; gid: number; sid: number; groups: string } {
  const status = readFileSync(`/proc/${pid}/status`, "utf8");
  const field = (name: string) => (new RegExp(`^${name}:[ \\t]*(.*)$`, "m").exec(status)?.[1] ?? "").trim();
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  const afterComm = stat.slice(stat.lastIndexOf(")") + 2).split(" "); // state ppid pgrp session ...
  return { uid: Number(field("Uid").split(/\s+/)[1]), gid: Number(field("Gid").split(/\s+/)[1]), sid: Number(afterComm[3]), groups: field("Groups") };
}

describe("-s and -a: a UNIX socket", () => {
  it("serves on the socket with -a's permissions, reports it, and removes it at exit", async () => {
    const path = join(dir, "mc.sock");
    const server = await start(["-s", path, "-a", "770", "-t", "2"]);
    expect(server.output()).toContain(`serving memcached on unix:${path} (kernel sockets, 2 threads`);
    const st = lstatSync(path);
    expect(st.isSocket()).toBe(true);
    expect(st.mode & 0o777).toBe(0o770);
    const to = { path };
    expect((await ask(to, "set k 5 0 3\r\nabc\r\n", "\r\n")).reply.toString()).toBe("STORED\r\n");
    // several connections at once: each worker has a descriptor of the one socket
    const replies = await Promise.all(Array.from({ length: 8 }, () => ask(to, "get k\r\n", "END\r\n")));
    for (const r of replies) expect(r.reply.toString()).toBe("VALUE k 5 3\r\nabc\r\nEND\r\n");
    const s = await settings(to);
    expect(s.get("domain_socket")).toBe(path);
    expect(s.get("umask")).toBe("770");
    expect(s.get("inter")).toBe("NULL");
    expect(await stop(server)).toBe(0);
    expect(existsSync(path)).toBe(false);
  });

  it("defaults to mode 0700 and takes over a socket file a killed server left", async () => {
    const path = join(dir, "stale.sock");
    const first = await start(["-s", path, "-t", "1"]);
    process.kill(first.child.pid!, "SIGKILL");
    await first.exited;
    expect(lstatSync(path).isSocket()).toBe(true);
    const second = await start(["-s", path, "-t", "1"]);
    expect(lstatSync(path).mode & 0o777).toBe(0o700);
    expect((await ask({ path }, "version\r\n", "\r\n")).reply.toString()).toBe("VERSION 1.6.18\r\n");
    expect(await stop(second)).toBe(0);
  });

  it("says which socket it cannot listen on", async () => {
    const r = await runToEnd(["-s", join(dir, "no-such-dir", "mc.sock")]);
    expect(r.status).toBe(71);
    expect(r.stderr).toContain(`failed to listen on UNIX socket: ${join(dir, "no-such-dir", "mc.sock")}: bind: No such file or directory`);
  });
});

describe("-P: the pid file", () => {
  it("holds the pid while serving and is removed at exit", async () => {
    const pidFile = join(dir, "mc.pid");
    const port = await freePort();
    const server = await start(["-p", String(port), "-P", pidFile, "-t", "1"]);
    expect(readFileSync(pidFile, "utf8")).toBe(`${server.child.pid}\n`);
    expect(await stop(server)).toBe(0);
    expect(existsSync(pidFile)).toBe(false);
  });
});

describe("-d: detached", () => {
  it("returns once the daemon serves; the daemon has its own session, / and /dev/null, and stops on SIGTERM", async () => {
    const pidFile = join(dir, "daemon.pid");
    const port = await freePort();
    const t0 = Date.now();
    const r = await runToEnd(["-d", "-p", String(port), "-l", "127.0.0.1", "-P", pidFile, "-t", "1"]);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toBe(""); // memcached -d prints nothing either
    expect(Date.now() - t0).toBeLessThan(20_000);
    const pid = Number(readFileSync(pidFile, "utf8"));
    daemons.push(pid);
    expect(alive(pid)).toBe(true);
    expect(procIds(pid).sid).toBe(pid); // a session leader: no controlling terminal
    expect(readlinkSync(`/proc/${pid}/cwd`)).toBe("/");
    expect(readlinkSync(`/proc/${pid}/fd/1`)).toBe("/dev/null");
    expect(readlinkSync(`/proc/${pid}/fd/2`)).toBe("/dev/null");
    const to = { port, host: "127.0.0.1" };
    expect((await ask(to, "set d 0 0 2\r\nok\r\nget d\r\n", "END\r\n")).reply.toString()).toBe("STORED\r\nVALUE d 0 2\r\nok\r\nEND\r\n");
    expect((await settings(to)).get("pid")).toBe(undefined); // (pid is in `stats`, not settings)
    const { reply } = await ask(to, "stats\r\n", "END\r\n");
    expect(reply.toString()).toContain(`STAT pid ${pid}\r\n`);
    process.kill(pid, "SIGTERM");
    await waitGone(pid);
    expect(existsSync(pidFile)).toBe(false);
  });

  it("reports a daemon that cannot start, with its exit status", async () => {
    const blocker = net.createServer();
    await new Promise<void>((resolve) => blocker.listen(0, "127.0.0.1", resolve));
    const port = (blocker.address() as net.AddressInfo).port;
    try {
      const r = await runToEnd(["-d", "-p", String(port), "-l", "127.0.0.1", "-t", "1"]);
      expect(r.status).toBe(71);
      expect(r.stderr).toContain(`cannot listen on 127.0.0.1:${port}, the port is in use`);
    } finally {
      blocker.close();
    }
  });
});

describe("-u: another user after set-up", () => {
  it(asRoot ? "as root: serves as the user, who owns the socket and the pid file" : "not root: is ignored", async () => {
    const path = join(dir, "user.sock");
    const pidFile = join(dir, "user.pid");
    const server = await start(["-s", path, "-u", "nobody", "-P", pidFile, "-t", "2", "-v"]);
    const pid = server.child.pid!;
    const ids = procIds(pid);
    if (asRoot) {
      expect(server.output()).toContain("wasmcached: running as nobody");
      expect(ids).toMatchObject({ uid: 65534, gid: 65534, groups: "" });
      expect(lstatSync(path).uid).toBe(65534);
      expect(lstatSync(pidFile).uid).toBe(65534);
    } else {
      expect(server.output()).toContain("-u nobody ignored: not running as root");
      expect(ids.uid).toBe(process.getuid!());
    }
    expect((await ask({ path }, "version\r\n", "\r\n")).reply.toString()).toBe("VERSION 1.6.18\r\n");
    expect(await stop(server)).toBe(0);
    expect(existsSync(pidFile)).toBe(false);
    expect(existsSync(path)).toBe(false);
  });

  it("as root, refuses an unknown user as memcached does (EX_NOUSER)", async () => {
    const args = ["-p", "0", "-u", "no-such-user-here", "-t", "1"];
    if (asRoot) {
      const r = await runToEnd(args);
      expect(r.status).toBe(67);
      expect(r.stderr).toContain("wasmcached: can't find the user no-such-user-here to switch to");
    } else {
      expect(await stop(await start(args))).toBe(0); // without root -u is not even looked up, as memcached
    }
  });

  it("as root without -u, says how to drop privileges (memcached would refuse to run)", async () => {
    const server = await start(["-p", "0", "-t", "1"]);
    await sleep(200);
    if (asRoot) expect(server.output()).toContain("wasmcached: running as root: give -u USER");
    else expect(server.output()).not.toContain("running as root");
    await stop(server);
  });
});

describe("-B, -b, -R, -o, -k, -L, -C, -U 0 on a running server", () => {
  const versionRequest = Buffer.from([0x80, 0x0b, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]);

  it("-B binary: binary requests only; a text line (once a header's 24 bytes are in) closes the connection, as memcached", async () => {
    const port = await freePort();
    const server = await start(["-p", String(port), "-l", "127.0.0.1", "-B", "binary", "-t", "1"]);
    const to = { port, host: "127.0.0.1" };
    const text = await ask(to, "get a_rather_long_key_name_here\r\n", "");
    expect(text).toEqual({ reply: Buffer.alloc(0), closed: true });
    const bin = await ask(to, versionRequest, "1.6.18");
    expect(bin.reply[0]).toBe(0x81);
    expect(bin.reply.subarray(24).toString()).toBe("1.6.18");
    await stop(server);
  });

  it("-B ascii: a binary request is read as text", async () => {
    const port = await freePort();
    const server = await start(["-p", String(port), "-l", "127.0.0.1", "-B", "ascii", "-t", "1"]);
    const to = { port, host: "127.0.0.1" };
    const { reply } = await ask(to, Buffer.concat([versionRequest, Buffer.from("\r\nversion\r\n")]), "VERSION 1.6.18\r\n");
    expect(reply.toString("latin1")).toBe("ERROR\r\nVERSION 1.6.18\r\n");
    expect((await settings(to)).get("binding_protocol")).toBe("ascii");
    await stop(server);
  });

  it("shows -b, -R, -o, -C and -B auto in stats settings, and warns for -k", async () => {
    const port = await freePort();
    const server = await start(["-p", String(port), "-l", "127.0.0.1", "-t", "1", "-b", "64", "-R", "5", "-U", "0", "-L", "-k", "-C",
      "-o", "no_lru_crawler,lru_crawler_sleep=7,lru_crawler_tocrawl=9,slab_automove=2,modern"]);
    const s = await settings({ port, host: "127.0.0.1" });
    expect(Object.fromEntries([...s].filter(([k]) => [
      "tcp_backlog", "reqs_per_event", "binding_protocol", "lru_crawler", "lru_crawler_sleep", "lru_crawler_tocrawl",
      "slab_automove", "domain_socket", "umask", "cas_enabled", "udpport",
    ].includes(k)))).toEqual({
      tcp_backlog: "64", reqs_per_event: "5", binding_protocol: "auto-negotiate", lru_crawler: "no", lru_crawler_sleep: "7",
      lru_crawler_tocrawl: "9", slab_automove: "2", domain_socket: "NULL", umask: "700", cas_enabled: "no", udpport: "0",
    });
    expect(server.output()).toContain("wasmcached: warning: -k invalid, mlockall() not supported on this platform.  proceeding without.");
    await stop(server);
  });
});

describe("refused at parse time", () => {
  it.each([
    [["-t", "65"], "wasmcached: -t: 65 threads is more than the store serves (at most 64, one core each)"],
    [["-U", "11211"], "wasmcached: -U 11211: memcached's UDP protocol is not served"],
    [["-B", "text"], "wasmcached: Invalid value for binding protocol: text\n -- should be one of auto, binary, or ascii"],
    [["-o", "nope"], 'wasmcached: Illegal suboption "nope"'],
    [["-R", "0"], "wasmcached: Number of requests per event must be greater than 0"],
  ])("%j", (argv, message) => {
    const r = spawnSync(process.execPath, [wasmcachedEntry, ...argv], { encoding: "utf8" });
    expect(r.status).toBe(64);
    expect(r.stderr.startsWith(message), r.stderr).toBe(true);
  });
});
