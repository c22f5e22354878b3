// Several Wasm instances on one shared memory hammer the store at once
// (assembly/store/__tests__/harness.ts, built with the production flags) and
// check: every value read is one some writer wrote whole, CAS values never
// repeat across instances, bytes stay within -m, concurrent incr sums exactly.
import { describe, it, expect, beforeAll } from "vitest";
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, dirname } from "node:path";
import { fileURLToPath } from "node:url";
import { Worker } from "node:worker_threads";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const CONTROL = 1 << 20;                 // control block, as host/layout.ts places it
const STORE_BASE = CONTROL + 4096;
const ITEM_BYTES = 8 << 20;              // -m 8: 32 segments of 256 KiB
const ITEM_SIZE_MAX = 64 << 10;
const WORKERS = 4;
const OPS = 150_000;
const NKEYS = 2000;
const MAX_VLEN = 6000;
const MAX_APPENDS = 1500;                // 4 x 1500 x 8 B stays under -I

// Ctl offsets (assembly/shared/control.ts)
const Ctl = { MAGIC: 0, N_CORES: 4, ITEM_SIZE_MAX: 12, STORE_BASE: 20, STORE_SIZE: 24, ITEM_BYTES: 28, PROCESS_STARTED: 40 };

// Runs in each worker: TurboFan only (Node 20's Liftoff loses locals around
// atomics), a start barrier, then the stress loop.
const workerSource = `
require("v8").setFlagsFromString("--no-liftoff");
const { workerData: d, parentPort } = require("node:worker_threads");
const inst = new WebAssembly.Instance(new WebAssembly.Module(d.wasm), { env: { memory: d.memory } });
const x = inst.exports;
if (x.h_attach(d.control, d.core) !== 0) throw new Error("attach failed");
const sync = new Int32Array(d.memory.buffer, d.barrier, 1);
Atomics.add(sync, 0, 1);
while (Atomics.load(sync, 0) < d.workers) {}
const incrs = x.h_stress(d.core, d.workers, d.ops, d.nkeys, d.maxVlen, d.seed, d.scratch, d.casLog, d.itemBytes, d.maxAppends);
parentPort.postMessage({
  incrs, appends: x.h_appends(), torn: x.h_errTorn(), readRetry: x.h_readRetry(), setFail: x.h_errSetFail(), incrFail: x.h_errIncr(),
  bytesOver: x.h_errBytes(), hits: x.h_hits(), casCount: x.h_casCount(),
});
`;

interface Result { incrs: number; appends: number; torn: number; readRetry: number; setFail: number; incrFail: number; bytesOver: number; hits: number; casCount: number; }

let wasm: Uint8Array<ArrayBuffer>;

