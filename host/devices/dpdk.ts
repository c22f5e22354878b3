// The DPDK device: frames between a DPDK port (a NIC, or a vdev such as
// net_null, net_memif, net_tap) and the userspace stack, through the C shim
// native/wcdpdk.c (build/libwcdpdk.so) called with koffi. docs/dpdk.md has
// the design; native/wcdpdk.h the C contract this file mirrors.
//
// Life of a port, all in the main thread: ealInit (once per process) →
// DpdkPort.configure → setupQueue per queue (its mbuf pool inside the shared
// Wasm memory when zero-copy) → start. Each worker then attaches a
// DpdkDevice to its queue and its device region, and polls it with `burst`:
// one FFI call sends the stack's previous replies, receives the next frames
// and offers fresh tx buffers. Shutdown: stop polling everywhere, then
// DpdkPort.close (memif peers crash if a port closes under a burst).
import { existsSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import koffi from "koffi";
import { EX_CONFIG, EX_OSERR, EX_SOFTWARE, EX_USAGE, HostError } from "../errors.js";
import { BURST_MAX, type Burst, type Counters, type Device, type DeviceRegion, ETH_HEADER } from "./device.js";

export const LIB_FILE = "libwcdpdk.so";
/** The environment variable that names the shim explicitly. */
export const LIB_ENV = "WASMCACHED_DPDK_LIB";

/** Return codes of the shim (wcdpdk.h), and the error each becomes. */
const CODES: Readonly<Record<number, { code: string; exit: number }>> = {
  [-1]: { code: "ERR_DPDK_EAL_ONCE", exit: EX_SOFTWARE },
  [-2]: { code: "ERR_DPDK_NOT_INIT", exit: EX_SOFTWARE },
  [-3]: { code: "ERR_DPDK_EAL_REFUSED", exit: EX_USAGE },
  [-4]: { code: "ERR_DPDK_EAL_ARGS", exit: EX_USAGE },
  [-5]: { code: "ERR_DPDK_EAL", exit: EX_OSERR },
  [-6]: { code: "ERR_DPDK_NO_PORTS", exit: EX_CONFIG },
  [-7]: { code: "ERR_DPDK_PORT", exit: EX_CONFIG },
  [-8]: { code: "ERR_DPDK_CONFIG", exit: EX_CONFIG },
  [-9]: { code: "ERR_DPDK_QUEUE", exit: EX_CONFIG },
  [-10]: { code: "ERR_DPDK_POOL", exit: EX_OSERR },
  [-11]: { code: "ERR_DPDK_EXTMEM", exit: EX_OSERR },
  [-12]: { code: "ERR_DPDK_START", exit: EX_OSERR },
  [-13]: { code: "ERR_DPDK_ARG", exit: EX_SOFTWARE },
  [-14]: { code: "ERR_DPDK_NOMEM", exit: EX_OSERR },
  [-15]: { code: "ERR_DPDK_STATE", exit: EX_SOFTWARE },
};

/** Port info fields (WC_PINFO_*), port stats (WC_PSTAT_*) and queue stats (WC_QSTAT_*), in the shim's order. */
const PINFO_COUNT = 14;
const PORT_STATS = ["ipackets", "opackets", "ibytes", "obytes", "imissed", "ierrors", "oerrors", "rxNoMbuf"] as const;
const QUEUE_STATS = [
  "bursts", "empty", "rx", "rxBytes", "tx", "txBytes", "txInvalid", "txDropped", "rxDropped", "noMbuf",
  "poolSize", "poolAvail", "poolInUse", "held",
] as const;
const WC_Q_ZERO_COPY = 1;

/** A DPDK failure: `code` is stable (ERR_DPDK_*), `status` the shim's WC_E_* value (0 when not from the shim). */
export class DpdkError extends HostError {
  constructor(
    code: string,
    message: string,
    readonly exitCode: number,
    readonly status = 0,
  ) {
    super(code, message);
  }
}

/** The shim's functions (wcdpdk.h), as koffi binds them. */
export interface DpdkLib {
  readonly path: string;
  wc_last_error(): string;
  wc_eal_init(argc: number, argv: readonly string[]): number;
  wc_eal_ready(): number;
  wc_eal_cleanup(): number;
  wc_thread_register(): number;
  wc_thread_unregister(): void;
  wc_lcore_cpus(out: Uint32Array, n: number): number;
  wc_thread_pin(cpu: number): number;
  wc_port_count(): number;
  wc_port_info(port: number, out: Uint32Array, n: number): number;
  wc_port_mac(port: number, out: Uint8Array): number;
  wc_port_name(port: number, out: Uint8Array, len: number): number;
  wc_port_driver(port: number): string;
  wc_port_configure(port: number, queues: number, rxRing: number, txRing: number): number;
  wc_pool_bytes(mbufs: number): number | bigint;
  wc_tx_room(): number;
  wc_queue_setup(port: number, queue: number, poolAddr: number, poolBytes: number, mbufs: number, flags: number): number;
  wc_port_start(port: number): number;
  wc_port_promiscuous(port: number, on: number): number;
  wc_port_stats(port: number, out: Float64Array, n: number): number;
  wc_port_stop(port: number): number;
  wc_port_close(port: number): number;
  wc_queue_bind(qid: number, mem: number, size: number, rxDesc: number, txDesc: number, copyBufs: number): number;
  wc_burst(qid: number, txCount: number, rxMax: number): number;
  wc_queue_flush(qid: number): number;
  wc_queue_intr_mode(qid: number): number;
  wc_queue_intr_fd(qid: number): number;
  wc_queue_intr_arm(qid: number): number;
  wc_queue_intr_disarm(qid: number): number;
  wc_queue_stats(qid: number, out: Float64Array, n: number): number;
}

/** Where the shim may be: $WASMCACHED_DPDK_LIB, else build/ beside dist/ (the bundle) or beside host/ (sources). */
export function libCandidates(): string[] {
  const explicit = process.env[LIB_ENV];
  if (explicit) return [explicit];
  const here = dirname(fileURLToPath(import.meta.url));
  return [join(here, "..", "build", LIB_FILE), join(here, "..", "..", "build", LIB_FILE)];
}

let cached: DpdkLib | undefined;

/** Loads the shim once per thread (koffi works in worker_threads). Throws ERR_DPDK_NOT_BUILT / ERR_DPDK_LOAD. */
export function dpdkLib(path?: string): DpdkLib {
  if (cached && (path === undefined || path === cached.path)) return cached;
  const candidates = path ? [path] : libCandidates();
  const found = candidates.find((p) => existsSync(p));
  if (!found) {
    throw new DpdkError(
      "ERR_DPDK_NOT_BUILT",
      `the DPDK shim ${LIB_FILE} is not built (looked in ${candidates.join(", ")}): install DPDK ` +
        "(apt-get install dpdk libdpdk-dev pkg-config) and run `npm run build`",
      EX_CONFIG,
    );
  }
  let lib: ReturnType<typeof koffi.load>;
  try {
    lib = koffi.load(found);
  } catch (err) {
    throw new DpdkError("ERR_DPDK_LOAD", `cannot load ${found}: ${(err as Error).message}`, EX_CONFIG);
  }
  const f = (decl: string) => lib.func(decl);
  cached = Object.freeze({
    path: found,
    wc_last_error: f("const char *wc_last_error(void)"),
    wc_eal_init: f("int wc_eal_init(int argc, const char **argv)"),
    wc_eal_ready: f("int wc_eal_ready(void)"),
    wc_eal_cleanup: f("int wc_eal_cleanup(void)"),
    wc_thread_register: f("int wc_thread_register(void)"),
    wc_thread_unregister: f("void wc_thread_unregister(void)"),
    wc_lcore_cpus: f("int wc_lcore_cpus(uint32_t *out, uint32_t n)"),
    wc_thread_pin: f("int wc_thread_pin(uint32_t cpu)"),
    wc_port_count: f("int wc_port_count(void)"),
    wc_port_info: f("int wc_port_info(uint16_t port, uint32_t *out, uint32_t n)"),
    wc_port_mac: f("int wc_port_mac(uint16_t port, uint8_t *out)"),
    wc_port_name: f("int wc_port_name(uint16_t port, uint8_t *out, uint32_t len)"),
    wc_port_driver: f("const char *wc_port_driver(uint16_t port)"),
    wc_port_configure: f("int wc_port_configure(uint16_t port, uint16_t queues, uint16_t rx, uint16_t tx)"),
    wc_pool_bytes: f("uint64_t wc_pool_bytes(uint32_t n)"),
    wc_tx_room: f("uint32_t wc_tx_room(void)"),
    wc_queue_setup: f("int wc_queue_setup(uint16_t port, uint16_t queue, uintptr_t addr, uint64_t bytes, uint32_t n, uint32_t flags)"),
    wc_port_start: f("int wc_port_start(uint16_t port)"),
    wc_port_promiscuous: f("int wc_port_promiscuous(uint16_t port, int on)"),
    wc_port_stats: f("int wc_port_stats(uint16_t port, double *out, uint32_t n)"),
    wc_port_stop: f("int wc_port_stop(uint16_t port)"),
    wc_port_close: f("int wc_port_close(uint16_t port)"),
    wc_queue_bind: f("int wc_queue_bind(int qid, uintptr_t mem, uint64_t size, uint32_t rx, uint32_t tx, uint32_t bufs)"),
    wc_burst: f("int32_t wc_burst(int qid, uint32_t tx, uint32_t rx)"),
    wc_queue_flush: f("int wc_queue_flush(int qid)"),
    wc_queue_intr_mode: f("int wc_queue_intr_mode(int qid)"),
    wc_queue_intr_fd: f("int wc_queue_intr_fd(int qid)"),
    wc_queue_intr_arm: f("int wc_queue_intr_arm(int qid)"),
    wc_queue_intr_disarm: f("int wc_queue_intr_disarm(int qid)"),
    wc_queue_stats: f("int wc_queue_stats(int qid, double *out, uint32_t n)"),
  }) as DpdkLib;
  return cached;
}

/**
 * The CPUs of EAL's lcores (-l / --lcores), main lcore first: where the
 * data-plane workers go, one each (lcores without a single CPU are left out).
 */
export function lcoreCpus(lib: DpdkLib = dpdkLib()): number[] {
  const out = new Uint32Array(256);
  const n = check(lib, lib.wc_lcore_cpus(out, out.length), "DPDK");
  return Array.from(out.subarray(0, Math.min(n, out.length))).filter((c) => c !== 0xffffffff);
}

/** The DpdkError for a negative shim return, with the shim's message. */
export function shimError(lib: DpdkLib, status: number, context: string): DpdkError {
  const known = CODES[status] ?? { code: "ERR_DPDK", exit: EX_SOFTWARE };
  const detail = lib.wc_last_error() || `status ${status}`;
  return new DpdkError(known.code, `${context}: ${detail}`, known.exit, status);
}

/** Returns `r` when it is a success (>= 0); throws its DpdkError otherwise. */
function check(lib: DpdkLib, r: number, context: string): number {
  if (r < 0) throw shimError(lib, r, context);
  return r;
}

/** Splits `--dpdk "<EAL args>"` into words; single or double quotes group words with spaces. */
export function splitEalArgs(text: string): string[] {
  const words: string[] = [];
  const re = /"([^"]*)"|'([^']*)'|(\S+)/g;
  for (let m = re.exec(text); m; m = re.exec(text)) words.push(m[1] ?? m[2] ?? m[3]);
  return words;
}

