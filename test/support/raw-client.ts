// A raw TCP client for byte-level tests: send exact bytes, read until a
// predicate holds or the connection goes idle, notice EOF.
import net from "node:net";

export class RawClient {
  private buf: Buffer = Buffer.alloc(0);
  private waiter: (() => void) | null = null;
  /** True once the server closed (or reset) the connection. */
  closed = false;

  private constructor(private readonly sock: net.Socket) {
    sock.setNoDelay(true);
    sock.on("data", (d: Buffer) => {
      this.buf = this.buf.length === 0 ? d : Buffer.concat([this.buf, d]);
      this.wake();
    });
    const onEnd = () => {
      this.closed = true;
      this.wake();
    };
    sock.on("end", onEnd);
    sock.on("close", onEnd);
    sock.on("error", onEnd);
  }

  static connect(port: number, host = "127.0.0.1", timeoutMs = 5000): Promise<RawClient> {
    return new Promise((resolve, reject) => {
      const sock = net.connect({ port, host });
      const timer = setTimeout(() => {
        sock.destroy();
        reject(new Error(`connect to ${host}:${port} timed out`));
      }, timeoutMs);
      sock.once("connect", () => {
        clearTimeout(timer);
        sock.removeListener("error", reject);
        resolve(new RawClient(sock));
      });
      sock.once("error", (err) => {
        clearTimeout(timer);
        reject(err);
      });
    });
  }

  private wake(): void {
    const w = this.waiter;
    this.waiter = null;
    w?.();
  }

  /** Resolves on new data, EOF, or after ms (whichever first). */
  private wait(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.waiter = null;
        resolve();
      }, Math.max(0, ms));
      this.waiter = () => {
        clearTimeout(timer);
        resolve();
      };
    });
  }

  send(bytes: Buffer | string): Promise<void> {
    return new Promise((resolve, reject) => {
      if (this.closed) return reject(new Error("send on a closed connection"));
      this.sock.write(bytes, (err) => (err ? reject(err) : resolve()));
    });
  }

  /** Bytes received and not yet taken. */
  pending(): Buffer {
    return this.buf;
  }

  /** Takes and returns everything received so far. */
  take(): Buffer {
    const b = this.buf;
    this.buf = Buffer.alloc(0);
    return b;
  }

  /**
   * Waits until done(received) is true, or no byte arrives for idleMs, or
   * totalMs pass, or EOF; then takes and returns everything received.
   */
  async readUntil(done: (received: Buffer) => boolean, idleMs: number, totalMs = 10000): Promise<Buffer> {
    const deadline = Date.now() + totalMs;
    let lastLen = -1;
    let lastChange = Date.now();
    while (!done(this.buf) && !this.closed) {
      const now = Date.now();
      if (this.buf.length !== lastLen) {
        lastLen = this.buf.length;
        lastChange = now;
      }
      const left = Math.min(deadline - now, lastChange + idleMs - now);
      if (left <= 0) break;
      await this.wait(left);
    }
    return this.take();
  }

  /** Reads until the connection has been idle for idleMs. */
  readIdle(idleMs: number, totalMs = 10000): Promise<Buffer> {
    return this.readUntil(() => false, idleMs, totalMs);
  }

  /** Reads until the received bytes end with `suffix` (e.g. "END\r\n"). */
  readUntilSuffix(suffix: string, totalMs = 10000): Promise<Buffer> {
    const s = Buffer.from(suffix);
    return this.readUntil((b) => b.length >= s.length && b.subarray(b.length - s.length).equals(s), totalMs, totalMs);
  }

  /** Sends a request and reads the reply up to `suffix`. */
  async request(bytes: Buffer | string, suffix = "\r\n", totalMs = 10000): Promise<string> {
    await this.send(bytes);
    return (await this.readUntilSuffix(suffix, totalMs)).toString("latin1");
  }

  close(): void {
    this.sock.destroy();
  }
}
