// npm run bench:dpdk — packet rate rx → Wasm → tx over DPDK's net_null vdev,
// zero-copy (mbuf pool inside the shared Wasm memory) against copying
// (frames copied between DPDK mbufs and Wasm buffers). Each burst is one FFI
// call (wc_burst: send the last replies, receive, offer tx buffers) and one
// Wasm call (a reflector that swaps the MAC addresses in place and points
// each tx descriptor at the frame it received). Interleaved rounds (A B A B
// …) on one process and one core. Prints a JSON object, then a one-line
// summary. Not a test. Needs DPDK and build/libwcdpdk.so (npm run build).
//
// Options: --rounds 5 --seconds 1 --cpu 1
import { rmSync } from "node:fs";
import { cpus } from "node:os";
import { bundleTs } from "../native/bundle-ts.mjs";
import { median, parseArgs } from "./common.mjs";

const opts = parseArgs(process.argv.slice(2), {
  rounds: "5",
  seconds: "1",
  cpu: String(Math.min(1, cpus().length - 1)),
});
const rounds = Number(opts.rounds);
const seconds = Number(opts.seconds);

const bindingFile = await bundleTs("host/devices/dpdk.ts", `dpdk-binding-${process.pid}`);
const deviceFile = await bundleTs("host/devices/device.ts", `dpdk-device-${process.pid}`);
const dpdk = await import(bindingFile);
const { DeviceRegion, BURST_MAX } = await import(deviceFile);
rmSync(bindingFile);
rmSync(deviceFile);

/** Little-endian base-128 of an unsigned integer. */
function leb(n) {
  const out = [];
  do {
    let b = n & 0x7f;
    n >>>= 7;
    if (n) b |= 0x80;
    out.push(b);
  } while (n);
  return out;
}
const str = (s) => [s.length, ...Buffer.from(s)];
const section = (id, body) => [id, ...leb(body.length), ...body];

/**
 * (module (import "env" "memory" (memory pages pages shared))
 *   (func (export "reflect") (param $rx i32) (param $tx i32) (param $n i32) (result i32) ...))
 * For i < n: swap the frame's destination and source MAC, copy rx_desc[i] to tx_desc[i]; return n.
 */
function reflectorModule(pages) {
  const [get, set, i32const] = [0x20, 0x21, 0x41];
  const mem = (op, offset) => [op, 0, ...leb(offset)]; // align hint 0: frames are not aligned
  const [RX, TX, N, I, END, A, T] = [0, 1, 2, 3, 4, 5, 6];
  const body = [
    1, 4, 0x7f, // four i32 locals: i, end, a, t
    get, N, i32const, 3, 0x74, set, END, // end = n << 3
    0x02, 0x40, 0x03, 0x40, // block loop
    get, I, get, END, 0x4f, 0x0d, 1, // br_if 1 (i >= end)
    get, RX, get, I, 0x6a, ...mem(0x28, 0), set, A, // a = rx_desc[i].addr
    get, A, ...mem(0x28, 0), set, T, // swap bytes 0..3 with 6..9
    get, A, get, A, ...mem(0x28, 6), ...mem(0x36, 0),
    get, A, get, T, ...mem(0x36, 6),
    get, A, ...mem(0x2f, 4), set, T, // swap bytes 4..5 with 10..11
    get, A, get, A, ...mem(0x2f, 10), ...mem(0x3b, 4),
    get, A, get, T, ...mem(0x3b, 10),
    get, TX, get, I, 0x6a, get, RX, get, I, 0x6a, ...mem(0x29, 0), ...mem(0x37, 0), // tx_desc[i] = rx_desc[i]
    get, I, i32const, 8, 0x6a, set, I,
    0x0c, 0, // br 0
    0x0b, 0x0b, // end loop, end block
    get, N,
    0x0b,
  ];
  const bytes = [
    0x00, 0x61, 0x73, 0x6d, 1, 0, 0, 0,
    ...section(1, [1, 0x60, 3, 0x7f, 0x7f, 0x7f, 1, 0x7f]),
    ...section(2, [1, ...str("env"), ...str("memory"), 0x02, 0x03, ...leb(pages), ...leb(pages)]),
    ...section(3, [1, 0]),
    ...section(7, [1, ...str("reflect"), 0x00, 0]),
    ...section(10, [1, ...leb(body.length), ...body]),
  ];
  return new Uint8Array(bytes);
}

