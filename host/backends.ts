// The backends a server (or the load generator) runs on: kernel sockets; a
// TAP device and the userspace TCP/IP stack; a DPDK port and the stack. Each
// sets up what can fail before any worker starts (listeners, the TAP, EAL
// and the port), lays out the shared memory, and knows how to start its
// workers, what to say, and what to close after they stopped.
import { randomBytes } from "node:crypto";
import {
  MTU_MAX, type Config, type DpdkConfig, type NetConfig, formatIpv4, formatMac, kernelSideAddress, prefixMask,
} from "./cli.js";
import { formatFaults } from "./devices/faults.js";
import { TapDevice } from "./devices/tap.js";
import { ETH_HEADER } from "./devices/device.js";
import {
  DpdkError, DpdkPort, type PortInfo, defaultMbufs, dpdkLib, ealInit, lcoreCpus, poolBytes, portInfo, splitEalArgs,
} from "./devices/dpdk.js";
import { EX_CONFIG, LayoutError, UsageError } from "./errors.js";
import {
  type Layout,
  MAX_MEMORY,
  WASM_PAGE,
  alignUp,
  measureLayout,
  createMemory,
  requestShutdown,
  writeControl,
  writeNetControl,
} from "./layout.js";
import { libc } from "./libc.js";
import { type Listeners, closeListeners, openListeners, openUnixListeners } from "./listen.js";
import {
  type AppExports,
  defaultWasmDir,
  instantiate,
  instantiateNetstack,
  loadModules,
  loadNetModules,
  type NetModuleSet,
  type NetstackExports,
} from "./modules.js";
import { portMetrics, stackMetrics } from "./net-metrics.js";
import type { NetWorkerInit } from "./net-worker.js";
import type { WorkerInit } from "./socket-worker.js";
import { type WorkerPool, startWorkers } from "./workers.js";

/** Region sizes come from the modules themselves, asked on a throwaway instance on a small memory. */
const scratchMemory = () => new WebAssembly.Memory({ initial: 32, maximum: 32, shared: true });

function threadsText(n: number): string {
  return `${n} thread${n === 1 ? "" : "s"}`;
}

function layoutDetails(config: Config, layout: Layout): string {
  const mib = (n: number) => `${(n / 1048576).toFixed(1)} MiB`;
  return (
    `wasmcached: memory ${mib(layout.pages * 65536)} of 4096 MiB: store ${mib(layout.storeSize)} at ${layout.storeBase}, ` +
    `${config.threads} core region(s) of ${mib(layout.coreStride)} from ${layout.coreBase} ` +
    `(${layout.connsPerCore} connections each), item size max ${config.itemSizeMax}\n`
  );
}

function socketBanner(config: Config, layout: Layout, port: number, last = true): string {
  const host = config.listen.includes(":") ? `[${config.listen}]` : config.listen;
  const where = config.unixSocket !== undefined ? `unix:${config.unixSocket}` : `${host}:${port}`;
  const text =
    `wasmcached: serving ${config.app} on ${where} (kernel sockets, ${threadsText(config.threads)}, ${config.memoryLimitMb} MB); ` +
    `for the userspace TCP/IP stack use --tap NAME or --dpdk "<EAL args>" with --ip\n`;
  return config.verbosity > 0 && last ? text + layoutDetails(config, layout) : text;
}

function tapBanner(config: Config, net: NetConfig, mtu: number, tap: TapDevice, layout: Layout): string {
  const subnet = `${formatIpv4((net.ip & prefixMask(net.prefix)) >>> 0)}/${net.prefix}`;
  let text =
    `wasmcached: serving ${config.app} on ${formatIpv4(net.ip)}:${config.port} via TAP ${tap.ifname} ` +
    `(userspace TCP/IP, ${threadsText(config.threads)}, ${config.memoryLimitMb} MB); reach it from the host side of ` +
    `${tap.ifname} (address it in ${subnet}, e.g. ip addr add ${kernelSideAddress(net)}/${net.prefix} dev ${tap.ifname}; ` +
    `ip link set ${tap.ifname} up)\n`;
  if (config.verbosity > 0) {
    const gw = net.gateway === 0 ? "none" : formatIpv4(net.gateway);
    text += `wasmcached: our MAC ${formatMac(net.mac)}, MTU ${mtu} (interface ${tap.mtu}), gateway ${gw}`;
    text += config.faults ? `, faults ${formatFaults(config.faults)}\n` : "\n";
    text += layoutDetails(config, layout);
  }
  return text;
}

