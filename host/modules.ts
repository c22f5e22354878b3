// The .wasm files: found, compiled once, checked, and linked per instance
// (transport first, its exports becoming the protocol module's `stack` imports).
import { existsSync, readFileSync } from "node:fs";
import { basename, dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { ModuleError } from "./errors.js";
import { APP_WINDOW, STORE_WINDOW, TRANSPORT_WINDOW } from "./layout.js";

export const TRANSPORT_FILE = "sockstack.wasm";
export const DEFAULT_APP = "memcached";
/** The store as a module (docs/store-abi.md), for protocol modules that import `store.*`. */
export const STORE_FILE = "store.wasm";

/** What the host calls on store.wasm; the rest of its exports are the protocol module's `store` imports. */
interface StoreHostExports {
  store_region_size(itemBytes: number, itemSizeMax: number): number;
  store_format(control: number): number;
  store_attach(control: number, core: number): number;
  static_end(): number;
}

/** What the host calls on the kernel-socket transport (assembly/sockstack/module.ts). */
export interface TransportExports {
  sock_region_size(maxConns: number): number;
  sock_init(control: number, core: number, base: number, size: number): number;
  sock_scratch(): number;
  sock_scratch_size(): number;
  rx_cap(): number;
  sock_reject(): void;
  sock_rejected(): number;
  conn_reset(conn: number): void;
  rx_buf(conn: number): number;
  rx_len(conn: number): number;
  rx_add(conn: number, n: number): void;
  rx_consume(conn: number, n: number): void;
  tx_pending(conn: number): number;
  tx_pending_ptr(conn: number): number;
  tx_sent(conn: number, n: number): void;
  conn_flags(conn: number): number;
  take_blocked(conn: number): number;
  tx_reserve(conn: number, min: number): number;
  tx_avail(conn: number): number;
  tx_commit(conn: number, len: number): void;
  conn_close(conn: number): void;
  static_end(): number;
}
/** sockstack's conn_flags bits. */
export const F_CLOSE = 1;
export const F_BLOCKED = 2;

/** A protocol module (docs/protocol-modules.md), plus the store hooks memcached adds. */
export interface AppExports {
  app_region_size(maxConns: number): number;
  app_init(control: number, core: number, base: number, size: number): number;
  app_tick(nowMs: number): void;
  app_open(conn: number): number;
  app_data(conn: number, ptr: number, len: number): number;
  app_writable(conn: number): void;
  app_closed(conn: number): void;
  /** Optional: NUL-terminated bytes to send to a connection refused for want of a slot (0 = none). */
  app_refusal?(): number;
  /** Optional: the `stats` listing at out, from an instance that serves nothing (host/metrics.ts). */
  app_stats?(control: number, region0: number, nowMs: number, out: number): number;
  static_end(): number;
  store_region_size?(itemBytes: number, itemSizeMax: number): number;
  store_format?(control: number): number;
}

const TRANSPORT_FUNCS = ["sock_region_size", "sock_init", "tx_reserve", "tx_avail", "tx_commit", "conn_close", "static_end"];
const APP_FUNCS = ["app_region_size", "app_init", "app_tick", "app_open", "app_data", "app_writable", "app_closed", "static_end"];

export interface ModuleSet {
  readonly appName: string;
  readonly transport: WebAssembly.Module;
  readonly app: WebAssembly.Module;
  /** store.wasm, when the protocol module imports `store`. */
  readonly store?: WebAssembly.Module;
}

export interface Instances {
  readonly transport: TransportExports;
  readonly app: AppExports;
}

/** Where the .wasm files are: beside the bundle (dist/), or build/ when running from the sources. */
export function defaultWasmDir(): string {
  const here = dirname(fileURLToPath(import.meta.url));
  for (const dir of [here, join(here, "..", "build")]) {
    if (existsSync(join(dir, TRANSPORT_FILE))) return dir;
  }
  return join(here, "..", "build");
}

function compile(path: string): WebAssembly.Module {
  if (!existsSync(path)) {
    throw new ModuleError("ERR_WASM_MISSING", `${path} not found: run \`npm run build\``);
  }
  try {
    return new WebAssembly.Module(readFileSync(path));
  } catch (err) {
    throw new ModuleError("ERR_WASM_INVALID", `${path}: ${(err as Error).message}`);
  }
}

function requireExports(name: string, mod: WebAssembly.Module, funcs: readonly string[]): void {
  const have = new Set(WebAssembly.Module.exports(mod).filter((e) => e.kind === "function").map((e) => e.name));
  const missing = funcs.filter((f) => !have.has(f));
  if (missing.length > 0) {
    throw new ModuleError("ERR_WASM_ABI", `${name} does not export ${missing.join(", ")} (docs/protocol-modules.md)`);
  }
}

/**
 * Compiles the transport and a protocol module: `app` is a name (the file
 * `<app>.wasm` in dir) or a path ending in .wasm.
 */
export function loadModules(dir: string, app: string = DEFAULT_APP): ModuleSet {
  const { appName, module, store } = loadApp(dir, app);
  const transport = compile(join(dir, TRANSPORT_FILE));
  requireExports(TRANSPORT_FILE, transport, TRANSPORT_FUNCS);
  return Object.freeze({ appName, transport, app: module, store });
}

/** A protocol module by name (`<app>.wasm` in dir) or path, compiled and checked for the ABI's exports;
 *  with store.wasm from dir when it imports `store`. */
function loadApp(dir: string, app: string): { appName: string; module: WebAssembly.Module; store?: WebAssembly.Module } {
  const isPath = app.endsWith(".wasm");
  if (!isPath && !/^[a-z0-9_-]+$/.test(app)) {
    throw new ModuleError("ERR_APP_NAME", `protocol module "${app}" is neither a plain name nor a .wasm path`);
  }
  const appName = isPath ? basename(app, ".wasm") : app;
  const module = compile(isPath ? app : join(dir, `${app}.wasm`));
  requireExports(`${appName}.wasm`, module, APP_FUNCS);
  const wantsStore = WebAssembly.Module.imports(module).some((i) => i.module === "store");
  return { appName, module, store: wantsStore ? compile(join(dir, STORE_FILE)) : undefined };
}

/** AssemblyScript's abort(message, file, line, column): strings are UTF-16 with the byte length before them. */
function abortImport(memory: WebAssembly.Memory, name: string) {
  const text = (ptr: number): string => {
    if (ptr === 0) return "";
    const bytes = new DataView(memory.buffer).getUint32(ptr - 4, true);
    const units = new Uint16Array(memory.buffer.slice(ptr, ptr + bytes));
    return String.fromCharCode(...units);
  };
  return (msg: number, file: number, line: number, col: number): never => {
    throw new ModuleError("ERR_WASM_ABORT", `${name} aborted: ${text(msg)} at ${text(file)}:${line}:${col}`);
  };
}

function checkStatics(name: string, end: number, window: { start: number; end: number }): void {
  if (end > window.end) {
    throw new ModuleError(
      "ERR_STATICS_OVERFLOW",
      `${name}'s static data ends at ${end}, past its window [${window.start}, ${window.end}) (docs/protocol-modules.md)`,
    );
  }
}

const envFor = (memory: WebAssembly.Memory, name: string) => ({ memory, abort: abortImport(memory, name), seed: () => Date.now() });

/**
 * The `stack` imports a protocol module takes from its transport
 * (docs/protocol-modules.md); `net_connect` (active open) only the userspace
 * stack offers: a module importing it does not link on kernel sockets.
 */
type StackImports = Pick<TransportExports, "tx_reserve" | "tx_avail" | "tx_commit" | "conn_close"> & {
  net_connect?(ip: number, port: number): number;
};

/**
 * Instantiates a protocol module linked Wasm to Wasm to a transport's exports
 * (and to its own store.wasm instance, when it imports `store`), and checks
 * its statics.
 */
function instantiateApp(memory: WebAssembly.Memory, mods: { app: WebAssembly.Module; appName: string; store?: WebAssembly.Module }, t: StackImports): AppExports {
  const { appName } = mods;
  const stack: Record<string, WebAssembly.ImportValue> = { tx_reserve: t.tx_reserve, tx_avail: t.tx_avail, tx_commit: t.tx_commit, conn_close: t.conn_close };
  if (t.net_connect) stack.net_connect = t.net_connect;
  const store = mods.store ? instantiateStore(memory, mods.store) : undefined;
  let app: AppExports;
  try {
    const imports: WebAssembly.Imports = { env: envFor(memory, `${appName}.wasm`), stack };
    if (store) imports.store = store as unknown as WebAssembly.ModuleImports;
    app = new WebAssembly.Instance(mods.app, imports).exports as unknown as AppExports;
  } catch (err) {
    throw new ModuleError("ERR_WASM_LINK", `${appName}.wasm: ${(err as Error).message}`);
  }
  checkStatics(`${appName}.wasm`, app.static_end(), APP_WINDOW);
  return store ? withStore(app, store) : app;
}

function instantiateStore(memory: WebAssembly.Memory, module: WebAssembly.Module): StoreHostExports {
  const store = new WebAssembly.Instance(module, { env: envFor(memory, STORE_FILE) }).exports as unknown as StoreHostExports;
  checkStatics(STORE_FILE, store.static_end(), STORE_WINDOW);
  return store;
}

/**
 * A module over store.wasm, as the host sees it: the store is sized and
 * formatted through store.wasm, and attached to the instance's core just
 * before the module's app_init (once per instance, never per request).
 */
function withStore(app: AppExports, store: StoreHostExports): AppExports {
  return Object.freeze({
    ...app,
    app_init: (control: number, core: number, base: number, size: number): number => {
      const rc = store.store_attach(control, core);
      return rc !== 0 ? rc : app.app_init(control, core, base, size);
    },
    store_region_size: app.store_region_size ?? store.store_region_size,
    store_format: app.store_format ?? store.store_format,
  });
}

/** Instantiates the transport, then the protocol module linked to it, on `memory`. Rewrites both modules' statics. */
export function instantiate(memory: WebAssembly.Memory, mods: ModuleSet): Instances {
  const transport = new WebAssembly.Instance(mods.transport, { env: envFor(memory, TRANSPORT_FILE) })
    .exports as unknown as TransportExports;
  checkStatics(TRANSPORT_FILE, transport.static_end(), TRANSPORT_WINDOW);
  return { transport, app: instantiateApp(memory, mods, transport) };
}

// ---- the userspace stack as transport (assembly/netstack, docs/netstack.md) --------------

export const NETSTACK_FILE = "netstack.wasm";

/** What the host calls on the userspace TCP/IP stack (docs/net-device.md). */
export interface NetstackExports {
  net_region_size(maxConns: number): number;
  net_init(control: number, core: number, base: number, size: number): number;
  net_rx_desc(): number;
  net_tx_desc(): number;
  net_frame_buffers(): number;
  net_app_slot(): number;
  net_app_peek(on: number): void;
  net_poll(rxCount: number, txAvail: number, nowMs: number): number;
  net_poll_at(): number;
  net_announce(): void;
  net_connect(ip: number, port: number): number;
  /** Stop listening, abort every connection (RSTs queued for the next polls); how many were aborted. */
  net_shutdown(): number;
  /** Frames still to be built into tx buffers (queued RSTs, frames held for ARP); 0 when all are out. */
  net_pending_tx(): number;
  /** Read-only view of a running core's region, for its counters (metrics). */
  net_attach(control: number, base: number, size: number): number;
  net_counter_count(): number;
  net_counter(i: number): bigint;
  net_counter_name(i: number): number;
  tx_reserve(conn: number, min: number): number;
  tx_avail(conn: number): number;
  tx_commit(conn: number, len: number): void;
  conn_close(conn: number): void;
  static_end(): number;
  readonly table: WebAssembly.Table;
}

const NETSTACK_FUNCS = [
  "net_region_size", "net_init", "net_rx_desc", "net_tx_desc", "net_frame_buffers", "net_app_slot", "net_app_peek", "net_poll",
  "net_poll_at", "net_announce", "net_connect", "net_shutdown", "net_pending_tx", "net_attach", "net_counter_count", "net_counter",
  "net_counter_name",
  "tx_reserve", "tx_avail", "tx_commit", "conn_close", "static_end",
];

/** The protocol module's exports, in the order the stack expects them from net_app_slot() on. */
export const NETSTACK_APP_SLOTS = ["app_open", "app_data", "app_writable", "app_closed", "app_tick"] as const;
/** An optional export in the slot after them: the burst preview (docs/protocol-modules.md). */
const NETSTACK_PEEK = "app_peek";

export interface NetModuleSet {
  readonly appName: string;
  readonly netstack: WebAssembly.Module;
  readonly app: WebAssembly.Module;
  readonly store?: WebAssembly.Module;
}

export interface NetInstances {
  readonly netstack: NetstackExports;
  readonly app: AppExports;
}

/** Compiles netstack.wasm and a protocol module (a name in dir, or a .wasm path), as loadModules does. */
export function loadNetModules(dir: string, app: string = DEFAULT_APP): NetModuleSet {
  const { appName, module, store } = loadApp(dir, app);
  const netstack = compile(join(dir, NETSTACK_FILE));
  requireExports(NETSTACK_FILE, netstack, NETSTACK_FUNCS);
  return Object.freeze({ appName, netstack, app: module, store });
}

/**
 * Instantiates the stack, then the protocol module linked to it (the stack's
 * tx_* / conn_close become its `stack` imports), then puts the module's
 * app_* exports in the stack's function table from net_app_slot() on, so
 * the stack calls them with call_indirect. Rewrites both modules' statics.
 */
export function instantiateNetstack(memory: WebAssembly.Memory, mods: NetModuleSet): NetInstances {
  const netstack = new WebAssembly.Instance(mods.netstack, { env: envFor(memory, NETSTACK_FILE) }).exports as unknown as NetstackExports;
  checkStatics(NETSTACK_FILE, netstack.static_end(), TRANSPORT_WINDOW);
  const app = instantiateApp(memory, mods, netstack);
  const table = netstack.table;
  const slot = netstack.net_app_slot();
  if (!(table instanceof WebAssembly.Table) || table.length < slot + NETSTACK_APP_SLOTS.length) {
    throw new ModuleError("ERR_WASM_ABI", `${NETSTACK_FILE} exports no function table with slots ${slot}..${slot + 4} (build it with --exportTable --tableBase 8)`);
  }
  NETSTACK_APP_SLOTS.forEach((name, i) => {
    if (table.get(slot + i) !== null) {
      throw new ModuleError("ERR_WASM_ABI", `${NETSTACK_FILE}: table slot ${slot + i} is taken (build it with --tableBase 8)`);
    }
    table.set(slot + i, (app as unknown as Record<string, unknown>)[name] as never);
  });
  const peek = (app as unknown as Record<string, unknown>)[NETSTACK_PEEK];
  if (typeof peek === "function") {
    const at = slot + NETSTACK_APP_SLOTS.length;
    if (table.length <= at || table.get(at) !== null) {
      throw new ModuleError("ERR_WASM_ABI", `${NETSTACK_FILE}: table slot ${at} for ${NETSTACK_PEEK} is missing or taken (build it with --tableBase 8)`);
    }
    table.set(at, peek as never);
    netstack.net_app_peek(1);
  }
  return { netstack, app };
}
