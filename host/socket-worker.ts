// One socket worker: a thread with its own Wasm instances (transport +
// protocol module, per service: one per --app) on the shared memory, its own
// SO_REUSEPORT listener per service and one epoll set. Bytes go kernel <-> Wasm memory directly (recv/send on raw
// addresses); JS only moves events and calls Wasm exports.
//
// Per connection: input lands in the transport's receive buffer after the
// bytes the module has not consumed yet; output is drained from the
// transport's output buffer. When send would block, the connection waits for
// EPOLLOUT and is not read (back-pressure) until its output is drained; then
// the module hears app_writable and its unconsumed input is presented again.
import v8 from "node:v8";
import { parentPort, workerData } from "node:worker_threads";
import { ModuleError } from "./errors.js";
import { CONTROL_BASE, CONTROL_SIZE, type Layout, shutdownRequested } from "./layout.js";
import {
  EAGAIN,
  EINTR,
  EMFILE,
  ENFILE,
  ENOBUFS,
  ENOMEM,
  EPOLLERR,
  EPOLLIN,
  EPOLLOUT,
  EPOLL_CLOEXEC,
  EPOLL_CTL_ADD,
  EPOLL_CTL_DEL,
  EPOLL_CTL_MOD,
  EPOLL_DATA_OFFSET,
  EPOLL_EVENT_SIZE,
  IPPROTO_TCP,
  type Libc,
  MSG_DONTWAIT,
  MSG_NOSIGNAL,
  SOCK_CLOEXEC,
  SOCK_NONBLOCK,
  TCP_NODELAY,
  libc,
  sysError,
} from "./libc.js";
import { startListening } from "./listen.js";
import { type AppExports, F_CLOSE, type ModuleSet, type TransportExports, instantiate } from "./modules.js";
import { initCore } from "./workers.js";

/** One protocol module served on its own port: its modules and this worker's listener for it. */
export interface ServiceInit {
  readonly modules: ModuleSet;
  readonly listenFd: number;
}

/** What main.ts hands each worker: one or more services (`--app`), in the order of the layout's service regions. */
export interface WorkerInit {
  readonly core: number;
  readonly memory: WebAssembly.Memory;
  readonly services: readonly ServiceInit[];
  readonly layout: Layout;
  readonly verbosity: number;
  /** -b: the listen() backlog. */
  readonly backlog: number;
}

/** Messages a worker posts to the main thread. */
export type WorkerMessage = { readonly type: "ready"; readonly core: number };

/** epoll_wait timeout: how soon a worker notices SHUTDOWN (and ticks the clock when idle). */
export const EPOLL_TIMEOUT_MS = 100;
const MAX_EVENTS = 128;
/** Rounds of (present input, drain output, app_writable) per event before yielding to other connections. */
const MAX_ROUNDS = 8;
const MAX_ACCEPTS = 64;
const MAX_SENDS = 4;
const ACCEPT_PAUSE_MS = 100;
/** epoll data: the service in the top byte, the connection slot below; a listener has the slot bits all set. */
const SVC_SHIFT = 24;
const SLOT_MASK = (1 << SVC_SHIFT) - 1;
const LISTENER = SLOT_MASK;

const enum Flush { Done, Again, Error }

/** One protocol module's connections on this worker: its transport and module instances, its slots. */
class Service {
  readonly t: TransportExports;
  readonly a: AppExports;
  readonly rxBase: number;
  readonly rxCap: number;
  readonly fds: Int32Array;
  readonly gens: Uint32Array;
  readonly waitingOut: Uint8Array;
  readonly free: Int32Array;
  freeTop: number;
  acceptPausedUntil = 0;
  /** The module's refusal message (app_refusal), 0 bytes if it has none. */
  readonly refusalPtr: number;
  readonly refusalLen: number;

