// The few libc calls the kernel-socket transport and the TAP device
// (devices/tap.ts) need, through koffi.
//
// Node 20's `net` can neither share a port between worker threads
// (reusePort arrived in 22.12) nor hand a socket to a worker, so each worker
// drives its own sockets with epoll. Hot calls (recv, send, epoll_wait,
// accept4) take raw addresses as numbers: buffers live in the shared Wasm
// memory, whose address never changes, so bytes move kernel <-> Wasm memory
// with no copy and no JS object per call.
import koffi from "koffi";
import { SysError } from "./errors.js";

// Linux values (x86_64 and aarch64 agree on all of these).
export const AF_UNIX = 1;
export const AF_INET = 2;
export const AF_INET6 = 10;
export const SOCK_STREAM = 1;
export const SOCK_DGRAM = 2;
export const SOCK_NONBLOCK = 0o4000;
export const SOCK_CLOEXEC = 0o2000000;
export const SOL_SOCKET = 1;
export const SO_REUSEADDR = 2;
export const SO_REUSEPORT = 15;
export const IPPROTO_TCP = 6;
export const TCP_NODELAY = 1;
export const EPOLL_CLOEXEC = 0o2000000;
export const EPOLL_CTL_ADD = 1;
export const EPOLL_CTL_DEL = 2;
export const EPOLL_CTL_MOD = 3;
export const EPOLLIN = 0x1;
export const EPOLLOUT = 0x4;
export const EPOLLERR = 0x8;
export const EPOLLHUP = 0x10;
export const MSG_DONTWAIT = 0x40;
export const MSG_NOSIGNAL = 0x4000;
export const POLLIN = 0x1;
export const MADV_HUGEPAGE = 14;
/** struct pollfd: int fd, short events, short revents. */
export const POLLFD_SIZE = 8;
export const O_RDWR = 2;
export const O_NONBLOCK = 0o4000;
export const O_CLOEXEC = 0o2000000;

export const EPERM = 1;
export const ENOENT = 2;
export const EINTR = 4;
export const EIO = 5;
export const EACCES = 13;
export const EBUSY = 16;
export const ENODEV = 19;
export const EINVAL = 22;
export const EAGAIN = 11;
export const ENFILE = 23;
export const EMFILE = 24;
export const EADDRINUSE = 98;
export const ENOBUFS = 105;
export const ENOMEM = 12;

/** struct epoll_event is packed on x86_64 (12 bytes), naturally aligned elsewhere (16). */
export const EPOLL_EVENT_SIZE = process.arch === "x64" ? 12 : 16;
export const EPOLL_DATA_OFFSET = process.arch === "x64" ? 4 : 8;

export interface Libc {
  socket(domain: number, type: number, protocol: number): number;
  setsockopt(fd: number, level: number, name: number, value: Int32Array, len: number): number;
  bind(fd: number, addr: Uint8Array, len: number): number;
  listen(fd: number, backlog: number): number;
  getsockname(fd: number, addr: Uint8Array, len: Int32Array): number;
  inet_pton(af: number, src: string, dst: Uint8Array): number;
  accept4(fd: number, addr: number, len: number, flags: number): number;
  epoll_create1(flags: number): number;
  /** event: a 12/16-byte struct epoll_event at a raw address. */
  epoll_ctl(epfd: number, op: number, fd: number, event: number): number;
  epoll_wait(epfd: number, events: number, max: number, timeoutMs: number): number;
  /** fds: an array of struct pollfd (POLLFD_SIZE bytes each). */
  poll(fds: Uint8Array, nfds: number, timeoutMs: number): number;
  recv(fd: number, buf: number, len: number, flags: number): number;
  send(fd: number, buf: number, len: number, flags: number): number;
  close(fd: number): number;
  dup(fd: number): number;
  dup2(fd: number, to: number): number;
  /** The user's ids from the system's user database (NSS), or undefined if there is no such user. */
  getpwnam(name: string): { readonly uid: number; readonly gid: number } | undefined;
  open(path: string, flags: number): number;
  read(fd: number, buf: number, len: number): number;
  write(fd: number, buf: number, len: number): number;
  /** ioctl with a pointer argument (struct ifreq and the like), read and written in place. */
  ioctl(fd: number, request: number, arg: Uint8Array): number;
  strerror(errno: number): string;
  errno(): number;
  /** Address of a typed array's first byte (stable for a shared Wasm memory). */
  address(view: Uint8Array): number;
  madvise(addr: number, len: number, advice: number): number;
}

let cached: Libc | undefined;

/** Loads libc once per thread (koffi works in worker_threads). */
export function libc(): Libc {
  if (cached) return cached;
  const lib = koffi.load("libc.so.6");
  const f = (decl: string) => lib.func(decl);
  // open and ioctl are variadic in C: declared so, and called with the extra argument's type.
  const openV = f("int open(const char *path, int flags, ...)");
  const ioctlV = f("int ioctl(int fd, unsigned long request, ...)");
  const passwd = koffi.struct({
    pw_name: "char *", pw_passwd: "char *", pw_uid: "uint32_t", pw_gid: "uint32_t", pw_gecos: "char *", pw_dir: "char *", pw_shell: "char *",
  });
  const getpwnam = f("void *getpwnam(const char *name)");
  cached = Object.freeze({
    socket: f("int socket(int domain, int type, int protocol)"),
    setsockopt: f("int setsockopt(int fd, int level, int name, void *value, uint32_t len)"),
    bind: f("int bind(int fd, void *addr, uint32_t len)"),
    listen: f("int listen(int fd, int backlog)"),
    getsockname: f("int getsockname(int fd, void *addr, void *len)"),
    inet_pton: f("int inet_pton(int af, const char *src, void *dst)"),
    accept4: f("int accept4(int fd, uintptr_t addr, uintptr_t len, int flags)"),
    epoll_create1: f("int epoll_create1(int flags)"),
    epoll_ctl: f("int epoll_ctl(int epfd, int op, int fd, uintptr_t event)"),
    epoll_wait: f("int epoll_wait(int epfd, uintptr_t events, int max, int timeout)"),
    poll: f("int poll(void *fds, unsigned long nfds, int timeout)"),
    recv: f("intptr_t recv(int fd, uintptr_t buf, size_t len, int flags)"),
    send: f("intptr_t send(int fd, uintptr_t buf, size_t len, int flags)"),
    close: f("int close(int fd)"),
    dup: f("int dup(int fd)"),
    dup2: f("int dup2(int fd, int to)"),
    getpwnam: (name: string) => {
      const p = getpwnam(name);
      if (p === null) return undefined;
      const pw = koffi.decode(p, passwd) as { pw_uid: number; pw_gid: number };
      return { uid: pw.pw_uid, gid: pw.pw_gid };
    },
    open: (path: string, flags: number) => openV(path, flags) as number,
    read: f("intptr_t read(int fd, uintptr_t buf, size_t len)"),
    write: f("intptr_t write(int fd, uintptr_t buf, size_t len)"),
    ioctl: (fd: number, request: number, arg: Uint8Array) => ioctlV(fd, request, "void *", arg) as number,
    strerror: f("const char *strerror(int errnum)"),
    errno: () => koffi.errno(),
    address: (view: Uint8Array) => Number(koffi.address(view)),
    madvise: f("int madvise(uintptr_t addr, size_t len, int advice)"),
  }) as Libc;
  return cached;
}

/** A SysError for the failed `call`, with the C errno and its text. */
export function sysError(c: Libc, code: string, call: string, errno: number, context: string): SysError {
  return new SysError(code, call, errno, `${context}: ${call}: ${c.strerror(errno)} (errno ${errno})`);
}
