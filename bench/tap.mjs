// npm run bench:tap — the userspace TCP/IP stack on a TAP device, the Linux
// kernel as the client inside a network namespace (test/e2e-tap/tap-server.mjs),
// against kernel TCP on loopback. Informational: a TAP costs a read() or
// write() per frame, so this measures the path, not the stack's capacity.
//
//   echo ping-pong  wasmcached --app echo over TAP   vs  wasmcached --app echo on loopback sockets
//   GET rate        wasmcached (memcached) over TAP  vs  Debian memcached -t 1 on loopback
//
// Servers pinned to CPU 0, clients (a ping-pong client in this file, the C
// loadgen for GETs) on CPU 1. Rounds are interleaved. Prints a JSON object,
// then a one-line summary. Needs root (namespace, TAP), iproute2, taskset,
// cc, memcached and a built dist/. Not a test.
//
// Options: --rounds 2 --seconds 3 --connections 32 --size 64 --keys 1000
import { spawnSync } from "node:child_process";
import net from "node:net";
import { fileURLToPath } from "node:url";
import { startServer } from "../test/support/server.mjs";
import { startTapServer } from "../test/e2e-tap/tap-server.mjs";
import { buildLoadgen, cpuPlan, cpuSeconds, median, parseArgs } from "./common.mjs";

const self = fileURLToPath(import.meta.url);

/**
 * The ping-pong client (run as `node tap.mjs --client HOST PORT CONNS SECONDS SIZE`,
 * inside the namespace for TAP): each connection sends SIZE bytes and waits
 * for SIZE back, for SECONDS. Prints {"round_trips", "seconds", "rps"}.
 */
async function pingPongClient(host, port, conns, seconds, size) {
  const msg = Buffer.alloc(size, 0x61);
  let trips = 0;
  let running = true;
  const one = () =>
    new Promise((resolve, reject) => {
      const s = net.connect({ host, port, noDelay: true });
      let got = 0;
      s.on("connect", () => s.write(msg));
      s.on("data", (d) => {
        got += d.length;
        while (got >= size) {
          got -= size;
          trips++;
          if (running) s.write(msg);
          else {
            s.destroy();
            resolve();
            return;
          }
        }
      });
      s.on("error", reject);
    });
  const hardStop = setTimeout(() => {
    console.error("ping-pong client: hard time limit reached");
    process.exit(3);
  }, (seconds + 30) * 1000);
  const t0 = performance.now();
  const all = Promise.all(Array.from({ length: conns }, one));
  await new Promise((r) => setTimeout(r, seconds * 1000));
  running = false;
  const elapsed = (performance.now() - t0) / 1000;
  const counted = trips;
  await all;
  clearTimeout(hardStop);
  console.log(JSON.stringify({ round_trips: counted, seconds: elapsed, rps: counted / elapsed }));
}

if (process.argv[2] === "--client") {
  const [host, port, conns, seconds, size] = process.argv.slice(3);
  await pingPongClient(host, Number(port), Number(conns), Number(seconds), Number(size));
  process.exit(0);
}

const opts = parseArgs(process.argv.slice(2), { rounds: "2", seconds: "3", connections: "32", size: "64", keys: "1000" });
const rounds = Number(opts.rounds);
const seconds = Number(opts.seconds);
const cpu = cpuPlan();
const loadgen = buildLoadgen();
const taskset = (c) => ["taskset", "-c", String(c)];

/** Runs a client command (already prefixed for a namespace if any); returns its last stdout line as JSON. */
function runClient(argv) {
  const r = spawnSync(argv[0], argv.slice(1), { encoding: "utf8", timeout: (seconds + 90) * 1000, killSignal: "SIGKILL" });
  const line = (r.stdout ?? "").trim().split("\n").pop() ?? "";
  if (r.error || !line.startsWith("{")) {
    throw new Error(`${argv.join(" ")} failed (status ${r.status}, ${r.error?.message ?? ""}):\n${r.stdout}\n${r.stderr}`);
  }
  return JSON.parse(line);
}

