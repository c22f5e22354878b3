// One userspace-stack worker: a thread that owns a Device (TAP, possibly
// wrapped by the fault injector) and one netstack + protocol module pair on
// the shared memory. Per burst: receive frames into the stack's rx
// descriptors, one net_poll, transmit what it built. JS touches descriptors,
// never payloads (TAP reads and writes go straight into Wasm memory).
//
// When a burst brings nothing in and sends nothing out, the worker sleeps in
// poll() on the device's fd until a frame arrives, the stack's next timer
// (net_poll_at) or the device's (pollAt) is due, or IDLE_MAX_MS passes (to
// notice SHUTDOWN): an idle server does not burn a core.
//
// The same loop drives a DPDK queue (DpdkDevice, docs/dpdk.md): there a
// burst is one FFI call (`burst`: send, receive, offer tx mbufs) and one
// net_poll. After IDLE_SPINS empty bursts the worker sleeps: in poll() on the
// queue's rx interrupt fd where the port has one (net_tap), else for a time
// that doubles from BACKOFF_MIN_US up to --idle-backoff-us (0: busy-poll).
import v8 from "node:v8";
import { parentPort, workerData } from "node:worker_threads";
import { BURST_MAX, Burst, type Device, FRAME_CAP } from "./devices/device.js";
import { type FaultConfig, FaultInjector } from "./devices/faults.js";
import { TapDevice } from "./devices/tap.js";
import { DeviceRegion } from "./devices/device.js";
import { DpdkDevice, availOf, rxOf } from "./devices/dpdk.js";
import { ModuleError } from "./errors.js";
import { CONTROL_BASE, CONTROL_SIZE, type Layout, shutdownRequested } from "./layout.js";
import { EINTR, type Libc, POLLFD_SIZE, POLLIN, libc, sysError } from "./libc.js";
import { type NetModuleSet, type NetstackExports, instantiateNetstack } from "./modules.js";
import { initCore } from "./workers.js";

/** The TAP the main thread opened (its fd is the process's), and what it learnt then. */
export interface TapHandle {
  readonly fd: number;
  readonly ifname: string;
  readonly kernelMac: Uint8Array;
  readonly mtu: number;
}

/** A DPDK queue the main thread set up (DpdkPort.setupQueue) for this worker. */
export interface DpdkHandle {
  readonly qid: number;
  readonly zeroCopy: boolean;
  /**
   * Longest sleep between polls once idle, in microseconds, where the queue
   * has no rx interrupt (with one, the worker sleeps until a frame or the
   * stack's next timer); 0 = busy-poll, interrupts or not.
   */
  readonly idleBackoffUs: number;
  /** Frames one burst takes from the rx queue (--rx-burst). */
  readonly rxBurst: number;
  /** Largest frame, Ethernet header included. */
  readonly maxFrame: number;
  /** The CPU of this worker's lcore: the worker pins itself there before polling (undefined: not pinned). */
  readonly cpu?: number;
}

/** What main.ts hands a net worker: a TAP or a DPDK queue. */
export interface NetWorkerInit {
  readonly core: number;
  readonly memory: WebAssembly.Memory;
  readonly modules: NetModuleSet;
  readonly layout: Layout;
  readonly verbosity: number;
  readonly tap?: TapHandle;
  readonly dpdk?: DpdkHandle;
  readonly faults: FaultConfig | undefined;
  /**
   * Pass net_poll a sub-millisecond clock (performance.now() on the unix
   * epoch) instead of whole milliseconds: the load generator times replies
   * with it. The server keeps whole ms (app_tick once per ms, not per burst).
   */
  readonly fineClock?: boolean;
}

/** A device whose one call per burst sends, receives and offers tx buffers itself (DpdkDevice). */
export interface BurstDevice extends Device {
  readonly offersTx: true;
  /** Returns rx | sent << 8 | avail << 16 (rxOf, availOf). */
  burst(txCount: number, rxMax?: number): number;
}

function isBurstDevice(d: Device): d is BurstDevice {
  return (d as Partial<BurstDevice>).offersTx === true && typeof (d as Partial<BurstDevice>).burst === "function";
}

