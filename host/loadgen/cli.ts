// `wasmcached loadgen`: the command line of the load generator (docs/loadgen.md).
// The device flags are the server's (--tap/--dpdk/--ip/...); the rest say
// whom to load, how hard, and with what.
import { parseArgs } from "node:util";
import {
  SERVICE_DEFAULTS, type Config, type Values, formatIpv4, joinDpdkValue, parseDpdk, parseIpv4, parseNet, positiveInt,
} from "../cli.js";
import { parseFaults } from "../devices/faults.js";
import { UsageError } from "../errors.js";
import type { LoadgenSettings } from "./blocks.js";

export interface LoadgenConfig {
  /** The backend (TAP or DPDK) as a server Config: one thread, no listening port, the loadgen module. */
  readonly backend: Config;
  readonly settings: LoadgenSettings;
  /** Give up (and fail) when the run has not finished after this long. */
  readonly deadlineMs: number;
  /** After the run, keep the device open until stdin ends or a signal (memif: both sides stop polling before either closes). */
  readonly hold: boolean;
}

export const LOADGEN_DEFAULTS = Object.freeze({
  conns: 32, depth: 1, keys: 1000, keySize: 8, valueSize: 8, setRatio: 0, requests: 100_000, seed: 1, replyTimeoutMs: 5000,
});
/** Largest value the module streams (memcached's default -I). */
export const VALUE_SIZE_MAX = 1 << 20;
export const DEPTH_MAX = 64;
export const CONNS_MAX = 50_000;
/** Added to the expected run time for the deadline: connecting, filling, draining. */
const DEADLINE_SLACK_MS = 60_000;

export function loadgenHelp(): string {
  const d = LOADGEN_DEFAULTS;
  return `usage: wasmcached loadgen --server=a.b.c.d:port (--tap=<name> | --dpdk="<EAL args>") --ip=a.b.c.d/nn [options]

Drives a memcached server over the userspace TCP/IP stack (one core, active
open) and checks every reply byte for byte; prints JSON on stdout and a
one-line summary on stderr; exit 0 when every reply was right.

  --server=<ip:port>       the memcached server to load (required)
  --conns=<n>              connections (default: ${d.conns})
  --depth=<n>              requests in flight per connection, 1..${DEPTH_MAX} (default: ${d.depth})
  --keys=<n>               key space (default: ${d.keys})
  --key-size=<n>           key length, 4..250 bytes (default: ${d.keySize})
  --value-size=<n>         value length, 0..${VALUE_SIZE_MAX} bytes (default: ${d.valueSize})
  --set-ratio=<r>          fraction of sets, 0..1 (default: ${d.setRatio})
  --zipf=<s>               keys Zipf-distributed with exponent s (0 < s <= 10; e.g. 0.99),
                           key 0 the most popular (default: uniform)
  --no-fill                do not set every key before measuring (misses are then expected)
  --requests=<n>           requests to measure (default: ${d.requests} without --duration)
  --duration=<seconds>     measure for this long instead (or as well: whichever ends first)
  --seed=<n>               request sequence seed (default: ${d.seed})
  --reply-timeout-ms=<n>   fail a connection waiting this long for a reply (default: ${d.replyTimeoutMs})
  --hold                   after the run stop polling, print, and keep the device open
                           until stdin ends or SIGTERM (for a memif peer)
  -v, --verbose            print the stack's and the device's counters at the end

Device: --tap=<name> | --dpdk="<EAL args>" [--port-id --no-zero-copy --idle-backoff-us --rx-burst],
--ip, --gateway, --mac, --mtu, --faults (TAP): as for the server (wasmcached --help).
`;
}

const options = {
  server: { type: "string" },
  conns: { type: "string" },
  depth: { type: "string" },
  keys: { type: "string" },
  "key-size": { type: "string" },
  "value-size": { type: "string" },
  "set-ratio": { type: "string" },
  zipf: { type: "string" },
  "no-fill": { type: "boolean" },
  requests: { type: "string" },
  duration: { type: "string" },
  seed: { type: "string" },
  "reply-timeout-ms": { type: "string" },
  hold: { type: "boolean" },
  verbose: { type: "boolean", short: "v", multiple: true },
  tap: { type: "string" },
  dpdk: { type: "string" },
  ip: { type: "string" },
  gateway: { type: "string" },
  mac: { type: "string" },
  mtu: { type: "string" },
  faults: { type: "string" },
  "port-id": { type: "string" },
  "no-zero-copy": { type: "boolean" },
  "idle-backoff-us": { type: "string" },
  "rx-burst": { type: "string" },
  help: { type: "boolean", short: "h" },
} as const;

/** "a.b.c.d:port" -> u32 address and port. */
export function parseServer(text: string): { ip: number; port: number } {
  const m = /^([0-9.]+):([0-9]+)$/.exec(text);
  const ip = m ? parseIpv4(m[1]) : undefined;
  if (!m || ip === undefined) throw new UsageError("ERR_BAD_SERVER", `--server: "${text}" is not an IPv4 address and port (example: 10.77.0.2:11211)`);
  return { ip, port: positiveInt("--server port", m[2], 1, 65535) };
}