const inNs = (ns) => (ns ? ["ip", "netns", "exec", ns] : []);
const pingPong = (ns, host, port) =>
  runClient([...inNs(ns), ...taskset(cpu.client), process.execPath, self, "--client", host, String(port), opts.connections, String(seconds), opts.size]);
const gets = (ns, host, port, r) =>
  runClient([...inNs(ns), ...taskset(cpu.client), loadgen, "-h", host, "-p", String(port), "-c", opts.connections, "-k", opts.keys,
    "-d", String(seconds), "-s", String(r + 1)]);

const servers = [];
try {
  const tapEcho = await startTapServer(["--app", "echo"], { cpu: cpu.server });
  servers.push(tapEcho);
  const tapMc = await startTapServer(["-m", "64"], { cpu: cpu.server });
  servers.push(tapMc);
  const loEcho = await startServer("wasmcached", ["-t", "1", "--app", "echo"], { cpu: cpu.server });
  servers.push(loEcho);
  const loMc = await startServer("memcached", ["-t", "1", "-m", "64"], { cpu: cpu.server });
  servers.push(loMc);
  const sides = [
    { name: "tap_echo", pid: tapEcho.pid, run: () => pingPong(tapEcho.ns, tapEcho.ip, tapEcho.port) },
    { name: "loopback_echo", pid: loEcho.pid, run: () => pingPong(undefined, "127.0.0.1", loEcho.port) },
    { name: "tap_get", pid: tapMc.pid, run: (r) => gets(tapMc.ns, tapMc.ip, tapMc.port, r) },
    { name: "memcached_loopback_get", pid: loMc.pid, run: (r) => gets(undefined, "127.0.0.1", loMc.port, r) },
  ].map((s) => ({ ...s, runs: [] }));
  for (let r = 0; r < rounds; r++) {
    for (const side of sides) {
      const cpu0 = cpuSeconds(side.pid);
      const res = side.run(r);
      const n = res.round_trips ?? res.requests;
      res.cpu_us_per_request = ((cpuSeconds(side.pid) - cpu0) * 1e6) / n;
      side.runs.push(res);
      console.error(`round ${r + 1}/${rounds} ${side.name}: ${Math.round(res.rps)} req/s, ${res.cpu_us_per_request.toFixed(2)} µs server CPU/req`);
    }
  }
  const result = {
    benchmark: "tap",
    workload: { connections: Number(opts.connections), echo_bytes: Number(opts.size), keys: Number(opts.keys), key_bytes: 8,
      value_bytes: 8, in_flight_per_connection: 1 },
    rounds, seconds_per_run: seconds, server_cpu: cpu.server, client_cpu: cpu.client,
  };
  for (const side of sides) {
    result[side.name] = {
      median_rps: Math.round(median(side.runs.map((x) => x.rps))),
      rps: side.runs.map((x) => Math.round(x.rps)),
      median_cpu_us_per_request: Number(median(side.runs.map((x) => x.cpu_us_per_request)).toFixed(2)),
      ...(side.runs[0].errors !== undefined ? { errors: side.runs.reduce((k, x) => k + x.errors, 0), misses: side.runs.reduce((k, x) => k + x.misses, 0) } : {}),
    };
  }
  console.log(JSON.stringify(result, null, 2));
  const rps = (name) => result[name].median_rps;
  console.log(`bench:tap echo ${rps("tap_echo")} rt/s over TAP vs ${rps("loopback_echo")} on loopback; ` +
    `GET ${rps("tap_get")} req/s over TAP vs memcached ${rps("memcached_loopback_get")} on loopback ` +
    `(median of ${rounds} × ${seconds} s, ${opts.connections} connections)`);
} finally {
  for (const s of servers) await s.stop();
}