  constructor(readonly index: number, readonly init: ServiceInit, memory: WebAssembly.Memory, layout: Layout, core: number) {
    const { transport, app } = instantiate(memory, init.modules);
    this.t = transport;
    this.a = app;
    initCore(layout, core, { name: "sock_init", call: transport.sock_init }, app, init.modules.appName, index);
    app.app_tick(Date.now());
    this.refusalPtr = (app.app_refusal?.() ?? 0) >>> 0; // Wasm returns i32: addresses past 2 GiB come back negative
    this.refusalLen = this.refusalPtr === 0 ? 0 : new Uint8Array(memory.buffer, this.refusalPtr, 256).indexOf(0);
    this.rxBase = transport.rx_buf(0) >>> 0;
    this.rxCap = transport.rx_cap();
    const maxConns = layout.connsPerCore;
    this.fds = new Int32Array(maxConns).fill(-1);
    this.gens = new Uint32Array(maxConns);
    this.waitingOut = new Uint8Array(maxConns);
    this.free = new Int32Array(maxConns);
    for (let i = 0; i < maxConns; i++) this.free[i] = maxConns - 1 - i; // slot 0 first
    this.freeTop = maxConns;
  }

  key(conn: number): number {
    return ((this.index << SVC_SHIFT) | conn) >>> 0;
  }
}

export class SocketLoop {
  private readonly c: Libc;
  private readonly dv: DataView;
  private readonly ctl32: Int32Array;
  /** Raw address of Wasm address 0. */
  private readonly base: number;
  private readonly ep: number;
  private readonly evOff: number;
  private readonly ctlEvOff: number;
  private readonly maxConns: number;
  private readonly services: Service[];
  private readonly one = new Int32Array([1]);

  constructor(private readonly init: WorkerInit) {
    const { memory, layout, core } = init;
    this.c = libc();
    this.services = init.services.map((s, i) => new Service(i, s, memory, layout, core));
    const first = this.services[0].t;
    this.dv = new DataView(memory.buffer);
    this.ctl32 = new Int32Array(memory.buffer, CONTROL_BASE, CONTROL_SIZE / 4);
    this.base = this.c.address(new Uint8Array(memory.buffer));
    const scratch = first.sock_scratch() >>> 0; // Wasm returns i32: addresses past 2 GiB come back negative
    if (first.sock_scratch_size() < (MAX_EVENTS + 2) * 16) {
      throw new ModuleError("ERR_TRANSPORT_SCRATCH", "sockstack's scratch is too small for the epoll events");
    }
    this.evOff = scratch;
    this.ctlEvOff = scratch + MAX_EVENTS * 16;
    this.maxConns = layout.connsPerCore;

    this.ep = this.c.epoll_create1(EPOLL_CLOEXEC);
    if (this.ep < 0) throw sysError(this.c, "ERR_EPOLL", "epoll_create1", this.c.errno(), `core ${core}`);
    for (const s of this.services) this.watchListener(s, EPOLL_CTL_ADD);
    // last: connections come only once this worker can serve them
    for (const s of this.services) startListening(this.c, s.init.listenFd, init.backlog);
  }

  /** Runs until the control block's SHUTDOWN word is set; then closes every connection. */
  run(): void {
    const { c, dv } = this;
    while (!shutdownRequested(this.ctl32)) {
      const n = c.epoll_wait(this.ep, this.base + this.evOff, MAX_EVENTS, EPOLL_TIMEOUT_MS);
      if (n < 0) {
        const errno = c.errno();
        if (errno === EINTR) continue;
        throw sysError(c, "ERR_EPOLL", "epoll_wait", errno, `core ${this.init.core}`);
      }
      const now = Date.now();
      for (const s of this.services) s.a.app_tick(now);
      for (let i = 0; i < n; i++) {
        const off = this.evOff + i * EPOLL_EVENT_SIZE;
        const events = dv.getUint32(off, true);
        const key = dv.getUint32(off + EPOLL_DATA_OFFSET, true);
        const s = this.services[key >>> SVC_SHIFT];
        if (s === undefined) continue;
        const conn = key & SLOT_MASK;
        if (conn === LISTENER) this.acceptMany(s);
        else this.onEvent(s, conn, dv.getUint32(off + EPOLL_DATA_OFFSET + 4, true), events);
      }
      for (const s of this.services) {
        if (s.acceptPausedUntil !== 0 && now >= s.acceptPausedUntil) {
          s.acceptPausedUntil = 0;
          this.watchListener(s, EPOLL_CTL_ADD);
        }
      }
    }
    for (const s of this.services) for (let conn = 0; conn < this.maxConns; conn++) if (s.fds[conn] >= 0) this.close(s, conn, true);
    c.close(this.ep);
  }