/** EAL's log level when the arguments set none: EAL logs to stdout, and at "info" it says a lot. */
export const EAL_LOG_LEVEL = "notice";

/**
 * rte_eal_init, once per process, in the thread that will own the ports (the
 * main thread); its CPU affinity is restored afterwards. Without a
 * --log-level in `args`, --log-level=notice is added. Returns the number of
 * ports; throws ERR_DPDK_NO_PORTS when there is none (a vdev that failed to
 * probe), ERR_DPDK_EAL_REFUSED for arguments that would end the process
 * (--help), ERR_DPDK_EAL_ARGS for arguments EAL rejected, ERR_DPDK_EAL_ONCE
 * for a second call (EAL cannot be retried after a failure either).
 */
export function ealInit(args: readonly string[], lib: DpdkLib = dpdkLib()): number {
  const all = args.some((a) => a.startsWith("--log-level")) ? args : [...args, `--log-level=${EAL_LOG_LEVEL}`];
  check(lib, lib.wc_eal_init(all.length, all), "DPDK");
  return check(lib, lib.wc_port_count(), "DPDK");
}

/**
 * rte_eal_cleanup, after every port is closed. The server does not call it
 * at exit (host/backends.ts: EAL's interrupt thread outlives it in 22.11).
 */
export function ealCleanup(lib: DpdkLib = dpdkLib()): void {
  check(lib, lib.wc_eal_cleanup(), "DPDK");
}

