// npm run bench:eviction — eviction quality of the store, replaying seeded
// traces against the Wasm core directly (bench/eviction/core.ts: no server,
// no network, a simulated clock, storeTick every 64 operations as app_tick
// would call it). Deterministic: the same seed gives the same numbers.
// Traces (sizes scale with --memory):
//   overwrite  cold 1 KB items (20% of -m) set once, then 16 hot keys
//              overwritten with 10 KB values until 4x -m was written;
//              reports cold items kept
//   ttl        the same cold items, then distinct 10 KB items with a 2 s TTL
//              (about half of -m unexpired at any time) for 12 s; cold kept
//   zipf       Zipf 0.9 read-through (get, set on miss), values 200-500 B,
//              a working set of about 3x -m; hit ratio after the warm-up
//   scan       the zipf trace with a one-pass scan of as many cold keys as
//              the working set in the middle; hit ratio after the scan
// Not yet: the same traces against memcached at the same -m (the traces
// take any client with set/get/setTime/flush, so a loopback one can be added).
// Prints a JSON object, then a one-line summary. Not a test.
//
// Options: --memory 32 --seed 42 --requests 1000000
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const args = process.argv.slice(2);
const opt = (name, dflt) => { const i = args.indexOf(`--${name}`); return i >= 0 && args[i + 1] && !args[i + 1].startsWith("--") ? args[i + 1] : dflt; };
const MEMORY_MB = Number(opt("memory", "32"));
const SEED = Number(opt("seed", "42"));
const REQUESTS = Number(opt("requests", "1000000"));
const ITEM_BYTES = MEMORY_MB << 20;
const ITEM_SIZE_MAX = 1 << 20;
const CONTROL = 1 << 20;
const STORE_BASE = CONTROL + 4096;
const Ctl = { MAGIC: 0, N_CORES: 4, ITEM_SIZE_MAX: 12, STORE_BASE: 20, STORE_SIZE: 24, ITEM_BYTES: 28, PROCESS_STARTED: 40 };
const NOW0 = 1000;

