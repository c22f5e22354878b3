// npm run bench:peer — wasmcached against mimicached (C on the iip stack over
// DPDK, ../shared/peers/mimicached), side by side over net_memif, servers on
// CPU 0 and clients on CPU 1, rounds interleaved. Each round of a workload:
//   mimicached + mc-bench, wasmcached + the same mc-bench (same arguments),
//   wasmcached + our loadgen, mimicached + our loadgen
// (our loadgen verifies every reply: both servers are checked to answer right).
// mc-bench (mimicached's published client) keeps one request in flight and
// draws keys uniformly or with its built-in Zipf 0.9, so the Zipf 0.99 mix and
// the pipelined workload run with our loadgen only.
// Workloads: seed (32 connections × 1 in flight, 1000 keys, 8 B keys and
// values, GET), zipf (1 M keys, Zipf 0.99, 10% sets), depth8 (seed with 8 in flight).
// Prints progress on stderr, then JSON, then one line per workload:
//   bench:peer <workload>: wasmcached N req/s, mimicached M req/s, ratio R
// Needs root, DPDK (libdpdk-dev), cc, make, taskset and a built dist/. Not a test.
//
// Options: --rounds 5 --seconds 5 --workloads seed,zipf,depth8
//          --peer-src DIR (default ../shared/peers/mimicached beside the repo) --rx-burst N (wasmcached's)
//          --out DIR (default build/bench): peer.json and the charts peer-rps.svg, peer-latency.svg
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { startProcess, startWasmcached } from "../test/support/child.mjs";
import { repoRoot, requireTool } from "../test/support/server.mjs";
import { cpuPlan, median, parseArgs } from "./common.mjs";
import { barChart } from "./svg.mjs";

const opts = parseArgs(process.argv.slice(2), {
  rounds: "5", seconds: "5", workloads: "seed,zipf,depth8", "peer-src": join(repoRoot, "..", "shared", "peers", "mimicached"), "rx-burst": "", out: join(repoRoot, "build", "bench"),
});
const rounds = Number(opts.rounds);
const seconds = Number(opts.seconds);
const cpu = cpuPlan();
const taskset = requireTool("taskset", "util-linux");
// The peer's programs print through stdio, fully buffered into a pipe: line-buffer them to see progress.
const stdbuf = requireTool("stdbuf", "coreutils");
const SERVER_IP = "10.100.0.20";
const CLIENT_IP = "10.100.0.10";
const SERVER_MAC = "02:00:00:00:00:14";

const WORKLOADS = {
  seed: { conns: 32, depth: 1, keys: 1000, setRatio: 0, zipf: 0, memoryMb: 128, buckets: 1000, mcBench: true },
  zipf: { conns: 32, depth: 1, keys: 1_000_000, setRatio: 0.1, zipf: 0.99, memoryMb: 1024, buckets: 1_000_000, mcBench: false },
  depth8: { conns: 32, depth: 8, keys: 1000, setRatio: 0, zipf: 0, memoryMb: 128, buckets: 1000, mcBench: false },
};
const chosen = opts.workloads.split(",").map((w) => {
  if (!WORKLOADS[w]) throw new Error(`bench:peer: unknown workload ${w} (${Object.keys(WORKLOADS).join(", ")})`);
  return w;
});

/** Builds the peer into build/peers unless the build there came from the same commits. */
function buildPeer(src) {
  const out = join(repoRoot, "build", "peers");
  const commits = join(src, "src", "COMMITS");
  if (!existsSync(join(src, "build.sh")) || !existsSync(commits)) {
    throw new Error(`bench:peer: no peer sources at ${src} (build.sh and src/COMMITS; docs/performance.md says how to get them)`);
  }
  const built = join(out, "COMMITS");
  const fresh = existsSync(built) && readFileSync(built, "utf8").startsWith(readFileSync(commits, "utf8")) &&
    ["mimicached", "mc-bench"].every((b) => existsSync(join(out, b)));
  if (!fresh) {
    console.error(`bench:peer: building mimicached and mc-bench from ${src} into build/peers ...`);
    const r = spawnSync("bash", [join(src, "build.sh"), out], { encoding: "utf8", stdio: ["ignore", "inherit", "inherit"] });
    if (r.status !== 0) throw new Error(`bench:peer: ${join(src, "build.sh")} failed (${r.status})`);
  }
  return { mimicached: join(out, "mimicached"), mcBench: join(out, "mc-bench") };
}

const peer = buildPeer(resolve(opts["peer-src"]));
const dir = mkdtempSync(join(tmpdir(), "wc-bench-peer-"));
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
let runId = 0;

const ealArgs = (c, role, socket, prefix, mac, mem) =>
  ["--no-huge", "-m", String(mem), "--no-pci", "--no-shconf", "--no-telemetry", "-l", String(c), `--file-prefix=${prefix}`,
    "--vdev", `net_memif0,role=${role},socket=${socket},socket-abstract=no${mac ? `,mac=${mac}` : ""}`];

