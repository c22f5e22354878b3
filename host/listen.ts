// The listening sockets: one per worker, all bound to the same address with
// SO_REUSEPORT so the kernel spreads new connections across the workers; or
// (-s) one UNIX-domain socket, a descriptor of it per worker (dup), whose
// workers take turns accepting.
// They are opened and bound in the main thread (file descriptors belong to
// the process) so that a port in use is reported before any worker starts;
// each worker calls listen() on its own once it is ready to serve, so no
// connection waits in a backlog nobody drains.
import { lstatSync, unlinkSync } from "node:fs";
import { isIP } from "node:net";
import {
  AF_UNIX,
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

export interface Listeners {
  readonly fds: readonly number[];
  /** The bound port (the kernel's choice when 0 was asked for); 0 for a UNIX socket. */
  readonly port: number;
  /** A UNIX socket's path, and the inode bound there (removed at close only if still ours). */
  readonly unix?: { readonly path: string; readonly ino: number };
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

/** struct sockaddr_un for a path (UNIX_PATH_MAX bytes at most, checked by the CLI). */
function sockaddrUn(path: string): Uint8Array {
  const sa = new Uint8Array(110);
  new DataView(sa.buffer).setUint16(0, AF_UNIX, true);
  sa.set(new TextEncoder().encode(path).subarray(0, 107), 2);
  return sa;
}

/**
 * -s: binds a UNIX-domain socket at `path` as memcached does: a socket file
 * left there before is removed (anything else is an error), and the file is
 * created with permissions `mask` (-a). Every worker gets its own descriptor
 * of the one socket.
 */
export function openUnixListeners(c: Libc, path: string, mask: number, count: number): Listeners {
  try {
    if (lstatSync(path).isSocket()) unlinkSync(path);
  } catch {
    // nothing there (or not ours to look at): bind says what is wrong
  }
  const fd = c.socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) throw sysError(c, "ERR_SOCKET", "socket", c.errno(), "listen");
  const sa = sockaddrUn(path);
  const old = process.umask(~mask & 0o777);
  const rc = c.bind(fd, sa, sa.length);
  const errno = c.errno();
  process.umask(old);
  if (rc !== 0) {
    c.close(fd);
    throw sysError(c, "ERR_BIND", "bind", errno, `failed to listen on UNIX socket: ${path}`);
  }
  const fds = [fd];
  for (let i = 1; i < count; i++) {
    const copy = c.dup(fd);
    if (copy < 0) {
      const e = c.errno();
      for (const f of fds) c.close(f);
      throw sysError(c, "ERR_DUP", "dup", e, "listen");
    }
    fds.push(copy);
  }
  return Object.freeze({ fds: Object.freeze(fds), port: 0, unix: Object.freeze({ path, ino: lstatSync(path).ino }) });
}

/** In the worker that owns fd: start accepting connections (memcached's -b backlog). */
export function startListening(c: Libc, fd: number, backlog: number): void {
  if (c.listen(fd, backlog) !== 0) throw sysError(c, "ERR_LISTEN", "listen", c.errno(), "listen");
}

export function closeListeners(c: Libc, listeners: Listeners): void {
  for (const fd of listeners.fds) c.close(fd);
  const unix = listeners.unix;
  if (unix === undefined) return;
  try {
    if (lstatSync(unix.path).ino === unix.ino) unlinkSync(unix.path);
  } catch {
    // already gone, or replaced by someone else's
  }
}
