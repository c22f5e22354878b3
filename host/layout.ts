// The one shared memory: where everything goes, and the control block.
//
//  [0, 16 KiB)              unused (address 0 stays null)
//  [16 KiB, 192 KiB)        transport statics (sockstack, netstack)
//  [192 KiB, 256 KiB)       store module statics (store.wasm)
//  [256 KiB, 1 MiB)         protocol module statics (memcached, echo)
//  [1 MiB, 1 MiB + 4 KiB)   control block (assembly/shared/control.ts)
//  store                    store_region_size(-m, -I) bytes, 4 KiB aligned
//  core[0..t)               one region per thread, `coreStride` apart:
//                             +0          transport region (sock_region_size)
//                             +appOffset  protocol module region (app_region_size)
//                             then the same pair for each further --app (services[1..])
//
// The offsets below mirror assembly/shared/control.ts: change both together
// (host/__tests__/layout.test.ts reads that file and compares).
import { LayoutError } from "./errors.js";
import type { Config } from "./cli.js";
import { MEMCACHED_VERSION } from "./version.js";
import { libc, MADV_HUGEPAGE } from "./libc.js";

export const KiB = 1024;
export const MiB = 1024 * KiB;
export const WASM_PAGE = 64 * KiB;
/** memory32: 65536 pages of 64 KiB. */
export const MAX_PAGES = 65536;
export const MAX_MEMORY = MAX_PAGES * WASM_PAGE;
/** The modules are built with initialMemory 32 (asconfig.json); the memory must be at least that. */
export const MIN_PAGES = 32;

/** Static windows per module kind ([start, end) in bytes; docs/protocol-modules.md). */
export const TRANSPORT_WINDOW = { start: 16 * KiB, end: 192 * KiB } as const;
/** The store module (store.wasm, docs/store-abi.md). */
export const STORE_WINDOW = { start: 192 * KiB, end: 256 * KiB } as const;
export const APP_WINDOW = { start: 256 * KiB, end: MiB } as const;

export const CONTROL_BASE = MiB;
export const CONTROL_MAGIC = 0x57434331; // "WCC1"
export const CONTROL_SIZE = 4096;

/** Byte offsets in the control block (mirror of Ctl in assembly/shared/control.ts). */
export const Ctl = Object.freeze({
  MAGIC: 0,
  N_CORES: 4,
  MAX_CONNS: 8,
  ITEM_SIZE_MAX: 12,
  VERBOSITY: 16,
  STORE_BASE: 20,
  STORE_SIZE: 24,
  ITEM_BYTES: 28,
  CORE_BASE: 32,
  CORE_STRIDE: 36,
  PROCESS_STARTED: 40,
  PID: 44,
  TCP_PORT: 48,
  MAXBYTES_LO: 52,
  EVICTIONS_ON: 60,
  RUSAGE_USER_US: 64,
  RUSAGE_SYS_US: 72,
  INTERFACE: 80,
  SHUTDOWN: 144,
  REJECTED_CONNS: 148,
  TCP_BACKLOG: 152,
  REQS_PER_EVENT: 156,
  VERSION_STR: 160,
  NET_IP: 192,
  NET_PREFIX: 196,
  NET_GATEWAY: 200,
  NET_MTU: 204,
  NET_MAC: 208,
  NET_SEED: 216,
  NET_PORT: 224,
  NET_FLAGS: 228,
  ADMIN_FLAGS: 232,
  SLAB_AUTOMOVE: 236,
  CRAWLER_SLEEP: 240,
  CRAWLER_TOCRAWL: 244,
  UNIX_MASK: 248,
  SETTINGS_FLAGS: 252,
  CAS_COUNTER: 256,
  FLUSH: 320,
  STORE_SCRATCH: 384,
  APP_CONFIG: 2048,
  DOMAIN_SOCKET: 2304,
});
export const DOMAIN_SOCKET_BYTES = 112;
/** Ctl.SETTINGS_FLAGS (assembly/shared/control.ts). */
export const SET_PROTO = Object.freeze({ auto: 0, ascii: 1, binary: 2 } as const);
/** Ctl.SETTINGS_FLAGS bit for -C (SET_NO_CAS). */
export const SET_NO_CAS = 4;
export const APP_CONFIG_BYTES = 256;
export const INTERFACE_BYTES = 64;
export const VERSION_BYTES = 32;

