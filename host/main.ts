// wasmcached: parse the command line, lay out the shared memory, format the
// store, open the listeners, start one socket worker per thread, and stop
// them all on SIGINT/SIGTERM.
import v8 from "node:v8";
import { type Config, parseCli } from "./cli.js";
import { EX_SOFTWARE, HostError, LayoutError, ModuleError, UsageError } from "./errors.js";
import {
  type Layout,
  computeLayout,
  connsPerCore,
  createMemory,
  requestShutdown,
  writeControl,
  writeRusage,
} from "./layout.js";
import { libc } from "./libc.js";
import { closeListeners, openListeners } from "./listen.js";
import { DEFAULT_APP, type ModuleSet, defaultWasmDir, instantiate, loadModules } from "./modules.js";
import type { WorkerInit } from "./socket-worker.js";
import { type WorkerPool, startWorkers } from "./workers.js";

/**
 * Not a public flag: selects another protocol module, by name (a .wasm beside
 * the bundle) or by path, e.g. WASMCACHED_APP=echo for the ping-pong baseline
 * and the host's tests.
 */
const APP_ENV = "WASMCACHED_APP";
const RUSAGE_INTERVAL_MS = 1000;

/** Region sizes come from the modules themselves: ask a throwaway instance on a small memory. */
function measure(mods: ModuleSet, config: Config): Layout {
  const scratch = new WebAssembly.Memory({ initial: 32, maximum: 32, shared: true });
  const { transport, app } = instantiate(scratch, mods);
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
    transportRegionSize: transport.sock_region_size(perCore) >>> 0,
    appRegionSize: app.app_region_size(perCore) >>> 0,
  });
}

/** store_format once, on a main-thread instance, before any worker attaches. */
function formatStore(memory: WebAssembly.Memory, mods: ModuleSet, layout: Layout): void {
  if (layout.storeSize === 0) return;
  const { app } = instantiate(memory, mods);
  if (!app.store_format) throw new ModuleError("ERR_WASM_ABI", `${mods.appName}.wasm has a store but no store_format`);
  const rc = app.store_format(layout.control);
  if (rc < 0) throw new ModuleError("ERR_STORE_FORMAT", `${mods.appName}.wasm store_format returned ${rc}`);
}

function banner(config: Config, layout: Layout, app: string, port: number): string {
  const host = config.listen.includes(":") ? `[${config.listen}]` : config.listen;
  const threads = `${config.threads} thread${config.threads === 1 ? "" : "s"}`;
  let text = `wasmcached: serving ${app} on ${host}:${port} (kernel sockets, ${threads}, ${config.memoryLimitMb} MB)\n`;
  if (config.verbosity > 0) {
    const mib = (n: number) => `${(n / 1048576).toFixed(1)} MiB`;
    text +=
      `wasmcached: memory ${mib(layout.pages * 65536)} of 4096 MiB: store ${mib(layout.storeSize)} at ${layout.storeBase}, ` +
      `${config.threads} core region(s) of ${mib(layout.coreStride)} from ${layout.coreBase} ` +
      `(${layout.connsPerCore} connections each), item size max ${config.itemSizeMax}\n`;
  }
  return text;
}

function refreshRusage(memory: WebAssembly.Memory): void {
  const usage = process.resourceUsage();
  writeRusage(memory, usage.userCPUTime, usage.systemCPUTime);
}

async function serve(config: Config): Promise<number> {
  const appName = process.env[APP_ENV] || DEFAULT_APP;
  const mods = loadModules(defaultWasmDir(), appName);
  const layout = measure(mods, config);
  const memory = createMemory(layout);
  const c = libc();
  const listeners = openListeners(c, config.listen, config.port, config.threads);
  let pool: WorkerPool | undefined;
  let rusageTimer: NodeJS.Timeout | undefined;
  // From here on a signal means an orderly stop (handled once the workers are up).
  const signalled = new Promise<NodeJS.Signals>((resolve) => {
    process.once("SIGINT", () => resolve("SIGINT"));
    process.once("SIGTERM", () => resolve("SIGTERM"));
  });
  try {
    writeControl(memory, layout, config, { nowMs: Date.now(), pid: process.pid, port: listeners.port });
    refreshRusage(memory);
    formatStore(memory, mods, layout);
    const inits: WorkerInit[] = listeners.fds.map((listenFd, core) => ({
      core,
      memory,
      modules: mods,
      layout,
      listenFd,
      verbosity: config.verbosity,
    }));
    pool = await startWorkers(new URL("./socket-worker.mjs", import.meta.url), inits);
    process.stdout.write(banner(config, layout, appName, listeners.port));
    rusageTimer = setInterval(() => refreshRusage(memory), RUSAGE_INTERVAL_MS);

    const outcome = await Promise.race([signalled, pool.failed]);
    if (config.verbosity > 0) process.stderr.write(`wasmcached: ${outcome}, shutting down\n`);
    return 0;
  } finally {
    clearInterval(rusageTimer);
    requestShutdown(memory);
    await pool?.join();
    closeListeners(c, listeners);
  }
}

export async function main(argv: readonly string[]): Promise<number> {
  v8.setFlagsFromString("--no-liftoff"); // before the first compile: Node 20's Liftoff mis-compiles atomic waits
  try {
    const cli = parseCli(argv);
    if (cli.kind !== "run") {
      process.stdout.write(cli.text);
      return 0;
    }
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