/** Choices a backend's user makes beyond the Config. */
export interface BackendOptions {
  /** Net workers pass the stack a sub-millisecond clock (the load generator times replies). */
  readonly fineClock?: boolean;
}

/** What differs between backends: how workers are made, and what to say and close. */
export interface Backend {
  readonly appName: string;
  readonly layout: Layout;
  readonly memory: WebAssembly.Memory;
  /** The protocol module instantiated (with its transport) on the memory, for store_format. */
  app(): AppExports;
  start(): Promise<WorkerPool>;
  banner(): string;
  /** Extra Prometheus lines beyond the protocol module's stats (the stack's counters, the port's); read while serving. */
  metrics?(): string;
  close(): void;
}

/** The stack counters of every core, read through one main-thread netstack instance made at first use. */
function stackMetricsOf(memory: WebAssembly.Memory, mods: NetModuleSet, layout: Layout): () => string {
  let reader: NetstackExports | undefined;
  return () => stackMetrics((reader ??= instantiateNetstack(memory, mods).netstack), memory, layout);
}

/** Where the upper static window of protocol modules starts: the C modules' (modules/build.mjs). */
const UPPER_APP_STATICS = 768 * 1024;

/**
 * Modules served together share one memory, so their static data must not
 * overlap: the protocol module window is split at 768 KiB (AssemblyScript
 * modules below, the C modules above), and at most one module may use each part.
 */
function checkDisjointStatics(apps: readonly { name: string; end: number }[]): void {
  if (apps.length < 2) return;
  for (const upper of [false, true]) {
    const same = apps.filter((a) => (a.end > UPPER_APP_STATICS) === upper);
    if (same.length > 1) {
      throw new UsageError("ERR_APP_STATICS", `--app ${same.map((a) => a.name).join(" and ")}: their static data share the ${upper ? "upper" : "lower"} part of the module window; serve at most one AssemblyScript and one C module together (docs/writing-a-module.md)`);
    }
  }
}

/** Kernel sockets: SO_REUSEPORT listeners bound here, one socket worker each, serving every --app. */
function socketBackend(config: Config): Backend {
  const specs = [{ app: config.app, port: config.port }, ...(config.moreApps ?? [])];
  const mods = specs.map((s) => loadModules(defaultWasmDir(), s.app));
  const sized = mods.map((m) => instantiate(scratchMemory(), m));
  checkDisjointStatics(mods.map((m, i) => ({ name: m.appName, end: sized[i].app.static_end() })));
  const layout = measureLayout(config, sized[0].app, (n) => sized[0].transport.sock_region_size(n), sized.slice(1).map((s) => s.app));
  const memory = createMemory(layout);
  const c = libc();
  const listeners: Listeners[] = [];
  try {
    if (config.unixSocket !== undefined) listeners.push(openUnixListeners(c, config.unixSocket, config.unixMask, config.threads));
    else for (const s of specs) listeners.push(openListeners(c, config.listen, s.port, config.threads));
  } catch (err) {
    for (const l of listeners) closeListeners(c, l);
    throw err;
  }
  // with -s, memcached's `stats settings` still shows -p, and no interface
  const unix = config.unixSocket !== undefined;
  writeControl(memory, layout, config, {
    nowMs: Date.now(), pid: process.pid, port: unix ? config.port : listeners[0].port, address: unix ? "NULL" : undefined,
  });
  // the store is formatted through the first module that has one
  const storeOwner = sized.findIndex((s) => s.app.store_format !== undefined);
  return {
    appName: mods[Math.max(0, storeOwner)].appName,
    layout,
    memory,
    app: () => instantiate(memory, mods[Math.max(0, storeOwner)]).app,
    start: () => {
      const inits: WorkerInit[] = listeners[0].fds.map((_, core) => ({
        core, memory, layout, verbosity: config.verbosity, backlog: config.backlog,
        services: mods.map((modules, i) => ({ modules, listenFd: listeners[i].fds[core] })),
      }));
      return startWorkers(new URL("./socket-worker.mjs", import.meta.url), inits, "socket-worker", () => requestShutdown(memory));
    },
    banner: () => specs.map((_, i) => socketBanner({ ...config, app: mods[i].appName }, layout, listeners[i].port, i === specs.length - 1)).join(""),
    close: () => { for (const l of listeners) closeListeners(c, l); },
  };
}

