// wasmcached: parse the command line, choose the backend (host/backends.ts:
// kernel sockets, a TAP device and the userspace stack, or a DPDK port and
// the stack), format the store, start the workers, serve metrics, and stop
// them all on SIGINT/SIGTERM. `replay` and `loadgen` are subcommands.
import type http from "node:http";
import v8 from "node:v8";
import { type Config, parseCli, parseReplayCli } from "./cli.js";
import { type Backend, chooseBackend } from "./backends.js";
import { EX_SOFTWARE, HostError, ModuleError, UsageError } from "./errors.js";
import { type Layout, coreRegions, requestShutdown, writeRusage } from "./layout.js";
import { parseStats, readStats, serveMetrics, toPrometheus } from "./metrics.js";
import { runReplay } from "./replay/command.js";
import { parseLoadgenCli } from "./loadgen/cli.js";
import { runLoadgen } from "./loadgen/command.js";
import type { AppExports } from "./modules.js";
import type { WorkerPool } from "./workers.js";
import { daemonReady, daemonize, isDaemonChild, prepareDaemonChild } from "./daemon.js";
import { removePidFile, writePidFile } from "./pidfile.js";
import { dropPrivileges, runningAsRoot } from "./privileges.js";

const RUSAGE_INTERVAL_MS = 1000;

/** store_format once, on a main-thread instance of the protocol module, before any worker attaches. */
function formatStore(app: AppExports, appName: string, layout: Layout): void {
  if (layout.storeSize === 0) return;
  if (!app.store_format) throw new ModuleError("ERR_WASM_ABI", `${appName}.wasm has a store but no store_format`);
  const rc = app.store_format(layout.control);
  if (rc < 0) throw new ModuleError("ERR_STORE_FORMAT", `${appName}.wasm store_format returned ${rc}`);
}

function refreshRusage(memory: WebAssembly.Memory): void {
  const usage = process.resourceUsage();
  writeRusage(memory, usage.userCPUTime, usage.systemCPUTime);
}

async function serve(config: Config): Promise<number> {
  // From here on a signal means an orderly stop, handled once the workers are
  // up: registered before the backend (EAL init, port setup) so an early
  // signal is not fatal, and kept (not once) so a second one during shutdown
  // does not kill the process before the ports are closed.
  let resolveSignal!: (s: NodeJS.Signals) => void;
  const signalled = new Promise<NodeJS.Signals>((resolve) => (resolveSignal = resolve));
  const onSignal = (s: NodeJS.Signals) => resolveSignal(s);
  process.on("SIGINT", onSignal);
  process.on("SIGTERM", onSignal);
  try {
    return await serveWith(config, chooseBackend(config), signalled);
  } finally {
    process.off("SIGINT", onSignal);
    process.off("SIGTERM", onSignal);
  }
}

const warn = (message: string) => process.stderr.write(`wasmcached: ${message}\n`);

/** -u, once the backend is set up (its sockets bound, devices open) and before any worker serves. */
function becomeUser(config: Config): void {
  if (config.user === undefined) return;
  const changed = dropPrivileges(config.user, config.unixSocket === undefined ? [] : [config.unixSocket]);
  if (config.verbosity > 0) warn(changed ? `running as ${config.user}` : `-u ${config.user} ignored: not running as root`);
}

async function serveWith(config: Config, backend: Backend, signalled: Promise<NodeJS.Signals>): Promise<number> {
  const { memory } = backend;
  let pool: WorkerPool | undefined;
  let rusageTimer: NodeJS.Timeout | undefined;
  let metrics: http.Server | undefined;
  let pidWritten = false;
  try {
    refreshRusage(memory);
    formatStore(backend.app(), backend.appName, backend.layout);
    becomeUser(config);
    pool = await backend.start();
    // the pid file is there by the time anyone reads "serving"
    if (config.pidFile !== undefined) {
      writePidFile(config.pidFile, process.pid, warn);
      pidWritten = true;
    }
    process.stdout.write(backend.banner());
    rusageTimer = setInterval(() => refreshRusage(memory), RUSAGE_INTERVAL_MS);
    if (config.metricsPort !== undefined) metrics = await startMetrics(config, backend);
    if (config.user === undefined && runningAsRoot()) {
      // memcached refuses ("can't run as root without the -u switch"); here TAP and DPDK need root, so only a word
      warn("running as root: give -u USER to drop privileges once the sockets and devices are set up");
    }
    if (isDaemonChild()) daemonReady(config.verbosity > 0);

    const outcome = await Promise.race([signalled, pool.failed]);
    if (config.verbosity > 0) process.stderr.write(`wasmcached: ${outcome}, shutting down\n`);
    return 0;
  } finally {
    clearInterval(rusageTimer);
    metrics?.close();
    requestShutdown(memory);
    await pool?.join();
    backend.close();
    if (pidWritten && config.pidFile !== undefined) removePidFile(config.pidFile, process.pid, warn);
  }
}

/** --metrics-port: the stats listing of the main thread's module instance, as Prometheus text. */
async function startMetrics(config: Config, backend: Backend): Promise<http.Server> {
  const app = backend.app();
  if (!app.app_stats) throw new ModuleError("ERR_WASM_ABI", `${backend.appName}.wasm has no app_stats: no metrics to serve`);
  const source = { app_stats: app.app_stats.bind(app) };
  const region0 = coreRegions(backend.layout, 0).app;
  const render = () => {
    refreshRusage(backend.memory);
    return toPrometheus(parseStats(readStats(source, backend.memory, backend.layout.control, region0))) + (backend.metrics?.() ?? "");
  };
  const { server, port } = await serveMetrics("127.0.0.1", config.metricsPort ?? 0, render);
  process.stdout.write(`wasmcached: metrics on http://127.0.0.1:${port}/metrics\n`);
  return server;
}

export async function main(argv: readonly string[]): Promise<number> {
  v8.setFlagsFromString("--no-liftoff"); // before the first compile: Node 20's Liftoff mis-compiles atomic waits
  try {
    if (argv[0] === "replay") return runReplay(parseReplayCli(argv.slice(1)));
    if (argv[0] === "loadgen") {
      const lg = parseLoadgenCli(argv.slice(1));
      if (lg.kind === "help") {
        process.stdout.write(lg.text);
        return 0;
      }
      return await runLoadgen(lg.config);
    }
    const cli = parseCli(argv);
    if (cli.kind !== "run") {
      process.stdout.write(cli.text);
      return 0;
    }
    if (cli.config.daemonize && !isDaemonChild()) return await daemonize(argv, cli.config.verbosity > 0);
    if (isDaemonChild()) prepareDaemonChild();
    for (const w of cli.warnings) warn(w);
    return await serve(cli.config);
  } catch (err) {
    if (err instanceof HostError) {
      process.stderr.write(`wasmcached: ${err.message}\n`);
      if (err instanceof UsageError) {
        process.stderr.write(`Try 'wasmcached ${argv[0] === "loadgen" ? "loadgen " : ""}--help' for more information.\n`);
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
