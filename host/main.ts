// wasmcached: parse the command line, choose the backend (kernel sockets, or
// with --tap a TAP device and the userspace TCP/IP stack), lay out the shared
// memory, format the store, start the workers (one socket worker per thread,
// or one net worker for the TAP), and stop them all on SIGINT/SIGTERM.
import { randomBytes } from "node:crypto";
import v8 from "node:v8";
import {
  MTU_MAX, type Config, type NetConfig, formatIpv4, formatMac, kernelSideAddress, parseCli, parseReplayCli, prefixMask,
} from "./cli.js";
import { formatFaults } from "./devices/faults.js";
import { TapDevice } from "./devices/tap.js";
import { EX_SOFTWARE, HostError, LayoutError, ModuleError, UsageError } from "./errors.js";
import {
  type Layout,
  computeLayout,
  connsPerCore,
  createMemory,
  requestShutdown,
  writeControl,
  writeNetControl,
  writeRusage,
} from "./layout.js";
import { libc } from "./libc.js";
import { runReplay } from "./replay/command.js";
import { closeListeners, openListeners } from "./listen.js";
import {
  type AppExports,
  defaultWasmDir,
  instantiate,
  instantiateNetstack,
  loadModules,
  loadNetModules,
} from "./modules.js";
import type { NetWorkerInit } from "./net-worker.js";
import type { WorkerInit } from "./socket-worker.js";
import { type WorkerPool, startWorkers } from "./workers.js";

const RUSAGE_INTERVAL_MS = 1000;

/** Region sizes come from the modules themselves, asked on a throwaway instance on a small memory. */
function measure(config: Config, app: AppExports, transportRegionSize: (perCore: number) => number): Layout {
  const perCore = connsPerCore(config.connLimit, config.threads);
  const storeSize = app.store_region_size ? app.store_region_size(config.maxBytes, config.itemSizeMax) >>> 0 : 0;
  if (app.store_region_size && storeSize < config.maxBytes) {
    // Sizes are u32: a store smaller than the items it holds means the size wrapped past 4 GiB.
    throw new LayoutError("ERR_OVER_4GIB", `-m ${config.memoryLimitMb} needs more than the 4096 MiB a 32-bit WebAssembly memory holds`);
  }
  return computeLayout({
    threads: config.threads,
    connsPerCore: perCore,
    storeSize,
    transportRegionSize: transportRegionSize(perCore) >>> 0,
    appRegionSize: app.app_region_size(perCore) >>> 0,
  });
}

const scratchMemory = () => new WebAssembly.Memory({ initial: 32, maximum: 32, shared: true });

/** store_format once, on a main-thread instance of the protocol module, before any worker attaches. */
function formatStore(app: AppExports, appName: string, layout: Layout): void {
  if (layout.storeSize === 0) return;
  if (!app.store_format) throw new ModuleError("ERR_WASM_ABI", `${appName}.wasm has a store but no store_format`);
  const rc = app.store_format(layout.control);
  if (rc < 0) throw new ModuleError("ERR_STORE_FORMAT", `${appName}.wasm store_format returned ${rc}`);
}

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