/**
 * Empty bursts in a row before a polled device's worker starts to sleep:
 * ≈0.3 ms of polling here (an empty burst + net_poll ≈1 µs), long enough
 * to ride out the gaps between a client's requests, short next to the cost
 * of sleeping (every sleep costs ≈15–30 µs of CPU and ≥100 µs of latency on
 * this VM, however short it asks to be).
 */
export const IDLE_SPINS = 256;

/**
 * The first back-off sleep of a queue without rx interrupts; each idle poll
 * after it doubles it, up to --idle-backoff-us. Short: a frame soon after
 * the spin run waits little, and a few doublings reach the maximum.
 */
export const BACKOFF_MIN_US = 8;

/** Longest sleep between looks at the SHUTDOWN word. */
export const IDLE_MAX_MS = 100;

/** The part of the stack module the loop drives (docs/net-device.md). */
export type NetPort = Pick<NetstackExports, "net_rx_desc" | "net_tx_desc" | "net_frame_buffers" | "net_poll" | "net_poll_at">;

/** What one burst did. */
export interface StepResult {
  readonly received: number;
  readonly sent: number;
}

/**
 * The burst loop over one device and one stack instance. `step` is one
 * receive → net_poll → transmit; `idleMs` says how long the worker may then
 * sleep. Tests drive both with a fake stack.
 */
export class NetLoop {
  private readonly rx: Burst;
  private readonly tx: Burst;
  private readonly rxBuffers: number;
  private readonly txBuffers: number;
  private readonly burstDevice: BurstDevice | undefined;
  /** Descriptors [0, n) the last burst used, to offer again (the rest still offer their empty buffer). */
  private rxUsed = BURST_MAX;
  private txUsed = BURST_MAX;

  /** rxMax: frames a burst device's burst takes (the rest wait in its queue for the next step). */
  constructor(private readonly stack: NetPort, private readonly device: Device, bytes: Uint8Array, private readonly rxMax = BURST_MAX) {
    this.rx = new Burst(bytes, stack.net_rx_desc() >>> 0); // Wasm returns i32: addresses past 2 GiB come back negative
    this.tx = new Burst(bytes, stack.net_tx_desc() >>> 0);
    this.rxBuffers = stack.net_frame_buffers() >>> 0;
    this.txBuffers = this.rxBuffers + BURST_MAX * FRAME_CAP;
    if (this.txBuffers + BURST_MAX * FRAME_CAP > bytes.length) {
      throw new ModuleError("ERR_NET_BUFFERS", "net_frame_buffers() is outside the memory");
    }
    this.burstDevice = isBurstDevice(device) ? device : undefined;
    if (this.burstDevice) this.txUsed = 0; // nothing built yet: the first burst sends nothing
  }

  step(now: number): StepResult {
    if (this.burstDevice) return this.burstStep(this.burstDevice, now);
    const { rx, tx, device, stack } = this;
    rx.offer(this.rxBuffers, this.rxUsed);
    const received = device.receive(rx, BURST_MAX, now);
    this.rxUsed = received;
    tx.offer(this.txBuffers, this.txUsed);
    const built = stack.net_poll(received, BURST_MAX, now) >>> 0;
    if (built > BURST_MAX) throw new ModuleError("ERR_NET_POLL", `net_poll returned ${built} frames for ${BURST_MAX} buffers`);
    this.txUsed = built;
    device.transmit(tx, built, now); // also with 0: wrappers release frames they hold
    return { received, sent: built };
  }

  /**
   * A device that offers its own tx buffers (DPDK): one call sends what the
   * last net_poll built, receives, and offers fresh tx buffers; then one net_poll.
   * The frames built here go out with the next burst (or `drain`).
   */
  private burstStep(device: BurstDevice, now: number): StepResult {
    const r = device.burst(this.txUsed, this.rxMax);
    const received = rxOf(r);
    const avail = availOf(r);
    const built = this.stack.net_poll(received, avail, now) >>> 0;
    if (built > avail) throw new ModuleError("ERR_NET_POLL", `net_poll returned ${built} frames for ${avail} buffers`);
    this.txUsed = built;
    return { received, sent: built };
  }

