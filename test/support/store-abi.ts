// The store ABI (docs/store-abi.md) as a foreign module sees it: build/store.wasm
// on a fresh shared memory laid out as the host lays it out, two instances
// attached (two cores), and helpers for caller-owned keys, values and result
// records. For test/store-abi.test.ts and test/store-properties.test.ts.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { CONTROL_BASE, Ctl } from "../../host/layout.js";

const ROOT = join(import.meta.dirname, "..", "..");
export const STORE_WASM = join(ROOT, "build", "store.wasm");

export const MODE = { SET: 0, ADD: 1, REPLACE: 2, APPEND: 3, PREPEND: 4, CAS: 5 } as const;
export const R = { STORED: 0, NOT_STORED: 1, EXISTS: 2, NOT_FOUND: 3, NO_MEMORY: 4, NON_NUMERIC: 5, DELTA_OK: 6, TOO_LARGE: 7 } as const;
export const STAT = { CURR_ITEMS: 0, TOTAL_ITEMS: 1, LIMIT_MAXBYTES: 8 } as const;

export interface StoreAbi {
  store_region_size(itemBytes: number, itemSizeMax: number): number;
  store_format(control: number): number;
  store_attach(control: number, core: number): number;
  clock(nowMs: number): number;
  exptime(wire: bigint, now: number): number;
  get(key: number, klen: number, now: number, res: number): number;
  valid(res: number): number;
  pin(res: number): number;
  unpin(res: number): void;
  size_ok(klen: number, flags: number, vlen: number): number;
  put(key: number, klen: number, value: number, vlen: number, flags: number, exp: number, mode: number, cas: bigint, now: number, res: number): number;
  reserve(key: number, klen: number, flags: number, exp: number, vlen: number, now: number): number;
  item_value(it: number): number;
  commit(it: number, mode: number, cas: bigint, now: number): number;
  abort(it: number): void;
  remove(key: number, klen: number, now: number): number;
  delta(key: number, klen: number, incr: number, by: bigint, cas: bigint, now: number, res: number): number;
  touch(key: number, klen: number, exp: number, now: number): number;
  flush(delay: bigint, now: number): void;
  tick(now: number): void;
  stat(id: number): bigint;
  static_end(): number;
}

export const MB = 1 << 20;
/** Caller memory for keys, values and result records, below the control block's page. */
export const SCRATCH = 8192;
export const RES = 4096;
export const RES2 = 4096 + 64;

export function setup(cores = 2, itemBytes = 8 * MB, itemSizeMax = MB) {
  const mod = new WebAssembly.Module(readFileSync(STORE_WASM));
  const memory = new WebAssembly.Memory({ initial: 32, maximum: 65536, shared: true });
  const make = () => new WebAssembly.Instance(mod, { env: { memory } }).exports as unknown as StoreAbi;
  const a = make();
  const size = a.store_region_size(itemBytes, itemSizeMax) >>> 0;
  const storeBase = CONTROL_BASE + 4096;
  memory.grow(Math.ceil((storeBase + size) / 65536) - 32 + 1);
  const dv = new DataView(memory.buffer);
  const u32 = (off: number, v: number) => dv.setUint32(CONTROL_BASE + off, v, true);
  u32(Ctl.N_CORES, cores);
  u32(Ctl.ITEM_SIZE_MAX, itemSizeMax);
  u32(Ctl.STORE_BASE, storeBase);
  u32(Ctl.STORE_SIZE, size);
  u32(Ctl.ITEM_BYTES, itemBytes);
  u32(Ctl.PROCESS_STARTED, 1_000_000);
  if (a.store_format(CONTROL_BASE) !== 0 || a.store_attach(CONTROL_BASE, 0) !== 0) throw new Error("store_format / store_attach failed");
  const b = make();
  if (b.store_attach(CONTROL_BASE, 1) !== 0) throw new Error("store_attach of core 1 failed");
  const bytes = () => new Uint8Array(memory.buffer);
  let at = SCRATCH;
  const put = (s: string | Uint8Array): [number, number] => {
    const enc = typeof s === "string" ? new TextEncoder().encode(s) : s;
    const p = at;
    bytes().set(enc, p);
    at += enc.length + 8;
    return [p, enc.length];
  };
  const text = (p: number, n: number) => new TextDecoder().decode(bytes().slice(p, p + n));
  const res = (r: number) => ({
    item: dv.getUint32(r, true),
    value: text(dv.getUint32(r + 4, true), dv.getUint32(r + 8, true)),
    flags: dv.getUint32(r + 12, true),
    cas: dv.getBigUint64(r + 16, true),
    exptime: dv.getUint32(r + 24, true),
    number: dv.getBigUint64(r + 32, true),
  });
  return { a, b, put, res, text, dv, memory };
}

