// A wasmcached process a test or benchmark starts (plain JS, so bench/ can
// use it): output collected, ready when the output matches, stopped by PID
// (SIGTERM, then SIGKILL after a grace period).
import { spawn } from "node:child_process";
import { repoRoot, wasmcachedEntry } from "./server.mjs";

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** Runs `node dist/wasmcached.mjs args`; resolves once the output matches `ready` (rejects if it exits or times out first). */
export function startWasmcached(args, ready, opts = {}) {
  return startProcess(process.execPath, [wasmcachedEntry, ...args], ready, { name: "wasmcached", ...opts });
}

/**
 * Runs `cmd args` (opts.stopSignal, default SIGTERM, stops it); resolves
 * once the output matches `ready`, as startWasmcached.
 */
export async function startProcess(cmd, args, ready, opts = {}) {
  const name = opts.name ?? cmd;
  const child = spawn(cmd, args, { cwd: repoRoot, stdio: [opts.stdin ?? "ignore", "pipe", "pipe"] });
  let out = "";
  let stdout = "";
  child.stdout.on("data", (d) => {
    out += d;
    stdout += d;
  });
  child.stderr.on("data", (d) => (out += d));
  const exited = new Promise((resolve) => {
    child.once("exit", (code, signal) => resolve(code ?? signal ?? -1));
    child.once("error", (err) => resolve(`spawn error: ${err.message}`));
  });
  const running = () => child.exitCode === null && child.signalCode === null;
  const stop = async (graceMs = 5000) => {
    if (running()) {
      process.kill(child.pid, opts.stopSignal ?? "SIGTERM");
      const timer = setTimeout(() => {
        if (running()) process.kill(child.pid, "SIGKILL");
      }, graceMs);
      const code = await exited;
      clearTimeout(timer);
      return code;
    }
    return exited;
  };
  const timeoutMs = opts.timeoutMs ?? 20_000;
  const deadline = Date.now() + timeoutMs;
  while (!ready.test(out)) {
    if (!running()) throw new Error(`${name} ${args.join(" ")} exited (${child.exitCode ?? child.signalCode}) before ${ready}:\n${out}`);
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`${name} did not print ${ready} in ${timeoutMs} ms:\n${out}`);
    }
    await sleep(20);
  }
  return { child, exited, output: () => out, stdout: () => stdout, stop };
}