  /** Sends what the last net_poll built and is still waiting for the next burst (DPDK); receives nothing. */
  drain(): void {
    if (this.burstDevice && this.txUsed > 0) {
      this.burstDevice.burst(this.txUsed, 0);
      this.txUsed = 0;
    }
  }

  /**
   * After a step: 0 to step again at once (frames came or went, so more may
   * follow), else how long nothing is due, capped at IDLE_MAX_MS.
   */
  idleMs(last: StepResult, now: number): number {
    if (last.received > 0 || last.sent > 0) return 0;
    const due = Math.min(this.stack.net_poll_at(), this.device.pollAt(now));
    // A timer due now was just run by net_poll: wait at least 1 ms rather than spin on a stale answer.
    const wait = Math.ceil(due - now);
    return Math.max(1, Math.min(IDLE_MAX_MS, Number.isFinite(wait) ? wait : IDLE_MAX_MS));
  }
}

/** Sleeps until `fd` is readable or `ms` passed; without an fd, just sleeps. */
export class IdleWaiter {
  private readonly pollfd = new Uint8Array(POLLFD_SIZE);
  private readonly sleeper = new Int32Array(new SharedArrayBuffer(4));

  constructor(private readonly c: Libc, private readonly fd: number) {
    const dv = new DataView(this.pollfd.buffer);
    dv.setInt32(0, fd, true);
    dv.setInt16(4, POLLIN, true);
  }

  wait(ms: number): void {
    if (this.fd < 0) {
      Atomics.wait(this.sleeper, 0, 0, ms);
      return;
    }
    if (this.c.poll(this.pollfd, 1, ms) < 0) {
      const errno = this.c.errno();
      if (errno !== EINTR) throw sysError(this.c, "ERR_POLL", "poll", errno, `device fd ${this.fd}`);
    }
  }
}

/** The device a worker polls: its DPDK queue, or the adopted TAP (inside the fault injector when --faults). */
export function workerDevice(init: NetWorkerInit, c: Libc, rxDesc = 0): Device {
  const { tap, dpdk } = init;
  if (dpdk) {
    // The stack's descriptor arrays and copy buffers are a DeviceRegion (docs/netstack.md).
    const region = new DeviceRegion(new Uint8Array(init.memory.buffer), rxDesc);
    return DpdkDevice.attach(dpdk.qid, region, dpdk.zeroCopy, { maxFrame: dpdk.maxFrame, cpu: dpdk.cpu });
  }
  if (!tap) throw new ModuleError("ERR_NO_DEVICE", `core ${init.core}: neither a TAP nor a DPDK queue to poll`);
  const dev: Device = TapDevice.adopt(tap.fd, tap.ifname, { mac: tap.kernelMac, mtu: tap.mtu }, c);
  return init.faults ? new FaultInjector(dev, init.faults) : dev;
}

/** "name=value ..." of the stack's counters that are not zero. */
export function stackCounters(net: NetstackExports, memory: WebAssembly.Memory): string {
  const bytes = new Uint8Array(memory.buffer);
  const parts: string[] = [];
  for (let i = 0; i < net.net_counter_count(); i++) {
    const v = net.net_counter(i);
    if (v === 0n) continue;
    const at = net.net_counter_name(i) >>> 0;
    const end = bytes.indexOf(0, at);
    parts.push(`${Buffer.from(bytes.subarray(at, end)).toString("latin1")}=${v}`);
  }
  return parts.join(" ");
}

/** After SHUTDOWN: at most this many bursts, and this long, to put net_shutdown's RSTs on the wire. */
export const SHUTDOWN_STEPS = 1000;
export const SHUTDOWN_MS = 200;

/**
 * The orderly end (docs/netstack.md, "Shutdown"): net_shutdown aborts every
 * connection and queues one RST each; bursts follow until the stack has
 * built them all (net_pending_tx() is 0), bounded by SHUTDOWN_STEPS and
 * SHUTDOWN_MS. A burst that moved nothing (an ARP reply awaited) waits 1 ms.
 * A polled device still holds the last burst's frames: the caller drains it.
 */
