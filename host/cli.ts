// The command line: memcached's flags where they mean the same thing, parsed
// strictly into one frozen Config with every default filled in.
import { availableParallelism } from "node:os";
import { isIP } from "node:net";
import { resolve } from "node:path";
import { parseArgs } from "node:util";
import { BURST_MAX, ETH_HEADER, FRAME_CAP } from "./devices/device.js";
import { type FaultConfig, parseFaults } from "./devices/faults.js";
import { checkTapName } from "./devices/tap.js";
import { DEFAULT_APP } from "./modules.js";
import { UsageError } from "./errors.js";
import { type ExtendedOptions, NO_EXTENDED, parseExtended } from "./extended.js";
import { MEMCACHED_VERSION, WASMCACHED_VERSION } from "./version.js";

export interface Config {
  /** TCP port; 0 picks a free one (printed at start). */
  readonly port: number;
  /** Address to listen on: an IPv4 or IPv6 literal. */
  readonly listen: string;
  /** -m: item memory in megabytes, and the same in bytes. */
  readonly memoryLimitMb: number;
  readonly maxBytes: number;
  /** -c: simultaneous connections for the whole process. */
  readonly connLimit: number;
  /** -t: socket worker threads, one Wasm instance each. */
  readonly threads: number;
  /** -I: largest item, in bytes. */
  readonly itemSizeMax: number;
  /** Number of -v flags. */
  readonly verbosity: number;
  /**
   * --faults: frame faults for a userspace-stack backend (host/devices/faults.ts).
   * The kernel-socket transport has no frames: there it has no effect.
   */
  readonly faults: FaultConfig | undefined;
  /** --app: the protocol module, a name (`<name>.wasm` beside the bundle) or a path ending in .wasm. */
  readonly app: string;
  /** Further `--app NAME@PORT`: modules served beside the first, on their own ports, over the same store
   *  (kernel sockets); undefined with a single --app. */
  readonly moreApps: readonly AppService[] | undefined;
  /** --tap: the TAP interface to create (or attach to); undefined = kernel sockets. */
  readonly tap: string | undefined;
  /** The userspace stack's settings (--ip, --gateway, --mac, --mtu); undefined with kernel sockets. */
  readonly net: NetConfig | undefined;
  /** --dpdk: serve through a DPDK port with the userspace stack; undefined = TAP or kernel sockets. */
  readonly dpdk: DpdkConfig | undefined;
  /** --metrics-port: serve Prometheus metrics on 127.0.0.1:<port>/metrics; undefined = off. */
  readonly metricsPort: number | undefined;
  /** -s: a unix-domain socket (absolute path) served instead of TCP, as memcached's; undefined = TCP. */
  readonly unixSocket: string | undefined;
  /** -a: the socket file's access mask, as chmod's (memcached's default 0700). */
  readonly unixMask: number;
  /** -b: the listen() backlog. */
  readonly backlog: number;
  /** -d: detach and run in the background. */
  readonly daemonize: boolean;
  /** -P: write the pid here (absolute path) once serving; removed at exit. */
  readonly pidFile: string | undefined;
  /** -u: the user to become after set-up, when started as root. */
  readonly user: string | undefined;
  /** -R: memcached's requests per event (reported in `stats settings`; input is served as it comes). */
  readonly reqsPerEvent: number;
  /** -B: the protocols a connection may speak (auto = text, meta and binary, chosen by its first byte). */
  readonly protocol: Protocol;
  /** false with -C: accepted, but CAS values are still issued (memcached's -C zeroes them and fails every cas). */
  readonly casEnabled: boolean;
  /** -k: lock memory (not available: warned, as memcached does without mlockall). */
  readonly lockMemory: boolean;
  /** -L: large pages (the memory is always advised MADV_HUGEPAGE). */
  readonly largePages: boolean;
  /** -o: memcached's extended options (host/extended.ts). */
  readonly extended: ExtendedOptions;
}

/** The settings beyond the transport's that a Config made without a command line takes (loadgen, tests). */
export const SERVICE_DEFAULTS = Object.freeze({
  unixSocket: undefined,
  unixMask: 0o700,
  backlog: 1024,
  daemonize: false,
  pidFile: undefined,
  user: undefined,
  reqsPerEvent: 20,
  protocol: "auto",
  casEnabled: true,
  lockMemory: false,
  largePages: false,
  extended: NO_EXTENDED,
} as const satisfies Partial<Config>);

/** -B's values, as memcached spells them. */
export type Protocol = "auto" | "ascii" | "binary";

/** A protocol module and the port it is served on. */
export interface AppService {
  readonly app: string;
  readonly port: number;
}