/** A TAP device and the userspace stack: the TAP is opened here (errors before any worker), one net worker polls it. */
function tapBackend(config: Config, tapName: string, net: NetConfig, opts: BackendOptions): Backend {
  const mods = loadNetModules(defaultWasmDir(), config.app);
  const scratch = instantiateNetstack(scratchMemory(), mods);
  const layout = measureLayout(config, scratch.app, (n) => scratch.netstack.net_region_size(n));
  const memory = createMemory(layout);
  const tap = TapDevice.open(tapName);
  let handedOver = false;
  try {
    const mtu = net.mtu ?? Math.min(tap.mtu, MTU_MAX);
    if (mtu > tap.mtu) {
      throw new UsageError("ERR_MTU_OVER_DEVICE", `--mtu ${mtu} is larger than ${tap.ifname}'s MTU ${tap.mtu}`);
    }
    const nowMs = Date.now();
    writeControl(memory, layout, config, { nowMs, pid: process.pid, port: config.port, address: formatIpv4(net.ip) });
    writeNetControl(memory, {
      ...net, mtu, port: config.port, flags: 0, seed: randomBytes(8).readBigUInt64LE(0),
    });
    return {
      appName: mods.appName,
      layout,
      memory,
      app: () => instantiateNetstack(memory, mods).app,
      start: async () => {
        const init: NetWorkerInit = {
          core: 0, memory, modules: mods, layout, verbosity: config.verbosity, faults: config.faults, fineClock: opts.fineClock,
          tap: { fd: tap.fd, ifname: tap.ifname, kernelMac: tap.kernelMac, mtu: tap.mtu },
        };
        // The fd is the worker's from here on, whatever happens next: it closes the
        // device on every way out once adopted (a failed start included), and a
        // worker that dies before adopting it leaves it to the exiting process.
        handedOver = true;
        return startWorkers(new URL("./net-worker.mjs", import.meta.url), [init], "net-worker", () => requestShutdown(memory));
      },
      banner: () => tapBanner(config, net, mtu, tap, layout),
      metrics: stackMetricsOf(memory, mods, layout),
      close: () => {
        if (!handedOver) tap.close();
      },
    };
  } catch (err) {
    tap.close();
    throw err;
  }
}

/** DPDK's mbuf pools per queue: rings of 1024 (the shim's default), data rooms inside Wasm memory when zero-copy. */
const DPDK_RING = 1024;
const DPDK_MBUFS = defaultMbufs(DPDK_RING, DPDK_RING);

/** The layout plus one page-aligned zero-copy pool per core after the core regions. */
function withPools(layout: Layout, perPool: number): { layout: Layout; poolBase: number } {
  const poolBase = alignUp(layout.totalBytes, WASM_PAGE);
  const totalBytes = poolBase + layout.threads * perPool;
  if (totalBytes > MAX_MEMORY) {
    throw new LayoutError("ERR_OVER_4GIB", `${layout.threads} DPDK pool(s) of ${perPool} bytes do not fit in the 4096 MiB memory: lower -m, -c or -t, or use --no-zero-copy`);
  }
  return { layout: Object.freeze({ ...layout, totalBytes, pages: Math.max(layout.pages, Math.ceil(totalBytes / WASM_PAGE)) }), poolBase };
}

