// The command line: memcached's flags where they mean the same thing, parsed
// strictly into one frozen Config with every default filled in.
import { availableParallelism } from "node:os";
import { isIP } from "node:net";
import { parseArgs } from "node:util";
import { type FaultConfig, parseFaults } from "./devices/faults.js";
import { UsageError } from "./errors.js";
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
   * The kernel-socket transport has no frames; until a userspace backend
   * exists the value is parsed and checked but has no effect.
   */
  readonly faults: FaultConfig | undefined;
}

export type CliResult =
  | { readonly kind: "run"; readonly config: Config }
  | { readonly kind: "help"; readonly text: string }
  | { readonly kind: "version"; readonly text: string };

export const ITEM_SIZE_MIN = 1024;
export const ITEM_SIZE_MAX = 128 * 1024 * 1024;
export const THREADS_MAX = 256;
const MB = 1024 * 1024;

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
                            (default: ${defaultThreads(cpus)}; memcached's 4, at most the CPU count)
  -I, --max-item-size=<num> largest item; k/m suffixes (default: 1m, min: 1k,
                            max: 128m, at most half of -m)
  -v, --verbose             verbose; -vv more verbose
      --faults=<spec>       inject frame faults in both directions, seeded:
                            loss=P,reorder=P,dup=P,corrupt=P,seed=N[,delay=MS]
                            (userspace TCP/IP backends only; no effect on
                            kernel sockets)
  -h, --help                print this help and exit
  -V, --version             print the version and exit

All data lives in one 32-bit WebAssembly memory, so memory (-m), the index,
connection buffers (-c) and per-thread state together are capped at 4 GiB.
Transport: kernel TCP sockets (epoll, one SO_REUSEPORT listener per thread).
`;
}

function positiveInt(flag: string, text: string, min: number, max: number): number {
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

const options = {
  port: { type: "string", short: "p" },
  listen: { type: "string", short: "l" },
  "memory-limit": { type: "string", short: "m" },
  "conn-limit": { type: "string", short: "c" },
  threads: { type: "string", short: "t" },
  "max-item-size": { type: "string", short: "I" },
  verbose: { type: "boolean", short: "v", multiple: true },
  faults: { type: "string" },
  help: { type: "boolean", short: "h" },
  version: { type: "boolean", short: "V" },
} as const;

/** Parses argv (without node and the script). Throws UsageError; never exits. */
export function parseCli(argv: readonly string[], cpus?: number): CliResult {
  let values;
  try {
    ({ values } = parseArgs({ args: [...argv], options, strict: true, allowPositionals: false }));
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
  const config: Config = {
    port: values.port === undefined ? 11211 : positiveInt("-p", values.port, 0, 65535),
    listen: values.listen === undefined ? "127.0.0.1" : parseListen(values.listen),
    memoryLimitMb,
    maxBytes,
    connLimit: values["conn-limit"] === undefined ? 1024 : positiveInt("-c", values["conn-limit"], 1, 1 << 20),
    threads: values.threads === undefined ? defaultThreads(cpus) : positiveInt("-t", values.threads, 1, THREADS_MAX),
    itemSizeMax,
    verbosity: values.verbose?.length ?? 0,
    faults: values.faults === undefined ? undefined : parseFaults(values.faults),
  };
  return { kind: "run", config: Object.freeze(config) };
}