/** memcached starts its clock ITEM_UPDATE_INTERVAL + 2 seconds in the past (memcached.c stats_init). */
export const PROCESS_STARTED_OFFSET_S = 60 + 2;

export interface LayoutInput {
  readonly threads: number;
  /** Connection slots per thread. */
  readonly connsPerCore: number;
  /** store_region_size(-m bytes, -I) of the protocol module; 0 if it has no store. */
  readonly storeSize: number;
  /** sock_region_size(connsPerCore) of the transport. */
  readonly transportRegionSize: number;
  /** app_region_size(connsPerCore) of the protocol module. */
  readonly appRegionSize: number;
  /** Further protocol modules served beside the first (several --app), each with its own transport region. */
  readonly more?: readonly { readonly transportRegionSize: number; readonly appRegionSize: number }[];
}

/** Where one service's (transport, protocol module) regions sit inside every core region. */
export interface ServiceRegions {
  readonly transportOffset: number;
  readonly transportSize: number;
  readonly appOffset: number;
  readonly appSize: number;
}

export interface Layout extends LayoutInput {
  readonly control: number;
  readonly storeBase: number;
  readonly coreBase: number;
  readonly coreStride: number;
  /** Offset of the protocol module's region inside a core region. */
  readonly appOffset: number;
  /** Every service's regions, the first module's first (its appOffset is the one above). */
  readonly services: readonly ServiceRegions[];
  /** Bytes used, and the memory's size in pages. */
  readonly totalBytes: number;
  readonly pages: number;
}

export const alignUp = (n: number, a: number): number => Math.ceil(n / a) * a;

/** Connection slots per thread for -c split evenly over -t. */
export function connsPerCore(connLimit: number, threads: number): number {
  return Math.ceil(connLimit / threads);
}

function mib(n: number): string {
  return `${(n / MiB).toFixed(1)} MiB`;
}

export function computeLayout(input: LayoutInput): Layout {
  const storeBase = CONTROL_BASE + CONTROL_SIZE;
  const coreBase = alignUp(storeBase + input.storeSize, 4 * KiB);
  const services: ServiceRegions[] = [];
  let end = 0;
  for (const s of [{ transportRegionSize: input.transportRegionSize, appRegionSize: input.appRegionSize }, ...(input.more ?? [])]) {
    const appOffset = alignUp(end + s.transportRegionSize, 64);
    services.push(Object.freeze({ transportOffset: end, transportSize: s.transportRegionSize, appOffset, appSize: s.appRegionSize }));
    end = alignUp(appOffset + s.appRegionSize, 64);
  }
  const appOffset = services[0].appOffset;
  const coreStride = end;
  const totalBytes = coreBase + input.threads * coreStride;
  if (totalBytes > MAX_MEMORY) {
    throw new LayoutError(
      "ERR_OVER_4GIB",
      `the configuration needs ${mib(totalBytes)} (store ${mib(input.storeSize)} + ${input.threads} thread(s) × ` +
        `${mib(coreStride)} for ${input.connsPerCore} connections each), but one 32-bit WebAssembly memory ` +
        `holds at most 4096 MiB: lower -m, -c or -t`,
    );
  }
  return Object.freeze({
    ...input,
    control: CONTROL_BASE,
    storeBase,
    coreBase,
    coreStride,
    appOffset,
    services: Object.freeze(services),
    totalBytes,
    pages: Math.max(MIN_PAGES, Math.ceil(totalBytes / WASM_PAGE)),
  });
}

/** Base addresses of core i's two regions (of its service'th module, with several --app). */
export function coreRegions(layout: Layout, core: number, service = 0): { transport: number; app: number } {
  const base = layout.coreBase + core * layout.coreStride;
  if (service === 0) return { transport: base, app: base + layout.appOffset }; // services[0], always at the start
  const s = layout.services[service];
  return { transport: base + s.transportOffset, app: base + s.appOffset };
}

export function createMemory(layout: Layout): WebAssembly.Memory {
  const memory = new WebAssembly.Memory({ initial: layout.pages, maximum: MAX_PAGES, shared: true });
  adviseHugePages(memory);
  return memory;
}

