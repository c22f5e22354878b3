// npm run bench:core — the server's Wasm data plane alone: netstack +
// memcached + the store, no device, no syscall, fed frames by our load
// generator module over an in-memory copy (bench/core/pair.ts). Reports the
// server's ns per request (wall time inside its net_poll calls over the
// requests the client verified), and the client's and link's time apart.
// Not a test; needs a built build/ (npm run build).
//
// Options: --rounds 5 --threads 1 --conns 32 --depth 1 --keys 1000
//          --value-size 8 --set-ratio 0 --zipf 0 --requests 2000000 --memory 64
//          --wasm-dir build (the server's modules; the client's always from build/)
// --threads 2: two server cores on one store, each with its own client,
// in one process (CPUs 0 and 1); the summary gives the aggregate server rate.
import { spawnSync } from "node:child_process";
import { join, resolve } from "node:path";
import { bundleTs } from "../native/bundle-ts.mjs";
import { repoRoot, requireTool } from "../test/support/server.mjs";
import { median, parseArgs } from "./common.mjs";

const opts = parseArgs(process.argv.slice(2), {
  rounds: "5", threads: "1", conns: "32", depth: "1", keys: "1000", "value-size": "8", "set-ratio": "0", zipf: "0",
  requests: "2000000", memory: "64", "wasm-dir": "build",
});
const threads = Number(opts.threads);
const entry = await bundleTs("bench/core/main.ts", "bench-core");
const run = {
  wasmDir: resolve(repoRoot, opts["wasm-dir"]), clientWasmDir: join(repoRoot, "build"), threads, conns: Number(opts.conns), depth: Number(opts.depth), keys: Number(opts.keys),
  valueSize: Number(opts["value-size"]), setPermille: Math.round(Number(opts["set-ratio"]) * 1000), zipf: Number(opts.zipf),
  requests: Math.ceil(Number(opts.requests) / threads), memoryMb: Number(opts.memory),
};
const cpus = threads === 1 ? "0" : `0-${threads - 1}`;
const rounds = [];
for (let r = 0; r < Number(opts.rounds); r++) {
  const p = spawnSync(requireTool("taskset", "util-linux"), ["-c", cpus, process.execPath, "--no-liftoff", entry, JSON.stringify(run)], {
    encoding: "utf8", timeout: 600_000, killSignal: "SIGKILL",
  });
  const line = (p.stdout ?? "").trim().split("\n").pop() ?? "";
  if (p.status !== 0 || !line.startsWith("{")) throw new Error(`bench:core round ${r + 1} failed (${p.status}):\n${p.stdout}\n${p.stderr}`);
  const res = JSON.parse(line);
  for (const t of res.threads) {
    if (t.mismatches > 0 || t.misses > 0) throw new Error(`bench:core: ${t.mismatches} mismatches, ${t.misses} misses: ${line}`);
  }
  rounds.push(res);
  const t0 = res.threads[0];
  console.error(`round ${r + 1}/${opts.rounds}: server ${res.aggregate_server_rps} req/s (${t0.server_ns_per_request} ns/request on core 0), ` +
    `client ${t0.client_ns_per_request} ns, link ${t0.link_ns_per_request} ns, ${res.requests} requests`);
}
const agg = median(rounds.map((x) => x.aggregate_server_rps));
const nsPerReq = median(rounds.map((x) => x.threads[0].server_ns_per_request));
const result = {
  benchmark: "core", threads, cpus,
  workload: {
    connections: run.conns, in_flight_per_connection: run.depth, keys: run.keys, key_bytes: 8, value_bytes: run.valueSize,
    set_ratio: run.setPermille / 1000, zipf: run.zipf || "uniform", requests_per_thread: run.requests,
  },
  median_aggregate_server_rps: agg,
  median_server_ns_per_request: nsPerReq,
  median_client_ns_per_request: median(rounds.map((x) => x.threads[0].client_ns_per_request)),
  median_link_ns_per_request: median(rounds.map((x) => x.threads[0].link_ns_per_request)),
  rounds,
};
console.log(JSON.stringify(result, null, 2));
console.log(`bench:core ${threads} thread(s): ${agg} req/s of server capacity (${nsPerReq} ns/request on core 0), median of ${rounds.length} rounds`);