beforeAll(() => {
  const dir = mkdtempSync(join(tmpdir(), "store-harness-"));
  try {
    const out = join(dir, "harness.wasm");
    execFileSync(process.execPath, [join(root, "node_modules/assemblyscript/bin/asc.js"),
      "assembly/store/__tests__/harness.ts", "--runtime", "stub", "--enable", "threads,simd",
      "--importMemory", "--sharedMemory", "--maximumMemory", "65536", "-O3", "--noAssert",
      "--memoryBase", "262144", "-o", out], { cwd: root, stdio: "pipe" });
    wasm = new Uint8Array(readFileSync(out));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}, 120_000);

describe("store shared by several instances", () => {
  it("keeps values whole, CAS unique, bytes within -m, incr and append exact", async () => {
    const module = new WebAssembly.Module(wasm);
    const probe = new WebAssembly.Memory({ initial: 64, maximum: 65536, shared: true });
    const sizer = new WebAssembly.Instance(module, { env: { memory: probe } }).exports as any;
    const regionSize: number = sizer.h_regionSize(ITEM_BYTES, ITEM_SIZE_MAX);
    expect(regionSize).toBeGreaterThan(ITEM_BYTES);

    const scratchBase = (STORE_BASE + regionSize + 0xffff) & ~0xffff;
    const scratchSize = 64 << 10;
    const casLogBase = scratchBase + WORKERS * scratchSize;
    const casLogSize = OPS * 8;
    const barrier = casLogBase + WORKERS * casLogSize;
    const pages = Math.max(64, Math.ceil((barrier + 64) / 65536));
    const memory = new WebAssembly.Memory({ initial: pages, maximum: 65536, shared: true });
    const dv = new DataView(memory.buffer);
    dv.setUint32(CONTROL + Ctl.MAGIC, 0x57434331, true);
    dv.setUint32(CONTROL + Ctl.N_CORES, WORKERS, true);
    dv.setUint32(CONTROL + Ctl.ITEM_SIZE_MAX, ITEM_SIZE_MAX, true);
    dv.setUint32(CONTROL + Ctl.STORE_BASE, STORE_BASE, true);
    dv.setUint32(CONTROL + Ctl.STORE_SIZE, regionSize, true);
    dv.setUint32(CONTROL + Ctl.ITEM_BYTES, ITEM_BYTES, true);
    dv.setUint32(CONTROL + Ctl.PROCESS_STARTED, Math.floor(Date.now() / 1000) - 100, true);

    const host = new WebAssembly.Instance(module, { env: { memory } }).exports as any;
    expect(host.h_format(CONTROL)).toBe(0);
    expect(host.h_attach(CONTROL, 0)).toBe(0);
    expect(host.h_setCounter(scratchBase)).toBe(0);
    expect(host.h_setLog(scratchBase)).toBe(0);

    const results: Result[] = await Promise.all(Array.from({ length: WORKERS }, (_, core) =>
      new Promise<Result>((resolve, reject) => {
        const w = new Worker(workerSource, {
          eval: true,
          workerData: {
            wasm, memory, control: CONTROL, core, workers: WORKERS, ops: OPS, nkeys: NKEYS, maxVlen: MAX_VLEN,
            seed: 0x1234567 + core * 7919, scratch: scratchBase + core * scratchSize,
            casLog: casLogBase + core * casLogSize, itemBytes: ITEM_BYTES, barrier, maxAppends: MAX_APPENDS,
          },
        });
        w.once("message", resolve);
        w.once("error", reject);
      })));

    const sum = (f: (r: Result) => number) => results.reduce((a, r) => a + f(r), 0);
    expect(sum(r => r.torn)).toBe(0);
    expect(sum(r => r.setFail)).toBe(0);
    expect(sum(r => r.incrFail)).toBe(0);
    expect(sum(r => r.bytesOver)).toBe(0);
    expect(sum(r => r.hits)).toBeGreaterThan(OPS * WORKERS / 20);
    expect(host.h_statBytes()).toBeLessThanOrEqual(ITEM_BYTES);
    expect(host.h_evictions()).toBeGreaterThan(0); // the run went through memory several times
    expect(host.h_getCounter(scratchBase)).toBe(sum(r => r.incrs));

    // every append landed exactly once, each writer's in its own order
    const logAt = scratchBase + 4096;
    const logLen: number = host.h_getLog(scratchBase, logAt);
    expect(logLen).toBe(8 * sum(r => r.appends));
    const rec = new Uint32Array(memory.buffer, logAt, logLen / 4);
    const lastSeq = new Array(WORKERS).fill(-1);
    for (let i = 0; i < rec.length; i += 2) {
      expect(rec[i]).toBeLessThan(WORKERS);
      expect(rec[i + 1]).toBeGreaterThan(lastSeq[rec[i]]);
      lastSeq[rec[i]] = rec[i + 1];
    }

    const seen = new Set<bigint>();
    let logged = 0;
    results.forEach((r, core) => {
      const log = new BigUint64Array(memory.buffer, casLogBase + core * casLogSize, r.casCount);
      for (const c of log) seen.add(c);
      logged += r.casCount;
    });
    expect(logged).toBeGreaterThan(OPS);
    expect(seen.size).toBe(logged);
  }, 120_000);
});
