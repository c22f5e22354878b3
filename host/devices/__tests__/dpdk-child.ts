// One DPDK scenario per process (EAL initialises once per process), run by
// dpdk.test.ts after bundling this file into build/. Usage:
//   node build/<bundle>.mjs <scenario> '<json options>'
// Prints DPDK's own log, then exactly one line `RESULT {json}`; exits with
// the DpdkError's exit code when a step the scenario expects to work fails.
// memif roles also print `READY` and `DONE {json}` and wait for `close` on
// stdin, so the test can make both peers stop polling before either closes.
import { readFileSync } from "node:fs";
import { createInterface } from "node:readline";
import { Worker, isMainThread, parentPort, workerData } from "node:worker_threads";
import {
  DpdkDevice,
  DpdkError,
  DpdkPort,
  availOf,
  ealCleanup,
  ealInit,
  portInfo,
  rxOf,
  sentOf,
} from "../dpdk.js";
import { BURST_MAX, DeviceRegion } from "../device.js";
import { numbered, seqOf } from "./support.js";

type Json = Record<string, unknown>;

const MEMORY_PAGES = 128; // 8 MiB
const REGION = 64;
const POOL = 1 << 20;
const MBUFS = 2048;
const RING = 512;

/** The EAL flags that work here without hugepages or a NIC (FACTS.md). */
function ealArgs(cpu: number, extra: readonly string[]): string[] {
  return ["--no-huge", "-m", "256", "--no-pci", "--no-shconf", "--no-telemetry", "-l", String(cpu), "--log-level=notice", ...extra];
}

function affinity(): string {
  const m = /Cpus_allowed_list:\s*(\S+)/.exec(readFileSync("/proc/thread-self/status", "utf8"));
  return m ? m[1] : "?";
}

function errorJson(err: unknown): Json {
  if (err instanceof DpdkError) return { code: err.code, message: err.message, exitCode: err.exitCode, status: err.status };
  return { code: "UNEXPECTED", message: String((err as Error)?.stack ?? err) };
}

/** Runs `f`, returning its error as JSON (or null when it did not throw). */
function caught(f: () => unknown): Json | null {
  try {
    f();
    return null;
  } catch (err) {
    return errorJson(err);
  }
}

interface Rig {
  port: DpdkPort;
  dev: DpdkDevice;
  region: DeviceRegion;
  bytes: Uint8Array;
}

/** Port 0 with one queue (pool inside a fresh shared Wasm memory when zero-copy), started and attached. */
function rig(zeroCopy: boolean): Rig {
  const memory = new WebAssembly.Memory({ initial: MEMORY_PAGES, maximum: MEMORY_PAGES, shared: true });
  const bytes = new Uint8Array(memory.buffer);
  const port = DpdkPort.configure(0, { queues: 1, rxRing: RING, txRing: RING });
  const qid = port.setupQueue(0, { memory: bytes, poolOffset: POOL, mbufs: MBUFS, zeroCopy });
  port.start();
  const region = new DeviceRegion(bytes, REGION);
  return { port, dev: DpdkDevice.attach(qid, region, zeroCopy), region, bytes };
}

function inside(addr: number, len: number, lo: number, hi: number): boolean {
  return addr >= lo && addr + len <= hi;
}

/**
 * net_null: EAL init (affinity restored), bursts through a reflector that
 * sends back all, half or none of each burst plus fresh frames in offered
 * buffers; then descriptor validation; then the pool must be back where it
 * started; then the Device interface; then close.
 */