/** The DPDK backend's settings (docs/dpdk.md, "Running with DPDK"). */
export interface DpdkConfig {
  /** --dpdk: the EAL arguments, as one string (split with splitEalArgs). */
  readonly eal: string;
  /** --port-id: the DPDK port to serve on (default 0). */
  readonly portId: number;
  /** false with --no-zero-copy: mbuf pools in DPDK memory, frames copied in and out of Wasm memory. */
  readonly zeroCopy: boolean;
  /** --idle-backoff-us: the longest back-off sleep of an idle queue without rx interrupts; 0 = busy-poll always. */
  readonly idleBackoffUs: number;
  /** --rx-burst: frames one poll takes from the rx queue (the rest wait for the next). */
  readonly rxBurst: number;
  /** --mac was given (else the stack takes the port's MAC). */
  readonly macGiven: boolean;
}

/** Default --idle-backoff-us, and its largest value. */
export const IDLE_BACKOFF_US_DEFAULT = 1000; // idle ≈ 2–5% of a core without interrupts (docs/dpdk.md); 100 µs costs 12–16%
export const IDLE_BACKOFF_US_MAX = 100_000;

/**
 * Default --rx-burst. A poll's replies leave together at the next burst, so
 * taking 32 requests at once makes the first reply wait for the 32nd to be
 * served; in smaller bites the client works on the first replies while the
 * server serves the rest (docs/performance.md, "rx burst").
 */
export const RX_BURST_DEFAULT = 8;

/** Addresses of the userspace TCP/IP stack. IPv4 addresses are u32 in host byte order (10.0.0.2 = 0x0a000002). */
export interface NetConfig {
  readonly ip: number;
  readonly prefix: number;
  /** 0 = none. */
  readonly gateway: number;
  /** 48 bits; --mac, or derived from the IP (macFromIp). */
  readonly mac: number;
  /** IP MTU; undefined = the device's. */
  readonly mtu: number | undefined;
}

export type CliResult =
  | { readonly kind: "run"; readonly config: Config; readonly warnings: readonly string[] }
  | { readonly kind: "help"; readonly text: string }
  | { readonly kind: "version"; readonly text: string };

export const ITEM_SIZE_MIN = 1024;
export const ITEM_SIZE_MAX = 128 * 1024 * 1024;
/** The store serves at most this many cores (MAX_CORES in assembly/store/layout.ts). */
export const THREADS_MAX = 64;
/** memcached's defaults for -b and -R. */
export const BACKLOG_DEFAULT = 1024;
export const REQS_PER_EVENT_DEFAULT = 20;
/** -a: memcached's default mask for the unix socket. */
export const UNIX_MASK_DEFAULT = 0o700;
/** sun_path's size less its NUL. */
export const UNIX_PATH_MAX = 107;
const MB = 1024 * 1024;
/** The stack's smallest MTU (576, RFC 791), and the largest a FRAME_CAP buffer carries. */
export const MTU_MIN = 576;
export const MTU_MAX = FRAME_CAP - ETH_HEADER;

/** memcached's -t default is 4; here 4 as well, but never more threads than CPUs. */
export function defaultThreads(cpus: number = availableParallelism()): number {
  return Math.max(1, Math.min(4, cpus));
}