export interface PortInfo {
  readonly port: number;
  /** The device name: "net_null0", "0000:3b:00.0". */
  readonly name: string;
  readonly driver: string;
  readonly mac: Uint8Array;
  readonly maxRxQueues: number;
  readonly maxTxQueues: number;
  /** Flow types the port can hash for RSS (RTE_ETH_RSS_* bits); 0n: no RSS. */
  readonly rssOffloads: bigint;
  readonly retaSize: number;
  readonly mtu: number;
  readonly minMtu: number;
  readonly maxMtu: number;
  readonly linkUp: boolean;
  /** Mb/s; 0 when unknown. */
  readonly linkSpeed: number;
  /** NUMA socket, -1 for any. */
  readonly socket: number;
  readonly rxDescMax: number;
  readonly txDescMax: number;
}

export function portInfo(port: number, lib: DpdkLib = dpdkLib()): PortInfo {
  const ctx = "DPDK";
  const v = new Uint32Array(PINFO_COUNT);
  check(lib, lib.wc_port_info(port, v, v.length), ctx);
  const mac = new Uint8Array(6);
  check(lib, lib.wc_port_mac(port, mac), ctx);
  const name = new Uint8Array(64);
  const len = check(lib, lib.wc_port_name(port, name, name.length), ctx);
  return Object.freeze({
    port,
    name: Buffer.from(name.subarray(0, len)).toString("latin1"),
    driver: lib.wc_port_driver(port),
    mac,
    maxRxQueues: v[0],
    maxTxQueues: v[1],
    rssOffloads: (BigInt(v[3]) << 32n) | BigInt(v[2]),
    retaSize: v[4],
    mtu: v[6],
    minMtu: v[7],
    maxMtu: v[8],
    linkUp: v[9] === 1,
    linkSpeed: v[10],
    socket: v[11] | 0,
    rxDescMax: v[12],
    txDescMax: v[13],
  });
}