function parseRatio(text: string): number {
  const r = /^(0|1|0?\.[0-9]+|1\.0*)$/.test(text) ? Number(text) : NaN;
  if (!(r >= 0 && r <= 1)) throw new UsageError("ERR_BAD_RATIO", `--set-ratio: "${text}" is not a fraction 0..1`);
  return r;
}

/** Largest --zipf (the module's limit, in thousandths: 10000). */
export const ZIPF_MAX = 10;

function parseZipf(text: string): number {
  const z = /^[0-9]+(\.[0-9]{1,3})?$/.test(text) ? Number(text) : NaN;
  if (!(z > 0 && z <= ZIPF_MAX)) throw new UsageError("ERR_BAD_ZIPF", `--zipf: "${text}" is not an exponent in (0, ${ZIPF_MAX}] with at most 3 decimals`);
  return z;
}

function parseSeconds(text: string): number {
  const s = /^[0-9]+(\.[0-9]+)?$/.test(text) ? Number(text) : NaN;
  if (!(s > 0 && s <= 86_400)) throw new UsageError("ERR_BAD_DURATION", `--duration: "${text}" is not a number of seconds in (0, 86400]`);
  return s;
}

export type LoadgenCli = { readonly kind: "run"; readonly config: LoadgenConfig } | { readonly kind: "help"; readonly text: string };

/** Parses the arguments after `loadgen`. Throws UsageError. */
export function parseLoadgenCli(argv: readonly string[]): LoadgenCli {
  let values: Values;
  try {
    ({ values } = parseArgs({ args: joinDpdkValue(argv), options, strict: true, allowPositionals: false }));
  } catch (err) {
    throw new UsageError((err as { code?: string }).code ?? "ERR_PARSE_ARGS", `loadgen: ${(err as Error).message}`);
  }
  if (values.help) return { kind: "help", text: loadgenHelp() };
  const str = (k: string) => values[k] as string | undefined;
  const int = (k: string, dflt: number, min: number, max: number) => {
    const t = str(k);
    return t === undefined ? dflt : positiveInt(`--${k}`, t, min, max);
  };
  const serverText = str("server");
  if (serverText === undefined) throw new UsageError("ERR_NEEDS_SERVER", "loadgen needs --server a.b.c.d:port");
  const server = parseServer(serverText);
  const dpdk = parseDpdk(values);
  const { tap, net } = parseNet(values, dpdk);
  if (net === undefined) throw new UsageError("ERR_NEEDS_DEVICE", "loadgen runs on the userspace stack: give --tap NAME or --dpdk \"<EAL args>\", and --ip");
  if (server.ip === net.ip) throw new UsageError("ERR_BAD_SERVER", `--server ${formatIpv4(server.ip)} is our own --ip`);
  const d = LOADGEN_DEFAULTS;
  const conns = int("conns", d.conns, 1, CONNS_MAX);
  const keys = int("keys", d.keys, 1, 0xffffffff);
  const keySize = int("key-size", d.keySize, 4, 250);
  if (String(keys - 1).length > keySize - 1) {
    throw new UsageError("ERR_KEY_SIZE", `--key-size ${keySize}: key ${keys - 1} needs ${String(keys - 1).length + 1} bytes ("k" and its number)`);
  }
  const durationText = str("duration");
  const durationMs = durationText === undefined ? 0 : Math.round(parseSeconds(durationText) * 1000);
  const requests = int("requests", durationMs > 0 ? 0 : d.requests, durationMs > 0 ? 0 : 1, 0xffffffff);
  const replyTimeoutMs = int("reply-timeout-ms", d.replyTimeoutMs, 1, 600_000);
  const settings: LoadgenSettings = Object.freeze({
    serverIp: server.ip,
    serverPort: server.port,
    conns,
    depth: int("depth", d.depth, 1, DEPTH_MAX),
    keys,
    keySize,
    valueSize: int("value-size", d.valueSize, 0, VALUE_SIZE_MAX),
    setPermille: Math.round((str("set-ratio") === undefined ? d.setRatio : parseRatio(str("set-ratio") as string)) * 1000),
    fill: values["no-fill"] !== true,
    requests,
    durationMs,
    seed: int("seed", d.seed, 0, 0xffffffff),
    replyTimeoutMs,
    zipf: str("zipf") === undefined ? 0 : parseZipf(str("zipf") as string),
  });
  const backend: Config = Object.freeze({
    port: 0, // no listening port: the stack only opens connections
    listen: "127.0.0.1",
    memoryLimitMb: 1,
    maxBytes: 1 << 20,
    connLimit: conns,
    threads: 1, // replies must come back to the core that opened the connection: one queue
    itemSizeMax: VALUE_SIZE_MAX,
    verbosity: (values.verbose as boolean[] | undefined)?.length ?? 0,
    faults: str("faults") === undefined ? undefined : parseFaults(str("faults") as string),
    app: "loadgen",
    tap,
    net,
    dpdk,
    metricsPort: undefined,
    moreApps: undefined,
    ...SERVICE_DEFAULTS,
  });
  // A count-limited run: allow 1 ms per round of conns x depth requests, far slower than any working server.
  const expectedMs = durationMs > 0 ? durationMs : Math.ceil(requests / (conns * settings.depth));
  return {
    kind: "run",
    config: Object.freeze({ backend, settings, deadlineMs: expectedMs + DEADLINE_SLACK_MS, hold: values.hold === true }),
  };
}