function nullScenario(o: { zeroCopy: boolean; bursts: number; cpu: number }): Json {
  const before = affinity();
  const ports = ealInit(ealArgs(o.cpu, ["--vdev", "net_null0"]));
  const after = affinity();
  const info = portInfo(0);
  const { port, dev, region, bytes } = rig(o.zeroCopy);
  const { rx, tx } = region;
  dev.flush();
  const base = dev.counters();
  const poolHi = POOL + MBUFS * (128 + 2048);
  const copyLo = region.rxBuffers;
  const copyHi = region.txBuffers;

  let txCount = 0;
  let received = 0;
  let sent = 0;
  let misplaced = 0;
  for (let b = 0; b < o.bursts; b++) {
    const r = dev.burst(txCount, BURST_MAX);
    const n = rxOf(r);
    received += n;
    sent += sentOf(r);
    for (let i = 0; i < n; i++) {
      const ok = o.zeroCopy ? inside(rx.addr(i), rx.len(i), POOL, poolHi) : inside(rx.addr(i), rx.len(i), copyLo, copyHi);
      if (!ok) misplaced++;
    }
    const kind = b % 3;
    if (kind === 0) txCount = n;
    else if (kind === 1) txCount = n >> 1;
    else txCount = Math.min(5, availOf(r));
    if (kind < 2) {
      for (let i = 0; i < txCount; i++) tx.set(i, rx.addr(i), rx.len(i));
    } else {
      for (let i = 0; i < txCount; i++) {
        bytes.set(numbered(b * 8 + i), tx.addr(i));
        tx.setLen(i, 60);
      }
    }
  }
  sent += sentOf(dev.burst(txCount, 0));
  const loop = dev.counters();
  const portAfterLoop = port.stats();

  // Validation: one burst of eight descriptors, two of them valid.
  let r = dev.burst(0, 4);
  const got = rxOf(r);
  const offer = (i: number) => tx.addr(i);
  const validation: Array<[number, number, string]> = o.zeroCopy
    ? [
        [offer(0), 60, "valid: an offered buffer"],
        [0, 60, "outside the pool"],
        [offer(1), 3000, "longer than its data room"],
        [offer(2), 10, "shorter than an Ethernet header"],
        [offer(0), 60, "the same mbuf twice"],
        [POOL + 17 * (128 + 2048) + 128, 60, "an mbuf not lent to Wasm"],
        [rx.addr(0), 60, "valid: a received frame sent back"],
        [offer(3) + 2000, 100, "across two data rooms"],
      ]
    : [
        [offer(0), 60, "valid: a tx buffer"],
        [bytes.length - 10, 60, "past the end of the memory"],
        [offer(1), 3000, "longer than a frame buffer"],
        [offer(2), 10, "shorter than an Ethernet header"],
        [rx.addr(0), 60, "valid: a received frame's buffer"],
      ];
  // A lent mbuf chosen by index must not be an offer or a received one.
  const lent = new Set<number>();
  for (let i = 0; i < availOf(r); i++) lent.add(tx.addr(i));
  for (let i = 0; i < got; i++) lent.add(rx.addr(i) - (rx.addr(i) - POOL) % (128 + 2048) + 128);
  const notLent = validation.find(([, , why]) => why === "an mbuf not lent to Wasm");
  if (notLent) {
    let k = 17;
    while (lent.has(POOL + k * (128 + 2048) + 128)) k++;
    notLent[0] = POOL + k * (128 + 2048) + 128;
  }
  validation.forEach(([addr, len], i) => tx.set(i, addr, len));
  const pBefore = port.stats().opackets;
  const cBefore = dev.counters();
  r = dev.burst(validation.length, 0);
  const validationSent = sentOf(r);
  const cAfter = dev.counters();
  const pAfter = port.stats().opackets;
  // A count above BURST_MAX: clamped, the excess counted invalid.
  r = dev.burst(100, 0);
  const clampSent = sentOf(r);
  const cClamp = dev.counters();

  // The Device interface: receive, offerTx, transmit.
  const viaReceive = dev.receive(rx, 16, 0);
  const offered = dev.offerTx(tx);
  for (let i = 0; i < viaReceive; i++) tx.set(i, rx.addr(i), rx.len(i));
  const viaTransmit = dev.transmit(tx, viaReceive, 0);
  const wrongBurst = caught(() => dev.receive(tx, 4, 0));
  // net_null has no rx interrupt: the worker must back off by sleeping.
  const intr = { mode: dev.rxInterrupt, fd: dev.intrFd, armed: dev.intrArm() };

  dev.flush();
  const end = dev.counters();
  port.close();
  const afterClose = caught(() => dev.burst(0, 1));
  dev.close();
  return {
    ports,
    before,
    after,
    info: { ...info, mac: Buffer.from(info.mac).toString("hex"), rssOffloads: info.rssOffloads.toString() },
    rss: port.rss,
    base,
    loop,
    end,
    received,
    sent,
    misplaced,
    portAfterLoop,
    validation: {
      cases: validation.map(([, , why]) => why),
      sent: validationSent,
      invalid: cAfter.txInvalid - cBefore.txInvalid,
      opackets: pAfter - pBefore,
    },
    clamp: { sent: clampSent, invalid: cClamp.txInvalid - cAfter.txInvalid },
    device: { viaReceive, offered, viaTransmit, wrongBurst },
    intr,
    afterClose,
  };
}