/** Bytes of Wasm memory (a multiple of the page size) a zero-copy pool of `mbufs` needs; its start must be page-aligned. */
export function poolBytes(mbufs: number, lib: DpdkLib = dpdkLib()): number {
  const n = Number(lib.wc_pool_bytes(mbufs));
  if (n === 0) throw new DpdkError("ERR_DPDK_ARG", `a pool of ${mbufs} mbufs is out of range`, EX_SOFTWARE);
  return n;
}

/** Mbufs a queue needs: its rx ring full, its tx ring full, two bursts lent to Wasm, and slack for the pool cache. */
export function defaultMbufs(rxRing: number, txRing: number): number {
  return rxRing + txRing + 4 * BURST_MAX + 512;
}

export interface PortOptions {
  /** rx/tx queue pairs (one per data-plane worker). */
  readonly queues: number;
  /** Ring sizes; 0 or absent: 1024, adjusted to the driver's limits. */
  readonly rxRing?: number;
  readonly txRing?: number;
}

export interface QueueOptions {
  /** The shared Wasm memory. */
  readonly memory: Uint8Array;
  /** Zero-copy: the page-aligned offset in `memory` of poolBytes(mbufs) bytes for the data rooms. */
  readonly poolOffset?: number;
  readonly mbufs: number;
  readonly zeroCopy: boolean;
}

/** A configured port. Owned by the thread that called ealInit. */
export class DpdkPort {
  private closed = false;
  private readonly qids: number[] = [];

  private constructor(
    private readonly lib: DpdkLib,
    readonly port: number,
    readonly queues: number,
    /** RSS spreads flows over the queues (false with one queue, or when the port cannot). */
    readonly rss: boolean,
  ) {}

  static configure(port: number, options: PortOptions, lib: DpdkLib = dpdkLib()): DpdkPort {
    const rss = check(lib, lib.wc_port_configure(port, options.queues, options.rxRing ?? 0, options.txRing ?? 0), "DPDK");
    return new DpdkPort(lib, port, options.queues, rss === 1);
  }