export function helpText(cpus?: number): string {
  return `wasmcached ${WASMCACHED_VERSION}: a memcached ${MEMCACHED_VERSION}-compatible server in WebAssembly
usage: wasmcached [options]

  -p, --port=<num>          TCP port to listen on (default: 11211; 0 = any free port)
  -l, --listen=<addr>       interface to listen on, an IPv4 or IPv6 address
                            (default: 127.0.0.1)
  -m, --memory-limit=<num>  item memory in megabytes (default: 64)
  -c, --conn-limit=<num>    max simultaneous connections (default: 1024),
                            split evenly across threads
  -t, --threads=<num>       number of threads, one Wasm instance each
                            (default: ${defaultThreads(cpus)}; memcached's 4, at most the CPU count;
                            max: ${THREADS_MAX}, the store's limit)
  -I, --max-item-size=<num> largest item; k/m suffixes (default: 1m, min: 1k,
                            max: 128m, at most half of -m)
  -v, --verbose             verbose; -vv more verbose
  -s, --unix-socket=<file>  UNIX socket to listen on instead of TCP (kernel
                            sockets; -p and -l are then ignored)
  -a, --unix-mask=<mask>    access mask for the UNIX socket, in octal
                            (default: 700)
  -U, --udp-port=<num>      UDP port: only 0 (off, the default) is accepted;
                            memcached's UDP protocol is not served
  -b, --listen-backlog=<num> the listen() backlog (default: ${BACKLOG_DEFAULT})
  -d, --daemon              run as a daemon: detach once serving (errors
                            before that are reported and exit non-zero)
  -P, --pidfile=<file>      write the PID to <file> once serving; removed at exit
  -u, --user=<user>         assume the identity of <user> after set-up (socket,
                            TAP, DPDK), when started as root
  -B, --protocol=<name>     ascii (text and meta), binary, or auto (default:
                            auto-negotiate, by each connection's first byte)
  -R, --max-reqs-per-event=<num> accepted and reported (default: ${REQS_PER_EVENT_DEFAULT}); a
                            connection's input is served as it arrives
  -C, --disable-cas         disable use of CAS (replies carry CAS 0; a CAS
                            check against an item fails, as memcached's)
  -k, --lock-memory         accepted; memory cannot be locked from Node.js
                            (warned at start, as memcached without mlockall)
  -L, --enable-largepages   accepted; the memory is always advised to use
                            transparent huge pages
  -o, --extended=<list>     memcached 1.6's comma-separated extended options;
                            all are accepted (lru_crawler, no_lru_crawler,
                            lru_crawler_sleep, lru_crawler_tocrawl, slab_automove
                            and no_modern take effect), except ext_* and ssl_*
                            (no external storage, no TLS)
      --metrics-port=<num>  serve the stats as Prometheus metrics on
                            http://127.0.0.1:<num>/metrics (default: off)
      --app=<name|path>     protocol module: memcached, resp (Redis's RESP2),
                            echo (TCP ping-pong) or a path to a .wasm
                            (default: memcached); repeat as NAME@PORT to
                            serve several on one store (kernel sockets):
                            --app memcached --app resp@6379
  -h, --help                print this help and exit
  -V, --version             print the version and exit

Userspace TCP/IP over a TAP device (instead of kernel sockets):
      --tap=<name>          create (or attach to) TAP interface <name> and
                            serve on it with the userspace stack, 1 thread
      --ip=<a.b.c.d/nn>     our address and prefix on the TAP (required)
      --gateway=<a.b.c.d>   router for addresses outside the prefix
      --mac=<xx:xx:..:xx>   our MAC (default: 02:00 then the 4 bytes of --ip)
      --mtu=<num>           IP MTU, ${MTU_MIN}..${MTU_MAX} (default: the interface's)
      --faults=<spec>       inject frame faults in both directions, seeded:
                            loss=P,reorder=P,dup=P,corrupt=P,seed=N[,delay=MS]
                            (TAP only; no effect on kernel sockets)

Userspace TCP/IP over a DPDK port (docs/dpdk.md; --ip, --gateway, --mac, --mtu as above):
      --dpdk="<EAL args>"   start DPDK's EAL with these arguments and serve on
                            a port, one queue and one thread per -t (RSS)
      --port-id=<num>       the DPDK port (default: 0)
      --no-zero-copy        copy frames between DPDK's mbufs and Wasm memory
                            (default: the mbuf pools live inside Wasm memory)
      --idle-backoff-us=<n> an idle DPDK queue without rx interrupts backs
                            off, sleeping up to n us between polls (default:
                            ${IDLE_BACKOFF_US_DEFAULT}; 0 = busy-poll always, max
                            ${IDLE_BACKOFF_US_MAX}); with rx interrupts (net_tap,
                            vfio NICs) a worker sleeps until a frame arrives
      --rx-burst=<n>        frames a poll takes from the rx queue, 1-64
                            (default: ${RX_BURST_DEFAULT}); the replies to them leave before
                            the next are served

Replay a capture through one core on the capture's clock (docs/replay.md):
  wasmcached replay CAPTURE.pcap [--out=OUT.pcap] [--check] [--app=...]
      [--server-ip=a.b.c.d] [--server-mac=xx:..] [--server-port=<num>]
      (--out writes pcapng for a name ending in .pcapng, else classic pcap)

Load a memcached server over the userspace stack, every reply checked (docs/loadgen.md):
  wasmcached loadgen --server=a.b.c.d:port (--tap=<name> | --dpdk="...") --ip=a.b.c.d/nn
      [--conns --depth --keys --value-size --set-ratio --requests --duration ...]
      (wasmcached loadgen --help for all)

All data lives in one 32-bit WebAssembly memory, so memory (-m), the index,
connection buffers (-c) and per-thread state together are capped at 4 GiB.
Transport: kernel TCP sockets (epoll, one SO_REUSEPORT listener per thread),
or with --tap / --dpdk the userspace TCP/IP stack in WebAssembly.
`;
}

/** A whole number in [min, max] given to `flag`, or a UsageError saying which. */
export function positiveInt(flag: string, text: string, min: number, max: number): number {
  if (!/^[0-9]+$/.test(text)) {
    throw new UsageError("ERR_NOT_A_NUMBER", `${flag}: "${text}" is not a whole number`);
  }
  const n = Number(text);
  if (n < min || n > max) {
    throw new UsageError("ERR_OUT_OF_RANGE", `${flag}: ${text} is out of range (${min}..${max})`);
  }
  return n;
}

