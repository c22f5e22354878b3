// npm run bench:hitratio — eviction quality: the same seeded Zipf(0.9)
// trace over 1 M keys (values 200–500 bytes, so the working set, ≈400 MB
// with item overhead, is several times -m 64) replayed as get-then-set-on-
// miss against Debian's memcached and wasmcached with the same -m, one after
// the other on fresh servers. Reports each hit ratio after the warm-up and
// wasmcached/memcached. Replay: bench/loadgen.c --trace, batches of 64 gets
// pipelined, then the batch's misses set (the same on both servers).
// Prints a JSON object, then a one-line summary. Not a test.
//
// Options: --keys 1000000 --zipf 0.9 --requests 2000000 --warmup 500000
//          --memory 64 --seed 42 --max-seconds 200
//          --subject wasmcached|memcached (memcached: harness check)
import { startServer } from "../test/support/server.mjs";
import { buildLoadgen, cpuPlan, fetchStats, parseArgs, runLoadgen } from "./common.mjs";

const opts = parseArgs(process.argv.slice(2), {
  keys: "1000000",
  zipf: "0.9",
  requests: "2000000",
  warmup: "500000",
  memory: "64",
  seed: "42",
  "max-seconds": "200",
  subject: "wasmcached",
});
const loadgen = buildLoadgen();
const cpu = cpuPlan();
const maxSeconds = Number(opts["max-seconds"]);

const result = {
  benchmark: "hitratio",
  trace: { keys: Number(opts.keys), zipf: Number(opts.zipf), requests: Number(opts.requests), warmup: Number(opts.warmup), seed: Number(opts.seed), value_bytes: [200, 500], pipeline: 64 },
  memory_mb: Number(opts.memory),
};
const names = ["memcached", opts.subject === "memcached" ? "memcached_b" : "wasmcached"];
const kinds = ["memcached", opts.subject];
for (let i = 0; i < 2; i++) {
  const server = await startServer(kinds[i], ["-t", "1", "-m", opts.memory], { cpu: cpu.server });
  try {
    const res = runLoadgen(
      loadgen,
      cpu.client,
      ["-p", String(server.port), "--trace", "-n", opts.keys, "-z", opts.zipf, "-r", opts.requests, "-w", opts.warmup,
        "-s", opts.seed, "-P", "64", "--vmin", "200", "--vmax", "500", "-T", String(maxSeconds)],
      (maxSeconds + 90) * 1000,
    );
    result[names[i]] = {
      hit_ratio: Number(res.hit_ratio.toFixed(4)),
      hits: res.hits,
      misses: res.misses,
      requests: res.requests,
      complete: res.complete,
      seconds: res.seconds,
      set_failures: res.set_failures,
      errors: res.errors,
    };
    // What each server says it holds at the end, to read the ratio against.
    const st = await fetchStats(server.port);
    result[names[i]].stats = Object.fromEntries(
      ["limit_maxbytes", "bytes", "curr_items", "evictions", "total_items"].map((k) => [k, st[k] === undefined ? null : Number(st[k])]),
    );
    console.error(`${names[i]}: hit ratio ${res.hit_ratio.toFixed(4)} over ${res.hits + res.misses} requests after warm-up (${res.seconds.toFixed(1)} s${res.complete ? "" : ", STOPPED AT THE TIME LIMIT"})`);
  } finally {
    await server.stop();
  }
}
const [a, b] = names.map((n) => result[n].hit_ratio);
result.ratio = Number((b / a).toFixed(4));
console.log(JSON.stringify(result, null, 2));
const partial = names.some((n) => !result[n].complete) ? " (a run hit the time limit: partial trace)" : "";
console.log(`bench:hitratio ${names[1]} ${b} vs memcached ${a} hit ratio (Zipf ${opts.zipf}, ${opts.keys} keys, -m ${opts.memory}): ratio ${result.ratio}${partial}`);