/** A server on the memif socket: { stop(), busyUsPerRequest(requests) | undefined }. */
async function startServerOf(kind, w, socket) {
  const id = ++runId;
  if (kind === "mimicached") {
    // iip-dpdk's mbuf pool needs EAL -m 1024 (../shared/peers/mimicached/README.md); -z sizes its hash table
    const p = await startProcess(taskset, ["-c", String(cpu.server), stdbuf, "-oL", "-eL", peer.mimicached,
      ...ealArgs(cpu.server, "server", socket, `wcps${id}`, SERVER_MAC, 1024), "--", "-a", `0,${SERVER_IP}`, "--",
      "-m", String(w.memoryMb), "-z", String(w.buckets)], /mimicached server has been started/, { name: "mimicached", stopSignal: "SIGINT", timeoutMs: 60_000 });
    return { stop: () => p.stop(), busyUsPerRequest: () => undefined };
  }
  const rxBurst = opts["rx-burst"] ? ["--rx-burst", opts["rx-burst"]] : [];
  const p = await startWasmcached(["--dpdk", ealArgs(cpu.server, "server", socket, `wcps${id}`, "", 256).join(" "),
    "--ip", `${SERVER_IP}/24`, "-p", "11211", "-t", "1", "-m", String(w.memoryMb), "--idle-backoff-us", "0", "-v", ...rxBurst],
  /serving memcached on /, { timeoutMs: 60_000 });
  return {
    stop: () => p.stop(),
    busyUsPerRequest(requests) {
      const busy = /core 0: busy ([\d.]+) ms in (\d+) bursts/.exec(p.output());
      return busy && requests > 0 ? Number(((Number(busy[1]) * 1000) / requests).toFixed(3)) : undefined;
    },
  };
}

/** mc-bench for `seconds` after its preload; its per-second GET counts (first and last dropped: partial seconds) and latency. */
async function runMcBench(w, socket) {
  const id = ++runId;
  const args = [...ealArgs(cpu.client, "client", socket, `wcpc${id}`, "02:00:00:00:00:0a", 1024), "--", "-a", `0,${CLIENT_IP}`, "--",
    "-s", SERVER_IP, "-p", "11211", "-m", "version\r\n", "-c", String(w.conns), "-d", String(w.depth), "--",
    "-k", "8", "-v", "8", "-n", String(w.keys), "-w", String(Math.round(w.setRatio * 100)), "-l"];
  const p = await startProcess(taskset, ["-c", String(cpu.client), stdbuf, "-oL", "-eL", peer.mcBench, ...args], /items has been loaded/,
    { name: "mc-bench", stopSignal: "SIGINT", timeoutMs: 120_000 });
  await sleep((seconds + 2) * 1000);
  // One SIGINT: it stops, computes its latency percentiles and exits (a second would kill it first).
  process.kill(p.child.pid, "SIGINT");
  const timer = setTimeout(() => p.child.exitCode === null && process.kill(p.child.pid, "SIGKILL"), 60_000);
  await p.exited;
  clearTimeout(timer);
  const out = p.output();
  const after = out.slice(out.indexOf("items has been loaded"));
  const perSecond = [...after.matchAll(/^total \d+: set \d+ \(success (\d+) failed (\d+) error (\d+)\), get \d+ \(success (\d+) failed (\d+) error (\d+)\)/gm)]
    .map((m) => ({ ok: Number(m[1]) + Number(m[4]), bad: Number(m[2]) + Number(m[3]) + Number(m[5]) + Number(m[6]) }));
  const steady = perSecond.slice(1, -1);
  if (steady.length === 0) throw new Error(`mc-bench printed too few per-second lines:\n${out}`);
  const bad = perSecond.reduce((n, x) => n + x.bad, 0);
  if (bad > 0) throw new Error(`mc-bench saw ${bad} failed or erroneous replies:\n${out}`);
  const lat = /latency 50%-ile (\d+) ns 90%-ile (\d+) ns 99%-ile (\d+) ns/.exec(out);
  return {
    rps: median(steady.map((x) => x.ok)), p50_us: lat ? Number(lat[1]) / 1000 : undefined, p99_us: lat ? Number(lat[3]) / 1000 : undefined,
    requests: perSecond.reduce((n, x) => n + x.ok, 0),
  };
}

/** Our loadgen for `seconds` (every key set first, every reply verified). */
async function runOurLoadgen(w, socket, seed) {
  const id = ++runId;
  const p = await startWasmcached(
    ["loadgen", "--dpdk", ealArgs(cpu.client, "client", socket, `wcpc${id}`, "", 256).join(" "), "--ip", `${CLIENT_IP}/24`,
      "--server", `${SERVER_IP}:11211`, "--hold", "--conns", String(w.conns), "--depth", String(w.depth), "--keys", String(w.keys),
      "--key-size", "8", "--value-size", "8", "--set-ratio", String(w.setRatio), ...(w.zipf > 0 ? ["--zipf", String(w.zipf)] : []),
      "--duration", String(seconds), "--seed", String(seed), "--idle-backoff-us", "0"],
    /loadgen: stopped polling/, { timeoutMs: (seconds + 120) * 1000, stdin: "pipe" },
  );
  const line = p.stdout().split("\n").find((l) => l.startsWith("{"));
  const rep = line ? JSON.parse(line) : undefined;
  return {
    close: async () => { p.child.stdin.end(); await p.stop(); },
    result() {
      if (!rep?.ok) throw new Error(`loadgen run failed:\n${p.output()}`);
      return { rps: rep.requestsPerSecond, p50_us: rep.latencyUs.p50, p99_us: rep.latencyUs.p99, requests: rep.verified + rep.fillVerified };
    },
  };
}