/** memcached's -I syntax: bytes, or a number with a k/K or m/M suffix. */
export function parseItemSize(text: string): number {
  const m = /^([0-9]+)([kKmM]?)$/.exec(text);
  if (!m) throw new UsageError("ERR_BAD_SIZE", `-I: "${text}" is not a size (examples: 1048576, 512k, 2m)`);
  const unit = m[2] === "" ? 1 : m[2].toLowerCase() === "k" ? 1024 : MB;
  return Number(m[1]) * unit;
}

function parseListen(text: string): string {
  if (text === "localhost") return "127.0.0.1";
  if (isIP(text) === 0) {
    throw new UsageError("ERR_BAD_ADDRESS", `-l: "${text}" is not an IPv4 or IPv6 address`);
  }
  return text;
}

/** "10.0.0.2" -> 0x0a000002, or undefined when not a dotted-quad IPv4 address. */
export function parseIpv4(text: string): number | undefined {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(text);
  if (!m) return undefined;
  const bytes = m.slice(1).map(Number);
  if (bytes.some((b, i) => b > 255 || (m[i + 1].length > 1 && m[i + 1][0] === "0"))) return undefined;
  return ((bytes[0] << 24) | (bytes[1] << 16) | (bytes[2] << 8) | bytes[3]) >>> 0;
}

export function formatIpv4(ip: number): string {
  return [ip >>> 24, (ip >>> 16) & 255, (ip >>> 8) & 255, ip & 255].join(".");
}

/** The network mask of a prefix length, as a u32. */
export function prefixMask(prefix: number): number {
  return prefix === 0 ? 0 : (0xffffffff << (32 - prefix)) >>> 0;
}

/** --ip: "a.b.c.d/nn", a host address (not the network or broadcast address of its prefix). */
export function parseIpPrefix(text: string): { ip: number; prefix: number } {
  const bad = (why: string) => new UsageError("ERR_BAD_IP", `--ip: "${text}" ${why} (example: 10.77.0.2/24)`);
  const slash = text.indexOf("/");
  if (slash < 0) throw bad("has no prefix length");
  const ip = parseIpv4(text.slice(0, slash));
  const len = text.slice(slash + 1);
  if (ip === undefined) throw bad("is not an IPv4 address");
  if (!/^\d{1,2}$/.test(len) || Number(len) < 1 || Number(len) > 32) throw bad("needs a prefix length 1..32");
  const prefix = Number(len);
  const host = ip & ~prefixMask(prefix);
  const first = ip >>> 24;
  if (first === 0 || first === 127 || first >= 224) throw bad("is not a unicast address for a host");
  if (prefix <= 30 && (host === 0 || host === (~prefixMask(prefix) >>> 0))) {
    throw bad("is the network or broadcast address of its prefix");
  }
  return { ip, prefix };
}

/** "02:00:0a:4d:00:02" (or with '-') -> 48-bit number; a unicast, non-zero address. */
export function parseMac(text: string): number {
  const m = /^([0-9a-fA-F]{2})([:-])([0-9a-fA-F]{2})\2([0-9a-fA-F]{2})\2([0-9a-fA-F]{2})\2([0-9a-fA-F]{2})\2([0-9a-fA-F]{2})$/.exec(text);
  if (!m) throw new UsageError("ERR_BAD_MAC", `--mac: "${text}" is not a MAC address (example: 02:00:0a:4d:00:02)`);
  const bytes = [m[1], m[3], m[4], m[5], m[6], m[7]].map((h) => parseInt(h, 16));
  if (bytes[0] & 1) throw new UsageError("ERR_BAD_MAC", `--mac: ${text} is a multicast address`);
  if (bytes.every((b) => b === 0)) throw new UsageError("ERR_BAD_MAC", `--mac: ${text} is the zero address`);
  return bytes.reduce((n, b) => n * 256 + b, 0);
}

export function formatMac(mac: number): string {
  const out: string[] = [];
  for (let i = 5; i >= 0; i--) out.push((Math.floor(mac / 2 ** (8 * i)) % 256).toString(16).padStart(2, "0"));
  return out.join(":");
}

/** The default MAC: locally administered unicast 02:00 followed by the IPv4 address (10.77.0.2 -> 02:00:0a:4d:00:02). */
export function macFromIp(ip: number): number {
  return 0x02_00 * 2 ** 32 + (ip >>> 0);
}

/** An address the kernel side of the TAP can take: the first host address of our prefix that is not ours. */
export function kernelSideAddress(net: NetConfig): string {
  const network = (net.ip & prefixMask(net.prefix)) >>> 0;
  const first = net.prefix >= 31 ? network : network + 1;
  return formatIpv4(first === net.ip ? first + 1 : first);
}