  private epollCtl(op: number, fd: number, events: number, key: number, gen: number): number {
    const off = this.ctlEvOff;
    this.dv.setUint32(off, events, true);
    this.dv.setUint32(off + EPOLL_DATA_OFFSET, key, true);
    this.dv.setUint32(off + EPOLL_DATA_OFFSET + 4, gen, true);
    return this.c.epoll_ctl(this.ep, op, fd, this.base + off);
  }

  private watchListener(s: Service, op: number): void {
    if (this.epollCtl(op, s.init.listenFd, EPOLLIN, s.key(LISTENER), 0) !== 0) {
      throw sysError(this.c, "ERR_EPOLL", "epoll_ctl", this.c.errno(), `core ${this.init.core}: listener`);
    }
  }

  private acceptMany(s: Service): void {
    const { c } = this;
    for (let k = 0; k < MAX_ACCEPTS; k++) {
      const fd = c.accept4(s.init.listenFd, 0, 0, SOCK_NONBLOCK | SOCK_CLOEXEC);
      if (fd < 0) {
        const errno = c.errno();
        if (errno === EAGAIN) return;
        if (errno === EMFILE || errno === ENFILE || errno === ENOBUFS || errno === ENOMEM) {
          // Out of descriptors: stop watching the listener for a moment rather than spin on it.
          if (this.init.verbosity > 0) console.error(`wasmcached: core ${this.init.core}: accept4: ${c.strerror(errno)}`);
          this.watchListener(s, EPOLL_CTL_DEL);
          s.acceptPausedUntil = Date.now() + ACCEPT_PAUSE_MS;
          return;
        }
        continue; // ECONNABORTED, EINTR, EPROTO...: try the next one
      }
      if (s.freeTop === 0) {
        // past -c: refuse as memcached does (its message, if the module has one, then close) and count it
        if (s.refusalLen > 0) c.send(fd, this.base + s.refusalPtr, s.refusalLen, MSG_DONTWAIT | MSG_NOSIGNAL);
        c.close(fd);
        s.t.sock_reject();
        continue;
      }
      this.open(s, fd);
    }
  }

