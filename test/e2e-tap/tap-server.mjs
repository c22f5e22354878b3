// The TAP end-to-end harness, shared by test/e2e-tap/*.test.ts and
// bench/tap.mjs (hence plain JS): wasmcached serving on a TAP device through
// its userspace TCP/IP stack, the Linux kernel as the peer inside a network
// namespace this harness makes.
//
// The server creates the TAP (in the root namespace); once it prints its
// banner the harness moves the interface into the namespace
// `wc-e2e-<pid>-<n>` (the server's fd keeps working), addresses it
// 10.<a>.<b>.1/24 there and brings it up; the server is 10.<a>.<b>.2. Clients
// run inside the namespace (`ip netns exec`), so nothing outside it sees
// these addresses. stop() ends the server by PID (the TAP goes with its fd)
// and deletes the namespace.
//
// Needs root, /dev/net/tun and iproute2: without them startTapServer throws,
// so the tests fail rather than skip.
import { spawn, spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { repoRoot, requireTool, wasmcachedEntry } from "../support/server.mjs";

/** Debian's interpreter: a pyenv or venv python cannot see python3-pymemcache. */
export const python = "/usr/bin/python3";
export const PORT = 11211;

let instances = 0;
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

function ip(args) {
  const r = spawnSync("ip", args, { encoding: "utf8" });
  if (r.error) throw new Error(`ip ${args.join(" ")}: ${r.error.message} (apt-get install iproute2)`);
  if (r.status !== 0) throw new Error(`ip ${args.join(" ")} exited ${r.status}: ${r.stderr}`);
}

/** Throws unless this process can make namespaces and TAP devices and run the server. */
export function requireTapPrivileges() {
  if (typeof process.getuid !== "function" || process.getuid() !== 0) {
    throw new Error("the TAP e2e tests need root (network namespaces and a TAP device)");
  }
  if (!existsSync("/dev/net/tun")) throw new Error("/dev/net/tun is missing (modprobe tun)");
  ip(["-V"]);
  if (!existsSync(wasmcachedEntry)) throw new Error(`${wasmcachedEntry} does not exist: run \`npm run build\` first`);
  if (!existsSync(python)) throw new Error(`${python} not found (apt-get install python3)`);
}

/** Runs `ip netns exec ns argv` to completion without blocking the event loop. */
export function execIn(ns, argv, timeoutMs) {
  return new Promise((resolve) => {
    const c = spawn("ip", ["netns", "exec", ns, ...argv], { stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    c.stdout.on("data", (d) => (stdout += d));
    c.stderr.on("data", (d) => (stderr += d));
    const timer = setTimeout(() => {
      stderr += `\n(killed after ${timeoutMs} ms)`;
      c.kill("SIGKILL");
    }, timeoutMs);
    c.once("close", (status) => {
      clearTimeout(timer);
      resolve({ status, stdout, stderr });
    });
  });
}

/**
 * Starts `wasmcached --tap IF --ip 10.a.b.2/24 -p 11211 ...args` and puts the
 * TAP's kernel side in a fresh namespace. `cpu` pins the server (taskset).
 */
export async function startTapServer(args, { cpu } = {}) {
  requireTapPrivileges();
  const n = instances++;
  const ns = `wc-e2e-${process.pid}-${n}`;
  const ifname = `wct${process.pid % 1_000_000}x${n}`.slice(0, 15);
  // 10.<a>.<b>.0/24 from the pid; only inside our namespace anyway.
  const a = 100 + ((process.pid >> 8) % 100);
  const b = ((process.pid & 0xff) + n * 37) % 256;
  const serverIp = `10.${a}.${b}.2`;
  const kernelIp = `10.${a}.${b}.1`;
  ip(["netns", "add", ns]);
  let child;
  let exited;
  let out = "";
  const cleanup = async () => {
    let code = "not started";
    if (child && exited) {
      if (child.exitCode === null && child.signalCode === null) {
        process.kill(child.pid, "SIGTERM");
        const timer = setTimeout(() => {
          if (child.exitCode === null && child.signalCode === null) process.kill(child.pid, "SIGKILL");
        }, 5000);
        code = await exited;
        clearTimeout(timer);
      } else {
        code = await exited;
      }
    }
    spawnSync("ip", ["netns", "del", ns]);
    spawnSync("ip", ["link", "del", ifname], { stdio: "ignore" }); // only there if the move never happened
    return code;
  };
  try {
    let argv = [process.execPath, wasmcachedEntry, "--tap", ifname, "--ip", `${serverIp}/24`, "-p", String(PORT), ...args];
    // taskset execs the server, so the PID we hold is the server's own.
    if (cpu !== undefined) argv = [requireTool("taskset", "util-linux"), "-c", String(cpu), ...argv];
    child = spawn(argv[0], argv.slice(1), { cwd: repoRoot, stdio: ["ignore", "pipe", "pipe"] });
    child.stdout.on("data", (d) => (out += d));
    child.stderr.on("data", (d) => (out += d));
    exited = new Promise((resolve) => {
      child.once("exit", (code, signal) => resolve(code ?? signal ?? -1));
      child.once("error", (err) => resolve(`spawn error: ${err.message}`));
    });
    const deadline = Date.now() + 20_000;
    while (!/serving \S+ on /.test(out)) {
      if (child.exitCode !== null || child.signalCode !== null) throw new Error(`server exited before serving:\n${out}`);
      if (Date.now() > deadline) throw new Error(`server did not start in 20 s:\n${out}`);
      await sleep(20);
    }
    ip(["link", "set", ifname, "netns", ns]);
    ip(["-n", ns, "addr", "add", `${kernelIp}/24`, "dev", ifname]);
    ip(["-n", ns, "link", "set", "lo", "up"]);
    ip(["-n", ns, "link", "set", ifname, "up"]);
  } catch (err) {
    await cleanup();
    throw err;
  }
  return {
    ns,
    ifname,
    ip: serverIp,
    kernelIp,
    port: PORT,
    pid: child.pid,
    output: () => out,
    exec: (argv, timeoutMs = 60_000) => execIn(ns, argv, timeoutMs),
    stop: cleanup,
  };
}

/** A client run's outputs and the server's, for assertion messages. */
export function report(r, server) {
  return `--- client stdout\n${r.stdout}\n--- client stderr\n${r.stderr}\n--- server\n${server.output()}`;
}