function parseApp(text: string): string {
  if (text.endsWith(".wasm") || /^[a-z0-9_-]+$/.test(text)) return text;
  throw new UsageError("ERR_APP_NAME", `--app: "${text}" is neither a module name (memcached, resp, echo) nor a path ending in .wasm`);
}

/** `NAME`, `NAME@PORT`, `PATH.wasm`, `PATH.wasm@PORT`. */
function parseAppService(text: string): { app: string; port: number | undefined } {
  const at = text.lastIndexOf("@");
  if (at < 0) return { app: parseApp(text), port: undefined };
  return { app: parseApp(text.slice(0, at)), port: positiveInt(`--app ${text}`, text.slice(at + 1), 1, 65535) };
}

/**
 * Every --app: the first is served on -p (or its own @PORT), the others need
 * their @PORT; ports must differ. Several modules run over kernel sockets only.
 */
function parseApps(values: Values, port: number, kernelSockets: boolean): { app: string; port: number; moreApps: AppService[] | undefined } {
  const given = values.app === undefined ? [] : Array.isArray(values.app) ? (values.app as string[]) : [values.app as string];
  if (given.length === 0) return { app: DEFAULT_APP, port, moreApps: undefined };
  const [first, ...rest] = given.map(parseAppService);
  const head = { app: first.app, port: first.port ?? port };
  if (rest.length === 0) return { ...head, moreApps: undefined };
  if (!kernelSockets) throw new UsageError("ERR_APPS_NOT_KERNEL", "several --app are served over kernel sockets only (not with --tap or --dpdk) in this version");
  const more: AppService[] = [];
  for (const [i, r] of rest.entries()) {
    if (r.port === undefined) throw new UsageError("ERR_APP_PORT", `--app ${given[i + 1]}: a second module needs its own port, as ${r.app}@PORT`);
    more.push(Object.freeze({ app: r.app, port: r.port }));
  }
  const ports = [head.port, ...more.map((m) => m.port)];
  if (head.port !== 0 && new Set(ports).size !== ports.length) throw new UsageError("ERR_APP_PORT", `--app: each module needs a port of its own (${ports.join(", ")})`);
  return { ...head, moreApps: more };
}

/** -B: memcached's three names, and its message for any other. */
export function parseProtocol(text: string | undefined): Protocol {
  if (text === undefined) return "auto";
  if (text === "auto" || text === "ascii" || text === "binary") return text;
  throw new UsageError("ERR_BAD_PROTOCOL", `Invalid value for binding protocol: ${text}\n -- should be one of auto, binary, or ascii`);
}

/** -a: an octal mask as chmod takes it (700, 0770); the permission bits only. */
export function parseUnixMask(text: string | undefined): number {
  if (text === undefined) return UNIX_MASK_DEFAULT;
  if (!/^[0-7]{1,4}$/.test(text)) throw new UsageError("ERR_BAD_MASK", `-a: "${text}" is not an octal access mask (example: 700)`);
  return parseInt(text, 8) & 0o777;
}

/** -s: made absolute (a daemon leaves the directory it started in), and short enough for sun_path. */
export function parseUnixSocket(text: string | undefined): string | undefined {
  if (text === undefined) return undefined;
  if (text === "") throw new UsageError("ERR_BAD_SOCKET_PATH", "-s: the socket path is empty");
  const path = resolve(text);
  if (Buffer.byteLength(path) > UNIX_PATH_MAX) {
    throw new UsageError("ERR_BAD_SOCKET_PATH", `-s: ${path} is longer than a UNIX socket path can be (${UNIX_PATH_MAX} bytes)`);
  }
  return path;
}

/** -U: 0 (off) only; there is no UDP transport. */
export function checkUdpPort(text: string | undefined): void {
  if (text === undefined) return;
  const port = positiveInt("-U", text, 0, 65535);
  if (port !== 0) {
    throw new UsageError("ERR_UDP", `-U ${port}: memcached's UDP protocol is not served by wasmcached (TCP and UNIX sockets only); give -U 0 (off, the default) or leave -U out`);
  }
}

/** -R: memcached's message for 0, else a whole number. */
export function parseReqsPerEvent(text: string | undefined): number {
  if (text === undefined) return REQS_PER_EVENT_DEFAULT;
  if (/^[0-9]+$/.test(text) && Number(text) === 0) {
    throw new UsageError("ERR_OUT_OF_RANGE", "Number of requests per event must be greater than 0");
  }
  return positiveInt("-R", text, 1, 0x7fffffff);
}

