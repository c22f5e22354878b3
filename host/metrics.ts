// Prometheus metrics (--metrics-port): the same figures as memcached's
// `stats`, read in the main thread from a protocol-module instance that
// serves no connections (app_stats), and served over HTTP at /metrics.
import http from "node:http";
import type { AddressInfo } from "node:net";
import { EX_OSERR, HostError, ModuleError } from "./errors.js";

/** The metrics endpoint cannot listen. */
export class MetricsError extends HostError {
  readonly exitCode = EX_OSERR;
}

/** Where the main thread's app_stats writes its listing: host scratch below the transport's static window. */
export const METRICS_SCRATCH = 8192;
export const METRICS_SCRATCH_BYTES = 8192;

/** The one function metrics need from the protocol module. */
export interface StatsSource {
  app_stats(control: number, region0: number, nowMs: number, out: number): number;
}

/** Stats that go up and down; every other numeric stat is a counter. */
const GAUGES = new Set([
  "pid", "uptime", "time", "pointer_size", "max_connections", "curr_connections", "connection_structures",
  "limit_maxbytes", "accepting_conns", "threads", "hash_power_level", "hash_bytes", "hash_is_expanding",
  "bytes", "curr_items", "malloc_fails", "log_worker_dropped", "response_obj_count", "response_obj_bytes",
  "read_buf_count", "read_buf_bytes", "read_buf_bytes_free",
]);

/** Parses `STAT name value` lines into pairs, in order. */
export function parseStats(text: string): Array<[string, string]> {
  const out: Array<[string, string]> = [];
  for (const line of text.split("\r\n")) {
    const m = /^STAT (\S+) (.*)$/.exec(line);
    if (m) out.push([m[1], m[2]]);
  }
  return out;
}

const escapeLabel = (v: string) => v.replace(/\\/g, "\\\\").replace(/"/g, '\\"').replace(/\n/g, "\\n");

/** The Prometheus text exposition of a `stats` listing: memcached_<name>, text values as _info labels. */
export function toPrometheus(stats: Array<[string, string]>): string {
  const lines: string[] = [];
  for (const [name, value] of stats) {
    const metric = `memcached_${name.replace(/[^a-zA-Z0-9_]/g, "_")}`;
    if (/^-?\d+(\.\d+)?$/.test(value)) {
      lines.push(`# TYPE ${metric} ${GAUGES.has(name) ? "gauge" : "counter"}`, `${metric} ${value}`);
    } else {
      lines.push(`# TYPE ${metric}_info gauge`, `${metric}_info{${name}="${escapeLabel(value)}"} 1`);
    }
  }
  return `${lines.join("\n")}\n`;
}

/** Reads the current `stats` listing out of Wasm memory. */
export function readStats(source: StatsSource, memory: WebAssembly.Memory, control: number, region0: number): string {
  const n = source.app_stats(control, region0, Date.now(), METRICS_SCRATCH);
  if (n <= 0 || n > METRICS_SCRATCH_BYTES) throw new ModuleError("ERR_METRICS", `app_stats returned ${n}`);
  return Buffer.from(new Uint8Array(memory.buffer, METRICS_SCRATCH, n)).toString("latin1");
}

/** Serves GET /metrics on host:port until closed. Resolves once listening, with the bound port. */
export function serveMetrics(
  host: string,
  port: number,
  render: () => string,
): Promise<{ server: http.Server; port: number }> {
  const server = http.createServer((req, res) => {
    if (req.method !== "GET" || (req.url !== "/metrics" && req.url !== "/")) {
      res.writeHead(404, { "content-type": "text/plain" }).end("not found: try /metrics\n");
      return;
    }
    try {
      res.writeHead(200, { "content-type": "text/plain; version=0.0.4" }).end(render());
    } catch (err) {
      res.writeHead(500, { "content-type": "text/plain" }).end(`${(err as Error).message}\n`);
    }
  });
  return new Promise((resolve, reject) => {
    server.once("error", (err: NodeJS.ErrnoException) =>
      reject(new MetricsError("ERR_METRICS_LISTEN", `cannot serve metrics on ${host}:${port}: ${err.message}`)),
    );
    server.listen(port, host, () => resolve({ server, port: (server.address() as AddressInfo).port }));
  });
}
