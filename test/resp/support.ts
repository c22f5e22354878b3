// RESP test plumbing: Debian's redis-server as the reference, our server with
// the resp module, a raw client that reads whole RESP2 replies.
import { spawn } from "node:child_process";
import net from "node:net";
import { freePort, requireTool, startServer, type ServerHandle } from "../support/server.mjs";

/** End of the RESP2 reply starting at `pos`, or -1 while incomplete. */
export function replyEnd(buf: Buffer, pos = 0, depth = 0): number {
  if (pos >= buf.length || depth > 8) return -1;
  const nl = buf.indexOf("\r\n", pos);
  if (nl < 0) return -1;
  const kind = String.fromCharCode(buf[pos]);
  if (kind === "+" || kind === "-" || kind === ":") return nl + 2;
  const n = Number(buf.toString("latin1", pos + 1, nl));
  if (kind === "$") return n < 0 ? nl + 2 : buf.length >= nl + 2 + n + 2 ? nl + 2 + n + 2 : -1;
  if (kind === "*") {
    let at = nl + 2;
    for (let i = 0; i < n; i++) {
      at = replyEnd(buf, at, depth + 1);
      if (at < 0) return -1;
    }
    return at;
  }
  throw new Error(`not a RESP2 reply: ${JSON.stringify(buf.toString("latin1", pos, pos + 40))}`);
}

/** RESP2 multibulk encoding of a command. */
export function encode(args: readonly (string | Buffer)[]): Buffer {
  const parts: Buffer[] = [Buffer.from(`*${args.length}\r\n`)];
  for (const a of args) {
    const b = typeof a === "string" ? Buffer.from(a, "latin1") : a;
    parts.push(Buffer.from(`$${b.length}\r\n`), b, Buffer.from("\r\n"));
  }
  return Buffer.concat(parts);
}

/** A connection that sends bytes and reads back a given number of whole replies (or EOF). */
export class RespConn {
  private buf = Buffer.alloc(0);
  private wake: (() => void) | null = null;
  closed = false;

  private constructor(private readonly sock: net.Socket) {
    sock.setNoDelay(true);
    sock.on("data", (d: Buffer) => { this.buf = Buffer.concat([this.buf, d]); this.wake?.(); });
    const end = () => { this.closed = true; this.wake?.(); };
    sock.on("close", end);
    sock.on("error", end);
  }

  static open(port: number): Promise<RespConn> {
    return new Promise((resolve, reject) => {
      const s = net.connect({ port, host: "127.0.0.1" }, () => { s.removeListener("error", reject); resolve(new RespConn(s)); });
      s.once("error", reject);
    });
  }

  /** Sends `bytes`, resolves with the bytes of `count` replies (fewer if the server closes or 3 s pass). */
  async request(bytes: Buffer, count = 1, timeoutMs = 3000): Promise<Buffer> {
    this.sock.write(bytes);
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      let at = 0;
      let got = 0;
      while (got < count) {
        const e = replyEnd(this.buf, at);
        if (e < 0) break;
        at = e;
        got++;
      }
      if (got === count || this.closed || Date.now() > deadline) {
        const out = this.buf.subarray(0, at);
        this.buf = this.buf.subarray(at);
        return Buffer.from(out);
      }
      await new Promise<void>((r) => { this.wake = r; setTimeout(r, 50); });
      this.wake = null;
    }
  }

  /** Waits briefly for the server to close the connection; true if it did. */
  async closedSoon(ms = 1000): Promise<boolean> {
    const deadline = Date.now() + ms;
    while (!this.closed && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    return this.closed;
  }

  close(): void { this.sock.destroy(); }
}

export interface Proc { port: number; stop(): Promise<void> }

/** Debian's redis-server on a free loopback port, no persistence; stopped by PID. */
export async function startRedis(): Promise<Proc> {
  const bin = requireTool("redis-server", "apt-get install redis-server");
  const port = await freePort();
  const child = spawn(bin, ["--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--daemonize", "no"], { stdio: ["ignore", "pipe", "pipe"] });
  let output = "";
  child.stdout.on("data", (d) => (output += d));
  child.stderr.on("data", (d) => (output += d));
  const exited = new Promise<void>((r) => child.once("exit", () => r()));
  const deadline = Date.now() + 10_000;
  for (;;) {
    const ok = await new Promise<boolean>((r) => { const s = net.connect({ port, host: "127.0.0.1" }, () => { s.destroy(); r(true); }); s.once("error", () => r(false)); });
    if (ok) break;
    if (Date.now() > deadline || child.exitCode !== null) throw new Error(`redis-server did not start:\n${output}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  return {
    port,
    stop: async () => {
      if (child.exitCode === null && child.pid !== undefined) process.kill(child.pid, "SIGTERM");
      await exited;
    },
  };
}

/** Our server with the RESP module (and any further args, e.g. a second --app). */
export function startResp(args: string[] = []): Promise<ServerHandle> {
  return startServer("wasmcached", ["--app", "resp", "-t", "2", ...args]);
}