const PAGES = 256; // 16 MiB
const MBUFS = 2048;
const RING = 512;
const memory = new WebAssembly.Memory({ initial: PAGES, maximum: PAGES, shared: true });
const bytes = new Uint8Array(memory.buffer);
const { instance } = await WebAssembly.instantiate(reflectorModule(PAGES), { env: { memory } });
const reflect = instance.exports.reflect;

const eal = ["--no-huge", "-m", "512", "--no-pci", "--no-shconf", "--no-telemetry", "-l", opts.cpu,
  "--log-level=warning", "--vdev", "net_null0", "--vdev", "net_null1"];
dpdk.ealInit(eal);

/** Port `port` with one queue, its region at `regionBase` and (zero-copy) its pool at `poolBase`. */
function side(name, port, zeroCopy, regionBase, poolBase) {
  const p = dpdk.DpdkPort.configure(port, { queues: 1, rxRing: RING, txRing: RING });
  const qid = p.setupQueue(0, { memory: bytes, poolOffset: poolBase, mbufs: MBUFS, zeroCopy });
  p.start();
  const region = new DeviceRegion(bytes, regionBase);
  const dev = dpdk.DpdkDevice.attach(qid, region, zeroCopy);
  return { name, port: p, dev, region, runs: [] };
}

const sides = [
  side("zeroCopy", 0, true, 64, 1 << 20),
  side("copy", 1, false, 1 << 19, 0),
];

/** Bursts for `seconds`: one FFI call and one Wasm call each. */
function round(s) {
  const { dev, region } = s;
  const rxDesc = region.rx.desc;
  const txDesc = region.tx.desc;
  const before = dev.counters();
  let tx = 0;
  let loops = 0;
  const t0 = performance.now();
  const until = t0 + seconds * 1000;
  let now = t0;
  while (now < until) {
    for (let k = 0; k < 1024; k++) {
      const r = dev.burst(tx, BURST_MAX);
      tx = reflect(rxDesc, txDesc, r & 0xff);
    }
    loops += 1024;
    now = performance.now();
  }
  dev.burst(tx, 0);
  loops += 1;
  const elapsed = (performance.now() - t0) / 1000;
  const after = dev.counters();
  const sent = after.tx - before.tx;
  return {
    mpps: sent / elapsed / 1e6,
    bursts: loops,
    ffiCallsPerBurst: (after.bursts - before.bursts) / loops,
    wasmCallsPerBurst: (loops - 1) / loops,
    rxPerBurst: (after.rx - before.rx) / loops,
    txInvalid: after.txInvalid - before.txInvalid,
    txDropped: after.txDropped - before.txDropped,
  };
}

const started = Date.now();
for (let r = 0; r < rounds; r++) for (const s of sides) s.runs.push(round(s));

const result = { bench: "dpdk", vdev: "net_null", frame: 64, burst: BURST_MAX, seconds, rounds, cpu: Number(opts.cpu) };
for (const s of sides) {
  s.dev.flush();
  const c = s.dev.counters();
  result[s.name] = {
    medianMpps: median(s.runs.map((x) => x.mpps)),
    runsMpps: s.runs.map((x) => Number(x.mpps.toFixed(2))),
    ffiCallsPerBurst: median(s.runs.map((x) => x.ffiCallsPerBurst)),
    wasmCallsPerBurst: median(s.runs.map((x) => x.wasmCallsPerBurst)),
    rxPerBurst: median(s.runs.map((x) => x.rxPerBurst)),
    txInvalid: s.runs.reduce((n, x) => n + x.txInvalid, 0),
    txDropped: s.runs.reduce((n, x) => n + x.txDropped, 0),
    poolInUseAfterFlush: c.poolInUse,
  };
  s.dev.close();
  s.port.close();
}
result.wallSeconds = (Date.now() - started) / 1000;
console.log(JSON.stringify(result, null, 2));
const zc = result.zeroCopy.medianMpps;
const cp = result.copy.medianMpps;
console.log(
  `dpdk net_null rx→Wasm→tx, 64-byte frames, bursts of ${BURST_MAX}: zero-copy ${zc.toFixed(2)} Mpps, ` +
    `copying ${cp.toFixed(2)} Mpps (${(zc / cp).toFixed(2)}×), ${result.zeroCopy.ffiCallsPerBurst} FFI call per burst`,
);
process.exit(0);