function dpdkBanner(
  config: Config, net: NetConfig, dpdk: DpdkConfig, info: PortInfo, mtu: number, port: DpdkPort, layout: Layout, workerCpus: readonly (number | undefined)[],
): string {
  const mac = Buffer.from(info.mac).toString("hex").replace(/(..)(?!$)/g, "$1:");
  const rss = port.queues === 1 ? "1 queue" : `${port.queues} queues, RSS ${port.rss ? "on" : "off (the port cannot hash: flows are not spread)"}`;
  let text =
    `wasmcached: serving ${config.app} on ${formatIpv4(net.ip)}:${config.port} via DPDK port ${dpdk.portId} ` +
    `(${info.name}, ${info.driver}, link ${info.linkUp ? "up" : "down"}, ${rss}, ${dpdk.zeroCopy ? "zero-copy" : "copying"}, ` +
    `userspace TCP/IP, ${threadsText(config.threads)}, ${config.memoryLimitMb} MB); reach it through that port ` +
    `from ${formatIpv4((net.ip & prefixMask(net.prefix)) >>> 0)}/${net.prefix}; without --dpdk: --tap NAME, or kernel sockets\n`;
  if (config.verbosity > 0) {
    const gw = net.gateway === 0 ? "none" : formatIpv4(net.gateway);
    text += `wasmcached: our MAC ${formatMac(net.mac)} (port ${mac}), MTU ${mtu} (port ${info.mtu}), gateway ${gw}, ` +
      `idle back-off ${dpdk.idleBackoffUs} us, rx burst ${dpdk.rxBurst}, ${DPDK_MBUFS} mbufs per queue, workers on CPU ${workerCpus.map((c) => c ?? "any").join(",")}\n`;
    text += layoutDetails(config, layout);
  }
  return text;
}

/**
 * A DPDK port and the userspace stack: EAL, the port and its queues are set
 * up here in the main thread (errors before any worker), one net worker per
 * queue polls it. close(): the workers have stopped polling; close the port, then EAL.
 */