  /** Sets up rx/tx queue `queue` with its own pool; returns its queue id for DpdkDevice.attach. */
  setupQueue(queue: number, options: QueueOptions): number {
    const { lib } = this;
    let addr = 0;
    let bytes = 0;
    if (options.zeroCopy) {
      const off = options.poolOffset ?? -1;
      bytes = poolBytes(options.mbufs, lib);
      if (off < 0 || off + bytes > options.memory.length) {
        throw new DpdkError(
          "ERR_DPDK_ARG",
          `DPDK port ${this.port} queue ${queue}: zero-copy pool [${off}, +${bytes}) is not inside the Wasm memory`,
          EX_SOFTWARE,
        );
      }
      addr = Number(koffi.address(options.memory)) + off;
    }
    const flags = options.zeroCopy ? WC_Q_ZERO_COPY : 0;
    const qid = check(lib, lib.wc_queue_setup(this.port, queue, addr, bytes, options.mbufs, flags), "DPDK");
    this.qids[queue] = qid;
    return qid;
  }

  qid(queue: number): number {
    return this.qids[queue];
  }

  start(): void {
    check(this.lib, this.lib.wc_port_start(this.port), "DPDK");
  }

  promiscuous(on: boolean): void {
    check(this.lib, this.lib.wc_port_promiscuous(this.port, on ? 1 : 0), "DPDK");
  }

  info(): PortInfo {
    return portInfo(this.port, this.lib);
  }

  /** The port's counters (rte_eth_stats). */
  stats(): Counters {
    const v = new Float64Array(PORT_STATS.length);
    check(this.lib, this.lib.wc_port_stats(this.port, v, v.length), "DPDK");
    return Object.fromEntries(PORT_STATS.map((k, i) => [k, v[i]]));
  }

  /** Stops the port; every worker must have stopped polling its queues. */
  stop(): void {
    if (!this.closed) check(this.lib, this.lib.wc_port_stop(this.port), "DPDK");
  }

  /** Stops and closes the port and frees its pools. Idempotent. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    check(this.lib, this.lib.wc_port_close(this.port), "DPDK");
  }
}

/** Fields of burst()'s packed result. */
export const rxOf = (r: number): number => r & 0xff;
export const sentOf = (r: number): number => (r >>> 8) & 0xff;
export const availOf = (r: number): number => (r >>> 16) & 0xff;

/**
 * How an idle worker can wait for a queue's next frame (wcdpdk.h WC_INTR_*):
 * "none": no rx interrupt, back off by sleeping; "armed": an eventfd to arm
 * before the last poll and sleep on (a NIC with vfio); "level": the queue's
 * own fd, readable while a frame waits (net_tap), nothing to arm.
 */
export type RxInterrupt = "none" | "armed" | "level";
const RX_INTERRUPTS: readonly RxInterrupt[] = ["none", "armed", "level"];

export interface AttachOptions {
  /** Largest frame, Ethernet header included (default 1500 + 14). */
  readonly maxFrame?: number;
  /** rte_thread_register this thread (mempool caches for its queue); default true. */
  readonly registerThread?: boolean;
  /** Pin this thread to this CPU first (its lcore's: lcoreCpus); default: leave its affinity alone. */
  readonly cpu?: number;
}

/**
 * One queue of a started port, bound to one device region of the shared Wasm
 * memory. Not wrappable by a device that restages frames in memory of its
 * own: zero-copy frames live in mbufs, and the shim reads and writes only
 * the descriptor arrays it was bound to.
 *
 * Beyond Device:
 * - `burst(txCount, rxMax)`: the poll loop's one FFI call per burst;
 * - `offersTx`: tx buffers come from the device (zero-copy mbufs), so the host
 *   must not overwrite tx descriptors with its own buffers (DeviceRegion.offerTx):
 *   every burst (and receive, and transmit) leaves fresh offers there, and
 *   `offerTx(tx)` reports how many.
 */
export class DpdkDevice implements Device {
  readonly name: string;
  readonly maxFrame: number;
  readonly fd = -1;
  readonly offersTx = true;
  /** The queue's rx interrupt (decided when the port started) and the fd to poll() while idle (-1 with "none"). */
  readonly rxInterrupt: RxInterrupt;
  readonly intrFd: number;
  private avail: number;
  private closed = false;
  private readonly registered: boolean;

