// The listening sockets: one per worker, all bound to the same address with
// SO_REUSEPORT so the kernel spreads new connections across the workers.
// They are opened and bound in the main thread (file descriptors belong to
// the process) so that a port in use is reported before any worker starts;
// each worker calls listen() on its own once it is ready to serve, so no
// connection waits in a backlog nobody drains.
import { isIP } from "node:net";
import {
  AF_INET,
  AF_INET6,
  EADDRINUSE,
  IPPROTO_TCP,
  type Libc,
  SOCK_CLOEXEC,
  SOCK_NONBLOCK,
  SOCK_STREAM,
  SOL_SOCKET,
  SO_REUSEADDR,
  SO_REUSEPORT,
  TCP_NODELAY,
  sysError,
} from "./libc.js";
import { UsageError } from "./errors.js";

/** memcached's default -b. */
export const LISTEN_BACKLOG = 1024;

export interface Listeners {
  readonly fds: readonly number[];
  /** The bound port (the kernel's choice when 0 was asked for). */
  readonly port: number;
}

/** struct sockaddr_in / sockaddr_in6 for host:port. */
function sockaddr(c: Libc, host: string, port: number): Uint8Array {
  const v6 = isIP(host) === 6;
  const sa = new Uint8Array(v6 ? 28 : 16);
  const view = new DataView(sa.buffer);
  view.setUint16(0, v6 ? AF_INET6 : AF_INET, true);
  view.setUint16(2, port, false);
  if (c.inet_pton(v6 ? AF_INET6 : AF_INET, host, sa.subarray(v6 ? 8 : 4)) !== 1) {
    throw new UsageError("ERR_BAD_ADDRESS", `-l: "${host}" is not an address`);
  }
  return sa;
}

function boundPort(c: Libc, fd: number): number {
  const sa = new Uint8Array(28);
  const len = new Int32Array([sa.length]);
  if (c.getsockname(fd, sa, len) !== 0) throw sysError(c, "ERR_GETSOCKNAME", "getsockname", c.errno(), "listen");
  return new DataView(sa.buffer).getUint16(2, false);
}

function openSocket(c: Libc, host: string, reusePort: boolean): number {
  const fd = c.socket(isIP(host) === 6 ? AF_INET6 : AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) throw sysError(c, "ERR_SOCKET", "socket", c.errno(), "listen");
  const one = new Int32Array([1]);
  const opts: [number, number][] = [[SOL_SOCKET, SO_REUSEADDR], [IPPROTO_TCP, TCP_NODELAY]];
  if (reusePort) opts.push([SOL_SOCKET, SO_REUSEPORT]);
  for (const [level, name] of opts) {
    if (c.setsockopt(fd, level, name, one, 4) !== 0) {
      const errno = c.errno();
      c.close(fd);
      throw sysError(c, "ERR_SETSOCKOPT", "setsockopt", errno, "listen");
    }
  }
  return fd;
}

function bindOrThrow(c: Libc, fd: number, host: string, port: number): void {
  const sa = sockaddr(c, host, port);
  if (c.bind(fd, sa, sa.length) !== 0) {
    const errno = c.errno();
    c.close(fd);
    if (errno === EADDRINUSE) {
      throw sysError(c, "ERR_PORT_IN_USE", "bind", errno, `cannot listen on ${host}:${port}, the port is in use`);
    }
    throw sysError(c, "ERR_BIND", "bind", errno, `cannot listen on ${host}:${port}`);
  }
}

/**
 * Opens and binds `count` sockets on host:port. For a fixed port, a probe without
 * SO_REUSEPORT first makes sure no one else (another wasmcached included,
 * whose SO_REUSEPORT group we would otherwise silently join) holds the port.
 */
export function openListeners(c: Libc, host: string, port: number, count: number): Listeners {
  if (port !== 0) {
    const probe = openSocket(c, host, false);
    bindOrThrow(c, probe, host, port);
    c.close(probe);
  }
  const fds: number[] = [];
  try {
    for (let i = 0; i < count; i++) {
      const fd = openSocket(c, host, true);
      bindOrThrow(c, fd, host, port);
      fds.push(fd);
      if (port === 0) port = boundPort(c, fd);
    }
  } catch (err) {
    for (const fd of fds) c.close(fd);
    throw err;
  }
  return Object.freeze({ fds: Object.freeze(fds), port });
}

/** In the worker that owns fd: start accepting connections. */
export function startListening(c: Libc, fd: number): void {
  if (c.listen(fd, LISTEN_BACKLOG) !== 0) throw sysError(c, "ERR_LISTEN", "listen", c.errno(), "listen");
}

export function closeListeners(c: Libc, listeners: Listeners): void {
  for (const fd of listeners.fds) c.close(fd);
}