function dpdkBackend(cfg: Config, net: NetConfig, dpdk: DpdkConfig, opts: BackendOptions): Backend {
  const mods = loadNetModules(defaultWasmDir(), cfg.app);
  const lib = dpdkLib();
  const ports = ealInit(splitEalArgs(dpdk.eal), lib);
  let port: DpdkPort | undefined;
  try {
    if (dpdk.portId >= ports) {
      throw new DpdkError("ERR_DPDK_NO_SUCH_PORT", `DPDK: --port-id ${dpdk.portId}, but EAL found ${ports} port(s) (0..${ports - 1})`, EX_CONFIG);
    }
    const info = portInfo(dpdk.portId, lib);
    let queues = Math.min(cfg.threads, info.maxRxQueues, info.maxTxQueues);
    if (queues < cfg.threads) {
      process.stderr.write(`wasmcached: DPDK port ${dpdk.portId} (${info.driver}) has ${queues} queue pair(s): serving with ${threadsText(queues)} (-t ${cfg.threads})\n`);
    }
    if (queues > 1 && info.rssOffloads === 0n) {
      process.stderr.write(`wasmcached: DPDK port ${dpdk.portId} (${info.driver}) cannot spread flows over queues (no RSS): serving with 1 thread (-t ${cfg.threads})\n`);
      queues = 1;
    }
    const config: Config = Object.freeze({ ...cfg, threads: Math.max(1, queues) });
    // Worker i polls on the CPU of EAL's i-th lcore (-l), as DPDK's own lcores would.
    const cpus = lcoreCpus(lib);
    if (config.threads > cpus.length) {
      process.stderr.write(`wasmcached: ${threadsText(config.threads)} on ${cpus.length} EAL lcore CPU(s) (-l ${cpus.join(",")}): some workers share a CPU; give -l one CPU per thread\n`);
    }
    const scratch = instantiateNetstack(scratchMemory(), mods);
    const perPool = dpdk.zeroCopy ? alignUp(poolBytes(DPDK_MBUFS, lib), WASM_PAGE) : 0;
    const { layout, poolBase } = withPools(measureLayout(config, scratch.app, (n) => scratch.netstack.net_region_size(n)), perPool);
    const memory = createMemory(layout);
    const bytes = new Uint8Array(memory.buffer);
    const mtu = net.mtu ?? Math.min(info.mtu, MTU_MAX);
    if (mtu > info.mtu) throw new UsageError("ERR_MTU_OVER_DEVICE", `--mtu ${mtu} is larger than DPDK port ${dpdk.portId}'s MTU ${info.mtu}`);
    port = DpdkPort.configure(dpdk.portId, { queues: config.threads, rxRing: DPDK_RING, txRing: DPDK_RING }, lib);
    const qids: number[] = [];
    for (let q = 0; q < config.threads; q++) {
      qids.push(port.setupQueue(q, { memory: bytes, poolOffset: poolBase + q * perPool, mbufs: DPDK_MBUFS, zeroCopy: dpdk.zeroCopy }));
    }
    port.start();
    // Our MAC: --mac, else the port's; a MAC the port does not own needs promiscuous mode.
    const portMac = info.mac.reduce((n, b) => n * 256 + b, 0);
    const mac = dpdk.macGiven ? net.mac : portMac;
    if (mac !== portMac) {
      try {
        port.promiscuous(true);
      } catch {
        process.stderr.write(`wasmcached: DPDK port ${dpdk.portId} cannot go promiscuous: --mac ${formatMac(mac)} may not receive\n`);
      }
    }
    const netUsed: NetConfig = Object.freeze({ ...net, mac });
    writeControl(memory, layout, config, { nowMs: Date.now(), pid: process.pid, port: config.port, address: formatIpv4(net.ip) });
    writeNetControl(memory, { ...netUsed, mtu, port: config.port, flags: 0, seed: randomBytes(8).readBigUInt64LE(0) });
    const started = port;
    const workerCpus = qids.map((_, core) => (cpus.length > 0 ? cpus[core % cpus.length] : undefined));
    const stackCounters = stackMetricsOf(memory, mods, layout);
    return {
      appName: mods.appName,
      layout,
      memory,
      app: () => instantiateNetstack(memory, mods).app,
      start: () => {
        const inits: NetWorkerInit[] = qids.map((qid, core) => ({
          core, memory, modules: mods, layout, verbosity: config.verbosity, faults: undefined, fineClock: opts.fineClock,
          dpdk: { qid, zeroCopy: dpdk.zeroCopy, idleBackoffUs: dpdk.idleBackoffUs, rxBurst: dpdk.rxBurst, maxFrame: mtu + ETH_HEADER, cpu: workerCpus[core] },
        }));
        return startWorkers(new URL("./net-worker.mjs", import.meta.url), inits, "net-worker", () => requestShutdown(memory));
      },
      banner: () => dpdkBanner(config, netUsed, dpdk, info, mtu, started, layout, workerCpus),
      metrics: () => stackCounters() + portMetrics(dpdk.portId, started.stats()),
      close: () => {
        if (config.verbosity > 0) process.stderr.write(`wasmcached: DPDK port ${dpdk.portId} ${JSON.stringify(started.stats())}\n`);
        started.close();
        // No rte_eal_cleanup: the process exits next. In DPDK 22.11 EAL's
        // interrupt thread outlives it, and cleanup frees the memory that
        // thread's sources live in; a peer's event in between (a memif
        // client still polling) crashed the process in rte_intr_fd_get.
      },
    };
  } catch (err) {
    try {
      port?.close(); // and no rte_eal_cleanup, as in close() above
    } catch {
      // the first error is the one to report
    }
    throw err;
  }
}

export function chooseBackend(config: Config, opts: BackendOptions = {}): Backend {
  if (config.dpdk !== undefined && config.net !== undefined) return dpdkBackend(config, config.net, config.dpdk, opts);
  if (config.tap !== undefined && config.net !== undefined) return tapBackend(config, config.tap, config.net, opts);
  return socketBackend(config);
}