function socketBanner(config: Config, layout: Layout, port: number): string {
  const host = config.listen.includes(":") ? `[${config.listen}]` : config.listen;
  const text = `wasmcached: serving ${config.app} on ${host}:${port} (kernel sockets, ${threadsText(config.threads)}, ${config.memoryLimitMb} MB)\n`;
  return config.verbosity > 0 ? text + layoutDetails(config, layout) : text;
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

function refreshRusage(memory: WebAssembly.Memory): void {
  const usage = process.resourceUsage();
  writeRusage(memory, usage.userCPUTime, usage.systemCPUTime);
}

/** What differs between backends: how workers are made, and what to say and close. */
interface Backend {
  readonly appName: string;
  readonly layout: Layout;
  readonly memory: WebAssembly.Memory;
  /** The protocol module instantiated (with its transport) on the memory, for store_format. */
  app(): AppExports;
  start(): Promise<WorkerPool>;
  banner(): string;
  close(): void;
}

/** Kernel sockets: SO_REUSEPORT listeners bound here, one socket worker each. */
function socketBackend(config: Config): Backend {
  const mods = loadModules(defaultWasmDir(), config.app);
  const { transport, app } = instantiate(scratchMemory(), mods);
  const layout = measure(config, app, (n) => transport.sock_region_size(n));
  const memory = createMemory(layout);
  const c = libc();
  const listeners = openListeners(c, config.listen, config.port, config.threads);
  writeControl(memory, layout, config, { nowMs: Date.now(), pid: process.pid, port: listeners.port });
  return {
    appName: mods.appName,
    layout,
    memory,
    app: () => instantiate(memory, mods).app,
    start: () => {
      const inits: WorkerInit[] = listeners.fds.map((listenFd, core) => ({
        core, memory, modules: mods, layout, listenFd, verbosity: config.verbosity,
      }));
      return startWorkers(new URL("./socket-worker.mjs", import.meta.url), inits);
    },
    banner: () => socketBanner(config, layout, listeners.port),
    close: () => closeListeners(c, listeners),
  };
}

/** A TAP device and the userspace stack: the TAP is opened here (errors before any worker), one net worker polls it. */
function tapBackend(config: Config, tapName: string, net: NetConfig): Backend {
  const mods = loadNetModules(defaultWasmDir(), config.app);
  const scratch = instantiateNetstack(scratchMemory(), mods);
  const layout = measure(config, scratch.app, (n) => scratch.netstack.net_region_size(n));
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
          core: 0, memory, modules: mods, layout, verbosity: config.verbosity, faults: config.faults,
          tap: { fd: tap.fd, ifname: tap.ifname, kernelMac: tap.kernelMac, mtu: tap.mtu },
        };
        const pool = await startWorkers(new URL("./net-worker.mjs", import.meta.url), [init], "net-worker");
        handedOver = true; // the worker owns the fd now and closes it when it stops
        return pool;
      },
      banner: () => tapBanner(config, net, mtu, tap, layout),
      close: () => {
        if (!handedOver) tap.close();
      },
    };
  } catch (err) {
    tap.close();
    throw err;
  }
}

async function serve(config: Config): Promise<number> {
  const backend = config.tap !== undefined && config.net !== undefined
    ? tapBackend(config, config.tap, config.net)
    : socketBackend(config);
  const { memory } = backend;
  let pool: WorkerPool | undefined;
  let rusageTimer: NodeJS.Timeout | undefined;
  // From here on a signal means an orderly stop (handled once the workers are up).
  const signalled = new Promise<NodeJS.Signals>((resolve) => {
    process.once("SIGINT", () => resolve("SIGINT"));
    process.once("SIGTERM", () => resolve("SIGTERM"));
  });
  try {
    refreshRusage(memory);
    formatStore(backend.app(), backend.appName, backend.layout);
    pool = await backend.start();
    process.stdout.write(backend.banner());
    rusageTimer = setInterval(() => refreshRusage(memory), RUSAGE_INTERVAL_MS);

    const outcome = await Promise.race([signalled, pool.failed]);
    if (config.verbosity > 0) process.stderr.write(`wasmcached: ${outcome}, shutting down\n`);
    return 0;
  } finally {
    clearInterval(rusageTimer);
    requestShutdown(memory);
    await pool?.join();
    backend.close();
  }
}

export async function main(argv: readonly string[]): Promise<number> {
  v8.setFlagsFromString("--no-liftoff"); // before the first compile: Node 20's Liftoff mis-compiles atomic waits
  try {
    if (argv[0] === "replay") return runReplay(parseReplayCli(argv.slice(1)));
    const cli = parseCli(argv);
    if (cli.kind !== "run") {
      process.stdout.write(cli.text);
      return 0;
    }
    for (const w of cli.warnings) process.stderr.write(`wasmcached: ${w}\n`);
    return await serve(cli.config);
  } catch (err) {
    if (err instanceof HostError) {
      process.stderr.write(`wasmcached: ${err.message}\n`);
      if (err instanceof UsageError) {
        process.stderr.write("Try 'wasmcached --help' for more information.\n");
      }
      return err.exitCode;
    }
    process.stderr.write(`wasmcached: internal error: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    return EX_SOFTWARE;
  }
}

process.exitCode = await main(process.argv.slice(2));
// Workers are joined; nothing else should keep the process, but never hang on a stray handle.
process.exit();
