// bench:core's process: one run of N threads, each a server core on the
// shared store with its own load-generator client (bench/core/pair.ts).
// Bundled by bench/core.mjs; prints one JSON line. Threads past the first are
// worker_threads on the same server memory, started together and timed
// together (aggregate rate = all requests / the longest run).
import v8 from "node:v8";
import { isMainThread, parentPort, Worker, workerData } from "node:worker_threads";
import { fileURLToPath } from "node:url";
import type { LoadgenSettings } from "../../host/loadgen/blocks.js";
import { loadNetModules } from "../../host/modules.js";
import { type PairResult, PORT, SERVER_IP, type ServerMemory, clientCore, makeServerMemory, runPair, serverCore } from "./pair.js";

v8.setFlagsFromString("--no-liftoff"); // as the workers do (FACTS.md: Node 20's Liftoff and atomics)

interface Options {
  readonly wasmDir: string;
  /** The client's modules (default wasmDir): profiling builds the server with names, the client without. */
  readonly clientWasmDir?: string;
  readonly threads: number;
  readonly conns: number;
  readonly depth: number;
  readonly keys: number;
  readonly valueSize: number;
  readonly setPermille: number;
  readonly zipf: number;
  readonly requests: number;
  readonly memoryMb: number;
}

interface ThreadInit {
  readonly opts: Options;
  readonly sm: ServerMemory;
  readonly core: number;
  readonly start: Int32Array;
}

function settings(o: Options, core: number): LoadgenSettings {
  return {
    serverIp: SERVER_IP, serverPort: PORT, conns: o.conns, depth: o.depth, keys: o.keys, keySize: 8, valueSize: o.valueSize,
    setPermille: o.setPermille, fill: true, requests: o.requests, durationMs: 0, seed: 1 + core, replyTimeoutMs: 60_000, zipf: o.zipf,
  };
}

/** One thread's pair: instantiate, wait for every thread to be ready (the last one in opens the gate), run. */
function runThread(t: ThreadInit): PairResult {
  const server = loadNetModules(t.opts.wasmDir, "memcached");
  const client = loadNetModules(t.opts.clientWasmDir ?? t.opts.wasmDir, "loadgen");
  const s = serverCore(server, t.sm, t.core);
  const c = clientCore(client, t.core, settings(t.opts, t.core));
  if (Atomics.add(t.start, 0, 1) === t.opts.threads - 1) {
    Atomics.store(t.start, 1, 1);
    Atomics.notify(t.start, 1);
  }
  for (let i = 0; i < 60_000 && Atomics.load(t.start, 1) === 0; i++) Atomics.wait(t.start, 1, 0, 10);
  return runPair(s, c);
}

/** Resolves when `n` threads have checked in at the gate (bounded: a minute). */
async function workersReady(start: Int32Array, n: number): Promise<void> {
  for (let i = 0; i < 6000 && Atomics.load(start, 0) < n; i++) await new Promise((r) => setTimeout(r, 10));
  if (Atomics.load(start, 0) < n) throw new Error(`bench:core: ${n - Atomics.load(start, 0)} worker(s) not ready after 60 s`);
}

function summarise(r: PairResult) {
  const perReq = (ns: number) => Number((ns / Math.max(1, r.requests)).toFixed(1));
  return {
    requests: r.requests, hits: Number(r.stats.hits), misses: Number(r.stats.misses), mismatches: Number(r.stats.mismatches),
    server_ns_per_request: perReq(r.serverNs), client_ns_per_request: perReq(r.clientNs), link_ns_per_request: perReq(r.linkNs),
    server_rps: Math.round(r.requests / (r.serverNs / 1e9)), wall_ms: Math.round(r.wallNs / 1e6), polls: r.serverPolls,
  };
}

async function main(o: Options): Promise<void> {
  const mods = loadNetModules(o.wasmDir, "memcached");
  const sm = makeServerMemory(mods, o.threads, o.memoryMb, Math.max(64, o.conns));
  const start = new Int32Array(new SharedArrayBuffer(8));
  const self = fileURLToPath(import.meta.url);
  const workers = Array.from({ length: o.threads - 1 }, (_, i) =>
    new Promise<PairResult>((resolve, reject) => {
      const w = new Worker(self, { workerData: { opts: o, sm, core: i + 1, start } satisfies ThreadInit });
      w.once("message", resolve);
      w.once("error", reject);
    }));
  // The main thread's pair blocks once it runs, so it starts only when every worker is ready
  // (a worker that failed to start is reported, not waited for at the gate).
  const mine = workersReady(start, o.threads - 1).then(() => runThread({ opts: o, sm, core: 0, start }));
  const results = await Promise.all([mine, ...workers]);
  const threads = results.map(summarise);
  const requests = threads.reduce((n, t) => n + t.requests, 0);
  const wallMs = Math.max(...results.map((r) => r.wallNs / 1e6));
  // Aggregate server capacity: each server core's requests over its own busy time, summed.
  const serverRps = threads.reduce((n, t) => n + t.server_rps, 0);
  console.log(JSON.stringify({ threads, requests, wall_ms: Math.round(wallMs), aggregate_server_rps: serverRps, aggregate_wall_rps: Math.round(requests / (wallMs / 1e3)) }));
}

if (isMainThread) {
  const o = JSON.parse(process.argv[2] ?? "{}") as Options;
  await main(o);
} else {
  parentPort!.postMessage(runThread(workerData as ThreadInit));
}
