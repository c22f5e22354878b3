// npm run bench:memif — wasmcached over DPDK net_memif, driven by our own
// load generator (`wasmcached loadgen`: the userspace stack in active-open
// mode, every reply verified) in a second process; against Debian's
// memcached -t 1 on loopback driven by the C load generator, in the same
// run, rounds interleaved. The workload is mimicached's seed workload
// (FACTS.md): 32 connections, one request in flight each, 100% get over 1000
// preloaded 8-byte keys with 8-byte values.
//
// Servers on CPU 0, clients on CPU 1. The two paths differ in more than the
// server (kernel TCP + C client vs memif + our stack on both ends), so the
// ratio says what the DPDK path buys end to end, not the server alone. Prints
// a JSON object, then a one-line summary. Needs root, DPDK
// (build/libwcdpdk.so), cc, taskset, memcached and a built dist/. Not a test.
//
// Options: --rounds 3 --seconds 5 --connections 32 --keys 1000 --depth 1
//          --zipf 0 --set-ratio 0 --memory 64 (the server's -m)
// mimicached's Zipf mix: --keys 1000000 --zipf 0.99 --set-ratio 0.1 --memory 1024
// (on the memif side only: the C client on the memcached side stays uniform gets).
// (--depth N pipelines N gets per connection on the memif side only: the
// server's capacity rather than the pair's round trip; the memcached side
// stays at one in flight, so the ratio then compares unlike loads.)
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startWasmcached } from "../test/support/child.mjs";
import { startServer } from "../test/support/server.mjs";
import { buildLoadgen, cpuPlan, median, parseArgs, runLoadgen } from "./common.mjs";

const opts = parseArgs(process.argv.slice(2), {
  rounds: "3", seconds: "5", connections: "32", keys: "1000", depth: "1", zipf: "0", "set-ratio": "0", memory: "64",
});
const zipf = Number(opts.zipf);
const rounds = Number(opts.rounds);
const seconds = Number(opts.seconds);
const cpu = cpuPlan();
const cLoadgen = buildLoadgen();
const dir = mkdtempSync(join(tmpdir(), "wc-bench-memif-"));
const eal = (c, role, socket) =>
  `--no-huge -m 256 --no-pci --no-shconf --no-telemetry -l ${c} --vdev net_memif0,role=${role},socket=${socket},socket-abstract=no`;

/** One round over memif: a fresh server and loadgen pair; stopped in memif order (client holds, server stops, client closes). */
async function memifRound(r) {
  const socket = join(dir, `r${r}.sock`);
  const server = await startWasmcached(
    ["--dpdk", eal(cpu.server, "server", socket), "--ip", "10.66.0.2/24", "-p", "11211", "-t", "1", "-m", opts.memory, "--idle-backoff-us", "0", "-v"],
    /serving memcached on /,
  );
  let client;
  try {
    client = await startWasmcached(
      ["loadgen", "--dpdk", eal(cpu.client, "client", socket), "--ip", "10.66.0.1/24", "--server", "10.66.0.2:11211", "--hold",
        "--conns", opts.connections, "--depth", opts.depth, "--keys", opts.keys, "--key-size", "8", "--value-size", "8",
        "--set-ratio", opts["set-ratio"], ...(zipf > 0 ? ["--zipf", opts.zipf] : []),
        "--duration", String(seconds), "--seed", String(r + 1), "--idle-backoff-us", "0"],
      /loadgen: stopped polling/,
      { timeoutMs: (seconds + 90) * 1000, stdin: "pipe" },
    );
    const line = client.stdout().split("\n").find((l) => l.startsWith("{"));
    if (!line) throw new Error(`loadgen printed no JSON:\n${client.output()}`);
    const rep = JSON.parse(line);
    if (!rep.ok) throw new Error(`loadgen run failed:\n${client.output()}`);
    // The server's time in bursts that moved frames (its -v exit line): its cost per request, whatever the round trip.
    await server.stop();
    const busy = /core 0: busy ([\d.]+) ms in (\d+) bursts/.exec(server.output());
    if (!busy) throw new Error(`the server printed no busy time:\n${server.output()}`);
    const busyUsPerRequest = (Number(busy[1]) * 1000) / (rep.verified + rep.fillVerified);
    return {
      rps: rep.requestsPerSecond, p50_us: rep.latencyUs.p50, p99_us: rep.latencyUs.p99, requests: rep.verified,
      server_busy_us_per_request: Number(busyUsPerRequest.toFixed(3)),
    };
  } finally {
    await server.stop();
    client?.child.stdin.end();
    await client?.stop();
  }
}

const ref = await startServer("memcached", ["-t", "1", "-m", "64"], { cpu: cpu.server });
try {
  const memifRuns = [];
  const socketRuns = [];
  for (let r = 0; r < rounds; r++) {
    const m = await memifRound(r);
    memifRuns.push(m);
    console.error(`round ${r + 1}/${rounds} wasmcached over memif: ${m.rps} req/s, p50 <${m.p50_us} µs, p99 <${m.p99_us} µs, server busy ${m.server_busy_us_per_request} µs/request`);
    const s = runLoadgen(cLoadgen, cpu.client, ["-p", String(ref.port), "-c", opts.connections, "-k", opts.keys, "-d", String(seconds), "-s", String(r + 1)], (seconds + 60) * 1000);
    socketRuns.push(s);
    console.error(`round ${r + 1}/${rounds} memcached over loopback: ${Math.round(s.rps)} req/s`);
  }
  const wasm = Math.round(median(memifRuns.map((x) => x.rps)));
  const mc = Math.round(median(socketRuns.map((x) => x.rps)));
  const result = {
    benchmark: "memif",
    workload: {
      connections: Number(opts.connections), in_flight_per_connection: Number(opts.depth), keys: Number(opts.keys), key_bytes: 8, value_bytes: 8,
      get_ratio: 1 - Number(opts["set-ratio"]), zipf: zipf > 0 ? zipf : "uniform",
    },
    rounds, seconds_per_run: seconds, server_cpu: cpu.server, client_cpu: cpu.client,
    wasmcached_memif: {
      median_rps: wasm, rps: memifRuns.map((x) => x.rps), p50_us: memifRuns.map((x) => x.p50_us), p99_us: memifRuns.map((x) => x.p99_us),
      // the server core's time in bursts that moved frames, per request (FACTS.md: round-trip bound runs hide capacity)
      median_server_busy_us_per_request: median(memifRuns.map((x) => x.server_busy_us_per_request)),
      server_capacity_rps_estimate: Math.round(1e6 / median(memifRuns.map((x) => x.server_busy_us_per_request))),
    },
    // The C client keeps one request in flight per connection whatever --depth says: with --depth > 1 the ratio is not like for like.
    memcached_loopback: { median_rps: mc, rps: socketRuns.map((x) => Math.round(x.rps)), misses: socketRuns.reduce((n, x) => n + x.misses, 0), in_flight_per_connection: 1 },
    ratio: Number((wasm / mc).toFixed(3)),
  };
  console.log(JSON.stringify(result, null, 2));
  console.log(`bench:memif wasmcached over memif ${wasm} req/s (our loadgen, every reply verified; server busy ${result.wasmcached_memif.median_server_busy_us_per_request} µs/request) vs memcached over loopback ${mc} req/s (C loadgen), median of ${rounds} × ${seconds} s interleaved: ratio ${result.ratio}`);
} finally {
  await ref.stop();
  rmSync(dir, { recursive: true, force: true });
}