/** -t: at least 1, and no more cores than the store serves. */
export function parseThreads(text: string): number {
  if (/^[0-9]+$/.test(text) && Number(text) > THREADS_MAX) {
    throw new UsageError("ERR_OUT_OF_RANGE", `-t: ${text} threads is more than the store serves (at most ${THREADS_MAX}, one core each)`);
  }
  return positiveInt("-t", text, 1, THREADS_MAX);
}

/** -s, -u, -P: what only some backends can do. */
function checkUnixSocket(values: Values, kernelSockets: boolean): void {
  if (values["unix-socket"] === undefined) return;
  if (!kernelSockets) throw new UsageError("ERR_UNIX_NOT_KERNEL", "-s (a UNIX socket) is served over kernel sockets: not with --tap or --dpdk");
  if (Array.isArray(values.app) && values.app.length > 1) {
    throw new UsageError("ERR_UNIX_APPS", "-s serves one module: a second --app needs a TCP port (leave out -s)");
  }
}

export type Values = Partial<Record<string, string | string[] | boolean | boolean[]>>;

/** --dpdk and the flags that only mean something with it. */
export function parseDpdk(values: Values): DpdkConfig | undefined {
  const str = (k: string) => values[k] as string | undefined;
  const eal = str("dpdk");
  if (eal === undefined) {
    const stray = ["port-id", "no-zero-copy", "idle-backoff-us", "rx-burst"].filter((k) => values[k] !== undefined);
    if (stray.length > 0) throw new UsageError("ERR_NEEDS_DPDK", `--${stray[0]} configures the DPDK backend: it needs --dpdk`);
    return undefined;
  }
  if (values.tap !== undefined) throw new UsageError("ERR_TAP_AND_DPDK", "--tap and --dpdk are two backends: choose one");
  if (values.faults !== undefined) {
    throw new UsageError("ERR_FAULTS_WITH_DPDK", "--faults restages frames, which a DPDK device cannot have: use it with --tap");
  }
  const portText = str("port-id");
  const backoffText = str("idle-backoff-us");
  const rxBurstText = str("rx-burst");
  return Object.freeze({
    eal,
    portId: portText === undefined ? 0 : positiveInt("--port-id", portText, 0, 65535),
    zeroCopy: values["no-zero-copy"] !== true,
    idleBackoffUs: backoffText === undefined ? IDLE_BACKOFF_US_DEFAULT : positiveInt("--idle-backoff-us", backoffText, 0, IDLE_BACKOFF_US_MAX),
    rxBurst: rxBurstText === undefined ? RX_BURST_DEFAULT : positiveInt("--rx-burst", rxBurstText, 1, BURST_MAX),
    macGiven: values.mac !== undefined,
  });
}

/** --tap or --dpdk, and the flags that only mean something with them. */
export function parseNet(values: Values, dpdk: DpdkConfig | undefined): { tap: string | undefined; net: NetConfig | undefined } {
  const str = (k: string) => values[k] as string | undefined;
  const tap = str("tap");
  const flag = dpdk ? "--dpdk" : "--tap";
  if (tap === undefined && dpdk === undefined) {
    const stray = ["ip", "gateway", "mac", "mtu"].filter((k) => values[k] !== undefined);
    if (stray.length > 0) {
      throw new UsageError("ERR_NEEDS_TAP", `--${stray[0]} configures the userspace TCP/IP stack: it needs --tap or --dpdk`);
    }
    return { tap: undefined, net: undefined };
  }
  if (tap !== undefined) checkTapName(tap);
  if (values.listen !== undefined) {
    throw new UsageError("ERR_LISTEN_WITH_TAP", `-l is for kernel sockets; with ${flag} the address is --ip`);
  }
  const ipText = str("ip");
  if (ipText === undefined) {
    if (dpdk) throw new UsageError("ERR_DPDK_NEEDS_IP", "--dpdk needs --ip a.b.c.d/nn (our address on the DPDK port)");
    throw new UsageError("ERR_TAP_NEEDS_IP", "--tap needs --ip a.b.c.d/nn (our address on the TAP)");
  }
  const { ip, prefix } = parseIpPrefix(ipText);
  let gateway = 0;
  const gwText = str("gateway");
  if (gwText !== undefined) {
    const gw = parseIpv4(gwText);
    if (gw === undefined) throw new UsageError("ERR_BAD_GATEWAY", `--gateway: "${gwText}" is not an IPv4 address`);
    const mask = prefixMask(prefix);
    if (gw === ip || ((gw & mask) >>> 0) !== ((ip & mask) >>> 0)) {
      throw new UsageError("ERR_BAD_GATEWAY", `--gateway: ${gwText} is not another address inside ${ipText}`);
    }
    gateway = gw;
  }
  const macText = str("mac");
  const mtuText = str("mtu");
  const net: NetConfig = Object.freeze({
    ip,
    prefix,
    gateway,
    mac: macText === undefined ? macFromIp(ip) : parseMac(macText),
    mtu: mtuText === undefined ? undefined : positiveInt("--mtu", mtuText, MTU_MIN, MTU_MAX),
  });
  return { tap, net };
}