function buildCore() {
  const dir = mkdtempSync(join(tmpdir(), "bench-eviction-"));
  try {
    const out = join(dir, "core.wasm");
    execFileSync(process.execPath, [join(root, "node_modules/assemblyscript/bin/asc.js"),
      "bench/eviction/core.ts", "--runtime", "stub", "--enable", "threads,simd", "--importMemory", "--sharedMemory",
      "--maximumMemory", "65536", "-O3", "--noAssert", "--memoryBase", "262144", "-o", out], { cwd: root, stdio: "pipe" });
    return new WebAssembly.Module(readFileSync(out));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const module = buildCore();

/** A fresh store of -m MEMORY_MB. */
function freshCore() {
  const probe = new WebAssembly.Memory({ initial: 64, maximum: 65536, shared: true });
  const sizer = new WebAssembly.Instance(module, { env: { memory: probe } }).exports;
  const regionSize = sizer.e_regionSize(ITEM_BYTES, ITEM_SIZE_MAX);
  const scratch = (STORE_BASE + regionSize + 0xffff) & ~0xffff;
  const memory = new WebAssembly.Memory({ initial: Math.ceil((scratch + 65536) / 65536), maximum: 65536, shared: true });
  const dv = new DataView(memory.buffer);
  dv.setUint32(CONTROL + Ctl.MAGIC, 0x57434331, true);
  dv.setUint32(CONTROL + Ctl.N_CORES, 1, true);
  dv.setUint32(CONTROL + Ctl.ITEM_SIZE_MAX, ITEM_SIZE_MAX, true);
  dv.setUint32(CONTROL + Ctl.STORE_BASE, STORE_BASE, true);
  dv.setUint32(CONTROL + Ctl.STORE_SIZE, regionSize, true);
  dv.setUint32(CONTROL + Ctl.ITEM_BYTES, ITEM_BYTES, true);
  dv.setUint32(CONTROL + Ctl.PROCESS_STARTED, 1_700_000_000, true);
  const x = new WebAssembly.Instance(module, { env: { memory } }).exports;
  if (x.e_init(CONTROL, scratch) !== 0) throw new Error("store format failed");
  let ops = 0;
  let now = NOW0;
  const tick = () => { if ((++ops & 63) === 0) x.e_tick(now); };
  return {
    set(id, vlen, ttl = 0) { tick(); return x.e_set(id, vlen, ttl ? now + ttl : 0, now); },
    get(id) { tick(); return x.e_get(id, now); },
    setTime(s) { now = NOW0 + Math.floor(s); },
    async flush() {},
    stats() {
      return { curr_items: x.e_currItems(), bytes: x.e_bytes(), evictions: x.e_evictions(), reclaimed: x.e_reclaimed(),
        expired_unfetched: x.e_expiredUnfetched(), evicted_unfetched: x.e_evictedUnfetched() };
    },
  };
}

// ---- seeded randomness -------------------------------------------------------
function rng(seed) {
  let s = (seed >>> 0) || 1;
  return () => { s ^= s << 13; s >>>= 0; s ^= s >>> 17; s ^= s << 5; s >>>= 0; return s / 4294967296; };
}
function zipfSampler(n, theta, rand) {
  const cdf = new Float64Array(n);
  let sum = 0;
  for (let i = 0; i < n; i++) { sum += 1 / Math.pow(i + 1, theta); cdf[i] = sum; }
  return () => {
    const u = rand() * sum;
    let lo = 0, hi = n - 1;
    while (lo < hi) { const mid = (lo + hi) >> 1; if (cdf[mid] < u) lo = mid + 1; else hi = mid; }
    return lo;
  };
}

// ---- traces (each against a client with set/get/setTime) ---------------------
const COLD_BASE = 10_000_000;
const HOT_BASE = 20_000_000;
const SHORT_BASE = 30_000_000;
const SCAN_BASE = 40_000_000;

async function coldKept(c, n) {
  let kept = 0;
  for (let i = 0; i < n; i++) kept += await c.get(COLD_BASE + i);
  return kept;
}

async function overwrite(c) {
  const cold = Math.floor(ITEM_BYTES * 0.2 / 1100);
  for (let i = 0; i < cold; i++) await c.set(COLD_BASE + i, 1000);
  const writes = Math.floor(ITEM_BYTES * 4 / 10000);
  for (let i = 0; i < writes; i++) await c.set(HOT_BASE + (i & 15), 10000);
  await c.flush();
  return { cold_items: cold, cold_kept: await coldKept(c, cold), overwrites: writes };
}

async function ttl(c, realTime = false) {
  const cold = Math.floor(ITEM_BYTES * 0.2 / 1100);
  for (let i = 0; i < cold; i++) await c.set(COLD_BASE + i, 1000);
  // r items/s x 10 KB x 2 s = -m / 2
  const perSecond = Math.floor(ITEM_BYTES / 2 / 2 / 10240);
  const seconds = 12;
  const t0 = Date.now();
  for (let s = 0; s < seconds * 10; s++) {
    if (realTime) { const wait = t0 + s * 100 - Date.now(); if (wait > 0) await new Promise((r) => setTimeout(r, wait)); await c.flush(); }
    else c.setTime(s / 10);
    for (let i = 0; i < perSecond / 10; i++) await c.set(SHORT_BASE + s * perSecond + i, 10000, 2);
  }
  if (!realTime) c.setTime(seconds);
  await c.flush();
  return { cold_items: cold, cold_kept: await coldKept(c, cold), short_ttl_items: Math.floor(perSecond / 10) * seconds * 10, per_second: perSecond };
}

async function zipf(c, withScan) {
  const rand = rng(SEED);
  const keys = Math.floor(ITEM_BYTES * 3 / 400);
  const next = zipfSampler(keys, 0.9, rand);
  const warm = Math.floor(REQUESTS / 4);
  let hits = 0, misses = 0;
  const scanAt = Math.floor(REQUESTS / 2);
  for (let r = 0; r < REQUESTS; r++) {
    if (withScan && r === scanAt) {
      // a one-pass scan: each cold key read once (a miss) and filled once
      for (let i = 0; i < keys; i++) if (!(await c.get(SCAN_BASE + i))) await c.set(SCAN_BASE + i, 200 + (i % 301));
    }
    const id = next();
    const hit = await c.get(id);
    if (!hit) await c.set(id, 200 + ((id * 2654435761) >>> 0) % 301);
    if (r >= (withScan ? scanAt : warm)) { if (hit) hits++; else misses++; }
  }
  return { keys, requests: REQUESTS, hit_ratio: Number((hits / (hits + misses)).toFixed(4)) };
}

function withCore(fn) {
  return (async () => { const c = freshCore(); const r = await fn(c); r.stats = c.stats(); return r; })();
}

const result = { benchmark: "eviction", memory_mb: MEMORY_MB, seed: SEED, wasmcached: {} };
const traces = { overwrite: (c) => overwrite(c), ttl: (c) => ttl(c), zipf: (c) => zipf(c, false), scan: (c) => zipf(c, true) };
for (const [name, fn] of Object.entries(traces)) {
  const t = Date.now();
  result.wasmcached[name] = await withCore(fn);
  console.error(`wasmcached ${name}: ${JSON.stringify(result.wasmcached[name])} (${((Date.now() - t) / 1000).toFixed(1)} s)`);
}
console.log(JSON.stringify(result, null, 2));
const w = result.wasmcached;
console.log(`bench:eviction -m ${MEMORY_MB}: overwrite cold kept ${w.overwrite.cold_kept}/${w.overwrite.cold_items}, ` +
  `ttl cold kept ${w.ttl.cold_kept}/${w.ttl.cold_items}, ` +
  `zipf hit ratio ${w.zipf.hit_ratio}, scan hit ratio ${w.scan.hit_ratio}`);