  private open(s: Service, fd: number): void {
    const conn = s.free[--s.freeTop];
    const gen = (s.gens[conn] + 1) >>> 0;
    s.gens[conn] = gen;
    s.fds[conn] = fd;
    s.waitingOut[conn] = 0;
    s.t.conn_reset(conn);
    this.c.setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, this.one, 4);
    if (this.epollCtl(EPOLL_CTL_ADD, fd, EPOLLIN, s.key(conn), gen) !== 0 || s.a.app_open(conn) !== 0) {
      this.close(s, conn, false);
      return;
    }
    if (this.init.verbosity > 1) console.error(`<${fd} new client connection (core ${this.init.core}, slot ${conn})`);
    if (s.t.tx_pending(conn) > 0) this.pump(s, conn, false); // a greeting
  }

  /** Closes conn's socket and frees its slot; `notify` says whether the module saw it open. */
  private close(s: Service, conn: number, notify: boolean): void {
    const fd = s.fds[conn];
    s.fds[conn] = -1;
    this.c.close(fd); // also leaves the epoll set
    if (notify) s.a.app_closed(conn);
    s.t.conn_reset(conn);
    s.waitingOut[conn] = 0;
    s.free[s.freeTop++] = conn;
    if (this.init.verbosity > 1) console.error(`<${fd} connection closed.`);
  }

  private onEvent(s: Service, conn: number, gen: number, events: number): void {
    if (conn >= this.maxConns || s.fds[conn] < 0 || s.gens[conn] !== gen) return; // stale: closed earlier in this batch
    if (events & EPOLLERR) this.close(s, conn, true);
    else if (s.waitingOut[conn]) this.pump(s, conn, false);
    else this.read(s, conn);
  }

  private read(s: Service, conn: number): void {
    const { c } = this;
    const { t } = s;
    const len = t.rx_len(conn);
    const room = s.rxCap - len;
    if (room === 0) {
      // The module neither consumed a full buffer nor waits for output: it cannot progress.
      if (this.init.verbosity > 0) console.error(`wasmcached: slot ${conn}: request larger than the receive buffer; closing`);
      this.close(s, conn, true);
      return;
    }
    const r = c.recv(s.fds[conn], this.base + s.rxBase + conn * s.rxCap + len, room, MSG_DONTWAIT);
    if (r > 0) {
      t.rx_add(conn, r);
      this.pump(s, conn, true);
    } else if (r === 0) {
      this.close(s, conn, true); // peer closed
    } else {
      const errno = c.errno();
      if (errno !== EAGAIN && errno !== EINTR) this.close(s, conn, true); // reset
    }
  }

  /**
   * Present input, drain output, and repeat while the module was waiting for
   * output space. `present` is false when resuming after EPOLLOUT: then the
   * module hears app_writable first, and unconsumed input is presented after.
   */
  private pump(s: Service, conn: number, present: boolean): void {
    const { t, a } = s;
    let resumed = !present;
    for (let round = 0; round < MAX_ROUNDS; round++) {
      if (present) {
        const len = t.rx_len(conn);
        if (len > 0) {
          const used = a.app_data(conn, s.rxBase + conn * s.rxCap, len) >>> 0;
          if (used > 0) t.rx_consume(conn, used);
        }
      }
      const flushed = this.flush(s, conn);
      if (flushed === Flush.Error) return this.close(s, conn, true);
      if (flushed === Flush.Again) return this.waitForOutput(s, conn, true);
      if (t.conn_flags(conn) & F_CLOSE) return this.close(s, conn, true);
      if (t.take_blocked(conn)) a.app_writable(conn);
      else if (!resumed || t.rx_len(conn) === 0) return this.waitForOutput(s, conn, false);
      resumed = false;
      present = true;
    }
    this.waitForOutput(s, conn, true); // more to do: come back on the next (immediate) EPOLLOUT
  }

  private flush(s: Service, conn: number): Flush {
    const { c } = this;
    const { t } = s;
    for (let k = 0; k < MAX_SENDS; k++) {
      const n = t.tx_pending(conn);
      if (n === 0) return Flush.Done;
      const r = c.send(s.fds[conn], this.base + (t.tx_pending_ptr(conn) >>> 0), n, MSG_DONTWAIT | MSG_NOSIGNAL);
      if (r > 0) {
        t.tx_sent(conn, r);
        continue;
      }
      const errno = c.errno();
      if (errno === EAGAIN) return Flush.Again;
      if (errno !== EINTR) return Flush.Error;
    }
    return t.tx_pending(conn) === 0 ? Flush.Done : Flush.Again;
  }

  /** Switch conn between reading (EPOLLIN) and waiting for output space (EPOLLOUT only). */
  private waitForOutput(s: Service, conn: number, on: boolean): void {
    const want = on ? 1 : 0;
    if (s.waitingOut[conn] === want) return;
    s.waitingOut[conn] = want;
    if (this.epollCtl(EPOLL_CTL_MOD, s.fds[conn], on ? EPOLLOUT : EPOLLIN, s.key(conn), s.gens[conn]) !== 0) {
      this.close(s, conn, true);
    }
  }
}

// Entry point when started as a worker thread.
if (parentPort && workerData && (workerData as { kind?: string }).kind === "socket-worker") {
  v8.setFlagsFromString("--no-liftoff"); // Node 20's Liftoff corrupts locals across atomic waits (FACTS.md)
  const loop = new SocketLoop((workerData as { init: WorkerInit }).init);
  parentPort.postMessage({ type: "ready", core: (workerData as { init: WorkerInit }).init.core } satisfies WorkerMessage);
  loop.run();
}