const options = {
  port: { type: "string", short: "p" },
  listen: { type: "string", short: "l" },
  "memory-limit": { type: "string", short: "m" },
  "conn-limit": { type: "string", short: "c" },
  threads: { type: "string", short: "t" },
  "max-item-size": { type: "string", short: "I" },
  verbose: { type: "boolean", short: "v", multiple: true },
  faults: { type: "string" },
  app: { type: "string", multiple: true },
  tap: { type: "string" },
  ip: { type: "string" },
  gateway: { type: "string" },
  mac: { type: "string" },
  mtu: { type: "string" },
  dpdk: { type: "string" },
  "port-id": { type: "string" },
  "no-zero-copy": { type: "boolean" },
  "idle-backoff-us": { type: "string" },
  "rx-burst": { type: "string" },
  "metrics-port": { type: "string" },
  "unix-socket": { type: "string", short: "s" },
  "unix-mask": { type: "string", short: "a" },
  "udp-port": { type: "string", short: "U" },
  "listen-backlog": { type: "string", short: "b" },
  daemon: { type: "boolean", short: "d" },
  pidfile: { type: "string", short: "P" },
  user: { type: "string", short: "u" },
  protocol: { type: "string", short: "B" },
  "max-reqs-per-event": { type: "string", short: "R" },
  "disable-cas": { type: "boolean", short: "C" },
  "lock-memory": { type: "boolean", short: "k" },
  "enable-largepages": { type: "boolean", short: "L" },
  extended: { type: "string", short: "o", multiple: true },
  help: { type: "boolean", short: "h" },
  version: { type: "boolean", short: "V" },
} as const;

/**
 * `--dpdk "<EAL args>"`: EAL arguments start with a dash, which parseArgs
 * takes for a missing value; join the flag and its value into --dpdk=....
 */
export function joinDpdkValue(argv: readonly string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === "--dpdk" && i + 1 < argv.length) out.push(`--dpdk=${argv[++i]}`);
    else out.push(argv[i]);
  }
  return out;
}