/** One server with one client; memif order at the end: the client holds, the server stops, the client closes. */
async function pair(serverKind, clientKind, w, seed) {
  const socket = join(dir, `p${++runId}.sock`);
  const server = await startServerOf(serverKind, w, socket);
  let lg;
  try {
    if (clientKind === "mc-bench") {
      const r = await runMcBench(w, socket);
      await server.stop();
      return { ...r, server_busy_us_per_request: server.busyUsPerRequest(r.requests) };
    }
    lg = await runOurLoadgen(w, socket, seed);
    const r = lg.result();
    await server.stop();
    return { ...r, server_busy_us_per_request: server.busyUsPerRequest(r.requests) };
  } finally {
    await server.stop();
    await lg?.close();
    rmSync(socket, { force: true });
  }
}

/** peer.json and its charts (docs/performance.md shows copies from a quiet run). */
function writeCharts(report, out) {
  mkdirSync(out, { recursive: true });
  writeFileSync(join(out, "peer.json"), `${JSON.stringify(report, null, 2)}\n`);
  const groups = (value) => Object.entries(report.workloads).map(([name, r]) => ({
    label: name,
    bars: Object.entries(r.pairs).map(([pair, p]) => ({ series: pair.replace("+", " + "), value: value(p) })),
  }));
  const sub = `median of ${report.rounds} interleaved rounds, server CPU ${report.server_cpu}, client CPU ${report.client_cpu}, memif`;
  writeFileSync(join(out, "peer-rps.svg"), barChart({ title: "Requests per second, by server + client", subtitle: sub, unit: "req/s", groups: groups((p) => p.median_rps) }));
  writeFileSync(join(out, "peer-latency.svg"), barChart({ title: "p50 latency, by server + client", subtitle: sub, unit: "µs", groups: groups((p) => p.median_p50_us ?? 0) }));
  console.error(`bench:peer: wrote ${join(out, "peer.json")}, peer-rps.svg, peer-latency.svg`);
}

const PAIRS = [["mimicached", "mc-bench"], ["wasmcached", "mc-bench"], ["wasmcached", "loadgen"], ["mimicached", "loadgen"]];
const results = {};
try {
  for (const name of chosen) {
    const w = WORKLOADS[name];
    const pairs = PAIRS.filter(([, c]) => c === "loadgen" || w.mcBench);
    const runs = Object.fromEntries(pairs.map(([s, c]) => [`${s}+${c}`, []]));
    for (let r = 0; r < rounds; r++) {
      for (const [s, c] of pairs) {
        const x = await pair(s, c, w, r + 1);
        runs[`${s}+${c}`].push(x);
        const busy = x.server_busy_us_per_request === undefined ? "" : `, server busy ${x.server_busy_us_per_request} µs/request`;
        console.error(`bench:peer ${name} round ${r + 1}/${rounds} ${s} + ${c}: ${Math.round(x.rps)} req/s, p50 ${x.p50_us} µs, p99 ${x.p99_us} µs${busy}`);
      }
    }
    const summary = Object.fromEntries(Object.entries(runs).map(([k, xs]) => [k, {
      median_rps: Math.round(median(xs.map((x) => x.rps))),
      median_p50_us: median(xs.map((x) => x.p50_us)), median_p99_us: median(xs.map((x) => x.p99_us)),
      ...(k.startsWith("wasmcached") ? { median_server_busy_us_per_request: median(xs.map((x) => x.server_busy_us_per_request)) } : {}),
      runs: xs,
    }]));
    // The headline pair: the same mc-bench where it can express the workload, else our loadgen on both sides.
    const client = w.mcBench ? "mc-bench" : "loadgen";
    const wasm = summary[`wasmcached+${client}`].median_rps;
    const mimi = summary[`mimicached+${client}`].median_rps;
    results[name] = {
      workload: { connections: w.conns, in_flight_per_connection: w.depth, keys: w.keys, key_bytes: 8, value_bytes: 8, set_ratio: w.setRatio, zipf: w.zipf || "uniform" },
      headline_client: client, wasmcached_rps: wasm, mimicached_rps: mimi, ratio: Number((wasm / mimi).toFixed(3)), pairs: summary,
    };
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
const report = { benchmark: "peer", rounds, seconds_per_run: seconds, server_cpu: cpu.server, client_cpu: cpu.client, workloads: results };
writeCharts(report, resolve(opts.out));
console.log(JSON.stringify(report, null, 2));
for (const [name, r] of Object.entries(results)) {
  console.log(`bench:peer ${name}: wasmcached ${r.wasmcached_rps} req/s, mimicached ${r.mimicached_rps} req/s, ratio ${r.ratio} (${r.headline_client}, median of ${rounds} interleaved rounds)`);
}
