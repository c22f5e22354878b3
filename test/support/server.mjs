// Starts a memcached-compatible server process on a free 127.0.0.1 port and
// stops it by PID. Builds nothing: `wasmcached` means dist/wasmcached.mjs as
// `npm run build` left it; `memcached` means Debian's binary on PATH.
// Shared by the tests (test/**) and the benchmarks (bench/**), hence plain JS.
import { spawn, spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import net from "node:net";
import { fileURLToPath } from "node:url";

export const repoRoot = fileURLToPath(new URL("../../", import.meta.url));
export const wasmcachedEntry = fileURLToPath(new URL("../../dist/wasmcached.mjs", import.meta.url));

/**
 * Which server the e2e and differential tests treat as the subject. Default
 * "wasmcached"; E2E_SERVER=memcached points every test at Debian's memcached,
 * which is how the tests themselves are validated.
 */
export function subjectKind() {
  const kind = process.env.E2E_SERVER ?? "wasmcached";
  if (kind !== "wasmcached" && kind !== "memcached") {
    throw new Error(`E2E_SERVER must be "wasmcached" or "memcached", not ${JSON.stringify(kind)}`);
  }
  return kind;
}

/** Absolute path of an executable on PATH, or null. */
export function which(name) {
  const r = spawnSync("sh", ["-c", `command -v ${name}`], { encoding: "utf8" });
  const path = r.stdout.trim();
  return r.status === 0 && path ? path : null;
}

/** Throws (never skips) when a tool the test needs is missing. */
export function requireTool(name, hint) {
  const path = which(name);
  if (!path) throw new Error(`required tool "${name}" not found on PATH${hint ? ` (${hint})` : ""}`);
  return path;
}

/** A TCP port that was free on 127.0.0.1 a moment ago. */
export function freePort() {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.on("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

function tryConnect(port) {
  return new Promise((resolve) => {
    const s = net.connect({ port, host: "127.0.0.1" });
    s.once("connect", () => {
      s.destroy();
      resolve(true);
    });
    s.once("error", () => resolve(false));
  });
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** The command line that starts `kind` on `port` with memcached-style `args`. */
export function serverCommand(kind, port, args = [], { cpu } = {}) {
  let argv;
  if (kind === "memcached") {
    // memcached refuses to run as root without -u; -U 0 turns UDP off.
    const asRoot = typeof process.getuid === "function" && process.getuid() === 0;
    argv = [requireTool("memcached", "apt-get install memcached"), "-p", String(port), "-l", "127.0.0.1", "-U", "0",
      ...(asRoot ? ["-u", "root"] : []), ...args];
  } else if (kind === "wasmcached") {
    if (!existsSync(wasmcachedEntry)) {
      throw new Error(`${wasmcachedEntry} does not exist: run \`npm run build\` first`);
    }
    argv = [process.execPath, wasmcachedEntry, "-p", String(port), "-l", "127.0.0.1", ...args];
  } else {
    throw new Error(`unknown server kind ${kind}`);
  }
  // taskset execs the server, so the PID we hold is the server's own.
  if (cpu !== undefined) argv = [requireTool("taskset", "util-linux"), "-c", String(cpu), ...argv];
  return argv;
}

/**
 * Starts a server and resolves once it accepts TCP connections.
 * @param {"memcached"|"wasmcached"} kind
 * @param {string[]} args extra memcached-style flags, e.g. ["-t", "2", "-m", "64"]
 * @param {{cpu?: number, timeoutMs?: number}} opts
 * @returns {Promise<{kind: string, port: number, pid: number, output: () => string, stop: () => Promise<void>}>}
 */
export async function startServer(kind, args = [], opts = {}) {
  const timeoutMs = opts.timeoutMs ?? 20000;
  let lastError;
  // A free port can be taken between freePort() and bind(): retry on early exit.
  for (let attempt = 0; attempt < 3; attempt++) {
    const port = await freePort();
    const argv = serverCommand(kind, port, args, opts);
    const child = spawn(argv[0], argv.slice(1), { stdio: ["ignore", "pipe", "pipe"], cwd: repoRoot });
    let output = "";
    child.stdout.on("data", (d) => (output += d));
    child.stderr.on("data", (d) => (output += d));
    let exited = null;
    // "error" (e.g. the binary cannot be run) may come without "exit".
    const exitPromise = new Promise((resolve) => {
      child.once("exit", (code, signal) => {
        exited = { code, signal };
        resolve();
      });
      child.once("error", (err) => {
        exited = { error: err.message };
        resolve();
      });
    });
    const deadline = Date.now() + timeoutMs;
    while (exited === null && Date.now() < deadline) {
      if (await tryConnect(port)) {
        const handle = {
          kind,
          port,
          pid: child.pid,
          argv,
          output: () => output,
          stop: () => stopProcess(child, exitPromise, () => exited !== null),
        };
        return handle;
      }
      await sleep(50);
    }
    if (exited === null) {
      await stopProcess(child, exitPromise, () => exited !== null);
      throw new Error(`${argv.join(" ")} did not accept connections within ${timeoutMs} ms; output:\n${output}`);
    }
    await exitPromise;
    lastError = new Error(`${argv.join(" ")} exited (${JSON.stringify(exited)}) before accepting; output:\n${output}`);
  }
  throw lastError;
}

/** SIGTERM by PID, SIGKILL by PID after 5 s; resolves when it has exited. */
async function stopProcess(child, exitPromise, hasExited) {
  if (hasExited()) return;
  try {
    process.kill(child.pid, "SIGTERM");
  } catch {
    return;
  }
  const killed = await Promise.race([exitPromise.then(() => true), sleep(5000).then(() => false)]);
  if (!killed && !hasExited()) {
    try {
      process.kill(child.pid, "SIGKILL");
    } catch {
      /* already gone */
    }
    await exitPromise;
  }
}
