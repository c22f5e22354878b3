// bench:eviction's in-process subject (--backend core): the Wasm store built
// from bench/eviction/core.ts on a fresh shared memory, driven with the same
// run(ops)/stats() interface as the TCP client. No server, no network; its
// clock is real seconds since it was made (as a server's would be), and it
// calls storeTick every 64 operations as app_tick would. For looking inside
// the policy (what it evicts) without a server in the way.
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "../..");
const ITEM_SIZE_MAX = 1 << 20;
const CONTROL = 1 << 20;
const STORE_BASE = CONTROL + 4096;
const Ctl = { MAGIC: 0, N_CORES: 4, ITEM_SIZE_MAX: 12, STORE_BASE: 20, STORE_SIZE: 24, ITEM_BYTES: 28, PROCESS_STARTED: 40 };
const NOW0 = 1000;

let module = null;
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

/** A fresh store of -m mb, as a bench:eviction client. */
export function coreClient(mb) {
  module ??= buildCore();
  const itemBytes = mb << 20;
  const probe = new WebAssembly.Memory({ initial: 64, maximum: 65536, shared: true });
  const sizer = new WebAssembly.Instance(module, { env: { memory: probe } }).exports;
  const regionSize = sizer.e_regionSize(itemBytes, ITEM_SIZE_MAX);
  const scratch = (STORE_BASE + regionSize + 0xffff) & ~0xffff;
  const memory = new WebAssembly.Memory({ initial: Math.ceil((scratch + 65536) / 65536), maximum: 65536, shared: true });
  const dv = new DataView(memory.buffer);
  dv.setUint32(CONTROL + Ctl.MAGIC, 0x57434331, true);
  dv.setUint32(CONTROL + Ctl.N_CORES, 1, true);
  dv.setUint32(CONTROL + Ctl.ITEM_SIZE_MAX, ITEM_SIZE_MAX, true);
  dv.setUint32(CONTROL + Ctl.STORE_BASE, STORE_BASE, true);
  dv.setUint32(CONTROL + Ctl.STORE_SIZE, regionSize, true);
  dv.setUint32(CONTROL + Ctl.ITEM_BYTES, itemBytes, true);
  dv.setUint32(CONTROL + Ctl.PROCESS_STARTED, 1_700_000_000, true);
  const x = new WebAssembly.Instance(module, { env: { memory } }).exports;
  if (x.e_init(CONTROL, scratch) !== 0) throw new Error("store format failed");
  const t0 = Date.now();
  let ops = 0;
  return {
    errors: { count: 0, first: null },
    async run(list) {
      const now = NOW0 + Math.floor((Date.now() - t0) / 1000);
      return list.map((o) => {
        if ((++ops & 63) === 0) x.e_tick(now);
        // memcached's relative exptime: seconds from now
        return o.get !== undefined ? x.e_get(o.get, now) : x.e_set(o.set, o.vlen, o.ttl ? now + o.ttl : 0, now);
      });
    },
    async stats() {
      return { limit_maxbytes: String(itemBytes), curr_items: String(x.e_currItems()), bytes: String(x.e_bytes()),
        evictions: String(x.e_evictions()), reclaimed: String(x.e_reclaimed()), crawler_reclaimed: String(x.e_crawlerReclaimed()),
        expired_unfetched: String(x.e_expiredUnfetched()), evicted_unfetched: String(x.e_evictedUnfetched()) };
    },
    close() {},
  };
}