/** EAL arguments refused before EAL sees them (the process goes on); then a good init; then a second one. */
function ealErrorsScenario(o: { cpu: number }): Json {
  const refused: Record<string, Json | null> = {};
  const exiting = [["--help"], ["-h"], ["-vh"], ["--hel"], ["--log-level=help"], ["--log-level", "help"]];
  for (const args of exiting) refused[args.join(" ")] = caught(() => ealInit(ealArgs(o.cpu, args)));
  let ports = -1;
  const good = caught(() => {
    ports = ealInit(ealArgs(o.cpu, ["--vdev", "net_null0"]));
  });
  const again = caught(() => ealInit(ealArgs(o.cpu, ["--vdev", "net_null0"])));
  return { refused, good, ports, again };
}

/** An init expected to fail (no port, a vdev that does not probe): the error, and the process exits with its code. */
function initScenario(o: { cpu: number; args: string[] }): Json {
  const ports = ealInit(ealArgs(o.cpu, o.args));
  return { ports };
}

/** Setup errors, then two queues of one port, each polled by its own worker_thread (the host's layout). */
async function queuesScenario(o: { cpu: number; bursts: number }): Promise<Json> {
  ealInit(ealArgs(o.cpu, ["--vdev", "net_null0"]));
  const memory = new WebAssembly.Memory({ initial: 2 * MEMORY_PAGES, maximum: 2 * MEMORY_PAGES, shared: true });
  const bytes = new Uint8Array(memory.buffer);
  const tooManyQueues = caught(() => DpdkPort.configure(0, { queues: 4000 }));
  const port = DpdkPort.configure(0, { queues: 2, rxRing: RING, txRing: RING });
  const setupErrors = {
    unalignedPool: caught(() => port.setupQueue(0, { memory: bytes, poolOffset: POOL + 64, mbufs: MBUFS, zeroCopy: true })),
    poolOutsideMemory: caught(() => port.setupQueue(0, { memory: bytes, poolOffset: bytes.length - 4096, mbufs: MBUFS, zeroCopy: true })),
    tooFewMbufs: caught(() => port.setupQueue(0, { memory: bytes, poolOffset: POOL, mbufs: 300, zeroCopy: true })),
    noSuchQueue: caught(() => port.setupQueue(2, { memory: bytes, poolOffset: POOL, mbufs: MBUFS, zeroCopy: true })),
  };
  const regions = [64, 64 + (1 << 19)];
  const pools = [POOL, POOL + (8 << 20)];
  const q0 = port.setupQueue(0, { memory: bytes, poolOffset: pools[0], mbufs: MBUFS, zeroCopy: true });
  const startEarly = caught(() => port.start());
  const q1 = port.setupQueue(1, { memory: bytes, poolOffset: pools[1], mbufs: MBUFS, zeroCopy: true });
  port.start();
  const workers = [q0, q1].map(
    (qid, i) =>
      new Promise<Json>((resolve, reject) => {
        const w = new Worker(new URL(import.meta.url), { workerData: { qid, memory, region: regions[i], bursts: o.bursts } });
        w.once("message", resolve);
        w.once("error", reject);
      }),
  );
  const results = await Promise.all(workers);
  const stats = port.stats();
  port.close();
  ealCleanup();
  return { errors: { tooManyQueues, ...setupErrors, startEarly }, rss: port.rss, workers: results, port: stats };
}

/** A worker: attach to a queue set up by the main thread, reflect bursts, give everything back. */
function queueWorker(d: { qid: number; memory: WebAssembly.Memory; region: number; bursts: number }): Json {
  const region = new DeviceRegion(new Uint8Array(d.memory.buffer), d.region);
  const dev = DpdkDevice.attach(d.qid, region, true);
  let tx = 0;
  for (let b = 0; b < d.bursts; b++) {
    const n = rxOf(dev.burst(tx, BURST_MAX));
    for (let i = 0; i < n; i++) region.tx.set(i, region.rx.addr(i), region.rx.len(i));
    tx = n;
  }
  dev.burst(tx, 0);
  dev.flush();
  const counters = dev.counters();
  dev.close();
  return { affinity: affinity(), counters };
}

function lines(): AsyncIterator<string> {
  return createInterface({ input: process.stdin })[Symbol.asyncIterator]();
}

/** Waits for `close` on stdin, then closes the port. */
async function closeWhenTold(input: AsyncIterator<string>, port: DpdkPort, dev: DpdkDevice): Promise<void> {
  for (let l = await input.next(); !l.done; l = await input.next()) if (l.value.trim() === "close") break;
  dev.close();
  port.close();
}

