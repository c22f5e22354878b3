// npm run bench:socket — kernel-socket throughput, wasmcached -t 1 against
// Debian's memcached -t 1. Both servers pinned to CPU 0, the C load
// generator on CPU 1; same client, same run, interleaved rounds (A B A B …)
// so drift on this noisy VM hits both alike. 32 connections, one request in
// flight each, 100% get over 1000 preloaded 8-byte keys with 8-byte values.
// Prints a JSON object, then a one-line summary. Not a test.
//
// Options: --rounds 3 --seconds 5 --connections 32 --keys 1000
//          --subject wasmcached|memcached (memcached: harness check, A vs A)
import { startServer } from "../test/support/server.mjs";
import { buildLoadgen, cpuPlan, cpuSeconds, median, parseArgs, runLoadgen } from "./common.mjs";

const opts = parseArgs(process.argv.slice(2), {
  rounds: "3",
  seconds: "5",
  connections: "32",
  keys: "1000",
  subject: "wasmcached",
});
const rounds = Number(opts.rounds);
const seconds = Number(opts.seconds);
const loadgen = buildLoadgen();
const cpu = cpuPlan();

const servers = [];
try {
  const ref = await startServer("memcached", ["-t", "1", "-m", "64"], { cpu: cpu.server });
  servers.push(ref);
  const sub = await startServer(opts.subject, ["-t", "1", "-m", "64"], { cpu: cpu.server });
  servers.push(sub);
  const sides = [
    { name: "memcached", server: ref, runs: [] },
    { name: opts.subject === "memcached" ? "memcached_b" : "wasmcached", server: sub, runs: [] },
  ];
  for (let r = 0; r < rounds; r++) {
    for (const side of sides) {
      const cpu0 = cpuSeconds(side.server.pid);
      const res = runLoadgen(
        loadgen,
        cpu.client,
        ["-p", String(side.server.port), "-c", opts.connections, "-k", opts.keys, "-d", String(seconds), "-s", String(r + 1)],
        (seconds + 60) * 1000,
      );
      // Server CPU per request: with one request in flight per connection the
      // pair runs in lockstep, so req/s is round-trip bound; this is the cost.
      res.cpu_us_per_request = ((cpuSeconds(side.server.pid) - cpu0) * 1e6) / res.requests;
      side.runs.push(res);
      console.error(`round ${r + 1}/${rounds} ${side.name}: ${Math.round(res.rps)} req/s, ${res.cpu_us_per_request.toFixed(2)} µs server CPU/req (hits ${res.hits}, misses ${res.misses}, errors ${res.errors})`);
    }
  }
  const result = { benchmark: "socket", workload: { connections: Number(opts.connections), keys: Number(opts.keys), key_bytes: 8, value_bytes: 8, get_ratio: 1, in_flight_per_connection: 1 }, rounds, seconds_per_run: seconds, server_cpu: cpu.server, client_cpu: cpu.client };
  for (const side of sides) {
    result[side.name] = {
      median_rps: Math.round(median(side.runs.map((x) => x.rps))),
      rps: side.runs.map((x) => Math.round(x.rps)),
      median_cpu_us_per_request: Number(median(side.runs.map((x) => x.cpu_us_per_request)).toFixed(2)),
      misses: side.runs.reduce((n, x) => n + x.misses, 0),
      errors: side.runs.reduce((n, x) => n + x.errors, 0),
    };
  }
  const [a, b] = sides.map((s) => result[s.name].median_rps);
  result.ratio = Number((b / a).toFixed(3));
  const [ca, cb] = sides.map((s) => result[s.name].median_cpu_us_per_request);
  result.cpu_per_request_ratio = Number((cb / ca).toFixed(3));
  console.log(JSON.stringify(result, null, 2));
  console.log(`bench:socket ${sides[1].name} ${b} req/s vs memcached ${a} req/s (median of ${rounds} × ${seconds} s, interleaved): ratio ${result.ratio}; server CPU/request ${cb} vs ${ca} µs`);
} finally {
  for (const s of servers) await s.stop();
}
