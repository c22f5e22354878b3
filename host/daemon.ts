// -d: run in the background, as memcached's daemon() does, on Node.js,
// which cannot fork: the command starts itself again detached (a new
// session, no terminal, stdin on /dev/null) and waits until that copy
// serves. Unlike memcached, whose errors after the fork are lost, what
// the copy says before it serves reaches the caller's stderr, and a copy
// that fails to start makes the command fail with its exit status. Once
// serving, the copy's stdout and stderr go to /dev/null (kept with -v, as
// memcached keeps them), it leaves its directory for / and ignores SIGHUP.
import { spawn } from "node:child_process";
import { EX_OSERR } from "./errors.js";
import { libc, O_RDWR } from "./libc.js";

/** Set in the detached copy's environment. */
const CHILD_ENV = "WASMCACHED_DAEMON_CHILD";

/** Message the copy sends when it serves. */
interface Ready {
  readonly type: "wasmcached-daemon-ready";
}

/** True in the detached copy started by `daemonize`. */
export function isDaemonChild(): boolean {
  return process.env[CHILD_ENV] === "1" && typeof process.send === "function";
}

/**
 * In the command the operator ran: starts the detached copy with the same
 * arguments; resolves with 0 once it serves, or with its exit status if it
 * stops before that.
 */
export function daemonize(argv: readonly string[], verbose: boolean): Promise<number> {
  const script = process.argv[1];
  const child = spawn(process.execPath, [...process.execArgv, script, ...argv], {
    detached: true,
    stdio: verbose ? ["ignore", "inherit", "inherit", "ipc"] : ["ignore", "ignore", "pipe", "ipc"],
    env: { ...process.env, [CHILD_ENV]: "1" },
  });
  child.stderr?.on("data", (d: Buffer) => process.stderr.write(d));
  return new Promise((resolve) => {
    child.once("error", (err) => {
      process.stderr.write(`wasmcached: failed to start the daemon: ${err.message}\n`);
      resolve(EX_OSERR);
    });
    child.once("exit", (code, signal) => resolve(code ?? (signal ? 128 : 1)));
    child.on("message", (m: Ready) => {
      if (m?.type !== "wasmcached-daemon-ready") return;
      child.removeAllListeners("exit");
      child.stderr?.destroy();
      child.disconnect();
      child.unref();
      resolve(0);
    });
  });
}

/**
 * In the detached copy, first thing: the command may be gone (killed while
 * waiting), and writing to the pipe it read would fail with EPIPE; that
 * must not stop the daemon.
 */
export function prepareDaemonChild(): void {
  process.stdout.on("error", () => {});
  process.stderr.on("error", () => {});
  process.on("disconnect", () => {});
}

/** In the detached copy, once it serves: tell the command, and let go of its terminal's streams and directory. */
export function daemonReady(verbose: boolean): void {
  process.on("SIGHUP", () => {}); // no terminal to hang up on; memcached ignores it too
  if (!verbose) {
    const c = libc();
    const devNull = c.open("/dev/null", O_RDWR);
    if (devNull >= 0) {
      c.dup2(devNull, 1);
      c.dup2(devNull, 2);
      if (devNull > 2) c.close(devNull);
    }
  }
  process.chdir("/");
  if (!process.connected) return; // the command is gone: nobody to tell
  process.send?.({ type: "wasmcached-daemon-ready" } satisfies Ready, undefined, undefined, () => {
    if (process.connected) process.disconnect?.();
  });
}