/**
 * Asks for transparent huge pages over the memory before anything touches
 * it: a GET reads a random bucket and a random item, and over a large store
 * with 4 KiB pages each such read also misses the TLB (docs/performance.md).
 * Advice only: a kernel without THP (or with it off) says no, and nothing changes.
 */
function adviseHugePages(memory: WebAssembly.Memory): void {
  const bytes = new Uint8Array(memory.buffer);
  const c = libc();
  const start = c.address(bytes);
  const HUGE = 2 * 1024 * 1024;
  const from = Math.ceil(start / HUGE) * HUGE; // madvise wants page alignment; huge pages need 2 MiB alignment anyway
  const end = Math.floor((start + bytes.length) / HUGE) * HUGE;
  if (end > from) c.madvise(from, end - from, MADV_HUGEPAGE);
}

function writeText(bytes: Uint8Array, at: number, size: number, text: string): void {
  const encoded = new TextEncoder().encode(text).subarray(0, size - 1); // keep a NUL
  bytes.fill(0, at, at + size);
  bytes.set(encoded, at);
}

export interface ControlFacts {
  readonly nowMs: number;
  readonly pid: number;
  /** The port actually bound (differs from config.port when that is 0). */
  readonly port: number;
  /** The address served on, for `stats settings` (default: config.listen). */
  readonly address?: string;
}

/** Fills the control block; the memory is fresh (zero), so counters start at 0. */
export function writeControl(memory: WebAssembly.Memory, layout: Layout, config: Config, facts: ControlFacts): void {
  const view = new DataView(memory.buffer, layout.control, CONTROL_SIZE);
  const bytes = new Uint8Array(memory.buffer, layout.control, CONTROL_SIZE);
  const u32 = (off: number, v: number): void => view.setUint32(off, v >>> 0, true);
  u32(Ctl.MAGIC, CONTROL_MAGIC);
  u32(Ctl.N_CORES, layout.threads);
  u32(Ctl.MAX_CONNS, layout.connsPerCore);
  u32(Ctl.ITEM_SIZE_MAX, config.itemSizeMax);
  u32(Ctl.VERBOSITY, config.verbosity);
  u32(Ctl.STORE_BASE, layout.storeBase);
  u32(Ctl.STORE_SIZE, layout.storeSize);
  u32(Ctl.ITEM_BYTES, config.maxBytes);
  u32(Ctl.CORE_BASE, layout.coreBase);
  u32(Ctl.CORE_STRIDE, layout.coreStride);
  u32(Ctl.PROCESS_STARTED, Math.floor(facts.nowMs / 1000) - PROCESS_STARTED_OFFSET_S);
  u32(Ctl.PID, facts.pid);
  u32(Ctl.TCP_PORT, facts.port);
  view.setBigUint64(Ctl.MAXBYTES_LO, BigInt(config.maxBytes), true);
  u32(Ctl.EVICTIONS_ON, 1);
  u32(Ctl.TCP_BACKLOG, config.backlog);
  u32(Ctl.REQS_PER_EVENT, config.reqsPerEvent);
  u32(Ctl.UNIX_MASK, config.unixMask);
  u32(Ctl.SETTINGS_FLAGS, SET_PROTO[config.protocol] | (config.casEnabled ? 0 : SET_NO_CAS));
  // -o settings the memcached module keeps in the control block (the `lru_crawler` and `slabs` commands' state)
  const ext = config.extended;
  if (ext.lruCrawler === false) u32(Ctl.ADMIN_FLAGS, 1);
  if (ext.lruCrawlerSleep !== undefined) u32(Ctl.CRAWLER_SLEEP, ext.lruCrawlerSleep + 1);
  if (ext.lruCrawlerTocrawl !== undefined) u32(Ctl.CRAWLER_TOCRAWL, ext.lruCrawlerTocrawl);
  if (ext.slabAutomove !== undefined) u32(Ctl.SLAB_AUTOMOVE, ext.slabAutomove);
  writeText(bytes, Ctl.INTERFACE, INTERFACE_BYTES, facts.address ?? config.listen);
  if (config.unixSocket !== undefined) writeText(bytes, Ctl.DOMAIN_SOCKET, DOMAIN_SOCKET_BYTES, config.unixSocket);
  writeText(bytes, Ctl.VERSION_STR, VERSION_BYTES, MEMCACHED_VERSION);
}