/** Parses argv (without node and the script). Throws UsageError; never exits. */
export function parseCli(argv: readonly string[], cpus?: number): CliResult {
  let values;
  try {
    ({ values } = parseArgs({ args: joinDpdkValue(argv), options, strict: true, allowPositionals: false }));
  } catch (err) {
    const code = (err as { code?: string }).code ?? "ERR_PARSE_ARGS";
    throw new UsageError(code, (err as Error).message);
  }
  if (values.help) return { kind: "help", text: helpText(cpus) };
  if (values.version) return { kind: "version", text: `wasmcached ${WASMCACHED_VERSION} (memcached ${MEMCACHED_VERSION})\n` };

  const memoryLimitMb = values["memory-limit"] === undefined ? 64 : positiveInt("-m", values["memory-limit"], 1, 4095);
  const maxBytes = memoryLimitMb * MB;
  const itemSizeMax = values["max-item-size"] === undefined ? MB : parseItemSize(values["max-item-size"]);
  // memcached's checks, in memcached's order (its upper limit is 1 GB; ours is 128m).
  if (itemSizeMax < ITEM_SIZE_MIN) {
    throw new UsageError("ERR_ITEM_SIZE_TOO_SMALL", "Item max size cannot be less than 1024 bytes.");
  }
  if (itemSizeMax > maxBytes / 2) {
    throw new UsageError("ERR_ITEM_SIZE_OVER_HALF", "Cannot set item size limit higher than 1/2 of memory max.");
  }
  if (itemSizeMax > ITEM_SIZE_MAX) {
    throw new UsageError("ERR_ITEM_SIZE_TOO_LARGE", "Cannot set item size limit higher than 128 megabytes.");
  }
  const dpdk = parseDpdk(values);
  const { tap, net } = parseNet(values, dpdk);
  const apps = parseApps(values, values.port === undefined ? 11211 : positiveInt("-p", values.port as string, 0, 65535), tap === undefined && dpdk === undefined);
  const port = apps.port;
  if (net !== undefined && port === 0) {
    throw new UsageError("ERR_PORT_ZERO_TAP", `-p 0 (any free port) is for kernel sockets; give ${dpdk ? "--dpdk" : "--tap"} a port`);
  }
  const warnings: string[] = [];
  let threads = values.threads === undefined ? defaultThreads(cpus) : parseThreads(values.threads);
  checkUnixSocket(values, tap === undefined && dpdk === undefined);
  checkUdpPort(values["udp-port"]);
  const extended = parseExtended(values.extended ?? []);
  warnings.push(...extended.warnings);
  if (values["lock-memory"] === true) {
    // memcached's words where mlockall() is missing: Node.js cannot lock its heap and Wasm memory
    warnings.push("warning: -k invalid, mlockall() not supported on this platform.  proceeding without.");
  }
  const user = values.user;
  if (user === "") throw new UsageError("ERR_BAD_USER", "-u: the user name is empty");
  if (tap === undefined && dpdk === undefined && values.faults !== undefined) {
    warnings.push("--faults has no effect on kernel sockets (it acts on frames: use it with --tap)");
  }
  if (tap !== undefined) {
    // A TAP device has one queue: one worker reads it all.
    if (values.threads !== undefined && threads > 1) {
      warnings.push(`a TAP device has one queue: serving with 1 thread (-t ${threads} ignored)`);
    }
    threads = 1;
  }
  const config: Config = {
    port,
    listen: values.listen === undefined ? "127.0.0.1" : parseListen(values.listen),
    memoryLimitMb,
    maxBytes,
    connLimit: values["conn-limit"] === undefined ? 1024 : positiveInt("-c", values["conn-limit"], 1, 1 << 20),
    threads,
    itemSizeMax,
    verbosity: values.verbose?.length ?? 0,
    faults: values.faults === undefined ? undefined : parseFaults(values.faults),
    app: apps.app,
    moreApps: apps.moreApps,
    tap,
    net,
    dpdk,
    metricsPort: values["metrics-port"] === undefined ? undefined : positiveInt("--metrics-port", values["metrics-port"], 0, 65535),
    unixSocket: parseUnixSocket(values["unix-socket"]),
    unixMask: parseUnixMask(values["unix-mask"]),
    backlog: values["listen-backlog"] === undefined ? BACKLOG_DEFAULT : positiveInt("-b", values["listen-backlog"], 0, 0x7fffffff),
    daemonize: values.daemon === true,
    pidFile: values.pidfile === undefined ? undefined : resolve(values.pidfile),
    user,
    reqsPerEvent: parseReqsPerEvent(values["max-reqs-per-event"]),
    protocol: parseProtocol(values.protocol),
    casEnabled: values["disable-cas"] !== true,
    lockMemory: values["lock-memory"] === true,
    largePages: values["enable-largepages"] === true,
    extended: extended.options,
  };
  return { kind: "run", config: Object.freeze(config), warnings };
}

/** `wasmcached replay CAPTURE [options]` (docs/replay.md). */
export interface ReplayConfig {
  readonly capture: string;
  /** --out: every frame the core emitted, as pcapng for a .pcapng name, else classic pcap. */
  readonly out: string | undefined;
  /** --check: compare our reply streams with the recorded server's. */
  readonly check: boolean;
  readonly app: string;
  /** The server, when the capture does not show it (no SYN-ACK): u32 IP, 48-bit MAC, port. */
  readonly serverIp: number | undefined;
  readonly serverMac: number | undefined;
  readonly serverPort: number | undefined;
}

const replayOptions = {
  out: { type: "string" },
  check: { type: "boolean" },
  app: { type: "string" },
  "server-ip": { type: "string" },
  "server-mac": { type: "string" },
  "server-port": { type: "string" },
} as const;

/** Parses the arguments after `replay`. Throws UsageError. */
export function parseReplayCli(argv: readonly string[]): ReplayConfig {
  let parsed;
  try {
    parsed = parseArgs({ args: [...argv], options: replayOptions, strict: true, allowPositionals: true });
  } catch (err) {
    const code = (err as { code?: string }).code ?? "ERR_PARSE_ARGS";
    throw new UsageError(code, `replay: ${(err as Error).message}`);
  }
  const { values, positionals } = parsed;
  if (positionals.length !== 1) {
    throw new UsageError("ERR_REPLAY_CAPTURE", `replay: expected one capture file, got ${positionals.length}`);
  }
  let serverIp: number | undefined;
  if (values["server-ip"] !== undefined) {
    serverIp = parseIpv4(values["server-ip"]);
    if (serverIp === undefined) throw new UsageError("ERR_BAD_IP", `--server-ip: "${values["server-ip"]}" is not an IPv4 address`);
  }
  return Object.freeze({
    capture: positionals[0],
    out: values.out,
    check: values.check ?? false,
    app: values.app ?? DEFAULT_APP,
    serverIp,
    serverMac: values["server-mac"] === undefined ? undefined : parseMac(values["server-mac"]),
    serverPort: values["server-port"] === undefined ? undefined : positiveInt("--server-port", values["server-port"], 1, 65535),
  });
}