export function resetPeers(
  net: Pick<NetstackExports, "net_shutdown" | "net_pending_tx">, loop: NetLoop, now: () => number, wait: (ms: number) => void,
): { aborted: number; pending: number } {
  const aborted = net.net_shutdown() >>> 0;
  const deadline = now() + SHUTDOWN_MS;
  for (let i = 0; i < SHUTDOWN_STEPS && net.net_pending_tx() > 0; i++) {
    const t = now();
    if (t >= deadline) break;
    const last = loop.step(t);
    if (last.received === 0 && last.sent === 0) wait(1);
  }
  return { aborted, pending: net.net_pending_tx() >>> 0 };
}

export class NetWorker {
  private readonly c = libc();
  private readonly net: NetstackExports;
  private readonly device: Device;
  private readonly loop: NetLoop;
  private readonly waiter: IdleWaiter;
  private readonly ctl32: Int32Array;
  private readonly now: () => number;

  constructor(private readonly init: NetWorkerInit) {
    const { memory, layout, core } = init;
    const { netstack: net, app } = instantiateNetstack(memory, init.modules);
    this.net = net;
    initCore(layout, core, { name: "net_init", call: net.net_init }, app, init.modules.appName);
    this.device = workerDevice(init, this.c, net.net_rx_desc() >>> 0);
    try {
      this.loop = new NetLoop(net, this.device, new Uint8Array(memory.buffer), init.dpdk?.rxBurst);
      this.waiter = new IdleWaiter(this.c, this.device.fd);
    } catch (err) {
      this.device.close(); // the device (a TAP's fd) is this worker's from adoption on: the main thread does not close it
      throw err;
    }
    this.ctl32 = new Int32Array(memory.buffer, CONTROL_BASE, CONTROL_SIZE / 4);
    // DPDK workers read the fine clock to time their busy bursts (runPolled); the stack
    // still gets whole ms unless fineClock (stackTime): app_tick once per ms, not per burst
    const origin = performance.timeOrigin; // a getter: read once, not per burst
    this.now = init.fineClock || init.dpdk ? () => origin + performance.now() : Date.now;
    net.net_announce(); // a gratuitous ARP with the first poll
  }

  /** The time given to the stack: `t` with fineClock, else its whole ms. */
  private stackTime(t: number): number {
    return this.init.fineClock ? t : Math.floor(t);
  }

  /** Runs until the control block's SHUTDOWN word is set; then resets the connections (resetPeers) and closes the device. */
  run(): void {
    if (this.init.dpdk) {
      this.runPolled(this.init.dpdk);
      return;
    }
    const { loop } = this;
    try {
      while (!shutdownRequested(this.ctl32)) {
        const now = this.now();
        const last = loop.step(now);
        const idle = loop.idleMs(last, now);
        if (idle > 0) this.waiter.wait(idle);
      }
      const end = resetPeers(this.net, loop, this.now, (ms) => this.waiter.wait(ms));
      if (this.init.verbosity > 0) {
        console.error(`wasmcached: core ${this.init.core}: shutdown: ${end.aborted} connections reset, ${end.pending} frames unsent`);
        console.error(`wasmcached: core ${this.init.core}: ${this.device.name} ${JSON.stringify(this.device.counters())}`);
        console.error(`wasmcached: core ${this.init.core}: stack ${stackCounters(this.net, this.init.memory)}`);
      }
    } finally {
      this.device.close();
    }
  }

