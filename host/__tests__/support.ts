// Shared by the host's tests: the built server, started on a free port.
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";

export const repoRoot = fileURLToPath(new URL("../../", import.meta.url));
export const bundle = fileURLToPath(new URL("../../dist/wasmcached.mjs", import.meta.url));
const echoWasm = fileURLToPath(new URL("../../dist/echo.wasm", import.meta.url));

/** Builds (asc + esbuild) when dist/ lacks what the tests run; never skips. */
export function ensureBuilt(): void {
  if (existsSync(bundle) && existsSync(echoWasm)) return;
  const r = spawnSync(process.execPath, ["host/build.mjs"], { cwd: repoRoot, encoding: "utf8" });
  if (r.status !== 0) throw new Error(`npm run build failed:\n${r.stdout}${r.stderr}`);
}

export interface Server {
  readonly child: ChildProcess;
  readonly port: number;
  output(): string;
  /** Resolves with the exit code (or signal name). */
  readonly exited: Promise<number | string>;
}

/** Starts `node dist/wasmcached.mjs -p 0 --app echo ...args`; resolves once it printed its port. */
export function startEcho(args: string[], app = "echo"): Promise<Server> {
  const child = spawn(process.execPath, [bundle, "-p", "0", "-l", "127.0.0.1", "--app", app, ...args], {
    cwd: repoRoot,
    stdio: ["ignore", "pipe", "pipe"],
  });
  let out = "";
  const exited = new Promise<number | string>((resolve) => child.once("exit", (code, signal) => resolve(code ?? signal ?? -1)));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`server did not start in 15 s:\n${out}`));
    }, 15000);
    const onData = (d: Buffer) => {
      out += d.toString();
      const m = /serving \S+ on 127\.0\.0\.1:(\d+)/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve({ child, port: Number(m[1]), output: () => out, exited });
      }
    };
    child.stdout!.on("data", onData);
    child.stderr!.on("data", (d: Buffer) => (out += d.toString()));
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`server exited (${code}) before serving:\n${out}`));
    });
  });
}

/** SIGTERM by PID; SIGKILL by PID if it has not exited after `ms`. */
export async function stop(server: Server, ms = 5000): Promise<number | string> {
  if (server.child.exitCode !== null || server.child.signalCode !== null) return server.exited;
  process.kill(server.child.pid!, "SIGTERM");
  const timer = setTimeout(() => {
    if (server.child.exitCode === null) process.kill(server.child.pid!, "SIGKILL");
  }, ms);
  const code = await server.exited;
  clearTimeout(timer);
  return code;
}