/** The userspace stack's settings (Ctl.NET_*), for a backend with frames (TAP). */
export interface NetControl {
  /** IPv4 addresses as u32 in host byte order; gateway 0 = none. */
  readonly ip: number;
  readonly prefix: number;
  readonly gateway: number;
  readonly mtu: number;
  /** 48 bits. */
  readonly mac: number;
  /** Keys initial sequence numbers and SYN cookies: random per process, fixed under replay. */
  readonly seed: bigint;
  readonly port: number;
  /** Bit 0: the device verifies rx checksums; bit 1: it fills tx checksums. */
  readonly flags: number;
}

export function writeNetControl(memory: WebAssembly.Memory, net: NetControl): void {
  const view = new DataView(memory.buffer, CONTROL_BASE, CONTROL_SIZE);
  const u32 = (off: number, v: number): void => view.setUint32(off, v >>> 0, true);
  u32(Ctl.NET_IP, net.ip);
  u32(Ctl.NET_PREFIX, net.prefix);
  u32(Ctl.NET_GATEWAY, net.gateway);
  u32(Ctl.NET_MTU, net.mtu);
  view.setBigUint64(Ctl.NET_MAC, BigInt(net.mac), true);
  view.setBigUint64(Ctl.NET_SEED, BigInt.asUintN(64, net.seed), true);
  u32(Ctl.NET_PORT, net.port);
  u32(Ctl.NET_FLAGS, net.flags);
}

/** The host refreshes the process's CPU time about once a second (`stats` rusage_user/rusage_system). */
export function writeRusage(memory: WebAssembly.Memory, userUs: number, systemUs: number): void {
  const view = new DataView(memory.buffer, CONTROL_BASE, CONTROL_SIZE);
  view.setBigUint64(Ctl.RUSAGE_USER_US, BigInt(Math.floor(userUs)), true);
  view.setBigUint64(Ctl.RUSAGE_SYS_US, BigInt(Math.floor(systemUs)), true);
}

/** Tells every worker to stop; they see it within one epoll timeout. */
export function requestShutdown(memory: WebAssembly.Memory): void {
  Atomics.store(new Int32Array(memory.buffer, CONTROL_BASE, CONTROL_SIZE / 4), Ctl.SHUTDOWN / 4, 1);
}

export function shutdownRequested(ctl32: Int32Array): boolean {
  return Atomics.load(ctl32, Ctl.SHUTDOWN / 4) !== 0;
}

/** What the layout needs from a protocol module (structural: modules.ts imports this file). */
export interface AppSizing {
  app_region_size(maxConns: number): number;
  store_region_size?(itemBytes: number, itemSizeMax: number): number;
}

/**
 * The layout for `config`, sized by the protocol module and the transport's
 * region size per core; `more`: further modules served beside it (each with
 * a transport region of the same size). The store is sized by the first
 * module that has one: every module with a store shares that one.
 */
export function measureLayout(config: Config, app: AppSizing, transportRegionSize: (perCore: number) => number, more: readonly AppSizing[] = []): Layout {
  const perCore = connsPerCore(config.connLimit, config.threads);
  const sizer = [app, ...more].find((a) => a.store_region_size !== undefined);
  const storeSize = sizer?.store_region_size ? sizer.store_region_size(config.maxBytes, config.itemSizeMax) >>> 0 : 0;
  if (sizer && storeSize < config.maxBytes) {
    // Sizes are u32: a store smaller than the items it holds means the size wrapped past 4 GiB.
    throw new LayoutError("ERR_OVER_4GIB", `-m ${config.memoryLimitMb} needs more than the 4096 MiB a 32-bit WebAssembly memory holds`);
  }
  return computeLayout({
    threads: config.threads,
    connsPerCore: perCore,
    storeSize,
    transportRegionSize: transportRegionSize(perCore) >>> 0,
    appRegionSize: app.app_region_size(perCore) >>> 0,
    more: more.map((m) => ({ transportRegionSize: transportRegionSize(perCore) >>> 0, appRegionSize: m.app_region_size(perCore) >>> 0 })),
  });
}