  /**
   * A polled device (DPDK): busy-polls while frames flow; after IDLE_SPINS
   * empty bursts sleeps until the next frame (rx interrupt) or backs off
   * (doubling sleeps up to idleBackoffUs), never past the stack's next timer.
   * On SHUTDOWN: sends what is built, gives every mbuf back (flush), reports
   * the pool, closes.
   */
  private runPolled(dpdk: DpdkHandle): void {
    const { loop, net } = this;
    const dev = this.device as DpdkDevice;
    const maxUs = dpdk.idleBackoffUs;
    const tag = `wasmcached: core ${this.init.core}: ${dev.name}`;
    // Sleeping on the rx interrupt fd where the queue has one; an arm the PMD refuses falls back to back-off for good.
    let intr = maxUs > 0 && dev.rxInterrupt !== "none" ? new IdleWaiter(this.c, dev.intrFd) : undefined;
    if (this.init.verbosity > 0) {
      const how = maxUs === 0 ? "busy-polls (--idle-backoff-us 0)"
        : intr ? `sleeps on the rx interrupt (${dev.rxInterrupt}, fd ${dev.intrFd})`
        : `backs off from ${BACKOFF_MIN_US} to ${maxUs} us (no rx interrupt)`;
      console.error(`${tag} idle: ${how}`);
    }
    /** ms until the stack's next timer (+Inf: none); <= 0 when due (net_poll just ran it, or its answer is stale). */
    const untilTimer = (now: number) => net.net_poll_at() - now;
    dev.flush(); // attach offered tx mbufs: start from nothing lent, the state flush leaves at exit
    const inUseAtStart = dev.counters().poolInUse;
    let empty = 0;
    let backoffUs = 0;
    // Time in bursts that moved frames (the worker's real work, FACTS.md: most polls are empty),
    // from the clock read each burst takes anyway: a busy burst lasts until the next one starts.
    let busyMs = 0;
    let busyBursts = 0;
    let busySince = -1;
    try {
      while (!shutdownRequested(this.ctl32)) {
        let now = this.now();
        if (busySince >= 0) busyMs += now - busySince;
        busySince = -1;
        const last = loop.step(this.stackTime(now));
        if (last.received > 0 || last.sent > 0) {
          busySince = now;
          busyBursts++;
          empty = 0;
          backoffUs = 0;
          continue;
        }
        if (++empty < IDLE_SPINS || maxUs === 0) continue;
        if (intr && dev.rxInterrupt === "armed") {
          if (!dev.intrArm()) {
            console.error(`${tag}: the rx interrupt cannot be armed: backing off by sleeping instead`);
            intr = undefined;
            continue;
          }
          // A frame that came between the last poll and arming raised no interrupt: poll once more.
          now = this.now();
          const again = loop.step(this.stackTime(now));
          if (again.received > 0 || again.sent > 0) {
            dev.intrDisarm();
            empty = 0;
            continue;
          }
        }
        const due = untilTimer(now);
        if (intr) {
          // Woken by a frame, the stack's timer, or IDLE_MAX_MS to look at SHUTDOWN; then busy-poll again.
          intr.wait(due > 0 ? Math.min(IDLE_MAX_MS, Math.ceil(due)) : 1);
          if (dev.rxInterrupt === "armed") dev.intrDisarm();
        } else {
          backoffUs = backoffUs === 0 ? Math.min(BACKOFF_MIN_US, maxUs) : Math.min(2 * backoffUs, maxUs);
          this.waiter.wait(due > 0 ? Math.min(backoffUs / 1000, due) : backoffUs / 1000);
        }
      }
      const end = resetPeers(net, loop, () => this.stackTime(this.now()), (ms) => this.waiter.wait(ms));
      loop.drain();
      dev.flush();
      if (this.init.verbosity > 0) {
        console.error(`wasmcached: core ${this.init.core}: shutdown: ${end.aborted} connections reset, ${end.pending} frames unsent`);
        console.error(`wasmcached: core ${this.init.core}: busy ${busyMs.toFixed(1)} ms in ${busyBursts} bursts that moved frames`);
        const c = dev.counters();
        console.error(`wasmcached: core ${this.init.core}: ${dev.name} ${JSON.stringify(c)}`);
        console.error(
          `wasmcached: core ${this.init.core}: ${dev.name} mbufs in use at start ${inUseAtStart}, at exit ${c.poolInUse}` +
            `${c.poolInUse === inUseAtStart ? "" : " (LEAK)"}`,
        );
        console.error(`wasmcached: core ${this.init.core}: stack ${stackCounters(this.net, this.init.memory)}`);
      }
    } finally {
      dev.close();
    }
  }
}

// Entry point when started as a worker thread.
if (parentPort && workerData && (workerData as { kind?: string }).kind === "net-worker") {
  v8.setFlagsFromString("--no-liftoff"); // Node 20's Liftoff corrupts locals across atomic waits (FACTS.md)
  const init = (workerData as { init: NetWorkerInit }).init;
  const worker = new NetWorker(init);
  parentPort.postMessage({ type: "ready", core: init.core });
  worker.run();
}