/** memif server: reflects every frame until `frames` came in (or the deadline), then stops polling. */
async function memifServer(o: { cpu: number; socket: string; frames: number; zeroCopy: boolean; seconds: number }): Promise<Json> {
  const input = lines();
  ealInit(ealArgs(o.cpu, ["--vdev", `net_memif0,role=server,socket=${o.socket},socket-abstract=no`]));
  const { port, dev, region } = rig(o.zeroCopy);
  console.log("READY");
  const { rx, tx } = region;
  const deadline = Date.now() + o.seconds * 1000;
  let received = 0;
  let echoed = 0;
  let txCount = 0;
  while (received < o.frames && Date.now() < deadline) {
    const r = dev.burst(txCount, BURST_MAX);
    echoed += sentOf(r);
    const n = rxOf(r);
    received += n;
    for (let i = 0; i < n; i++) tx.set(i, rx.addr(i), rx.len(i));
    txCount = n;
  }
  echoed += sentOf(dev.burst(txCount, 0));
  dev.flush();
  const done = { received, echoed, counters: dev.counters(), port: port.stats(), rxInterrupt: dev.rxInterrupt };
  console.log(`DONE ${JSON.stringify(done)}`);
  await closeWhenTold(input, port, dev);
  return done;
}

/** memif client: waits for the link, sends numbered frames (a window in flight), checks every echo. */
async function memifClient(o: { cpu: number; socket: string; frames: number; zeroCopy: boolean; seconds: number }): Promise<Json> {
  const input = lines();
  ealInit(ealArgs(o.cpu, ["--vdev", `net_memif0,role=client,socket=${o.socket},socket-abstract=no`]));
  const { port, dev, region, bytes } = rig(o.zeroCopy);
  console.log("READY");
  const { rx, tx } = region;
  const deadline = Date.now() + o.seconds * 1000;
  let r = dev.burst(0, BURST_MAX);
  while (!port.info().linkUp && Date.now() < deadline) r = dev.burst(0, BURST_MAX);
  const linkUp = port.info().linkUp;
  const seen = new Uint8Array(o.frames);
  let next = 0;
  let echoes = 0;
  let corrupt = 0;
  let duplicates = 0;
  const WINDOW = 256;
  while (linkUp && echoes < o.frames && Date.now() < deadline) {
    const k = Math.min(availOf(r), 32, o.frames - next, Math.max(0, WINDOW - (next - echoes)));
    for (let i = 0; i < k; i++) {
      bytes.set(numbered(next + i), tx.addr(i));
      tx.setLen(i, 60);
    }
    r = dev.burst(k, BURST_MAX);
    next += sentOf(r); // frames the ring refused are numbered again next time
    for (let i = 0, n = rxOf(r); i < n; i++) {
      const f = rx.frame(i);
      const seq = seqOf(f);
      const expect = seq < o.frames ? numbered(seq) : undefined;
      if (!expect || f.length !== 60 || Buffer.compare(Buffer.from(f), Buffer.from(expect)) !== 0) corrupt++;
      else if (seen[seq]) duplicates++;
      else {
        seen[seq] = 1;
        echoes++;
      }
    }
  }
  dev.flush();
  const done = { linkUp, sent: next, echoes, corrupt, duplicates, counters: dev.counters(), port: port.stats() };
  console.log(`DONE ${JSON.stringify(done)}`);
  await closeWhenTold(input, port, dev);
  return done;
}

const scenarios: Record<string, (o: never) => Json | Promise<Json>> = {
  null: nullScenario,
  "eal-errors": ealErrorsScenario,
  init: initScenario,
  queues: queuesScenario,
  "memif-server": memifServer,
  "memif-client": memifClient,
};

async function main(): Promise<number> {
  const [name, optionsText] = process.argv.slice(2);
  const scenario = scenarios[name];
  if (!scenario) {
    console.log(`RESULT ${JSON.stringify({ error: { code: "USAGE", message: `unknown scenario ${name}` } })}`);
    return 64;
  }
  try {
    const result = await scenario(JSON.parse(optionsText ?? "{}") as never);
    console.log(`RESULT ${JSON.stringify(result)}`);
    return 0;
  } catch (err) {
    console.log(`RESULT ${JSON.stringify({ error: errorJson(err) })}`);
    return err instanceof DpdkError ? err.exitCode : 70;
  }
}

if (isMainThread) {
  process.exitCode = await main();
  // EAL's threads would keep the process alive; stdin too.
  process.exit();
} else {
  parentPort!.postMessage(queueWorker(workerData));
}