  private constructor(
    private readonly lib: DpdkLib,
    readonly qid: number,
    readonly region: DeviceRegion,
    readonly zeroCopy: boolean,
    options: AttachOptions,
  ) {
    this.name = `dpdk:q${qid}${zeroCopy ? "" : ":copy"}`;
    this.maxFrame = options.maxFrame ?? 1500 + ETH_HEADER;
    if (options.cpu !== undefined) check(lib, lib.wc_thread_pin(options.cpu), `${this.name}: pinning to CPU ${options.cpu}`);
    this.registered = options.registerThread !== false && lib.wc_thread_register() >= 0;
    const { rx, tx, rxBuffers } = region;
    const base = Number(koffi.address(rx.bytes));
    this.avail = check(lib, lib.wc_queue_bind(qid, base, rx.bytes.length, rx.desc, tx.desc, rxBuffers), "DPDK");
    this.rxInterrupt = RX_INTERRUPTS[check(lib, lib.wc_queue_intr_mode(qid), "DPDK")] ?? "none";
    this.intrFd = this.rxInterrupt === "none" ? -1 : check(lib, lib.wc_queue_intr_fd(qid), "DPDK");
  }

  /**
   * Binds queue `qid` (from DpdkPort.setupQueue, possibly in another thread)
   * to `region` in this thread. `zeroCopy` must match the queue's setup.
   */
  static attach(qid: number, region: DeviceRegion, zeroCopy: boolean, options: AttachOptions = {}, lib = dpdkLib()): DpdkDevice {
    if (region.tx.bytes.buffer !== region.rx.bytes.buffer) {
      throw new DpdkError("ERR_DPDK_ARG", "DPDK device: rx and tx descriptors must be in the same memory", EX_SOFTWARE);
    }
    return new DpdkDevice(lib, qid, region, zeroCopy, options);
  }

  /**
   * Sends the first `txCount` tx descriptors, frees what the last burst lent
   * and was not sent, receives up to `rxMax` frames into rx descriptors and
   * offers tx buffers. Returns rx | sent << 8 | avail << 16 (rxOf, sentOf, availOf).
   */
  burst(txCount: number, rxMax: number = BURST_MAX): number {
    const r = this.lib.wc_burst(this.qid, txCount, rxMax);
    if (r < 0) throw shimError(this.lib, r, this.name);
    this.avail = r >>> 16;
    return r;
  }

  /**
   * Before the last poll of an idle run: arms the rx interrupt, so a frame
   * arriving from now on makes intrFd readable. False if the PMD refused
   * (the caller backs off by sleeping instead); a no-op for "level".
   */
  intrArm(): boolean {
    return this.lib.wc_queue_intr_arm(this.qid) >= 0;
  }

  /** After sleeping on intrFd: disarms, and empties the eventfd so the next sleep does not end at once. */
  intrDisarm(): void {
    check(this.lib, this.lib.wc_queue_intr_disarm(this.qid), this.name);
  }

  private bound(b: Burst, which: Burst, op: string): void {
    if (b.bytes.buffer !== which.bytes.buffer || b.desc !== which.desc) {
      throw new DpdkError(
        "ERR_DPDK_BURST",
        `${this.name}: ${op} through descriptors at ${b.desc}, but the device is bound to ${which.desc} of its Wasm memory`,
        EX_SOFTWARE,
      );
    }
  }

  receive(rx: Burst, max: number, _now: number): number {
    this.bound(rx, this.region.rx, "receive");
    return rxOf(this.burst(0, Math.min(max, BURST_MAX)));
  }

  transmit(tx: Burst, count: number, _now: number): number {
    this.bound(tx, this.region.tx, "transmit");
    return sentOf(this.burst(count, 0));
  }

  /** Tx buffers offered in `tx` right now (they were written by the last call). */
  offerTx(tx: Burst): number {
    this.bound(tx, this.region.tx, "offerTx");
    return this.avail;
  }

  /** A polled device: always worth polling; the host's idle back-off (or intrFd) decides how often. */
  pollAt(now: number): number {
    return now;
  }

  counters(): Counters {
    const v = new Float64Array(QUEUE_STATS.length);
    check(this.lib, this.lib.wc_queue_stats(this.qid, v, v.length), this.name);
    return Object.fromEntries(QUEUE_STATS.map((k, i) => [k, v[i]]));
  }

  /** Returns every mbuf lent to the stack to the pool (tx offers included); the next burst offers again. */
  flush(): void {
    check(this.lib, this.lib.wc_queue_flush(this.qid), this.name);
    this.avail = 0;
  }

  /**
   * Gives back what the stack holds (nothing to give once DpdkPort.close ran);
   * the port itself is closed by DpdkPort.close. Idempotent.
   */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.lib.wc_queue_flush(this.qid);
    this.avail = 0;
    if (this.registered) this.lib.wc_thread_unregister();
  }
}
